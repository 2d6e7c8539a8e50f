/**
 * The widget's escalation settings for the chat session (src/chat): the deployment's remote model (no key: its
 * endpoint adds it), redaction always on, consents held in memory (a new iframe asks again), and the inline
 * consent card. The route → consent steps are the session's, the same as the app's.
 */
import { useCallback, useMemo, useState } from 'react';
import { toPetitError } from '../../engine/errors.ts';
import { t } from '../../i18n/index.ts';
import {
  ConsentLedger,
  Redactor,
  createRemoteClient,
  type ConsentPreview,
  type RemoteClient,
  type RouterReason,
} from '../../escalation/index.ts';
import { downloadedModels } from '../../escalation/router-models.ts';
import { appCatalog } from '../../models/app-catalog.ts';
import { Escalator, noteText, type ConsentChoice } from '../../chat/escalation.ts';
import { Latest } from '../../chat/session.ts';
import { reachable } from '../../chat/widget-escalation.ts';
import type { WidgetEscalation, WidgetRemote } from '../../widget/protocol.ts';
import { widgetProviderSettings, type WidgetProvider } from '../../widget/widget-provider.ts';

/** 'dismissed': the conversation moved on before the user answered (nothing is sent, nothing is said). */
export type CardChoice = 'send' | 'auto' | 'cancel' | 'dismissed';

export interface ConsentCardState {
  preview: ConsentPreview;
  reasons: RouterReason[];
  userAsked: boolean;
  /** 'auto' mode, not chosen yet: offer "Send automatically in this chat". */
  offerAuto: boolean;
  answer: (choice: CardChoice) => void;
}

export interface EmbedNote {
  kind: 'info' | 'error';
  /** Worded when shown, so that a language switch re-words a note already on screen. */
  text: () => string;
}

function clientFor(provider: WidgetProvider | null): RemoteClient | null {
  if (!provider) return null;
  try {
    return createRemoteClient(widgetProviderSettings(provider));
  } catch (e) {
    // parseWidgetProvider checked the same settings: this is a bug, not a deployment mistake.
    console.warn(`Petit embed: the widget's remote model cannot be used: ${toPetitError(e).message}`);
    return null;
  }
}

// 'auto' lives in the iframe's ledger only: a new iframe session asks again.
const SCOPES: Record<CardChoice, ConsentChoice> = {
  send: 'once',
  auto: 'auto',
  cancel: 'cancel',
  dismissed: 'dismissed',
};

export function useEmbedEscalation(
  mode: WidgetEscalation,
  provider: WidgetProvider | null,
  maxTokens: number,
) {
  const client = useMemo(() => (mode === 'local-only' ? null : clientFor(provider)), [mode, provider]);
  const remote: WidgetRemote | null = useMemo(
    () => (client ? { label: client.label, host: client.host, model: client.model } : null),
    [client],
  );
  const [card, setCard] = useState<ConsentCardState | null>(null);
  const [note, setNote] = useState<EmbedNote | null>(null);
  const [open] = useState(() => new Latest<ConsentCardState | null>(null));

  const showCard = useCallback(
    (next: ConsentCardState | null) => {
      open.set(next);
      setCard(next);
    },
    [open],
  );

  // The iframe session is the conversation: one ledger, one redactor (stable placeholders). The host's
  // attributes are read once, when the iframe starts.
  const [escalator] = useState(() => {
    if (!client) return null;
    const catalog = appCatalog();
    const redactor = new Redactor();
    return new Escalator({
      mode: () => mode,
      client: () => Promise.resolve(client),
      unreachable: (c) =>
        reachable(navigator.onLine, c.endpoint.preset.local)
          ? null
          : t('embed:note.offline', { host: c.host }),
      ledger: new ConsentLedger(),
      redactorFor: () => redactor,
      redact: () => true,
      maxTokens: () => maxTokens,
      // The widget runs the one model the host chose: the router knows its size, languages and strengths.
      localModels: (loaded) => downloadedModels(catalog, () => false, loaded),
      explainLocalOnly: false,
      note: (n) =>
        setNote(n && { kind: n.kind === 'error' ? 'error' : 'info', text: () => noteText(n.message) }),
      askConsent: async ({ preview, reasons, userAsked }) => {
        open.get()?.answer('dismissed');
        let answer: (choice: CardChoice) => void = () => {};
        const choice = await new Promise<CardChoice>((resolve) => {
          answer = resolve;
          showCard({ preview, reasons, userAsked, offerAuto: mode === 'auto', answer });
        });
        // Another card may have replaced this one meanwhile.
        if (open.get()?.answer === answer) showCard(null);
        return SCOPES[choice];
      },
    });
  });

  return {
    /** Null when nothing may go to a larger model in this chat. */
    remote,
    escalator,
    card,
    note,
    setNote,
    dismissNote: useCallback(() => setNote(null), []),
    /** A new turn starts: a card still open is out of date (nothing is sent for it), and so is the note. */
    newTurn: useCallback(() => {
      open.get()?.answer('dismissed');
      setNote(null);
    }, [open]),
  };
}

export type EmbedEscalationApi = ReturnType<typeof useEmbedEscalation>;
