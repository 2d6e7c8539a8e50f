import { useCallback, useRef, useState } from 'react';
import { isPetitError, toPetitError, type PetitErrorCode } from '../../engine/errors.ts';
import type { PetitEngine } from '../../engine/petit-engine.ts';
import type { CompletionUsage } from '../../engine/protocol.ts';
import type { Device, Dtype, LoadProgress, RuntimeInfo } from '../../engine/types.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { ModelStore, modelPrefix } from '../../models/store.ts';

export interface ViewMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'streaming' | 'stopped' | 'error';
  usage?: CompletionUsage;
  finishReason?: string;
}

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

export type LoadPhase = 'idle' | 'loading' | 'ready' | 'error';

function newId(): string {
  return crypto.randomUUID();
}

function asShown(error: unknown): ShownError {
  const e = toPetitError(error);
  return { code: e.code, message: e.message };
}

/** The chat's state machine: which model is loaded, the conversation, the running generation. */
export interface GenerationSettings {
  temperature: number;
  maxTokens: number;
}

export function usePetit(engine: PetitEngine, hubUrl: string, generation: GenerationSettings) {
  const [phase, setPhase] = useState<LoadPhase>('idle');
  const [download, setDownload] = useState<DownloadView | null>(null);
  const [runtime, setRuntime] = useState<RuntimeInfo | null>(null);
  const [messages, setMessages] = useState<ViewMessage[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  const [generating, setGenerating] = useState(false);
  const [lastUsage, setLastUsage] = useState<CompletionUsage | null>(null);
  const loadAbort = useRef<AbortController | null>(null);
  const generationAbort = useRef<AbortController | null>(null);
  const loadingModel = useRef<string | null>(null);

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
    async (entry: CatalogEntry, dtype: Dtype, device: Device | 'auto' = 'auto') => {
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
          },
          { onProgress, signal: controller.signal },
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
      if (!content || generating) return;
      if (!engine.runtimeInfo()) {
        setError({
          code: 'not-loaded',
          message: 'Choose a model and wait until it is ready before sending a message.',
        });
        return;
      }
      setError(null);
      const user: ViewMessage = { id: newId(), role: 'user', content, status: 'complete' };
      const answerId = newId();
      const history = [...messages, user];
      setMessages([...history, { id: answerId, role: 'assistant', content: '', status: 'streaming' }]);
      const controller = new AbortController();
      generationAbort.current = controller;
      setGenerating(true);
      const update = (patch: Partial<ViewMessage> | ((m: ViewMessage) => Partial<ViewMessage>)) =>
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
        const text = pending;
        pending = '';
        if (text) update((m) => ({ content: m.content + text }));
      };
      try {
        const stream = await engine.chat.completions.create({
          messages: history
            .filter((m) => m.content.length > 0 && m.status !== 'error')
            .map((m) => ({ role: m.role, content: m.content })),
          stream: true,
          temperature: generation.temperature,
          max_tokens: generation.maxTokens,
          signal: controller.signal,
        });
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content;
          if (delta) {
            pending += delta;
            frame ||= requestAnimationFrame(flush);
          }
          if (chunk.usage) {
            setLastUsage(chunk.usage);
            update({ usage: chunk.usage, finishReason: chunk.choices[0]?.finish_reason ?? undefined });
          }
        }
        update({ status: 'complete' });
      } catch (e) {
        if (isPetitError(e, 'aborted')) {
          update({ status: 'stopped' });
        } else {
          // The failed exchange stays on screen but is left out of what the model reads next time.
          setMessages((all) =>
            all.map((m) => (m.id === answerId || m.id === user.id ? { ...m, status: 'error' } : m)),
          );
          setError(asShown(e));
          if (isPetitError(e, 'worker-crashed')) {
            setRuntime(null);
            setPhase('idle');
          }
        }
      } finally {
        cancelAnimationFrame(frame);
        flush();
        generationAbort.current = null;
        setGenerating(false);
      }
    },
    [engine, generating, messages, generation.temperature, generation.maxTokens],
  );

  const stop = useCallback(() => generationAbort.current?.abort(), []);
  const clear = useCallback(() => {
    generationAbort.current?.abort();
    setMessages([]);
    setLastUsage(null);
  }, []);
  const dismissError = useCallback(() => setError(null), []);

  return {
    phase,
    download,
    runtime,
    messages,
    error,
    generating,
    lastUsage,
    loadModel,
    cancelLoad,
    send,
    stop,
    clear,
    dismissError,
  };
}
