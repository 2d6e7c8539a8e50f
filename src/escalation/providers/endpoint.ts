/**
 * Where a remote provider's requests go: the endpoint resolved from a preset plus the user's settings, checked
 * so that a key is never sent in clear text to another machine.
 */
import { PetitError } from '../../engine/errors.ts';
import {
  PROVIDER_PRESETS,
  URL_PARAM_LABELS,
  isProviderId,
  type ProviderId,
  type ProviderPreset,
} from './presets.ts';

export interface ProviderSettings {
  presetId: ProviderId;
  model?: string;
  /** Overrides the preset's base URL (a proxy, a custom OpenAI-compatible server, the fake provider in tests). */
  baseUrl?: string;
  /** Values for the preset's `{placeholders}` (Azure `resource` and `deployment`, Bedrock `region`). */
  urlParams?: Readonly<Record<string, string>>;
  /** Azure `api-version`; defaults to the preset's. */
  apiVersion?: string;
  apiKey?: string;
  /** Time allowed for the response headers and for every pause between streamed chunks. Default 60 s. */
  timeoutMs?: number;
  /** A 429 whose retry-after is at most this many seconds is retried once automatically. Default 5. */
  maxAutoRetryWaitSeconds?: number;
  /**
   * A 429 without a readable retry-after (absent, or not exposed to the page by CORS) is retried once after
   * this many seconds, capped by maxAutoRetryWaitSeconds. Default 2.
   */
  backoffSeconds?: number;
  /** A name for messages when the preset's label is not right (a custom endpoint). */
  label?: string;
  /**
   * The endpoint adds the key itself (a deployer's proxy in front of the provider, as the widget uses): no key
   * is asked for or sent, whatever the preset's auth.
   */
  keyless?: boolean;
}

export interface ResolvedEndpoint {
  providerId: ProviderId;
  preset: ProviderPreset;
  label: string;
  /** Full URL of the chat endpoint, query included. */
  url: string;
  /** The base URL the paths are appended to (placeholders filled, no query): `…/v1`. */
  base: string;
  /** `host[:port]` of `url`: the only place the key may be sent. */
  host: string;
  model: string;
  timeoutMs: number;
  maxAutoRetryWaitSeconds: number;
  /** Wait before the one retry of a 429 whose retry-after is missing or unreadable (default 2 s). */
  backoffSeconds: number;
  /** No key is sent (see `ProviderSettings.keyless`). */
  keyless: boolean;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

export function resolveEndpoint(settings: ProviderSettings, path: string): ResolvedEndpoint {
  if (!isProviderId(settings.presetId)) {
    throw new PetitError(
      'invalid-request',
      `Unknown provider "${String(settings.presetId)}". Pick one of the presets in Settings.`,
    );
  }
  const preset: ProviderPreset = PROVIDER_PRESETS[settings.presetId];
  const label = settings.label ?? preset.label;
  let base = (settings.baseUrl ?? preset.baseUrl).replace(/\/+$/, '');
  for (const name of preset.urlParams) {
    if (!base.includes(`{${name}}`)) continue;
    const value = settings.urlParams?.[name]?.trim();
    if (!value || !/^[A-Za-z0-9._-]+$/.test(value)) {
      const field = URL_PARAM_LABELS[name] ?? name;
      throw new PetitError(
        'invalid-request',
        `Enter the ${field} for ${label} in Settings → Remote model → ${field} (letters, digits, '.', '_' or '-').`,
        {
          details: { provider: settings.presetId, field: name },
        },
      );
    }
    base = base.replaceAll(`{${name}}`, value);
  }
  let url: URL;
  try {
    url = new URL(`${base}${path}`);
  } catch {
    throw new PetitError(
      'invalid-request',
      `The address for ${label} is not a valid URL. Check it in Settings.`,
      {
        details: { provider: settings.presetId },
      },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PetitError('invalid-request', `The address for ${label} must start with https://.`);
  }
  const keyless = settings.keyless === true || preset.auth.kind === 'none';
  if (url.protocol === 'http:' && !LOOPBACK.test(url.host) && !keyless) {
    // A key over plain HTTP to another machine could be read on the way.
    throw new PetitError(
      'invalid-request',
      `The address for ${label} must use https:// so the API key is not sent in clear text.`,
    );
  }
  const apiVersion = settings.apiVersion?.trim() || preset.apiVersion;
  if (apiVersion) url.searchParams.set('api-version', apiVersion);
  const model = settings.model ?? preset.defaultModel;
  if (!model) throw new PetitError('invalid-request', `Choose a model for ${label} in Settings.`);
  return {
    providerId: settings.presetId,
    preset,
    label,
    url: url.toString(),
    base,
    host: url.host,
    model,
    timeoutMs: settings.timeoutMs ?? 60_000,
    maxAutoRetryWaitSeconds: settings.maxAutoRetryWaitSeconds ?? 5,
    backoffSeconds: Math.min(settings.backoffSeconds ?? 2, settings.maxAutoRetryWaitSeconds ?? 5),
    keyless,
  };
}
