import { useCallback, useEffect, useRef, useState } from 'react';
import { fitToContext } from '../../engine/context-window.ts';
import { isPetitError, toPetitError, type PetitErrorCode } from '../../engine/errors.ts';
import type { PetitEngine } from '../../engine/petit-engine.ts';
import type { ChatMessage, CompletionUsage } from '../../engine/protocol.ts';
import type { BackendPreference, Device, Dtype, LoadProgress, RuntimeInfo } from '../../engine/types.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { announceModelsChanged } from '../../models/local-import.ts';
import { ModelStore, modelPrefix } from '../../models/store.ts';
import type { StoredMessage } from '../../storage/index.ts';
import type { ConversationsApi } from './use-conversations.ts';
import { confidenceFrom, type LocalAnswer } from '../escalation/use-escalation.ts';

export interface ShownError {
  code: PetitErrorCode;
  message: string;
}

export interface DownloadView {
  model: string;
  loaded: number;
  total: number;
  bytesPerSecond: number;
  file: string;
  stage: 'download' | 'compile';
}

export interface GenerationSettings {
  temperature: number;
  maxTokens: number;
}

export type LoadPhase = 'idle' | 'loading' | 'ready' | 'error';

function asShown(error: unknown): ShownError {
  const e = toPetitError(error);
  return { code: e.code, message: e.message };
}

/** What the model reads: answered turns only; failed exchanges stay on screen but out of the prompt. */
function promptHistory(messages: StoredMessage[]): ChatMessage[] {
  return messages
    .filter((m) => m.status !== 'error' && m.status !== 'streaming' && m.content.length > 0)
    .map((m) => ({ role: m.role, content: m.content }));
}

/** The chat's state machine: which model is loaded and the running generation, saved as it streams. */
export function usePetit(
  engine: PetitEngine,
  hubUrl: string,
  generation: GenerationSettings,
  conversations: ConversationsApi,
  /** Runs after each complete local answer (the escalation router; it may offer or send a remote answer). */
  afterAnswer?: (answer: LocalAnswer) => Promise<void>,
) {
  const [phase, setPhase] = useState<LoadPhase>('idle');
  const [download, setDownload] = useState<DownloadView | null>(null);
  const [runtime, setRuntime] = useState<RuntimeInfo | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [generating, setGenerating] = useState(false);
  const [lastUsage, setLastUsage] = useState<CompletionUsage | null>(null);
  const loadAbort = useRef<AbortController | null>(null);
  const generationAbort = useRef<AbortController | null>(null);
  const loadingModel = useRef<string | null>(null);
  const { messages, setMessages } = conversations;

  // The engine replaces a crashed or hung worker and reloads the model by itself; the UI says what happens.
  useEffect(
    () =>
      engine.subscribe((event) => {
        if (event.type === 'crashed') {
          setRuntime(null);
          setPhase('loading');
          setNotice(`${event.error.message} Reloading the model…`);
        } else if (event.type === 'recovered') {
          setRuntime(event.runtime);
          setPhase('ready');
          setNotice('The model was restarted after a crash and is ready again. Your conversation is intact.');
        } else if (event.type === 'recovery-failed') {
          setPhase('error');
          setNotice(null);
          setError(asShown(event.error));
        }
      }),
    [engine],
  );

  const onProgress = useCallback((event: LoadProgress) => {
    if (event.status === 'progress') {
      setDownload({
        model: event.model,
        loaded: event.loaded,
        total: event.total,
        bytesPerSecond: event.bytesPerSecond,
        file: event.file,
        stage: 'download',
      });
    } else if (event.status === 'compile') {
      setDownload((d) => ({
        model: event.model,
        loaded: event.loaded,
        total: event.total,
        bytesPerSecond: 0,
        file: d?.file ?? '',
        stage: 'compile',
      }));
    }
  }, []);

  const loadModel = useCallback(
    async (
      entry: CatalogEntry,
      dtype: Dtype,
      device: Device | 'auto' = 'auto',
      backend: BackendPreference = 'auto',
    ) => {
      loadAbort.current?.abort();
      const controller = new AbortController();
      loadAbort.current = controller;
      loadingModel.current = modelPrefix(entry.hubUrl ?? hubUrl, entry.repo, entry.revision ?? 'main');
      setPhase('loading');
      setError(null);
      setRuntime(null);
      setDownload({ model: entry.repo, loaded: 0, total: 0, bytesPerSecond: 0, file: '', stage: 'download' });
      try {
        const info = await engine.load(
          {
            id: entry.repo,
            revision: entry.revision ?? undefined,
            dtype,
            device,
            hubUrl: entry.hubUrl ?? hubUrl,
            backend,
          },
          {
            // Progress posted by a worker just before a cancel can arrive after it: only this load's counts.
            onProgress: (event) => {
              if (loadAbort.current === controller) onProgress(event);
            },
            signal: controller.signal,
          },
        );
        if (loadAbort.current !== controller) return;
        setRuntime(info);
        setPhase('ready');
      } catch (e) {
        if (loadAbort.current !== controller) return;
        if (isPetitError(e, 'aborted')) {
          setPhase('idle');
        } else {
          setError(asShown(e));
          setPhase('error');
        }
      } finally {
        // A load keeps new files (or removes broken ones): lists of what is stored, and works offline, refresh.
        announceModelsChanged();
        if (loadAbort.current === controller) {
          loadAbort.current = null;
          loadingModel.current = null;
          setDownload(null);
        }
      }
    },
    [engine, hubUrl, onProgress],
  );

  const cancelLoad = useCallback(() => {
    const loading = loadingModel.current;
    loadAbort.current?.abort();
    // A cancelled download keeps nothing, not even the bytes a reload would have resumed from.
    if (loading) void new ModelStore().discardIncomplete(loading).catch(() => {});
  }, []);

  const send = useCallback(
    async (text: string) => {
      const content = text.trim();
      const info = engine.runtimeInfo();
      if (!content || generating) return;
      if (!info) {
        setError({
          code: 'not-loaded',
          message: 'Choose a model and wait until it is ready before sending a message.',
        });
        return;
      }
      setError(null);
      setNotice(null);
      setGenerating(true);
      const controller = new AbortController();
      generationAbort.current = controller;
      const store = conversations.storage?.conversations;
      const conversationId = await conversations.ensureConversation(content, info.model);
      const now = Date.now();
      const user: StoredMessage =
        store && conversationId
          ? await store.appendMessage(conversationId, { role: 'user', content, source: 'on-device' })
          : {
              id: crypto.randomUUID(),
              role: 'user',
              content,
              createdAt: now,
              status: 'complete',
              source: 'on-device',
            };
      const writer =
        store && conversationId
          ? await store.startStreaming(conversationId, {
              role: 'assistant',
              source: 'on-device',
              modelId: info.model,
            })
          : null;
      const answerId = writer?.messageId ?? crypto.randomUUID();
      const history = [...promptHistory(messages), { role: 'user' as const, content }];
      setMessages((all) => [
        ...all,
        user,
        {
          id: answerId,
          role: 'assistant',
          content: '',
          createdAt: now,
          status: 'streaming',
          source: 'on-device',
          modelId: info.model,
        },
      ]);
      const update = (patch: Partial<StoredMessage> | ((m: StoredMessage) => Partial<StoredMessage>)) =>
        setMessages((all) =>
          all.map((m) =>
            m.id === answerId ? { ...m, ...(typeof patch === 'function' ? patch(m) : patch) } : m,
          ),
        );

      // Tokens can arrive faster than the screen refreshes: render at most once per frame.
      let pending = '';
      let frame = 0;
      const flush = () => {
        frame = 0;
        const chunk = pending;
        pending = '';
        if (chunk) update((m) => ({ content: m.content + chunk }));
      };
      const showPending = () => {
        cancelAnimationFrame(frame);
        flush();
      };
      try {
        const fitted = await fitToContext({
          messages: history,
          countTokens: (m) => engine.countTokens(m),
          contextLength: info.contextLength,
          reservedTokens: Math.min(generation.maxTokens, Math.floor(info.contextLength / 4)),
        });
        if (fitted.notice) setNotice(fitted.notice.text);
        const stream = await engine.chat.completions.create({
          messages: fitted.messages,
          stream: true,
          temperature: generation.temperature,
          max_tokens: generation.maxTokens,
          signal: controller.signal,
          // The router's confidence signal: mean log-probability of the answer's tokens.
          ...(afterAnswer ? { logprobs: true } : {}),
        });
        let usage: CompletionUsage | undefined;
        const logprobs: number[] = [];
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content;
          if (delta) {
            writer?.append(delta);
            pending += delta;
            frame ||= requestAnimationFrame(flush);
          }
          if (chunk.usage) usage = chunk.usage;
          for (const t of chunk.choices[0]?.logprobs?.content ?? []) logprobs.push(t.logprob);
        }
        if (usage) setLastUsage(usage);
        showPending();
        update({ status: 'complete', usage });
        await writer?.finish({ status: 'complete', usage });
        if (afterAnswer) {
          // Routing and any remote answer happen after this turn, without holding the composer.
          const answered = {
            conversationId,
            history: fitted.messages,
            usage,
            confidence: confidenceFrom(logprobs, usage),
            modelId: info.model,
            contextLength: info.contextLength,
          };
          queueMicrotask(() => void afterAnswer(answered));
        }
      } catch (e) {
        showPending();
        const failure = toPetitError(e);
        if (failure.code === 'aborted' || failure.code === 'worker-crashed') {
          // Cut short, by the user or by a crash: what was written is kept and stays in the conversation.
          const cut =
            failure.code === 'aborted'
              ? { code: 'aborted', message: 'Stopped' }
              : { code: failure.code, message: failure.message };
          update({ status: 'interrupted', error: cut });
          await writer?.finish({ status: 'interrupted', error: cut });
        } else {
          const shown = asShown(e);
          setError(shown);
          // The failed exchange stays on screen but is left out of what the model reads next time.
          setMessages((all) =>
            all.map((m) =>
              m.id === answerId || m.id === user.id ? { ...m, status: 'error', error: shown } : m,
            ),
          );
          await writer?.finish({ status: 'error', error: shown });
          if (store && conversationId)
            await store.updateMessage(conversationId, user.id, { status: 'error' });
        }
      } finally {
        generationAbort.current = null;
        setGenerating(false);
        void conversations.touchList();
      }
    },
    [
      engine,
      generating,
      messages,
      setMessages,
      conversations,
      generation.temperature,
      generation.maxTokens,
      afterAnswer,
    ],
  );

  const stop = useCallback(() => generationAbort.current?.abort(), []);
  const dismissError = useCallback(() => setError(null), []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  return {
    phase,
    download,
    runtime,
    error,
    notice,
    generating,
    lastUsage,
    loadModel,
    cancelLoad,
    send,
    stop,
    dismissError,
    dismissNotice,
  };
}
