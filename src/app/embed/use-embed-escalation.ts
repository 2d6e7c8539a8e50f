/**
 * The widget's larger-model path, one iframe session at a time: the router after each local answer, an inline
 * consent card, then the remote answer streamed into the conversation. The same pieces as the app
 * (src/escalation): `decideDispatch` decides, `buildConsentPreview` builds exactly what is sent (redaction on),
 * `ConsentLedger` holds the user's clicks (in memory: a new iframe asks again), `streamRemote` refuses without
 * them. No key: the deployment's endpoint adds it.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { toPetitError } from '../../engine/errors.ts';
import type { ChatMessage } from '../../engine/protocol.ts';
import {
  ConsentLedger,
  Redactor,
  buildConsentPreview,
  createRemoteClient,
  decideDispatch,
  explainDecision,
  route,
  streamRemote,
  type ConsentPreview,
  type LocalConfidence,
  type RemoteClient,
  type RouterReason,
} from '../../escalation/index.ts';
import { remoteAnswerBudget } from '../../escalation/providers/remote-client.ts';
import { answerReserve, downloadedModels } from '../../escalation/router-models.ts';
import { buildCatalog } from '../../models/catalog.ts';
import type { WidgetEscalation, WidgetRemote } from '../../widget/protocol.ts';
import { widgetProviderSettings, type WidgetProvider } from '../../widget/widget-provider.ts';
import type { EmbedBridge } from './bridge.ts';
import { historyBefore, reachable, type EmbedMessageView } from './embed-escalation.ts';

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
  text: string;
}

export interface LocalTurn {
  /** The messages the local model answered (ending with the user's message). */
  history: ChatMessage[];
  confidence?: LocalConfidence;
  modelId: string;
  contextLength: number;
  hostId?: string;
}

interface Options {
  mode: WidgetEscalation;
  provider: WidgetProvider | null;
  maxTokens: number;
  bridge: EmbedBridge;
  /** The conversation as it is now. */
  messages: () => readonly EmbedMessageView[];
  add: (message: EmbedMessageView) => void;
  update: (id: string, patch: (m: EmbedMessageView) => Partial<EmbedMessageView>) => void;
  /** Runs after the turns already queued (a remote answer waits for the local one before it). */
  enqueue: (run: () => Promise<void>) => Promise<void>;
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

export function useEmbedEscalation({
  mode,
  provider,
  maxTokens,
  bridge,
  messages,
  add,
  update,
  enqueue,
}: Options) {
  const client = useMemo(() => (mode === 'local-only' ? null : clientFor(provider)), [mode, provider]);
  const remote: WidgetRemote | null = useMemo(
    () => (client ? { label: client.label, host: client.host, model: client.model } : null),
    [client],
  );
  const catalog = useMemo(() => buildCatalog(import.meta.env.VITE_PETIT_EXTRA_MODELS), []);
  const [card, setCard] = useState<ConsentCardState | null>(null);
  const [note, setNote] = useState<EmbedNote | null>(null);
  const [busy, setBusy] = useState(false);
  const cardRef = useRef<ConsentCardState | null>(null);
  const abort = useRef<AbortController | null>(null);
  // The iframe session is the conversation: one ledger, one redactor (stable placeholders), one id.
  const [session] = useState(() => ({
    id: crypto.randomUUID(),
    ledger: new ConsentLedger(),
    redactor: new Redactor(),
  }));

  const showCard = useCallback((next: ConsentCardState | null) => {
    cardRef.current = next;
    setCard(next);
  }, []);

  const runRemote = useCallback(
    async (preview: ConsentPreview, remoteClient: RemoteClient, hostId: string | undefined) => {
      const modelId = `${preview.destination.providerLabel} · ${preview.destination.model}`;
      const answer: EmbedMessageView = {
        id: crypto.randomUUID(),
        role: 'assistant',
        content: '',
        status: 'streaming',
        source: 'remote',
        modelId,
        hostId,
      };
      add(answer);
      setBusy(true);
      const controller = new AbortController();
      abort.current = controller;
      let text = '';
      let finishReason: string | null = null;
      let completionTokens = 0;
      try {
        const stream = streamRemote({
          preview,
          client: remoteClient,
          ledger: session.ledger,
          mode,
          redactor: session.redactor,
          signal: controller.signal,
        });
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content;
          if (delta) {
            text += delta;
            update(answer.id, (m) => ({ content: m.content + delta }));
          }
          finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
          if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
        }
        update(answer.id, () => ({ status: 'complete' }));
        if (hostId) {
          bridge.post({
            petit: 1,
            type: 'answer',
            id: hostId,
            text,
            finishReason,
            completionTokens,
            source: 'remote',
            model: modelId,
          });
        }
      } catch (e) {
        const failure = toPetitError(e);
        const partial = typeof failure.details.partialText === 'string' ? failure.details.partialText : text;
        if (failure.code === 'aborted') {
          update(answer.id, () => ({ status: 'stopped', content: partial }));
        } else {
          // A partial answer is kept, marked incomplete; the local answer above stays either way.
          update(answer.id, () => ({
            status: partial ? 'interrupted' : 'error',
            content: partial,
            error: failure.message,
          }));
          setNote({ kind: 'error', text: `${failure.message} The answer from this device is kept.` });
          if (hostId) {
            bridge.post({
              petit: 1,
              type: 'error',
              id: hostId,
              code: failure.code,
              message: failure.message,
              source: 'remote',
            });
          }
        }
      } finally {
        abort.current = null;
        setBusy(false);
      }
    },
    [add, bridge, mode, session, update],
  );

  const escalate = useCallback(
    async (input: {
      history: ChatMessage[];
      reasons: RouterReason[];
      routerEscalates: boolean;
      userAsked: boolean;
      hostId?: string;
    }) => {
      if (!client || (!input.routerEscalates && !input.userAsked)) return;
      const { id, ledger, redactor } = session;
      if (!reachable(navigator.onLine, client.endpoint.preset.local)) {
        setNote({
          kind: 'info',
          text: `A larger model might answer this better, but ${client.host} cannot be reached offline. Nothing was sent; the answer from this device is kept.`,
        });
        return;
      }
      const decision = decideDispatch({
        mode,
        routerVerdict: { escalate: input.routerEscalates },
        userAskedForRemote: input.userAsked,
        ...ledger.dispatchState(id, client.providerId, client.host),
      });
      if (decision.action === 'local') return;
      let preview: ConsentPreview;
      try {
        preview = buildConsentPreview({
          client,
          conversationId: id,
          messages: input.history,
          redactor,
          redact: true,
          stream: true,
          // Reasoning models spend thinking tokens from the answer budget, as in the app.
          maxTokens: remoteAnswerBudget(maxTokens),
        });
      } catch (e) {
        setNote({ kind: 'error', text: toPetitError(e).message });
        return;
      }
      if (decision.action === 'ask-consent') {
        cardRef.current?.answer('dismissed');
        let answer: (choice: CardChoice) => void = () => {};
        const choice = await new Promise<CardChoice>((resolve) => {
          answer = resolve;
          showCard({
            preview,
            reasons: input.reasons,
            userAsked: input.userAsked,
            offerAuto: mode === 'auto',
            answer,
          });
        });
        // Another card may have replaced this one meanwhile.
        if (cardRef.current?.answer === answer) showCard(null);
        if (choice === 'dismissed') return;
        if (choice === 'cancel') {
          setNote({ kind: 'info', text: 'Nothing was sent. The answer from this device is kept.' });
          return;
        }
        // 'auto' lives in this ledger only: a new iframe session asks again.
        ledger.grant(choice === 'auto' ? 'auto' : 'once', preview);
      }
      setNote(null);
      await enqueue(() => runRemote(preview, client, input.hostId));
    },
    [client, enqueue, maxTokens, mode, runRemote, session, showCard],
  );

  /** After each local answer: the router may suggest the larger model. */
  const afterLocalAnswer = useCallback(
    async (turn: LocalTurn) => {
      if (!client) return;
      // The widget runs the one model the host chose: the router knows its size, languages and strengths.
      const decision = route({
        messages: turn.history,
        localModels: downloadedModels(catalog, () => false, turn),
        confidence: turn.confidence,
        answerReserveTokens: answerReserve(maxTokens, turn.contextLength),
      });
      await escalate({
        history: turn.history,
        reasons: explainDecision(decision),
        routerEscalates: decision.escalate,
        userAsked: false,
        hostId: turn.hostId,
      });
    },
    [client, escalate, maxTokens, catalog],
  );

  /** "Not good enough — ask the larger model" on a local answer. */
  const askLarger = useCallback(
    async (answerId: string) => {
      const all = messages();
      const history = historyBefore(all, answerId);
      if (!client || !history) return;
      const decision = route({ messages: history, localModels: [], userAskedForRemote: true });
      await escalate({
        history,
        reasons: decision.reasons.filter((r) => r.rule === 'user-asked'),
        routerEscalates: decision.escalate,
        userAsked: true,
        hostId: all.find((m) => m.id === answerId)?.hostId,
      });
    },
    [client, escalate, messages],
  );

  return {
    /** Null when nothing may go to a larger model in this chat. */
    remote,
    card,
    note,
    dismissNote: useCallback(() => setNote(null), []),
    /** A new turn starts: a card still open is out of date (nothing is sent for it), and so is the note. */
    newTurn: useCallback(() => {
      cardRef.current?.answer('dismissed');
      setNote(null);
    }, []),
    busy,
    stop: useCallback(() => abort.current?.abort(), []),
    afterLocalAnswer,
    askLarger,
  };
}

export type EmbedEscalationApi = ReturnType<typeof useEmbedEscalation>;
