/**
 * The widget's side of the session: what it may do with a larger model (the host's `escalation` attribute,
 * narrowed by the deployment; the host can only restrict, consent is always the user's own click inside the
 * iframe) and the messages it shows.
 */
import type { WidgetProvider } from '../widget/widget-provider.ts';
import type { AnswerSource, WidgetEscalation, WidgetRemote } from '../widget/protocol.ts';
import { escalationText } from '../escalation/reason-text.ts';

export const WIDGET_ESCALATIONS: readonly WidgetEscalation[] = ['local-only', 'ask', 'auto'];

export interface EffectiveEscalation {
  mode: WidgetEscalation;
  /** The attribute's value; 'local-only' when it is missing or unknown. */
  requested: WidgetEscalation;
  /** Why `mode` is narrower than `requested`. */
  limitedBy: 'no-provider' | null;
}

export function effectiveEscalation(
  attribute: string | null,
  provider: WidgetProvider | null,
): EffectiveEscalation {
  const requested = WIDGET_ESCALATIONS.includes(attribute as WidgetEscalation)
    ? (attribute as WidgetEscalation)
    : 'local-only';
  if (requested !== 'local-only' && !provider)
    return { mode: 'local-only', requested, limitedBy: 'no-provider' };
  return { mode: requested, requested, limitedBy: null };
}

/** The status line's sentence about where answers are made, in the current language (call it when rendering). */
export function escalationStatus(e: EffectiveEscalation, remote: WidgetRemote | null): string {
  if (e.limitedBy === 'no-provider') return escalationText({ key: 'widget.noProvider' });
  if (e.mode === 'local-only' || !remote) return escalationText({ key: 'widget.local' });
  return escalationText({ key: 'widget.remote', params: { model: remote.model, host: remote.host } });
}

/** Whether the remote endpoint can be reached now: offline, only one on this computer can. */
export function reachable(online: boolean, onThisComputer: boolean): boolean {
  return online || onThisComputer;
}

export interface EmbedMessageView {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'streaming' | 'complete' | 'stopped' | 'interrupted' | 'error';
  source?: AnswerSource;
  /** `Provider · model` of a remote answer. */
  modelId?: string;
  /** The host's id for the prompt this answers, when the host page sent it (its answers go back there). */
  hostId?: string;
  /** Why a remote answer failed or was cut off. */
  error?: string;
}

/**
 * The local answer "ask the larger model" applies to: the latest one, unless a larger model already answered
 * it (a failed or stopped remote try leaves it offered again).
 */
export function askableAnswerId(messages: readonly EmbedMessageView[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'assistant') return null;
    if (m.source !== 'remote') return m.status === 'complete' ? m.id : null;
    if (m.status !== 'error' && m.status !== 'stopped') return null;
  }
  return null;
}
