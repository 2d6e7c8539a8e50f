import { useTranslation } from 'react-i18next';
import { ESCALATION_MODE_IDS, isEscalationMode } from '../../escalation/index.ts';
import type { EscalationApi } from './use-escalation.ts';

/** The escalation mode, always visible in the chat header. */
export function ModeSwitch({ escalation }: { escalation: EscalationApi }) {
  const { t } = useTranslation('escalation');
  const mode = escalation.config.mode;
  return (
    <label className="mode-switch" title={t(`modes.${mode}.description`)}>
      <span className="visually-hidden">{t('modes.label')}</span>
      <select
        value={mode}
        data-testid="escalation-mode"
        onChange={(e) => {
          if (isEscalationMode(e.target.value)) escalation.setMode(e.target.value);
        }}
      >
        {ESCALATION_MODE_IDS.map((id) => (
          <option key={id} value={id}>
            {t(`modes.${id}.label`)}
          </option>
        ))}
      </select>
    </label>
  );
}
