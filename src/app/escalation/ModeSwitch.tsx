import { ESCALATION_MODES, ESCALATION_MODE_IDS, isEscalationMode } from '../../escalation/index.ts';
import type { EscalationApi } from './use-escalation.ts';

/** The escalation mode, always visible in the chat header. */
export function ModeSwitch({ escalation }: { escalation: EscalationApi }) {
  const mode = escalation.config.mode;
  return (
    <label className="mode-switch" title={ESCALATION_MODES[mode].description}>
      <span className="visually-hidden">Where answers may run</span>
      <select
        value={mode}
        data-testid="escalation-mode"
        onChange={(e) => {
          if (isEscalationMode(e.target.value)) escalation.setMode(e.target.value);
        }}
      >
        {ESCALATION_MODE_IDS.map((id) => (
          <option key={id} value={id}>
            {ESCALATION_MODES[id].label}
          </option>
        ))}
      </select>
    </label>
  );
}
