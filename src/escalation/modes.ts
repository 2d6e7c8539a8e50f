/**
 * The three escalation modes and the one pure function that decides, for a request, whether it stays on the
 * device, needs the user's consent first, or may go to the remote provider. Every send path goes through
 * `decideDispatch`, so the invariant "local-only never sends" lives in one place. Their names and descriptions are in
 * the escalation catalog (modes.<id>.label / .description); a decision's sentence is `message` (dispatch.<reason>).
 */
import type { EscalationMessage } from './reason-text.ts';

export const ESCALATION_MODES = {
  'local-only': {
    isDefault: true,
    mayDispatchRemotely: false,
    requiresProviderOptIn: false,
  },
  ask: {
    isDefault: false,
    mayDispatchRemotely: true,
    requiresProviderOptIn: false,
  },
  auto: {
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
  /** A short sentence the UI can show, worded when shown (reason-text.ts). */
  message: EscalationMessage;
}

const decision = (action: DispatchAction, reason: DispatchReason, key = `dispatch.${reason}`) => ({
  action,
  reason,
  message: { key },
});

export function decideDispatch(input: DispatchInput): DispatchDecision {
  const { mode, routerVerdict, consentState, conversationConsent, userAskedForRemote } = input;
  const wantsRemote = userAskedForRemote || routerVerdict.escalate;
  if (!ESCALATION_MODES[mode].mayDispatchRemotely)
    // When a larger model was wanted, say how to get one.
    return decision('local', 'mode-local-only', wantsRemote ? 'notes.localOnly' : undefined);
  if (!wantsRemote) return decision('local', 'router-says-local');
  if (mode === 'auto' && consentState.autoOptIn) return decision('remote', 'auto-opt-in');
  if (conversationConsent) return decision('remote', 'conversation-consent');
  if (mode === 'auto') return decision('ask-consent', 'auto-not-opted-in');
  return decision('ask-consent', 'needs-consent');
}
