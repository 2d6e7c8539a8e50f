/**
 * The three escalation modes and the one pure function that decides, for a request, whether it stays on the
 * device, needs the user's consent first, or may go to the remote provider. Every send path goes through
 * `decideDispatch`, so the invariant "local-only never sends" lives in one place.
 */

export const ESCALATION_MODES = {
  'local-only': {
    label: 'On this device only',
    description: 'Nothing you type ever leaves this device. Answers always come from a downloaded model.',
    isDefault: true,
    mayDispatchRemotely: false,
    requiresProviderOptIn: false,
  },
  ask: {
    label: 'Ask me each time',
    description:
      'When a request needs a larger model, Petit shows exactly what would be sent and asks before sending.',
    isDefault: false,
    mayDispatchRemotely: true,
    requiresProviderOptIn: false,
  },
  auto: {
    label: 'Send automatically when needed',
    description:
      'Requests the router judges too hard for this device go to the provider you opted in to, without asking. You can revoke it at any time.',
    isDefault: false,
    mayDispatchRemotely: true,
    requiresProviderOptIn: true,
  },
} as const;

export type EscalationMode = keyof typeof ESCALATION_MODES;

export const ESCALATION_MODE_IDS = Object.keys(ESCALATION_MODES) as EscalationMode[];

export const DEFAULT_ESCALATION_MODE: EscalationMode = 'local-only';

export function isEscalationMode(value: unknown): value is EscalationMode {
  return typeof value === 'string' && Object.hasOwn(ESCALATION_MODES, value);
}

export type DispatchAction = 'local' | 'ask-consent' | 'remote';

export type DispatchReason =
  | 'mode-local-only'
  | 'router-says-local'
  | 'conversation-consent'
  | 'auto-opt-in'
  | 'needs-consent'
  | 'auto-not-opted-in';

export interface DispatchInput {
  mode: EscalationMode;
  /** The router's verdict for this request (only `escalate` matters here). */
  routerVerdict: { escalate: boolean };
  /** Standing consent for the provider in question: the 'auto' opt-in (per provider, revocable). */
  consentState: { autoOptIn: boolean };
  /** The user chose "Send for this conversation" earlier for this provider. */
  conversationConsent: boolean;
  /** The user pressed "not good enough — ask the large model". */
  userAskedForRemote: boolean;
}

export interface DispatchDecision {
  action: DispatchAction;
  reason: DispatchReason;
  /** A short sentence the UI can show. */
  explanation: string;
}

export function decideDispatch(input: DispatchInput): DispatchDecision {
  const { mode, routerVerdict, consentState, conversationConsent, userAskedForRemote } = input;
  const wantsRemote = userAskedForRemote || routerVerdict.escalate;
  if (!ESCALATION_MODES[mode].mayDispatchRemotely) {
    return {
      action: 'local',
      reason: 'mode-local-only',
      explanation: wantsRemote
        ? 'Petit is set to "On this device only", so nothing is sent. Switch to "Ask me each time" to use a larger model.'
        : 'Answered on this device.',
    };
  }
  if (!wantsRemote) {
    return {
      action: 'local',
      reason: 'router-says-local',
      explanation: 'A downloaded model is likely good enough for this request.',
    };
  }
  if (mode === 'auto' && consentState.autoOptIn) {
    return {
      action: 'remote',
      reason: 'auto-opt-in',
      explanation: 'Sent automatically: you opted in to this provider for requests that need a larger model.',
    };
  }
  if (conversationConsent) {
    return {
      action: 'remote',
      reason: 'conversation-consent',
      explanation: 'Sent: you allowed this provider for this conversation.',
    };
  }
  if (mode === 'auto') {
    return {
      action: 'ask-consent',
      reason: 'auto-not-opted-in',
      explanation: 'Automatic sending is on, but not for this provider yet: confirm before anything is sent.',
    };
  }
  return {
    action: 'ask-consent',
    reason: 'needs-consent',
    explanation: 'This request may need a larger model. Review what would be sent before sending it.',
  };
}
