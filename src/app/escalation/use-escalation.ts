/**
 * The app's escalation state: mode, provider, consents, per-conversation redactors, the savings ledger, and the
 * remote send path. Nothing here runs a request in "On this device only": `decideDispatch` says 'local' and
 * `streamRemote` would refuse anyway.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { toPetitError } from '../../engine/errors.ts';
import type { ChatMessage, CompletionUsage } from '../../engine/protocol.ts';
import {
  ConsentLedger,
  DEFAULT_PRICE_TABLE,
  PROVIDER_PRESETS,
  Redactor,
  buildConsentPreview,
  createRemoteClient,
  decideDispatch,
  estimateMessagesTokens,
  estimateTokens,
  confidenceFromLogprobs,
  explainDecision,
  findPrice,
  route,
  streamRemote,
  type ConsentPreview,
  type EscalationMode,
  type LedgerEntry,
  type LocalConfidence,
  type ModelPrice,
  type LocalModelInfo,
  type RemoteClient,
  type RouteDecision,
  type RouterReason,
  type UserRouterWeights,
} from '../../escalation/index.ts';
import { answerReserve, downloadedModels } from '../../escalation/router-models.ts';
import {
  describeUserWeights,
  emptyUserWeights,
  learnFromFeedback,
  type Feedback,
} from '../../escalation/router-user-weights.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { hasStoredBuild, storedBuildsOf, type KeptModels } from '../../models/stored.ts';
import { remoteAnswerBudget } from '../../escalation/providers/remote-client.ts';
import type { StoredMessage } from '../../storage/index.ts';
import { remoteOfflineReason, useOnline } from '../pwa/use-online.ts';
import type { ConversationsApi } from '../hooks/use-conversations.ts';
import {
  keyName,
  loadEscalationConfig,
  loadSavings,
  saveEscalationConfig,
  saveSavings,
  type EscalationConfig,
  type ProviderConfig,
} from './escalation-config.ts';

export type ConsentChoice = 'once' | 'conversation' | 'cancel';

export interface PendingConsent {
  preview: ConsentPreview;
  reasons: RouterReason[];
  userAsked: boolean;
  answer: (choice: ConsentChoice) => void;
}

export interface LocalAnswer {
  conversationId: string | null;
  /** The messages the local model answered (ending with the user's message). */
  history: ChatMessage[];
  usage?: CompletionUsage;
  confidence?: LocalConfidence;
  modelId: string;
  contextLength: number;
}

export interface EscalationNote {
  kind: 'suggest' | 'error' | 'info';
  text: string;
  reasons?: RouterReason[];
}

/**
 * The router's confidence signal from the answer's token log-probabilities and, where the backend reports it, how
 * familiar the prompt looked to the model (`usage.extra.prompt_logprob`; see router.ts).
 */
export function confidenceFrom(
  logprobs: readonly number[],
  usage?: { extra?: { prompt_logprob?: { mean: number } } },
): LocalConfidence | undefined {
  const answer = confidenceFromLogprobs(logprobs);
  const prompt = usage?.extra?.prompt_logprob?.mean;
  if (prompt === undefined || !Number.isFinite(prompt)) return answer;
  return { ...answer, promptLogprob: prompt };
}

function providerHost(provider: ProviderConfig): string | null {
  try {
    return createRemoteClient({ ...provider }).endpoint.host;
  } catch {
    return null;
  }
}

export interface ModelsForRouter {
  catalog: readonly CatalogEntry[];
  hubUrl: string;
  /** The model index's complete models (useKeptModels); null until read. */
  kept: KeptModels | null;
}

export function useEscalation(conversations: ConversationsApi, maxTokens: number, models?: ModelsForRouter) {
  const [config, setConfig] = useState<EscalationConfig>(loadEscalationConfig);
  const [savings, setSavings] = useState<LedgerEntry[]>(loadSavings);
  const [pending, setPending] = useState<PendingConsent | null>(null);
  const [note, setNote] = useState<EscalationNote | null>(null);
  const [busy, setBusy] = useState(false);
  const ledger = useRef(new ConsentLedger(config.consent));
  const redactors = useRef(new Map<string, Redactor>());
  const remoteAbort = useRef<AbortController | null>(null);
  const configRef = useRef(config);
  const { setMessages } = conversations;
  const [routerWeights, setRouterWeights] = useState<UserRouterWeights>(emptyUserWeights);
  const routerWeightsRef = useRef(routerWeights);
  const weightsStore = conversations.storage?.routerWeights;
  useEffect(() => {
    if (!weightsStore) return;
    void weightsStore.get().then((w) => {
      routerWeightsRef.current = w;
      setRouterWeights(w);
    });
  }, [weightsStore]);
  const localModelsFor = useCallback(
    (loaded: { modelId: string; contextLength: number }): LocalModelInfo[] =>
      downloadedModels(
        models?.catalog ?? [],
        (e) => Boolean(models?.kept && hasStoredBuild(storedBuildsOf(e, models.hubUrl, models.kept))),
        loaded,
      ),
    [models],
  );
  const lastLoaded = useRef<{ modelId: string; contextLength: number } | null>(null);

  const update = useCallback((patch: Partial<EscalationConfig>) => {
    const next = { ...configRef.current, ...patch, consent: ledger.current.snapshot() };
    configRef.current = next;
    setConfig(next);
    saveEscalationConfig(next);
  }, []);

  const record = useCallback((entry: LedgerEntry) => {
    setSavings((all) => {
      const next = [...all, entry];
      saveSavings(next);
      return next;
    });
  }, []);

  const host = useMemo(() => (config.provider ? providerHost(config.provider) : null), [config.provider]);
  const online = useOnline();
  // Ollama or LM Studio on this computer answers with the network gone; any other provider cannot.
  const providerIsLocal = Boolean(config.provider && PROVIDER_PRESETS[config.provider.presetId].local);
  /** Why remote answers are off right now, or null when they can be asked. */
  const offlineReason = online || providerIsLocal ? null : remoteOfflineReason(host);

  const setMode = useCallback((mode: EscalationMode) => update({ mode }), [update]);
  const setProvider = useCallback(
    (provider: ProviderConfig | null) => {
      setNote(null);
      update({ provider });
    },
    [update],
  );
  const setRedact = useCallback((redact: boolean) => update({ redact }), [update]);
  const setAutoOptIn = useCallback(
    (on: boolean) => {
      const provider = configRef.current.provider;
      if (!provider || !host) return;
      if (on) ledger.current.optInAuto(provider.presetId, host);
      else ledger.current.revokeAuto(provider.presetId, host);
      update({});
    },
    [host, update],
  );
  // The ledger's snapshot is copied into config on every change, so render reads state, not the ref.
  const autoOptedIn = Boolean(
    config.provider && host && config.consent.auto.includes(`${config.provider.presetId}@${host}`),
  );

  const secrets = conversations.storage?.secrets;
  const saveKey = useCallback(
    async (key: string) => {
      const provider = configRef.current.provider;
      if (!secrets || !provider || !host) return;
      await secrets.set(keyName(provider.presetId, host), key);
    },
    [secrets, host],
  );
  const forgetKey = useCallback(async () => {
    const provider = configRef.current.provider;
    if (!secrets || !provider || !host) return;
    await secrets.forget(keyName(provider.presetId, host));
  }, [secrets, host]);
  const hasKey = useCallback(async () => {
    const provider = configRef.current.provider;
    if (!secrets || !provider || !host) return false;
    return secrets.has(keyName(provider.presetId, host));
  }, [secrets, host]);

  /** The price the savings meter uses: the chosen remote model's, or the first dated entry. */
  const price: ModelPrice = useMemo(
    () =>
      (config.provider && findPrice(DEFAULT_PRICE_TABLE, config.provider.presetId, config.provider.model)) ||
      DEFAULT_PRICE_TABLE[0],
    [config.provider],
  );

  const clientWithKey = useCallback(async (): Promise<RemoteClient | null> => {
    const provider = configRef.current.provider;
    if (!provider || !host) return null;
    const apiKey =
      PROVIDER_PRESETS[provider.presetId].auth.kind === 'none'
        ? undefined
        : await secrets?.get(keyName(provider.presetId, host));
    return createRemoteClient({ ...provider, apiKey });
  }, [host, secrets]);

  const redactorFor = (conversationId: string) => {
    let r = redactors.current.get(conversationId);
    if (!r) redactors.current.set(conversationId, (r = new Redactor()));
    return r;
  };

  /** Streams the consented preview into a new remote answer, saved as it streams; failures keep the conversation. */
  const runRemote = useCallback(
    async (preview: ConsentPreview, client: RemoteClient, conversationId: string, redactor: Redactor) => {
      const store = conversations.storage?.conversations;
      const modelId = `${preview.destination.providerLabel} · ${preview.destination.model}`;
      const writer = store
        ? await store.startStreaming(conversationId, { role: 'assistant', source: 'remote', modelId })
        : null;
      const answerId = writer?.messageId ?? crypto.randomUUID();
      const patch = (p: Partial<StoredMessage> | ((m: StoredMessage) => Partial<StoredMessage>)) =>
        setMessages((all) =>
          all.map((m) => (m.id === answerId ? { ...m, ...(typeof p === 'function' ? p(m) : p) } : m)),
        );
      setMessages((all) => [
        ...all,
        {
          id: answerId,
          role: 'assistant',
          content: '',
          createdAt: Date.now(),
          status: 'streaming',
          source: 'remote',
          modelId,
        },
      ]);
      setBusy(true);
      const controller = new AbortController();
      remoteAbort.current = controller;
      const started = Date.now();
      let text = '';
      let cut = false;
      try {
        let usage: CompletionUsage | undefined;
        const stream = streamRemote({
          preview,
          client,
          ledger: ledger.current,
          mode: configRef.current.mode,
          redactor: configRef.current.redact ? redactor : undefined,
          signal: controller.signal,
        });
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content;
          if (delta) {
            text += delta;
            writer?.append(delta);
            patch((m) => ({ content: m.content + delta }));
          }
          if (chunk.usage) usage = chunk.usage;
          if (chunk.choices[0]?.finish_reason === 'length') cut = true;
        }
        const finalUsage: CompletionUsage = usage ?? {
          prompt_tokens: preview.estimate.inputTokens,
          completion_tokens: estimateTokens(text),
          total_tokens: preview.estimate.inputTokens + estimateTokens(text),
          extra: {
            time_to_first_token_ms: 0,
            prefill_tokens_per_s: 0,
            decode_tokens_per_s: 0,
            total_ms: Date.now() - started,
          },
        };
        patch({ status: 'complete', usage: finalUsage });
        await writer?.finish({ status: 'complete', usage: finalUsage });
        if (cut)
          setNote({
            kind: 'info',
            text: `The answer from ${preview.destination.providerLabel} was cut: it reached the ${preview.estimate.maxOutputTokens}-token answer budget. Ask it to continue, or raise "Longest answer" in Settings.`,
          });
        record({
          tokensIn: finalUsage.prompt_tokens,
          tokensOut: finalUsage.completion_tokens,
          source: 'remote',
          model: preview.destination.model,
          at: Date.now(),
        });
      } catch (e) {
        const failure = toPetitError(e);
        const partial = typeof failure.details.partialText === 'string' ? failure.details.partialText : text;
        const shown =
          failure.code === 'aborted'
            ? { code: 'aborted', message: 'Stopped' }
            : { code: failure.code, message: failure.message };
        if (failure.code === 'aborted') {
          patch({ status: 'interrupted', content: partial, error: shown });
          await writer?.finish({ status: 'interrupted', content: partial, error: shown });
        } else if (partial) {
          // A partial remote answer is kept, marked incomplete.
          patch({ status: 'interrupted', content: partial, error: shown });
          await writer?.finish({ status: 'interrupted', content: partial, error: shown });
        } else {
          patch({ status: 'error', error: shown });
          await writer?.finish({ status: 'error', error: shown });
        }
        if (failure.code !== 'aborted')
          setNote({ kind: 'error', text: `${failure.message} The local answer above is kept.` });
      } finally {
        remoteAbort.current = null;
        setBusy(false);
        void conversations.touchList();
      }
    },
    [conversations, setMessages, record],
  );

  /**
   * Decides, for a conversation ending with a user message, whether to go remote: the router's verdict (or the
   * user's button), the mode and the consents. Asks through the dialog when needed.
   */
  const escalate = useCallback(
    async (input: {
      conversationId: string | null;
      history: ChatMessage[];
      reasons: RouterReason[];
      routerEscalates: boolean;
      userAsked: boolean;
    }) => {
      const cfg = configRef.current;
      const decisionBase = {
        mode: cfg.mode,
        routerVerdict: { escalate: input.routerEscalates },
        userAskedForRemote: input.userAsked,
      };
      if (cfg.mode === 'local-only') {
        if (input.routerEscalates)
          setNote({
            kind: 'info',
            text: decideDispatch({
              ...decisionBase,
              consentState: { autoOptIn: false },
              conversationConsent: false,
            }).explanation,
            reasons: input.reasons,
          });
        return;
      }
      if (!input.routerEscalates && !input.userAsked) return;
      if (!cfg.provider || !host || !input.conversationId) {
        setNote({
          kind: 'suggest',
          text: 'A larger model may answer this better. Choose a remote model under "Remote model" first.',
          reasons: input.reasons,
        });
        return;
      }
      if (!navigator.onLine && !PROVIDER_PRESETS[cfg.provider.presetId].local) {
        setNote({ kind: 'info', text: remoteOfflineReason(host), reasons: input.reasons });
        return;
      }
      const conversationId = input.conversationId;
      const decision = decideDispatch({
        ...decisionBase,
        ...ledger.current.dispatchState(conversationId, cfg.provider.presetId, host),
      });
      if (decision.action === 'local') return;
      const client = await clientWithKey();
      if (!client) return;
      const redactor = redactorFor(conversationId);
      let preview: ConsentPreview;
      try {
        preview = buildConsentPreview({
          client,
          conversationId,
          messages: input.history,
          redactor,
          redact: cfg.redact,
          stream: true,
          // Reasoning models spend thinking tokens from this budget: the local default would cut them short.
          maxTokens: remoteAnswerBudget(maxTokens),
        });
      } catch (e) {
        setNote({ kind: 'error', text: toPetitError(e).message });
        return;
      }
      if (decision.action === 'ask-consent') {
        const choice = await new Promise<ConsentChoice>((resolve) =>
          setPending({ preview, reasons: input.reasons, userAsked: input.userAsked, answer: resolve }),
        );
        setPending(null);
        if (choice === 'cancel') {
          setNote({ kind: 'info', text: 'Nothing was sent. The answer from this device is kept.' });
          return;
        }
        ledger.current.grant(choice, preview);
        if (choice === 'conversation') update({});
      }
      setNote(null);
      await runRemote(preview, client, conversationId, redactor);
    },
    [host, clientWithKey, maxTokens, runRemote, update],
  );

  /** Called after each local answer: records it and asks the router whether a larger model is needed. */
  const afterLocalAnswer = useCallback(
    async (a: LocalAnswer) => {
      if (a.usage)
        record({
          tokensIn: a.usage.prompt_tokens,
          tokensOut: a.usage.completion_tokens,
          source: 'on-device',
          model: a.modelId,
          at: Date.now(),
          durationMs: a.usage.extra.total_ms,
        });
      lastLoaded.current = { modelId: a.modelId, contextLength: a.contextLength };
      const localModels = localModelsFor(lastLoaded.current);
      const decision = route({
        messages: a.history,
        localModels,
        confidence: a.confidence,
        // The answer room the app really keeps (the router's default of 512 overflows small test contexts).
        answerReserveTokens: answerReserve(maxTokens, a.contextLength),
        userWeights: routerWeightsRef.current,
      });
      const better = localModels.find((m) => m.id === decision.localModelId);
      if (!decision.escalate && better && better !== localModels[0]) {
        // "A larger local model would do": say which, and why, instead of suggesting a remote one.
        setNote({
          kind: 'info',
          text: `${better.label ?? better.id} is downloaded and suits this kind of request better than ${localModels[0].label ?? localModels[0].id}: load it for requests like this.`,
          reasons: explainDecision(decision),
        });
        return;
      }
      await escalate({
        conversationId: a.conversationId,
        history: a.history,
        reasons: explainDecision(decision),
        routerEscalates: decision.escalate,
        userAsked: false,
      });
    },
    [record, escalate, maxTokens, localModelsFor],
  );

  /** The history an answer replied to, ending with the user's message; null when there is none. */
  const historyBefore = useCallback(
    (answerId: string): ChatMessage[] | null => {
      const all = conversations.messages;
      const at = all.findIndex((m) => m.id === answerId);
      if (at < 0) return null;
      const history = all
        .slice(0, at)
        .filter((m) => m.status !== 'error' && m.status !== 'streaming' && m.content.length > 0)
        .map((m) => ({ role: m.role, content: m.content }));
      return history.at(-1)?.role === 'user' ? history : null;
    },
    [conversations.messages],
  );

  /** One correction from the user, learned for requests like this one and saved on this device. */
  const learn = useCallback(
    (history: ChatMessage[], feedback: Feedback) => {
      const loaded = lastLoaded.current ?? { modelId: 'local', contextLength: 1 << 20 };
      const decision: RouteDecision = route({
        messages: history,
        localModels: localModelsFor(loaded),
        answerReserveTokens: answerReserve(maxTokens, loaded.contextLength),
        userWeights: routerWeightsRef.current,
      });
      const next = learnFromFeedback(routerWeightsRef.current, decision, feedback);
      routerWeightsRef.current = next;
      setRouterWeights(next);
      void weightsStore?.save(next);
    },
    [localModelsFor, maxTokens, weightsStore],
  );

  /** "This answer was fine": requests like this one stay on this device more often. */
  const answerWasFine = useCallback(
    (answerId: string) => {
      const history = historyBefore(answerId);
      if (!history) return;
      learn(history, 'fine');
      setNote({
        kind: 'info',
        text: 'Thanks: Petit will keep requests like this on this device more often. See what it learned under Savings.',
      });
    },
    [historyBefore, learn],
  );

  const resetRouterWeights = useCallback(async () => {
    const empty = emptyUserWeights();
    routerWeightsRef.current = empty;
    setRouterWeights(empty);
    await weightsStore?.reset();
  }, [weightsStore]);

  /** "Not good enough — ask the large model" on a local answer. */
  const askLargeModel = useCallback(
    async (answerId: string) => {
      const history = historyBefore(answerId);
      if (!history) return;
      learn(history, 'needs-large');
      const decision = route({ messages: history, localModels: [], userAskedForRemote: true });
      await escalate({
        conversationId: conversations.currentId,
        history,
        reasons: decision.reasons.filter((r) => r.rule === 'user-asked'),
        routerEscalates: decision.escalate,
        userAsked: true,
      });
    },
    [historyBefore, learn, conversations.currentId, escalate],
  );

  return {
    config,
    host,
    setMode,
    setProvider,
    setRedact,
    setAutoOptIn,
    autoOptedIn,
    saveKey,
    forgetKey,
    hasKey,
    savings,
    price,
    pending,
    note,
    dismissNote: () => setNote(null),
    /** Stops a remote answer; what arrived is kept, marked as stopped. */
    stop: () => remoteAbort.current?.abort(),
    busy,
    offlineReason,
    afterLocalAnswer,
    askLargeModel,
    answerWasFine,
    /** What the router learned from this user, and in words. */
    routerWeights,
    learned: useMemo(() => describeUserWeights(routerWeights), [routerWeights]),
    resetRouterWeights,
    estimateMessagesTokens,
    /** A client for the saved provider with its stored key (Settings lists the provider's models with it). */
    clientWithKey,
  };
}

export type EscalationApi = ReturnType<typeof useEscalation>;
