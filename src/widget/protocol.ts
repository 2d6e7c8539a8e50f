/**
 * Messages between `<petit-chat>` (on the host page) and Petit's `/embed` page (in its iframe). Every message
 * carries `petit: 1`; the embed page answers only its parent and only an allowed origin, and the host side
 * accepts only messages from Petit's origin coming from its own iframe.
 */
export const PROTOCOL_VERSION = 1;

/**
 * Remote escalation the host allows inside the widget. The host can only restrict: even in 'auto' nothing is
 * sent before the user's own click inside the iframe, and without a deployment provider it is 'local-only'.
 */
export type WidgetEscalation = 'local-only' | 'ask' | 'auto';

/** Where an answer was made. */
export type AnswerSource = 'on-device' | 'remote';

/** The deployment's remote model, as the consent card names it. */
export interface WidgetRemote {
  label: string;
  host: string;
  model: string;
}

export type HostMessage =
  | { petit: 1; type: 'hello' }
  | { petit: 1; type: 'open' }
  | { petit: 1; type: 'close' }
  | { petit: 1; type: 'send'; id: string; text: string }
  /** The `lang` attribute changed: the chat switches language in place. */
  | { petit: 1; type: 'language'; lang: string };

export interface WidgetRuntime {
  model: string;
  device: string;
  threads: number;
  crossOriginIsolated: boolean;
  /** Plain words about threads, e.g. why only one runs. */
  note: string;
}

export interface WidgetAnswer {
  id: string;
  text: string;
  finishReason: string | null;
  completionTokens: number;
  /** 'remote': a further answer to the same prompt, after the user chose to send it to the larger model. */
  source: AnswerSource;
  /** `Provider · model` of a remote answer. */
  model?: string;
}

export type EmbedMessage =
  | {
      petit: 1;
      type: 'hello';
      model: string;
      /** What the widget does: the attribute, narrowed to 'local-only' when the deployment has no provider. */
      escalation: WidgetEscalation;
      /** What the `escalation` attribute asked for. */
      requestedEscalation: WidgetEscalation;
      /** Null when `escalation` is 'local-only'. */
      remote: WidgetRemote | null;
    }
  | { petit: 1; type: 'status'; phase: 'loading' | 'ready' | 'error'; message: string }
  | { petit: 1; type: 'ready'; runtime: WidgetRuntime }
  | { petit: 1; type: 'delta'; id: string; text: string }
  | ({ petit: 1; type: 'answer' } & WidgetAnswer)
  | { petit: 1; type: 'error'; id?: string; code: string; message: string; source?: AnswerSource }
  | { petit: 1; type: 'close' };

export function isPetitMessage(data: unknown): data is { petit: 1; type: string } {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { petit?: unknown }).petit === PROTOCOL_VERSION &&
    typeof (data as { type?: unknown }).type === 'string'
  );
}
