/**
 * What the app tells the user about an error, in their language: a message per PetitError code from the errors
 * catalog, with the facts the error's `details` carry (file, HTTP status, sizes, seconds to wait…) as arguments,
 * falling back to the error's own message for anything that is not a PetitError. The library's English messages
 * stay as they are for library users; the app shows these. Details may be missing (an error that crossed a
 * postMessage or was reduced to its code): every message then reads without them.
 */
import { ERROR_CODES, isPetitError, type PetitErrorCode } from '../engine/errors.ts';
import { describeHubFile } from '../models/hub-files.ts';
import { formatBytes, formatDuration, formatNumber } from './format.ts';
import { i18next } from './index.ts';

/** A PetitError, or what is left of one after serialization: a code, a message and perhaps its details. */
export interface ErrorLike {
  code: string;
  message?: string;
  details?: Record<string, unknown>;
}

type Details = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

function isCode(value: unknown): value is PetitErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

function originOf(url: string | undefined): string {
  try {
    return url ? new URL(url).origin : 'none';
  } catch {
    return 'none';
  }
}

/** The sub-case a code's message selects (ICU select keys cannot hold a "-"). */
function kindOf(code: PetitErrorCode, d: Details): string {
  const has = (k: string) => d[k] !== undefined && d[k] !== null;
  switch (code) {
    case 'invalid-request':
      if (has('status') && text(d.host)) return 'remote';
      if (d.field === 'response_format' && text(d.keyword)) return 'jsonSchema';
      return text(d.field) ? 'field' : 'other';
    case 'context-length-exceeded':
      return count(d.promptTokens) !== undefined && (count(d.budget) ?? count(d.contextLength)) !== undefined
        ? 'counted'
        : 'other';
    case 'unknown-model':
      if (d.reason === 'unknown-model' && text(d.model) && text(d.host)) return 'remoteModel';
      return d.reason === 'unknown-deployment' && text(d.host) ? 'remoteDeployment' : 'other';
    case 'model-not-found':
      if (d.where === 'deployment') return 'deployment';
      if (has('status') && text(d.url)) return 'hub';
      return text(d.url) ? 'folder' : 'other';
    case 'hub-error':
      return has('status') && text(d.url) ? 'status' : 'other';
    case 'invalid-model-config':
      return text(d.missing) ? 'folder' : 'other';
    case 'invalid-model-file':
      return text(d.url) ? 'missing' : 'other';
    case 'integrity-mismatch':
      return d.reason === 'changed-under-commit' && text(d.commit) ? 'changed' : 'other';
    case 'storage-quota':
      if (count(d.needed) !== undefined && count(d.free) !== undefined) return 'plan';
      return text(d.url) ? 'file' : 'other';
    case 'download-failed':
      if (text(d.url) && count(d.loaded) !== undefined && count(d.total)) return 'resumable';
      return text(d.url) && has('status') ? 'status' : 'other';
    case 'model-too-large':
      return count(d.peakBytes) && count(d.budgetBytes) ? 'measured' : 'other';
    case 'consent-required':
      return !text(d.host) && text(d.mode) ? 'localOnly' : 'other';
    case 'remote-auth':
      if (has('status')) return 'rejected';
      return text(d.provider) && text(d.host) ? 'noKey' : 'other';
    default:
      return 'other';
  }
}

/** Every argument any message takes, from the details (missing facts get a neutral value the messages select on). */
export function errorArguments(code: PetitErrorCode, d: Details = {}): Record<string, string | number> {
  const url = text(d.url);
  const reasons: Record<string, string> = {
    csp: 'csp',
    offline: 'offline',
    'refused-origin': 'refusedOrigin',
    'no-answer': 'noAnswer',
  };
  const retry = count(d.retryAfterSeconds);
  const timeoutMs = count(d.timeoutMs);
  const tokens = count(d.promptTokens);
  const limit = count(d.budget) ?? count(d.contextLength);
  const bytes = (v: unknown) => {
    const n = count(v);
    return n === undefined ? '' : formatBytes(n);
  };
  return {
    kind: kindOf(code, d),
    host: text(d.host) ?? i18next.t('errors:fallback.remote'),
    file: url ? describeHubFile(url) : i18next.t('errors:fallback.file'),
    origin: originOf(url),
    status: d.status === undefined || d.status === null ? 'none' : String(d.status),
    field: text(d.field) ?? '',
    keyword: text(d.keyword) ?? '',
    path: text(d.path) ?? '#',
    model: text(d.model) ?? '',
    missing: text(d.missing) ?? '',
    commit: text(d.commit)?.slice(0, 12) ?? '',
    tokens: tokens === undefined ? '' : formatNumber(tokens),
    limit: limit === undefined ? '' : formatNumber(limit),
    needed: bytes(d.peakBytes ?? d.needed),
    budget: bytes(d.budgetBytes),
    free: bytes(d.free),
    loaded: bytes(d.loaded),
    total: bytes(d.total),
    suggestion: text(d.suggestion) ?? 'none',
    wait: retry === undefined ? 'none' : formatDuration(Math.ceil(retry)),
    timeout: timeoutMs === undefined ? 'none' : formatDuration(Math.round(timeoutMs / 1000)),
    partial: text(d.partialText) ? 'yes' : 'no',
    chars: typeof d.partialText === 'string' ? d.partialText.length : 0,
    reason: reasons[String(d.reason)] ?? 'other',
    provider: d.provider === 'ollama' || d.provider === 'lmstudio' ? d.provider : 'other',
    // The origin a local server must allow: this page's (the embed page's, in the widget).
    pageOrigin: globalThis.location?.origin ?? '',
  };
}

function asErrorLike(error: unknown): { code: PetitErrorCode; details: Details } | null {
  if (isPetitError(error)) return { code: error.code, details: error.details ?? {} };
  if (typeof error === 'object' && error !== null && isCode((error as ErrorLike).code)) {
    const details = (error as ErrorLike).details;
    return {
      code: (error as ErrorLike).code as PetitErrorCode,
      details: typeof details === 'object' && details !== null ? details : {},
    };
  }
  return null;
}

/** The message for an error, in the current language. */
export function describeError(error: unknown): string {
  const known = asErrorLike(error);
  if (known) {
    const args = errorArguments(known.code, known.details);
    const message = String(i18next.t(`errors:${known.code}` as never, args));
    // Without details a message may start with the fallback "the remote server" (never with a host name).
    const fallback = i18next.t('errors:fallback.remote');
    return message.startsWith(fallback) ? message.charAt(0).toUpperCase() + message.slice(1) : message;
  }
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as ErrorLike).message === 'string')
    return (error as ErrorLike).message!;
  return String(error);
}
