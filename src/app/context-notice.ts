import type { ContextNotice } from '../engine/context-window.ts';
import { t } from '../i18n/index.ts';
import { formatNumber } from '../i18n/format.ts';

/** What was left out so the conversation fits the model's context, in the current language (app and widget). */
export function contextNoticeText(notice: ContextNotice): string {
  const parts: string[] = [];
  if (notice.droppedMessages > 0)
    parts.push(
      t('chat:contextNotice.dropped', {
        dropped: notice.droppedMessages,
        tokens: formatNumber(notice.contextLength),
      }),
    );
  if (notice.droppedSystemPrompt) parts.push(t('chat:contextNotice.droppedSystem'));
  return parts.join(' ');
}
