import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { ConsentActions, ConsentPreview } from '../escalation/ConsentPreview.tsx';
import type { CardChoice, ConsentCardState } from './use-embed-escalation.ts';

/**
 * The widget's consent, inline in the conversation: where the messages would go and exactly what they say
 * after redaction. It lives in Petit's cross-origin iframe, so the host page can neither read nor press it.
 * Escape counts as "No thanks".
 */
export function ConsentCard({ card }: { card: ConsentCardState }) {
  const { t } = useTranslation('embed');
  const root = useRef<HTMLElement>(null);
  const title = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // Scroll the conversation only: scrollIntoView could scroll the host page too.
    const el = root.current;
    const list = el?.closest('.embed-chat');
    if (el && list) list.scrollTop += el.getBoundingClientRect().top - list.getBoundingClientRect().top - 8;
    // Focus moves only when the user asked (to the title, not to Send: an Enter must not send by accident);
    // a suggestion must not take the keyboard from the composer.
    if (card.userAsked) title.current?.focus();
  }, [card]);

  return (
    <section
      ref={root}
      className="embed-consent"
      data-testid="embed-consent"
      aria-labelledby="embed-consent-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          card.answer('cancel');
        }
      }}
    >
      <h2 id="embed-consent-title" ref={title} tabIndex={-1}>
        {t('consent.title')}
      </h2>
      <ConsentPreview
        preview={card.preview}
        reasons={card.reasons}
        userAsked={card.userAsked}
        prefix="embed-consent"
      />
      <ConsentActions<CardChoice>
        className="embed-consent-actions"
        mainClass="button primary"
        answer={card.answer}
        buttons={[
          ['cancel', t('consent.cancel'), 'embed-consent-cancel'],
          ...(card.offerAuto ? [['auto', t('consent.auto'), 'embed-consent-auto'] as const] : []),
          ['send', t('consent.send'), 'embed-consent-send'],
        ]}
      />
    </section>
  );
}
