/**
 * Messages between `<petit-chat>` (on the host page) and Petit's `/embed` page (in its iframe). Every message
 * carries `petit: 1`; the embed page answers only its parent and only an allowed origin, and the host side
 * accepts only messages from Petit's origin coming from its own iframe.
 */
export const PROTOCOL_VERSION = 1;

/** Remote escalation the host allows inside the widget (the embed never goes beyond it). */
export type WidgetEscalation = 'local-only' | 'ask' | 'auto';

export type HostMessage =
  | { petit: 1; type: 'hello' }
  | { petit: 1; type: 'open' }
  | { petit: 1; type: 'close' }
  | { petit: 1; type: 'send'; id: string; text: string };

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
}

export type EmbedMessage =
  | { petit: 1; type: 'hello'; model: string; escalation: WidgetEscalation }
  | { petit: 1; type: 'status'; phase: 'loading' | 'ready' | 'error'; message: string }
  | { petit: 1; type: 'ready'; runtime: WidgetRuntime }
  | { petit: 1; type: 'delta'; id: string; text: string }
  | ({ petit: 1; type: 'answer' } & WidgetAnswer)
  | { petit: 1; type: 'error'; id?: string; code: string; message: string }
  | { petit: 1; type: 'close' };

export function isPetitMessage(data: unknown): data is { petit: 1; type: string } {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { petit?: unknown }).petit === PROTOCOL_VERSION &&
    typeof (data as { type?: unknown }).type === 'string'
  );
}
