/**
 * The app's escalation state: mode, provider, consents, per-conversation redactors, the savings ledger and what
 * the router learned. The route → consent → remote steps themselves are src/chat's (the session streams the
 * remote answer); this hook gives them the app's settings and shows the notes and the consent dialog.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChatMessage } from 'petit';
import {
  ConsentLedger,
  DEFAULT_PRICE_TABLE,
  PROVIDER_PRESETS,
  Redactor,
  createRemoteClient,
  estimateMessagesTokens,
  findPrice,
  route,
  type ConsentPreview,
  type EscalationMode,
  type LedgerEntry,
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
import { Escalator, makeNote, type ConsentChoice, type EscalationNote } from '../../chat/escalation.ts';
import { historyBefore } from '../../chat/history.ts';
import { Latest, type SessionEvents } from '../../chat/session.ts';
import { remoteOfflineReason, useOnline } from '../pwa/use-online.ts';
import { useLatest } from '../hooks/use-latest.ts';
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

export interface PendingConsent {
  preview: ConsentPreview;
  reasons: RouterReason[];
  userAsked: boolean;
  answer: (choice: ConsentChoice) => void;
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
  const [ledger] = useState(() => new ConsentLedger(config.consent));
  const [redactors] = useState(() => new Map<string, Redactor>());
  // The settings of the moment for callbacks and the escalator (state lags a render behind).
  const [current] = useState(() => new Latest(config));
  const [routerWeights, setRouterWeights] = useState<UserRouterWeights>(emptyUserWeights);
  const [weights] = useState(() => new Latest(routerWeights));
  const weightsStore = conversations.storage?.routerWeights;
  useEffect(() => {
    if (!weightsStore) return;
    void weightsStore.get().then((w) => {
      weights.set(w);
      setRouterWeights(w);
    });
  }, [weights, weightsStore]);
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

  const update = useCallback(
    (patch: Partial<EscalationConfig>) => {
      const next = { ...current.get(), ...patch, consent: ledger.snapshot() };
      current.set(next);
      setConfig(next);
      saveEscalationConfig(next);
    },
    [current, ledger],
  );

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
      const provider = current.get().provider;
      if (!provider || !host) return;
      if (on) ledger.optInAuto(provider.presetId, host);
      else ledger.revokeAuto(provider.presetId, host);
      update({});
    },
    [current, ledger, host, update],
  );
  // The ledger's snapshot is copied into config on every change, so render reads state, not the ref.
  const autoOptedIn = Boolean(
    config.provider && host && config.consent.auto.includes(`${config.provider.presetId}@${host}`),
  );

  const secrets = conversations.storage?.secrets;
  const saveKey = useCallback(
    async (key: string) => {
      const provider = current.get().provider;
      if (!secrets || !provider || !host) return;
      await secrets.set(keyName(provider.presetId, host), key);
    },
    [current, secrets, host],
  );
  const forgetKey = useCallback(async () => {
    const provider = current.get().provider;
    if (!secrets || !provider || !host) return;
    await secrets.forget(keyName(provider.presetId, host));
  }, [current, secrets, host]);
  const hasKey = useCallback(async () => {
    const provider = current.get().provider;
    if (!secrets || !provider || !host) return false;
    return secrets.has(keyName(provider.presetId, host));
  }, [current, secrets, host]);

  /** The price the savings meter uses: the chosen remote model's, or the first dated entry. */
  const price: ModelPrice = useMemo(
    () =>
      (config.provider && findPrice(DEFAULT_PRICE_TABLE, config.provider.presetId, config.provider.model)) ||
      DEFAULT_PRICE_TABLE[0],
    [config.provider],
  );

  const clientWithKey = useCallback(async (): Promise<RemoteClient | null> => {
    const provider = current.get().provider;
    if (!provider || !host) return null;
    const apiKey =
      PROVIDER_PRESETS[provider.presetId].auth.kind === 'none'
        ? undefined
        : await secrets?.get(keyName(provider.presetId, host));
    return createRemoteClient({ ...provider, apiKey });
  }, [current, host, secrets]);

  // The escalator lives as long as the app; it reads the settings of the moment.
  const live = useLatest({ clientWithKey, localModelsFor, maxTokens });
  const [escalator] = useState(
    () =>
      new Escalator({
        mode: () => current.get().mode,
        client: () => live.get().clientWithKey(),
        // Ollama or LM Studio on this computer answers with the network gone; any other provider cannot.
        unreachable: (client) =>
          navigator.onLine || client.endpoint.preset.local ? null : remoteOfflineReason(client.host),
        ledger,
        redactorFor: (conversationId) => {
          let r = redactors.get(conversationId);
          if (!r) redactors.set(conversationId, (r = new Redactor()));
          return r;
        },
        redact: () => current.get().redact,
        maxTokens: () => live.get().maxTokens,
        localModels: (loaded) => live.get().localModelsFor(loaded),
        userWeights: () => weights.get(),
        explainLocalOnly: true,
        note: setNote,
        askConsent: async ({ preview, reasons, userAsked }) => {
          const choice = await new Promise<ConsentChoice>((answer) =>
            setPending({ preview, reasons, userAsked, answer }),
          );
          setPending(null);
          return choice;
        },
        granted: (choice) => {
          if (choice === 'conversation') update({});
        },
      }),
  );

  /** One correction from the user, learned for requests like this one and saved on this device. */
  const learn = useCallback(
    (history: ChatMessage[], feedback: Feedback) => {
      const loaded = lastLoaded.current ?? { modelId: 'local', contextLength: 1 << 20 };
      const decision: RouteDecision = route({
        messages: history,
        localModels: localModelsFor(loaded),
        answerReserveTokens: answerReserve(maxTokens, loaded.contextLength),
        userWeights: weights.get(),
      });
      const next = learnFromFeedback(weights.get(), decision, feedback);
      weights.set(next);
      setRouterWeights(next);
      void weightsStore?.save(next);
    },
    [localModelsFor, maxTokens, weights, weightsStore],
  );

  /** "This answer was fine": requests like this one stay on this device more often. */
  const answerWasFine = useCallback(
    (answerId: string) => {
      const history = historyBefore(conversations.messages, answerId);
      if (!history) return;
      learn(history, 'fine');
      setNote(makeNote('info', { key: 'notes.answerFine' }));
    },
    [conversations.messages, learn],
  );

  const resetRouterWeights = useCallback(async () => {
    const empty = emptyUserWeights();
    weights.set(empty);
    setRouterWeights(empty);
    await weightsStore?.reset();
  }, [weights, weightsStore]);

  /** The chat session's side of escalation: savings, notes about remote answers, and learning from the user. */
  const sessionEvents: SessionEvents = useMemo(
    () => ({
      localAnswer: (a) => {
        lastLoaded.current = { modelId: a.modelId, contextLength: a.contextLength };
        if (a.usage)
          record({
            tokensIn: a.usage.prompt_tokens,
            tokensOut: a.usage.completion_tokens,
            source: 'on-device',
            model: a.modelId,
            at: Date.now(),
            durationMs: a.usage.extra.total_ms,
          });
      },
      remoteAnswer: ({ preview, end }) => {
        const { providerLabel, model } = preview.destination;
        if (end.status === 'complete') {
          if (end.finishReason === 'length')
            setNote(
              makeNote('info', {
                key: 'notes.cut',
                params: { provider: providerLabel, budget: preview.estimate.maxOutputTokens },
              }),
            );
          if (end.usage)
            record({
              tokensIn: end.usage.prompt_tokens,
              tokensOut: end.usage.completion_tokens,
              source: 'remote',
              model,
              at: Date.now(),
            });
        } else if (end.status !== 'stopped') {
          setNote(makeNote('error', { error: end.error, within: 'notes.remoteFailed' }));
        }
      },
      askedLarger: (history: ChatMessage[]) => learn(history, 'needs-large'),
    }),
    [record, learn],
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
    offlineReason,
    escalator,
    sessionEvents,
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
