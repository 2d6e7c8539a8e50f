import { memo, useCallback, useDeferredValue, useMemo, useState, type MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { t } from '../../i18n/index.ts';
import { renderMarkdownBlocks } from './render-markdown.ts';
import './markdown.css';

export interface MarkdownMessageProps {
  /** Markdown written by a model (untrusted). */
  text: string;
  /** True while the answer is still arriving: renders at a lower priority and marks the message busy. */
  streaming?: boolean;
  className?: string;
}

const NO_IMAGES: ReadonlySet<string> = new Set();

/** One top-level block; re-rendered only when its own sanitised HTML changes. */
const Block = memo(function Block({ html }: { html: string }) {
  return <div className="md-block" dangerouslySetInnerHTML={{ __html: html }} />;
});

async function copyText(text: string, fallbackNode: Element | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (insecure context, denied permission): copy the selected code the old way.
    if (!fallbackNode) return false;
    const range = document.createRange();
    range.selectNodeContents(fallbackNode);
    const selection = getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    return document.execCommand('copy');
  }
}

function flash(button: HTMLElement, label: string): void {
  button.textContent = label;
  button.setAttribute('aria-label', label);
  setTimeout(() => {
    button.textContent = t('chat:markdown.copy');
    button.setAttribute('aria-label', t('chat:markdown.copyCode'));
  }, 1500);
}

/**
 * A model's answer rendered as safe Markdown. Remote images wait behind a "Load image from …" button; code
 * blocks have a Copy button (a real <button>, so Enter and Space work).
 */
export const MarkdownMessage = memo(function MarkdownMessage({
  text,
  streaming = false,
  className,
}: MarkdownMessageProps) {
  // The renderer words its buttons ("Copy") in the current language: a switch renders the blocks again.
  const { i18n } = useTranslation();
  const language = i18n.language;
  const deferred = useDeferredValue(text);
  const shown = streaming ? deferred : text;
  const [allowedImages, setAllowedImages] = useState(NO_IMAGES);
  const blocks = useMemo(
    () => renderMarkdownBlocks(shown, { allowedImages, language }),
    [shown, allowedImages, language],
  );

  // One delegated handler: the buttons live inside sanitised HTML, not in React's tree.
  const onClick = useCallback((event: MouseEvent<HTMLDivElement>) => {
    const target = event.target instanceof Element ? event.target : null;
    const copy = target?.closest<HTMLButtonElement>('button.md-copy');
    if (copy) {
      const code = copy.closest('.md-code-block')?.querySelector('code') ?? null;
      void copyText(code?.textContent ?? '', code).then((ok) =>
        flash(copy, ok ? t('chat:markdown.copied') : t('chat:markdown.copyFailed')),
      );
      return;
    }
    const placeholder = target?.closest<HTMLButtonElement>('button.md-image-placeholder');
    if (placeholder) {
      event.preventDefault(); // an image inside a link must not also follow the link
      const src = placeholder.dataset.mdSrc;
      if (src) setAllowedImages((prev) => new Set([...prev, src]));
    }
  }, []);

  return (
    // The handler only routes clicks of the real <button>s inside, which keyboards operate themselves.
    <div
      className={['md-message', streaming ? 'md-streaming' : '', className ?? ''].filter(Boolean).join(' ')}
      aria-busy={streaming || undefined}
      onClick={onClick}
    >
      {blocks.map((block) => (
        <Block key={block.key} html={block.html} />
      ))}
    </div>
  );
});
