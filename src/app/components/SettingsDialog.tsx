import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGE_NAMES, LANGUAGES, type LanguageChoice } from '../../i18n/index.ts';
import { formatNumber } from '../../i18n/format.ts';
import {
  RUNTIME_CHOICES,
  checkHubUrl,
  runtimeLabel,
  type AppSettings,
  type RuntimeChoice,
  type ThemeChoice,
} from '../settings.ts';

interface Props {
  open: boolean;
  settings: AppSettings;
  onSave: (settings: AppSettings) => void;
  onClose: () => void;
}

export function SettingsDialog({ open, settings, onSave, onClose }: Props) {
  const { t } = useTranslation('settings');
  const dialog = useRef<HTMLDialogElement>(null);
  const [hubUrl, setHubUrl] = useState(settings.hubUrl);
  const [theme, setTheme] = useState<ThemeChoice>(settings.theme);
  const [temperature, setTemperature] = useState(settings.temperature);
  const [maxTokens, setMaxTokens] = useState(settings.maxTokens);
  const [runtime, setRuntime] = useState<RuntimeChoice>(settings.runtime);
  const [language, setLanguageChoice] = useState<LanguageChoice>(settings.language);
  const problem = checkHubUrl(hubUrl);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setHubUrl(settings.hubUrl);
      setTheme(settings.theme);
      setTemperature(settings.temperature);
      setMaxTokens(settings.maxTokens);
      setRuntime(settings.runtime);
      setLanguageChoice(settings.language);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open, settings]);

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} aria-labelledby="settings-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (problem) return;
          onSave({
            ...settings,
            hubUrl: hubUrl.replace(/\/+$/, ''),
            theme,
            temperature,
            maxTokens,
            runtime,
            language,
          });
        }}
      >
        <h2 id="settings-title">{t('title')}</h2>
        <label className="field">
          <span>{t('language.label')}</span>
          <select
            value={language}
            onChange={(e) => setLanguageChoice(e.target.value as LanguageChoice)}
            data-testid="language-choice"
            aria-describedby="language-help"
          >
            <option value="auto">{t('language.auto')}</option>
            {/* Each language named in itself, as every language menu does. */}
            {LANGUAGES.map((code) => (
              <option key={code} value={code} lang={code} translate="no">
                {LANGUAGE_NAMES[code]}
              </option>
            ))}
          </select>
          <small id="language-help" className="muted">
            {t('language.help')}
          </small>
        </label>
        <label className="field">
          <span>{t('hub.label')}</span>
          <input
            type="url"
            value={hubUrl}
            onChange={(e) => setHubUrl(e.target.value)}
            data-testid="hub-url"
            translate="no"
            aria-invalid={problem ? true : undefined}
            aria-describedby="hub-help"
          />
          <small id="hub-help" className={problem ? 'error-text' : 'muted'}>
            {problem ?? t('hub.help')}
          </small>
        </label>
        <label className="field">
          <span>{t('runtime.label')}</span>
          <select
            value={runtime}
            onChange={(e) => setRuntime(e.target.value as RuntimeChoice)}
            data-testid="runtime-choice"
            aria-describedby="runtime-help"
          >
            {(Object.keys(RUNTIME_CHOICES) as RuntimeChoice[]).map((value) => (
              <option key={value} value={value}>
                {runtimeLabel(value)}
              </option>
            ))}
          </select>
          <small id="runtime-help" className="muted">
            {t('runtime.help')}
          </small>
        </label>
        <label className="field">
          <span>
            {t('temperature.label', {
              value: formatNumber(temperature, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
            })}
          </span>
          <input
            type="range"
            min={0}
            max={1.5}
            step={0.1}
            value={temperature}
            onChange={(e) => setTemperature(Number(e.target.value))}
            data-testid="temperature"
            aria-describedby="temperature-help"
          />
          <small id="temperature-help" className="muted">
            {t('temperature.help')}
          </small>
        </label>
        <label className="field">
          <span>{t('maxTokens.label')}</span>
          <input
            type="number"
            min={16}
            max={8192}
            step={16}
            value={maxTokens}
            onChange={(e) =>
              setMaxTokens(Math.max(16, Math.min(8192, Math.round(Number(e.target.value) || 16))))
            }
            data-testid="max-tokens"
          />
        </label>
        <fieldset className="field">
          <legend>{t('theme.legend')}</legend>
          <div className="segmented">
            {(['system', 'light', 'dark'] as const).map((choice) => (
              <label key={choice}>
                <input
                  type="radio"
                  name="theme"
                  value={choice}
                  checked={theme === choice}
                  onChange={() => setTheme(choice)}
                />
                <span>{t(`theme.${choice}`)}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="dialog-actions">
          <button type="button" className="button ghost" onClick={onClose}>
            {t('cancel')}
          </button>
          <button
            type="submit"
            className="button primary"
            disabled={problem !== null}
            data-testid="save-settings"
          >
            {t('save')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
