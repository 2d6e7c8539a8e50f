/**
 * Model output is untrusted. Markdown becomes HTML through `marked` with a renderer that never passes raw HTML
 * through (it is shown as text), then DOMPurify with a small allow-list checks the result again. Links open in a
 * new tab without referrer and only for http(s)/mailto; remote images become a "Load image from …" button and
 * load only after the user asks.
 */
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import { currentLanguage, t } from '../../i18n/index.ts';

export interface RenderOptions {
  /** Image URLs the user agreed to load (exact URLs as written in the Markdown, after normalisation). */
  allowedImages?: ReadonlySet<string>;
  /** The language the buttons are labelled in (the current one by default). */
  language?: string;
}

export interface RenderedBlock {
  /** Stable across re-renders of the same text, so React keeps the DOM of unchanged blocks. */
  key: string;
  html: string;
}

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const IMAGE_PROTOCOLS = new Set(['http:', 'https:']);

/** The normalised absolute URL if it is safe to link to, else null (javascript:, data:, relative, malformed…). */
export function safeLinkUrl(href: string): string | null {
  return absoluteUrl(href, LINK_PROTOCOLS);
}

export function safeImageUrl(src: string): string | null {
  return absoluteUrl(src, IMAGE_PROTOCOLS);
}

function absoluteUrl(raw: string, protocols: ReadonlySet<string>): string | null {
  try {
    // No base: relative URLs would point into Petit itself, which a model has no business linking to.
    const url = new URL(raw.trim());
    return protocols.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const ESCAPED = /&(?:amp|lt|gt|quot|#39|#34|#38|#60|#62);/g;
const UNESCAPE: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#34;': '"',
  '&#38;': '&',
  '&#60;': '<',
  '&#62;': '>',
};
/** marked hands hrefs to the renderer HTML-escaped; URL checks need the real text. */
const unescapeHtml = (text: string) => text.replace(ESCAPED, (e) => UNESCAPE[e] ?? e);

let currentAllowedImages: ReadonlySet<string> = new Set();

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Raw HTML from the model is shown as the text it is, never interpreted.
    html({ text, block }: Tokens.HTML | Tokens.Tag) {
      return block ? `<p>${escapeHtml(text)}</p>\n` : escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link) {
      const text = this.parser.parseInline(tokens);
      const url = safeLinkUrl(unescapeHtml(href));
      if (!url)
        return `<span class="md-link-blocked" title="${escapeHtml(t('chat:markdown.linkRemoved', { url: unescapeHtml(href) }))}">${text}</span>`;
      const titleAttr = title ? ` title="${escapeHtml(unescapeHtml(title))}"` : '';
      return `<a class="md-link" href="${escapeHtml(url)}"${titleAttr} rel="noopener noreferrer" target="_blank">${text}</a>`;
    },
    image({ href, text }: Tokens.Image) {
      const url = safeImageUrl(unescapeHtml(href));
      const alt = escapeHtml(unescapeHtml(text));
      if (!url)
        return `<span class="md-image-blocked">${escapeHtml(t('chat:markdown.imageBlocked', { alt: unescapeHtml(text) }))}</span>`;
      if (currentAllowedImages.has(url)) {
        return `<img class="md-image" src="${escapeHtml(url)}" alt="${alt}" referrerpolicy="no-referrer" loading="lazy">`;
      }
      const label = escapeHtml(t('chat:markdown.loadImage', { host: new URL(url).host }));
      // Our own control inside the answer (which is translate="no"): its label is in the user's language.
      return `<button type="button" class="md-image-placeholder" data-md-src="${escapeHtml(url)}" title="${alt}" translate="yes">${label}</button>`;
    },
    code({ text, lang }: Tokens.Code) {
      const language = (lang ?? '').trim().split(/\s+/)[0];
      const label = language
        ? `<span class="md-code-lang">${escapeHtml(language)}</span>`
        : '<span class="md-code-lang"></span>';
      return (
        `<div class="md-code-block"><div class="md-code-header">${label}` +
        `<button type="button" class="md-copy" aria-label="${escapeHtml(t('chat:markdown.copyCode'))}" translate="yes">${escapeHtml(t('chat:markdown.copy'))}</button></div>` +
        `<pre class="md-pre"><code>${escapeHtml(text)}</code></pre></div>\n`
      );
    },
  },
});

const purify = DOMPurify(window);
const PURIFY_CONFIG = {
  ALLOWED_TAGS: [
    'p',
    'br',
    'hr',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'strong',
    'em',
    'del',
    's',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'a',
    'img',
    'button',
    'span',
    'div',
    'input',
  ],
  ALLOWED_ATTR: [
    'href',
    'title',
    'alt',
    'src',
    'class',
    'type',
    'disabled',
    'checked',
    'start',
    'align',
    'rel',
    'target',
    'loading',
    'referrerpolicy',
    'aria-label',
    'data-md-src',
    'translate',
  ],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // URLs are checked by the hook below (DOMPurify's URI regexp also gates ordinary attribute values).
};

purify.addHook('afterSanitizeAttributes', (node) => {
  if (!(node instanceof Element)) return;
  // Only our own md- classes: a model must not be able to borrow the app's classes to overlay the UI.
  const classes = node.getAttribute('class');
  if (classes !== null) {
    const kept = classes.split(/\s+/).filter((c) => c.startsWith('md-'));
    if (kept.length) node.setAttribute('class', kept.join(' '));
    else node.removeAttribute('class');
  }
  // translate="yes" marks the renderer's own buttons; nothing else may carry it.
  if (node.tagName !== 'BUTTON') node.removeAttribute('translate');
  switch (node.tagName) {
    case 'A': {
      const url = safeLinkUrl(node.getAttribute('href') ?? '');
      if (url) node.setAttribute('href', url);
      else node.removeAttribute('href');
      node.setAttribute('rel', 'noopener noreferrer');
      node.setAttribute('target', '_blank');
      break;
    }
    case 'IMG': {
      const url = safeImageUrl(node.getAttribute('src') ?? '');
      if (!url || !currentAllowedImages.has(url)) node.remove();
      else node.setAttribute('referrerpolicy', 'no-referrer');
      break;
    }
    case 'BUTTON':
      node.setAttribute('type', 'button');
      if (node.hasAttribute('data-md-src') && !safeImageUrl(node.getAttribute('data-md-src') ?? '')) {
        node.removeAttribute('data-md-src');
      }
      break;
    case 'INPUT':
      if (node.getAttribute('type') !== 'checkbox') node.remove();
      else node.setAttribute('disabled', '');
      break;
  }
});

function sanitize(html: string): string {
  return purify.sanitize(html, PURIFY_CONFIG) as unknown as string;
}

/** Rendered blocks by source; most of a conversation is unchanged from one render to the next. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 2_000;

function renderBlock(key: string, render: () => string): string {
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const html = render();
  cache.set(key, html);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return html;
}

/**
 * Sanitised HTML per top-level block. While an answer streams only its last block changes, so earlier blocks
 * come from the cache instead of being parsed and sanitised again on every token.
 */
export function renderMarkdownBlocks(text: string, options: RenderOptions = {}): RenderedBlock[] {
  const allowed = options.allowedImages ?? new Set<string>();
  const tokens = marked.lexer(String(text ?? ''));
  const links = Object.keys(tokens.links).length ? JSON.stringify(tokens.links) : '';
  const imagesKey = allowed.size ? [...allowed].sort().join('\n') : '';
  const blocks: RenderedBlock[] = [];
  for (const token of tokens) {
    if (token.type === 'space' || token.type === 'def') continue;
    // Reference links are resolved when lexing, so the definitions are part of what a block renders to.
    // The language too: blocks hold our buttons' labels ("Copy").
    const key = `${options.language ?? currentLanguage()}\u0000${token.raw}\u0000${links}\u0000${token.raw.includes('!') ? imagesKey : ''}`;
    const html = renderBlock(key, () => {
      currentAllowedImages = allowed;
      try {
        return sanitize(marked.parser([token]));
      } finally {
        currentAllowedImages = new Set();
      }
    });
    blocks.push({ key: `${blocks.length}`, html });
  }
  return blocks;
}

/** The whole text as one sanitised HTML string. */
export function renderMarkdown(text: string, options: RenderOptions = {}): string {
  return renderMarkdownBlocks(text, options)
    .map((b) => b.html)
    .join('');
}
