/**
 * `<script type="module" src="https://PETIT_HOST/widget.js">` defines `<petit-chat>`: a launcher and a panel
 * holding an iframe of Petit's own /embed page. The model, its worker and its cache live on Petit's origin;
 * the host page talks to it only through the postMessage API below and never sees the user's own chat.
 *
 *   <petit-chat model="smollm2-135m-instruct" placement="bottom-right" theme="auto"
 *               greeting="Hi! Ask me about our opening hours." escalation="local-only"></petit-chat>
 *   const chat = document.querySelector('petit-chat');
 *   const answer = await chat.send('What are your opening hours?');   // opens the panel if closed
 *   chat.addEventListener('petit-answer', (e) => console.log(e.detail.source, e.detail.text));
 *
 * `escalation` is the most the host allows: `local-only` (default), `ask` (a card inside the iframe asks the
 * user before a message goes to the deployment's larger model) or `auto` (the card also offers "Send
 * automatically in this chat"). Without a provider in the deployment it is `local-only`; petit-hello says
 * what applies. The host cannot consent for the user: the card is in Petit's cross-origin iframe.
 * `send()` resolves with the on-device answer; a remote answer to the same prompt comes later as a further
 * petit-answer with `source: 'remote'`.
 *
 * Events: petit-hello (detail: escalation, requestedEscalation, remote), petit-status, petit-ready (detail:
 * threads, isolation), petit-delta, petit-answer, petit-error, petit-open, petit-close. Keep this file
 * dependency-free: it is loaded by other sites.
 */
// Types only: widget.js must stay one self-contained file (a shared chunk would be a second request).
import type { EmbedMessage, HostMessage, WidgetAnswer, WidgetRuntime } from './protocol.ts';

const PETIT_ORIGIN = new URL(import.meta.url).origin;
const ATTRIBUTES = ['model', 'placement', 'theme', 'greeting', 'escalation'] as const;

type Pending = { resolve: (a: WidgetAnswer) => void; reject: (e: Error) => void };

const STYLE = `
:host{all:initial;position:fixed;z-index:2147483000;bottom:20px;right:20px;font:14px/1.4 system-ui,sans-serif}
:host([placement=bottom-left]){right:auto;left:20px}
:host([placement=inline]){position:static;display:block}
.launcher{width:56px;height:56px;border-radius:50%;border:0;background:#2f6f5e;color:#fff;font-size:24px;cursor:pointer;box-shadow:0 4px 16px #0004}
.panel{display:none;flex-direction:column;width:min(380px,calc(100vw - 40px));height:min(560px,calc(100vh - 100px));margin-bottom:12px;border-radius:14px;overflow:hidden;background:#fff;box-shadow:0 8px 32px #0005}
:host([placement=inline]) .panel{width:100%;height:520px;margin:0;box-shadow:0 0 0 1px #0002}
:host([data-open]) .panel{display:flex}
:host([placement=inline]) .launcher{display:none}
.bar{display:flex;align-items:center;justify-content:space-between;padding:6px 10px;background:#2f6f5e;color:#fff}
.bar button{border:0;background:none;color:inherit;font-size:18px;cursor:pointer}
iframe{flex:1;border:0;width:100%}
`;

export class PetitChatElement extends HTMLElement {
  static observedAttributes = [...ATTRIBUTES];
  readonly #root: ShadowRoot;
  #frame: HTMLIFrameElement | null = null;
  #ready = false;
  #queue: HostMessage[] = [];
  readonly #pending = new Map<string, Pending>();
  /** The last runtime the embed reported (threads, isolation), or null before the model is ready. */
  runtime: WidgetRuntime | null = null;

  constructor() {
    super();
    // Closed: page scripts get no handle on the iframe through the element.
    this.#root = this.attachShadow({ mode: 'closed' });
    this.#root.innerHTML = `<style>${STYLE}</style><div class="panel" part="panel"><div class="bar"><span>Petit</span><button type="button" aria-label="Close chat">×</button></div></div><button type="button" class="launcher" part="launcher" aria-label="Open chat">💬</button>`;
    this.#root
      .querySelector('.launcher')!
      .addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    this.#root.querySelector('.bar button')!.addEventListener('click', () => this.close());
  }

  connectedCallback(): void {
    window.addEventListener('message', this.#onMessage);
    if (this.getAttribute('placement') === 'inline') this.open();
  }

  disconnectedCallback(): void {
    window.removeEventListener('message', this.#onMessage);
  }

  attributeChangedCallback(): void {
    // Model, theme and greeting are fixed when the iframe loads: a change restarts it.
    if (this.#frame) {
      this.#frame.remove();
      this.#frame = null;
      this.#ready = false;
      if (this.isOpen) this.#mount();
    }
  }

  get isOpen(): boolean {
    return this.hasAttribute('data-open');
  }

  open(): void {
    this.setAttribute('data-open', '');
    this.#mount();
    this.#post({ petit: 1, type: 'open' });
    this.dispatchEvent(new CustomEvent('petit-open'));
  }

  close(): void {
    if (!this.isOpen) return;
    this.removeAttribute('data-open');
    this.#post({ petit: 1, type: 'close' });
    this.dispatchEvent(new CustomEvent('petit-close'));
  }

  /** Sends a prompt as if the user typed it; resolves with the complete answer. */
  send(text: string): Promise<WidgetAnswer> {
    if (typeof text !== 'string' || !text.trim()) {
      return Promise.reject(new TypeError('petit-chat send(): give the prompt as a non-empty string.'));
    }
    if (!this.isOpen) this.open();
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post({ petit: 1, type: 'send', id, text });
    });
  }

  #mount(): void {
    if (this.#frame) return;
    const url = new URL('/embed', PETIT_ORIGIN);
    for (const name of ATTRIBUTES) {
      const value = this.getAttribute(name);
      if (value !== null && name !== 'placement') url.searchParams.set(name, value);
    }
    const frame = document.createElement('iframe');
    frame.title = 'Petit chat';
    // Lets the iframe be cross-origin isolated (several WASM threads) when the host page is, and ask for
    // Chrome's Local Network Access (142+: `local-network-access`; later split into `loopback-network` and
    // `local-network`), which a cross-origin iframe may only do when delegated: the deployment's larger model
    // or model hub can be on the user's machine or LAN (e.g. Ollama). The user is still asked.
    frame.allow = 'cross-origin-isolated; local-network-access; loopback-network; local-network';
    frame.src = url.href;
    frame.addEventListener('load', () => this.#post({ petit: 1, type: 'hello' }, true));
    this.#root.querySelector('.panel')!.append(frame);
    this.#frame = frame;
  }

  #post(message: HostMessage, force = false): void {
    if (!this.#frame?.contentWindow) return;
    if (!this.#ready && !force) {
      if (message.type === 'send') this.#queue.push(message);
      return;
    }
    // The target origin makes sure only Petit's page, never whatever the frame was navigated to, gets it.
    this.#frame.contentWindow.postMessage(message, PETIT_ORIGIN);
  }

  #onMessage = (event: MessageEvent): void => {
    if (event.origin !== PETIT_ORIGIN || !this.#frame || event.source !== this.#frame.contentWindow) return;
    const message = event.data as EmbedMessage | null;
    if (typeof message !== 'object' || message === null || message.petit !== 1) return;
    switch (message.type) {
      case 'hello': {
        this.#ready = true;
        const queued = this.#queue.splice(0);
        for (const m of queued) this.#post(m);
        break;
      }
      case 'ready':
        this.runtime = message.runtime;
        break;
      case 'answer': {
        // A remote answer follows the on-device one, which already settled send(): it is only an event.
        if (message.source === 'remote') break;
        const { petit: _p, type: _t, ...answer } = message;
        this.#pending.get(message.id)?.resolve(answer);
        this.#pending.delete(message.id);
        break;
      }
      case 'error':
        if (message.id) {
          this.#pending
            .get(message.id)
            ?.reject(Object.assign(new Error(message.message), { code: message.code }));
          this.#pending.delete(message.id);
        }
        break;
      case 'close':
        this.close();
        return;
    }
    const { petit: _p, type, ...detail } = message;
    this.dispatchEvent(new CustomEvent(`petit-${type}`, { detail }));
  };
}

if (!customElements.get('petit-chat')) customElements.define('petit-chat', PetitChatElement);

declare global {
  interface HTMLElementTagNameMap {
    'petit-chat': PetitChatElement;
  }
}
