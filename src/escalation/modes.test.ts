import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ESCALATION_MODE,
  ESCALATION_MODES,
  ESCALATION_MODE_IDS,
  decideDispatch,
  isEscalationMode,
  type DispatchInput,
} from './modes.ts';
import { escalationText } from './reason-text.ts';

const bools = [false, true] as const;

function* allInputs(): Generator<DispatchInput> {
  for (const mode of ESCALATION_MODE_IDS)
    for (const escalate of bools)
      for (const autoOptIn of bools)
        for (const conversationConsent of bools)
          for (const userAskedForRemote of bools)
            yield {
              mode,
              routerVerdict: { escalate },
              consentState: { autoOptIn },
              conversationConsent,
              userAskedForRemote,
            };
}

describe('escalation modes', () => {
  it('defaults to "On this device only" and labels the three modes as the UI shows them', () => {
    expect(DEFAULT_ESCALATION_MODE).toBe('local-only');
    expect(ESCALATION_MODES[DEFAULT_ESCALATION_MODE].isDefault).toBe(true);
    expect(ESCALATION_MODE_IDS.map((m) => escalationText({ key: `modes.${m}.label` }, 'en'))).toEqual([
      'On this device only',
      'Ask me each time',
      'Send automatically when needed',
    ]);
    expect(ESCALATION_MODE_IDS.filter((m) => ESCALATION_MODES[m].isDefault)).toEqual(['local-only']);
    expect(isEscalationMode('auto')).toBe(true);
    expect(isEscalationMode('toString')).toBe(false);
  });

  it('in local-only, never dispatches remotely, whatever the router, consents or the user button say (all 16 cases)', () => {
    let cases = 0;
    for (const input of allInputs()) {
      if (input.mode !== 'local-only') continue;
      cases++;
      const d = decideDispatch(input);
      expect(d.action).toBe('local');
      expect(d.reason).toBe('mode-local-only');
    }
    expect(cases).toBe(16);
  });

  it('tells the user how to get the large model when local-only blocks their request', () => {
    const d = decideDispatch({
      mode: 'local-only',
      routerVerdict: { escalate: false },
      consentState: { autoOptIn: true },
      conversationConsent: true,
      userAskedForRemote: true,
    });
    expect(escalationText(d.message, 'en')).toMatch(/Switch to "Ask me each time" to use one\.$/);
    // Nothing was wanted from a larger model: nothing to explain beyond where the answer came from.
    const quiet = decideDispatch({
      mode: 'local-only',
      routerVerdict: { escalate: false },
      consentState: { autoOptIn: false },
      conversationConsent: false,
      userAskedForRemote: false,
    });
    expect(escalationText(quiet.message, 'en')).toBe('Answered on this device.');
  });

  it('never sends without a standing consent: every remote decision is backed by an opt-in or conversation consent', () => {
    for (const input of allInputs()) {
      const d = decideDispatch(input);
      if (d.action === 'remote') {
        expect(input.mode).not.toBe('local-only');
        const autoOk = input.mode === 'auto' && input.consentState.autoOptIn;
        expect(autoOk || input.conversationConsent).toBe(true);
        expect(input.routerVerdict.escalate || input.userAskedForRemote).toBe(true);
      }
    }
  });

  it('matches the table for ask and auto modes', () => {
    const base = { routerVerdict: { escalate: true }, userAskedForRemote: false } as const;
    const at = (mode: 'ask' | 'auto', autoOptIn: boolean, conversationConsent: boolean) =>
      decideDispatch({ ...base, mode, consentState: { autoOptIn }, conversationConsent }).action;
    expect(at('ask', false, false)).toBe('ask-consent');
    // The auto opt-in means nothing in "ask" mode: it still asks.
    expect(at('ask', true, false)).toBe('ask-consent');
    expect(at('ask', false, true)).toBe('remote');
    expect(at('auto', false, false)).toBe('ask-consent');
    expect(at('auto', true, false)).toBe('remote');
    expect(at('auto', false, true)).toBe('remote');
    // Nothing to escalate: stays local in every mode.
    for (const mode of ESCALATION_MODE_IDS)
      expect(
        decideDispatch({
          mode,
          routerVerdict: { escalate: false },
          consentState: { autoOptIn: true },
          conversationConsent: true,
          userAskedForRemote: false,
        }).action,
      ).toBe('local');
  });

  it('the user button escalates even when the router says local (outside local-only)', () => {
    const d = decideDispatch({
      mode: 'ask',
      routerVerdict: { escalate: false },
      consentState: { autoOptIn: false },
      conversationConsent: false,
      userAskedForRemote: true,
    });
    expect(d.action).toBe('ask-consent');
  });
});
