/**
 * `<script type="module" src="https://PETIT_HOST/widget.js">` defines `<petit-chat>`: a launcher and a panel
 * holding an iframe of Petit's own /embed page. The model, its worker and its cache live on Petit's origin;
 * the host page talks to it only through the postMessage API below and never sees the user's own chat.
 *
 *   <petit-chat model="smollm2-135m-instruct" placement="bottom-right" theme="auto" lang="fr"
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
 * `lang` (`en` or `fr`; `fr-CA` counts as `fr`) is the chat's language; without it, the host page's `<html lang>`,
 * then the user's own choice in Petit and their browser's languages. Changing it later switches the open chat's
 * language in place (the conversation stays).
 *
 * Keyboard: the launcher and the panel are labelled; Escape (in the chat or on its bar) closes the panel and
 * gives the focus back to the launcher.
 *
 * Events: petit-hello (detail: escalation, requestedEscalation, remote), petit-status, petit-ready (detail:
 * threads, isolation), petit-delta, petit-answer, petit-error, petit-open, petit-close. Keep this file
 * dependency-free: it is loaded by other sites.
 */
// Types only: widget.js must stay one self-contained file (a shared chunk would be a second request).
import type { EmbedMessage, HostMessage, WidgetAnswer, WidgetRuntime } from './protocol.ts';

const PETIT_ORIGIN = new URL(import.meta.url).origin;
const ATTRIBUTES = ['model', 'placement', 'theme', 'greeting', 'escalation', 'lang'] as const;

/**
 * The few words the host page's side shows (the chat itself is worded by Petit's /embed page, from its
 * catalogs): this file is loaded by other sites and stays one small self-contained script.
 */
const LABELS = {
  en: { open: 'Open chat', close: 'Close chat', panel: 'Chat', frame: 'Petit chat' },
  fr: {
    open: 'Ouvrir la discussion',
    close: 'Fermer la discussion',
    panel: 'Discussion',
    frame: 'Discussion Petit',
  },
} as const;
type WidgetLanguage = keyof typeof LABELS;

function languageOf(tag: string | null | undefined): WidgetLanguage | null {
  const base = tag?.trim().toLowerCase().split('-')[0];
  return base === 'en' || base === 'fr' ? base : null;
}

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
.bar button{border:0;background:none;color:inherit;font-size:18px;cursor:pointer;min-width:32px;min-height:32px;border-radius:6px}
.launcher:focus-visible{outline:3px solid #2f6f5e;outline-offset:3px}
.bar button:focus-visible{outline:2px solid #fff;outline-offset:1px}
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
    this.#root.innerHTML = `<style>${STYLE}</style><div class="panel" part="panel" role="dialog"><div class="bar"><span translate="no">Petit</span><button type="button" class="close"><span aria-hidden="true">×</span></button></div></div><button type="button" class="launcher" part="launcher" aria-expanded="false"><span aria-hidden="true">💬</span></button>`;
    this.#root.querySelector('.launcher')!.addEventListener('click', () => {
      if (this.isOpen) return this.close();
      this.open();
      // The user opened it: the keyboard goes into the chat (the embed page focuses its composer).
      this.#frame?.focus();
    });
    this.#root.querySelector('.close')!.addEventListener('click', () => this.close());
    // Escape inside the iframe comes as a 'close' message; on the bar it is a key event here.
    this.#root.querySelector('.panel')!.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Escape') this.close();
    });
    this.#label();
  }

  /** The chat's language: the attribute, else the host page's, else none (Petit then follows the user). */
  get #language(): WidgetLanguage | null {
    return languageOf(this.getAttribute('lang')) ?? languageOf(document.documentElement.lang);
  }

  #label(): void {
    const words =
      LABELS[this.#language ?? languageOf(navigator.languages?.[0] ?? navigator.language) ?? 'en'];
    const inline = this.getAttribute('placement') === 'inline';
    const panel = this.#root.querySelector('.panel')!;
    // Floating, the panel is a (non-modal) dialog the launcher opens; inline, a region of the page.
    panel.setAttribute('role', inline ? 'region' : 'dialog');
    panel.setAttribute('aria-label', words.panel);
    this.#root.querySelector('.launcher')!.setAttribute('aria-label', words.open);
    this.#root.querySelector('.close')!.setAttribute('aria-label', words.close);
    if (this.#frame) this.#frame.title = words.frame;
  }

  connectedCallback(): void {
    window.addEventListener('message', this.#onMessage);
    if (this.getAttribute('placement') === 'inline') this.open();
  }

  disconnectedCallback(): void {
    window.removeEventListener('message', this.#onMessage);
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (before === after) return;
    this.#label();
    // The language switches in place once the chat is up; before that, the restart below picks it up.
    const lang = languageOf(after);
    if (name === 'lang' && this.#ready && lang) {
      this.#post({ petit: 1, type: 'language', lang });
      return;
    }
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
    this.#root.querySelector('.launcher')!.setAttribute('aria-expanded', 'true');
    this.#mount();
    this.#post({ petit: 1, type: 'open' });
    this.dispatchEvent(new CustomEvent('petit-open'));
  }

  close(): void {
    if (!this.isOpen) return;
    // Focus inside the panel (or its iframe) would vanish with it: give it back to the launcher.
    const hadFocus = document.activeElement === this;
    this.removeAttribute('data-open');
    const launcher = this.#root.querySelector<HTMLButtonElement>('.launcher')!;
    launcher.setAttribute('aria-expanded', 'false');
    if (hadFocus && this.getAttribute('placement') !== 'inline') launcher.focus();
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
      if (value !== null && name !== 'placement' && name !== 'lang') url.searchParams.set(name, value);
    }
    const lang = this.#language;
    if (lang) url.searchParams.set('lang', lang);
    const frame = document.createElement('iframe');
    // Lets the iframe be cross-origin isolated (several WASM threads) when the host page is, and ask for
    // Chrome's Local Network Access (142+: `local-network-access`; later split into `loopback-network` and
    // `local-network`), which a cross-origin iframe may only do when delegated: the deployment's larger model
    // or model hub can be on the user's machine or LAN (e.g. Ollama). The user is still asked.
    frame.allow = 'cross-origin-isolated; local-network-access; loopback-network; local-network';
    frame.src = url.href;
    frame.addEventListener('load', () => this.#post({ petit: 1, type: 'hello' }, true));
    this.#root.querySelector('.panel')!.append(frame);
    this.#frame = frame;
    this.#label();
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
        // Opened by the user before the chat was up: its composer takes the keyboard now.
        if (this.isOpen && document.activeElement === this) this.#post({ petit: 1, type: 'open' });
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
