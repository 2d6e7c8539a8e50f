import { useTranslation } from 'react-i18next';
import { useInstallPrompt } from './use-install-prompt.ts';

/** "Install" where the browser offers installing the app (Chromium's beforeinstallprompt). */
export function InstallButton() {
  const { t } = useTranslation();
  const install = useInstallPrompt();
  if (!install) return null;
  return (
    <button type="button" className="button ghost" onClick={() => void install()} data-testid="install-app">
      {t('header.install')}
    </button>
  );
}
