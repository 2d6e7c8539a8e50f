import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { StoredMessage } from '../../storage/index.ts';

/** The answer as read on screen (Markdown rendered, block by block), without the code blocks' Copy buttons. */
function shownText(id: string, fallback: string): string {
  const node = document.querySelector(`[data-message-id="${CSS.escape(id)}"] .content`);
  const blocks = node ? [...node.querySelectorAll('.md-block')] : [];
  const text = blocks
    .map((block) => {
      const copy = block.cloneNode(true) as Element;
      copy.querySelectorAll('button').forEach((b) => b.remove());
      return copy.textContent ?? '';
    })
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text || fallback;
}

/** A new element each time, so that two identical answers in a row are both read. */
function say(region: HTMLElement, label: string, text: string): void {
  const p = document.createElement('p');
  p.append(label);
  if (text) {
    const answer = document.createElement('span');
    answer.translate = false; // the model's words
    answer.textContent = text;
    p.append(' ', answer);
  }
  region.replaceChildren(p);
}

/**
 * Tells a screen reader about an answer once, when it ends: "Answer complete." and its text, or "Answer
 * stopped". The message list itself is not a live region, so tokens arriving are not read one by one. Failures
 * are announced by the error banner (role="alert").
 */
export function AnswerAnnouncer({ messages }: { messages: StoredMessage[] }) {
  const { t } = useTranslation('chat');
  const region = useRef<HTMLDivElement>(null);
  const streaming = useRef(new Set<string>());

  // Writes the region itself (React renders nothing into it): it reads the answer from the rendered page.
  useEffect(() => {
    const node = region.current;
    if (!node) return;
    for (const m of messages) {
      if (m.role !== 'assistant') continue;
      if (m.status === 'streaming') streaming.current.add(m.id);
      else if (streaming.current.delete(m.id)) {
        if (m.status === 'complete') say(node, t('live.complete'), shownText(m.id, m.content));
        else if (m.error?.code === 'aborted') say(node, t('live.stopped'), '');
      }
    }
  }, [messages, t]);

  return (
    <div
      ref={region}
      className="visually-hidden"
      aria-live="polite"
      aria-atomic="true"
      data-testid="answer-announcer"
    />
  );
}
