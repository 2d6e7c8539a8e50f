import { useCallback, useEffect, useRef, useState } from 'react';
import {
  isPetitError,
  type BackendPreference,
  type CompletionUsage,
  type Device,
  type Dtype,
  type LoadProgress,
  type PetitEngine,
  type PetitErrorCode,
  type RuntimeInfo,
} from 'petit';
import { toPetitError, type PetitError } from '../../engine/errors.ts';
import { describeError } from '../../i18n/errors.ts';
import { t } from '../../i18n/index.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { announceModelsChanged } from '../../models/local-import.ts';
import { ModelStore, modelPrefix } from '../../models/store.ts';
import type { ConversationsApi } from './use-conversations.ts';
import type { Escalator } from '../../chat/escalation.ts';
import type { SessionEvents } from '../../chat/session.ts';
import { useAppSession } from './use-app-session.ts';
import { contextNoticeText } from '../context-notice.ts';

export interface ShownError {
  code: PetitErrorCode;
  /** The library's English message; the app shows `describeError(error)` in the user's language. */
  message: string;
  error?: PetitError;
}

/** A notice worded when it is shown, so that it follows a change of language. */
export interface Notice {
  text(): string;
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
  return { code: e.code, message: e.message, error: e };
}

/** The chat's state machine: which model is loaded and the running generation, saved as it streams. */
export function usePetit(
  engine: PetitEngine,
  hubUrl: string,
  generation: GenerationSettings,
  conversations: ConversationsApi,
  /** Route → consent → remote after each local answer, and the app's side of it (savings, notes, learning). */
  escalation?: { escalator: Escalator; sessionEvents: SessionEvents },
) {
  const [phase, setPhase] = useState<LoadPhase>('idle');
  const [download, setDownload] = useState<DownloadView | null>(null);
  const [runtime, setRuntime] = useState<RuntimeInfo | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [generating, setGenerating] = useState(false);
  const [remoteBusy, setRemoteBusy] = useState(false);
  const [lastUsage, setLastUsage] = useState<CompletionUsage | null>(null);
  const loadAbort = useRef<AbortController | null>(null);
  const loadingModel = useRef<string | null>(null);

  // The engine replaces a crashed or hung worker and reloads the model by itself; the UI says what happens.
  useEffect(
    () =>
      engine.subscribe((event) => {
        if (event.type === 'crashed') {
          setRuntime(null);
          setPhase('loading');
          const reason = event.error;
          setNotice({ text: () => t('common:notices.crashed', { reason: describeError(reason) }) });
        } else if (event.type === 'recovered') {
          setRuntime(event.runtime);
          setPhase('ready');
          setNotice({ text: () => t('common:notices.recovered') });
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

  const session = useAppSession(
    engine,
    generation,
    conversations,
    { setError, setLastUsage },
    escalation?.escalator ?? null,
  );
  const sessionEvents = escalation?.sessionEvents;
  useEffect(() => (sessionEvents ? session.listen(sessionEvents) : undefined), [session, sessionEvents]);

  const send = useCallback(
    async (text: string) => {
      const content = text.trim();
      if (!content || generating) return;
      setError(null);
      setNotice(null);
      const result = await session.send(content);
      if (result.status === 'not-loaded') setError(asShown(result.error));
    },
    [generating, session],
  );

  useEffect(
    () =>
      session.listen({
        busy: (state) => {
          setGenerating(state.generating);
          setRemoteBusy(state.remote);
        },
        // src/chat words this notice (in English until it moves to a catalog).
        contextNotice: (notice) => setNotice({ text: () => contextNoticeText(notice) }),
      }),
    [session],
  );

  /** Stops the answer streaming now (local or remote); what arrived is kept, marked as stopped. */
  const stop = useCallback(() => session.stop(), [session]);
  const askLargeModel = useCallback((answerId: string) => session.askLarger(answerId), [session]);
  const dismissError = useCallback(() => setError(null), []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  return {
    phase,
    download,
    runtime,
    error,
    notice,
    generating,
    /** A remote answer is streaming. */
    remoteBusy,
    lastUsage,
    loadModel,
    cancelLoad,
    send,
    stop,
    askLargeModel,
    dismissError,
    dismissNotice,
  };
}
