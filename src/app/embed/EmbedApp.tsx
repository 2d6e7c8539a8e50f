import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  askableAnswerId,
  effectiveEscalation,
  escalationStatus,
  reachable,
  type EmbedMessageView,
} from '../../chat/widget-escalation.ts';
import { PetitError, type Dtype, type PetitEngine, type RuntimeInfo } from 'petit';
import { toPetitError } from '../../engine/errors.ts';
import { describeError } from '../../i18n/errors.ts';
import { formatPercent } from '../../i18n/format.ts';
import { isLanguage, setLanguage, t as translate } from '../../i18n/index.ts';
import { appCatalog } from '../../models/app-catalog.ts';
import { findByRepo, type CatalogEntry } from '../../models/catalog.ts';
import { PROVIDER_PRESETS } from '../../escalation/index.ts';
import type { HostMessage, WidgetRuntime } from '../../widget/protocol.ts';
import type { WidgetProvider } from '../../widget/widget-provider.ts';
import { Composer } from '../components/Composer.tsx';
import { MarkdownMessage } from '../markdown/index.ts';
import { useOnline } from '../pwa/use-online.ts';
import type { EmbedBridge } from './bridge.ts';
import { ConsentCard } from './ConsentCard.tsx';
import { useEmbedEscalation } from './use-embed-escalation.ts';
import { useEmbedSession } from './use-embed-session.ts';

interface Props {
  engine: PetitEngine;
  bridge: EmbedBridge;
  params: URLSearchParams;
  hubUrl: string;
  temperature: number;
  maxTokens: number;
  /** The deployment's remote model (VITE_PETIT_WIDGET_PROVIDER), or null. */
  provider: WidgetProvider | null;
}

/** The catalog entry the `model` attribute names (catalog id or hub repository), or the deployment's first. */
function resolveEntry(catalog: readonly CatalogEntry[], model: string | null): CatalogEntry | undefined {
  if (!model) return catalog.find((e) => e.dtypes.length > 0);
  return (
    catalog.find((e) => e.id === model) ?? findByRepo(catalog, model) ?? catalog.find((e) => e.repo === model)
  );
}

function chooseDtype(entry: CatalogEntry, wanted: string | null): Dtype | undefined {
  if (wanted && entry.dtypes.includes(wanted as Dtype)) return wanted as Dtype;
  // 8-bit decodes fastest on WASM (BENCHMARKS.md), and a widget usually runs there.
  return entry.dtypes.includes('q8') ? 'q8' : entry.dtypes[0];
}

/** Plain words about threads, in the current language (call it when rendering). */
export function threadNote(runtime: RuntimeInfo): string {
  if (runtime.device === 'webgpu') return translate('embed:threads.gpu');
  if (runtime.crossOriginIsolated) return translate('embed:threads.isolated', { threads: runtime.threads });
  return translate('embed:threads.single');
}

/** Where loading stands; worded when shown. */
type Progress =
  | { step: 'starting' | 'preparing' }
  | { step: 'downloading'; share: number }
  | { step: 'error'; error: unknown };

function progressText(p: Progress): string {
  if (p.step === 'error') return describeError(p.error);
  if (p.step === 'downloading')
    return translate('embed:status.downloading', { percent: formatPercent(p.share) });
  return translate(`embed:status.${p.step}`);
}

/**
 * The latest answer once it has finished, for the polite live region: the region changes only when an answer
 * completes (it empties while the next one streams), so an answer is said once, never token by token.
 */
function completedAnswer(messages: readonly EmbedMessageView[]): string | null {
  const last = messages.findLast((m) => m.role === 'assistant');
  return last?.status === 'complete' && last.content ? last.content : null;
}

export function EmbedApp({ engine, bridge, params, hubUrl, temperature, maxTokens, provider }: Props) {
  const { t } = useTranslation('embed');
  const catalog = appCatalog();
  const entry = useMemo(() => resolveEntry(catalog, params.get('model')), [catalog, params]);
  const dtype = entry && chooseDtype(entry, params.get('dtype'));
  const allowed = useMemo(() => effectiveEscalation(params.get('escalation'), provider), [params, provider]);
  const greeting = params.get('greeting');

  const [phase, setPhase] = useState<'loading' | 'ready' | 'error'>('loading');
  const [progress, setProgress] = useState<Progress>({ step: 'starting' });
  const [runtime, setRuntime] = useState<RuntimeInfo | null>(null);
  const ready = useRef<Promise<void> | null>(null);
  /** The user opened the panel: the keyboard belongs in the composer. */
  const focusWanted = useRef(false);

  // The frame's title is what a screen reader names it by; embed.html's is English until the page starts.
  const title = t('title');
  useEffect(() => {
    document.title = title;
  }, [title]);

  useEffect(() => {
    const theme = params.get('theme');
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  }, [params]);

  // Load the model once; host prompts that arrive earlier wait for it.
  useEffect(() => {
    if (ready.current !== null) return;
    ready.current = (async () => {
      if (!entry || !dtype) {
        const model = params.get('model') ?? '';
        throw new PetitError(
          'model-not-found',
          `This Petit deployment has no model "${model}". Use one of its catalog ids.`,
          { details: { where: 'deployment', model } },
        );
      }
      const info = await engine.load(
        {
          id: entry.repo,
          revision: entry.revision ?? undefined,
          dtype,
          device: 'auto',
          hubUrl: entry.hubUrl ?? hubUrl,
        },
        {
          onProgress: (p) => {
            if (p.status === 'progress' && p.total > 0)
              setProgress({ step: 'downloading', share: Math.floor((100 * p.loaded) / p.total) / 100 });
            else if (p.status === 'compile') setProgress({ step: 'preparing' });
          },
        },
      );
      setRuntime(info);
      setPhase('ready');
    })();
    ready.current.catch((e: unknown) => {
      const error = toPetitError(e);
      setPhase('error');
      setProgress({ step: 'error', error });
    });
  }, [bridge, dtype, engine, entry, hubUrl, params]);

  useEffect(() => {
    if (!runtime) return;
    const info: WidgetRuntime = {
      model: runtime.model,
      device: runtime.device,
      threads: runtime.threads,
      crossOriginIsolated: runtime.crossOriginIsolated,
      note: threadNote(runtime),
    };
    bridge.post({ petit: 1, type: 'ready', runtime: info });
  }, [bridge, runtime]);

  const escalation = useEmbedEscalation(allowed.mode, provider, maxTokens);
  const { newTurn, setNote } = escalation;
  const chat = useEmbedSession({
    engine,
    bridge,
    temperature,
    maxTokens,
    escalator: escalation.escalator,
    setNote,
  });
  const { session, messages, generating } = chat;
  const busy = generating || chat.remoteBusy;
  const online = useOnline();
  const canEscalate = escalation.remote !== null;
  const askable = askableAnswerId(messages);
  const canReach = reachable(online, provider !== null && PROVIDER_PRESETS[provider.presetId].local);

  /** One turn; turns run one after another. `hostId` marks a prompt the host page sent (its answer goes back). */
  const send = useCallback(
    (text: string, hostId?: string) => {
      // A new prompt makes an open card out of date.
      newTurn();
      return session.enqueue(async () => {
        try {
          await ready.current;
        } catch (e) {
          const error = toPetitError(e);
          if (hostId)
            bridge.post({ petit: 1, type: 'error', id: hostId, code: error.code, message: error.message });
          return;
        }
        await session.runTurn(text, hostId);
      });
    },
    [bridge, newTurn, session],
  );

  useEffect(
    () =>
      bridge.listen((message: HostMessage) => {
        if (message.type === 'hello') {
          bridge.post({
            petit: 1,
            type: 'hello',
            model: entry?.id ?? '',
            escalation: allowed.mode,
            requestedEscalation: allowed.requested,
            remote: escalation.remote,
          });
        } else if (message.type === 'open') {
          // The composer is disabled while the model loads: it takes the focus when ready (effect below).
          focusWanted.current = true;
          document.getElementById('prompt')?.focus();
        } else if (message.type === 'close') {
          focusWanted.current = false;
        } else if (message.type === 'language') {
          if (isLanguage(message.lang)) void setLanguage(message.lang);
        } else if (message.type === 'send') {
          if (typeof message.text === 'string' && message.text.trim()) void send(message.text, message.id);
          else
            bridge.post({
              petit: 1,
              type: 'error',
              id: message.id,
              code: 'invalid-request',
              message: 'send: the prompt must be non-empty text.',
            });
        }
      }),
    [allowed, bridge, entry, escalation.remote, send],
  );

  useEffect(() => {
    if (phase === 'ready' && focusWanted.current && document.hasFocus())
      document.getElementById('prompt')?.focus();
  }, [phase]);

  // Escape anywhere in the chat closes the widget's panel (the consent card takes its own Escape first).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) bridge.post({ petit: 1, type: 'close' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [bridge]);

  useEffect(() => {
    bridge.post({
      petit: 1,
      type: 'status',
      phase,
      message: phase === 'ready' ? 'ready' : progressText(progress),
    });
  }, [bridge, phase, progress]);
  const completed = completedAnswer(messages);
  const status = progressText(progress);

  return (
    <main className="embed-app" data-testid="embed-app" data-phase={phase}>
      <h1 className="visually-hidden">{t('title')}</h1>
      <ol className="chat embed-chat" aria-label={t('conversation')}>
        {greeting && (
          <li className="message assistant" data-testid="embed-greeting">
            <div className="bubble">
              <div className="content plain" translate="no">
                {greeting}
              </div>
            </div>
          </li>
        )}
        {messages.map((m) => (
          <li
            key={m.id}
            className={`message ${m.role}${m.status === 'error' ? ' error' : ''}`}
            data-testid={`embed-message-${m.role}`}
            data-status={m.status}
            data-source={m.role === 'assistant' ? m.source : undefined}
          >
            {/* Who wrote it, for a screen reader (the bubbles' colours say it to the eye). */}
            <span className="visually-hidden">
              {m.role === 'user' ? t('author.user') : t('author.assistant')}
            </span>
            <div className="bubble">
              {m.role === 'assistant' && m.status === 'error' && !m.content ? (
                <div className="content plain muted">{t('answer.noRemoteAnswer')}</div>
              ) : m.role === 'assistant' ? (
                <div translate="no">
                  <MarkdownMessage text={m.content} streaming={m.status === 'streaming'} />
                </div>
              ) : (
                <div className="content plain" translate="no">
                  {m.content}
                </div>
              )}
            </div>
            {m.role === 'assistant' && m.status !== 'streaming' && (m.source === 'remote' || canEscalate) && (
              <div className="message-meta">
                <span className="badge" data-testid="embed-answer-source" data-source={m.source}>
                  {m.source === 'remote' ? (
                    <>
                      {t('answer.remote')}
                      {m.modelId && (
                        <>
                          {' ('}
                          <span translate="no">{m.modelId}</span>)
                        </>
                      )}
                    </>
                  ) : (
                    t('answer.local')
                  )}
                </span>
                {m.error && (
                  <span className={m.status === 'error' ? 'error-text' : undefined}>
                    {m.status === 'interrupted' ? t('answer.incomplete') : t('answer.failed')}
                  </span>
                )}
                {m.id === askable && canEscalate && !escalation.card && !busy && (
                  <button
                    type="button"
                    className="button ghost ask-remote"
                    data-testid="embed-ask-remote"
                    disabled={!canReach}
                    title={canReach ? undefined : t('answer.offline')}
                    onClick={() => void session.askLarger(m.id)}
                  >
                    {t('answer.askRemote')}
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
        {escalation.card && (
          <li className="embed-consent-item">
            <ConsentCard card={escalation.card} />
          </li>
        )}
      </ol>
      {escalation.note && (
        <div
          className={`notice embed-note${escalation.note.kind === 'error' ? ' embed-note-error' : ''}`}
          role={escalation.note.kind === 'error' ? 'alert' : 'status'}
          data-testid="embed-note"
          data-kind={escalation.note.kind}
        >
          <p>{escalation.note.text()}</p>
          <button
            type="button"
            className="button ghost"
            onClick={escalation.dismissNote}
            aria-label={t('note.dismiss')}
          >
            <span aria-hidden="true">×</span>
          </button>
        </div>
      )}
      <div className="embed-composer">
        <Composer
          disabled={phase !== 'ready'}
          disabledReason={phase === 'error' ? t('status.loadFailed') : status}
          generating={busy}
          onSend={(text) => void send(text)}
          onStop={() => session.stop()}
        />
        <p className="embed-status muted" data-testid="embed-status">
          {phase === 'ready' && runtime ? (
            <>
              <span data-testid="embed-threads">{threadNote(runtime)}</span>{' '}
              <span data-testid="embed-escalation">{escalationStatus(allowed, escalation.remote)}</span>
            </>
          ) : (
            <span className={phase === 'error' ? 'error-text' : undefined} data-testid="embed-progress">
              {status}
            </span>
          )}
        </p>
      </div>
      <div className="visually-hidden" aria-live="polite" data-testid="embed-announce">
        {completed && (
          <>
            {t('answer.done')} <span translate="no">{completed}</span>
          </>
        )}
      </div>
    </main>
  );
}
