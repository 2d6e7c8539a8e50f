import { isPetitMessage, type EmbedMessage, type HostMessage } from '../../widget/protocol.ts';
import { isAllowedOrigin, type WidgetOrigins } from '../../widget/origins.ts';

/**
 * The embed page's end of the widget's postMessage API. It listens from the moment the page's script runs
 * (before React mounts) and accepts a message only when it comes from an allowed origin (the deployment's
 * `VITE_PETIT_WIDGET_ORIGINS`) AND from the page that embeds this one; it answers only that page, at that
 * origin. Everything else is dropped with a console warning that says why.
 */
export class EmbedBridge {
  hostOrigin: string | null = null;
  private handler: ((message: HostMessage) => void) | null = null;
  private readonly queued: HostMessage[] = [];

  constructor(
    private readonly allow: WidgetOrigins,
    private readonly win: Window = window,
  ) {}

  get framed(): boolean {
    return this.win.parent !== this.win;
  }

  start(): void {
    this.win.addEventListener('message', this.onMessage);
  }

  stop(): void {
    this.win.removeEventListener('message', this.onMessage);
  }

  /** Receives host messages; those that arrived before are delivered at once. */
  listen(handler: (message: HostMessage) => void): () => void {
    this.handler = handler;
    for (const message of this.queued.splice(0)) handler(message);
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }

  post(message: EmbedMessage): void {
    if (this.framed && this.hostOrigin) this.win.parent.postMessage(message, this.hostOrigin);
  }

  private ignore(origin: string, why: string): void {
    console.warn(`Petit embed: ignored a message from ${origin}: ${why}.`);
  }

  private readonly onMessage = (event: MessageEvent): void => {
    if (!isPetitMessage(event.data)) return;
    if (!isAllowedOrigin(this.allow, event.origin, this.win.location.origin)) {
      return this.ignore(
        event.origin,
        "not in this deployment's widget allow-list (VITE_PETIT_WIDGET_ORIGINS)",
      );
    }
    if (!this.framed || event.source !== this.win.parent) {
      return this.ignore(event.origin, 'it does not come from the page that embeds this chat');
    }
    if (this.hostOrigin !== null && event.origin !== this.hostOrigin) {
      return this.ignore(event.origin, `this chat already talks to ${this.hostOrigin}`);
    }
    this.hostOrigin = event.origin;
    const message = event.data as HostMessage;
    if (this.handler) this.handler(message);
    else this.queued.push(message);
  };
}
