/**
 * The widget's remote model: one endpoint per deployment, set at build time with `VITE_PETIT_WIDGET_PROVIDER`,
 * a JSON object such as `{"presetId":"openai","baseUrl":"https://ai.shop.example/v1","model":"gpt-4o-mini"}`.
 * The widget never holds an API key (anything in the build is public): the endpoint is typically the deployer's
 * own proxy, which adds the key. A local preset (Ollama, LM Studio) may leave `baseUrl` out.
 *
 * Unset means no remote model in the widget. A bad value never breaks the embed: it gives no provider and a
 * problem sentence for the console (and the build's CSP then adds no origin).
 */
import { PetitError } from '../engine/errors.ts';
import { PROVIDER_PRESETS, isProviderId, type ProviderId } from '../escalation/providers/presets.ts';
import { resolveEndpoint, type ProviderSettings } from '../escalation/providers/transport.ts';

export interface WidgetProvider {
  presetId: ProviderId;
  /** The endpoint's base URL; the preset's own only for a server on the user's computer. */
  baseUrl?: string;
  model?: string;
  /** Shown on the consent card instead of the preset's name (e.g. "Shop assistant (GPT-4o mini)"). */
  label?: string;
}

export type WidgetProviderConfig =
  { provider: WidgetProvider; problem: null } | { provider: null; problem: string | null };

const NAME = 'VITE_PETIT_WIDGET_PROVIDER';
const KEYS = new Set(['presetId', 'baseUrl', 'model', 'label']);
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

function invalid(problem: string): WidgetProviderConfig {
  return { provider: null, problem: `${NAME}: ${problem} The widget answers on the device only.` };
}

/** Reads the build-time value; never throws. */
export function parseWidgetProvider(value: string | undefined): WidgetProviderConfig {
  if (value === undefined || value.trim() === '') return { provider: null, problem: null };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return invalid('not valid JSON. Write an object like {"presetId":"openai","baseUrl":"https://…/v1"}.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalid('must be a JSON object with presetId, baseUrl and model.');
  }
  const record = json as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !KEYS.has(k));
  if (unknown.includes('apiKey')) {
    return invalid('holds an apiKey. Never put a key in the build: point baseUrl at a proxy that adds it.');
  }
  if (unknown.length > 0) return invalid(`unknown field(s) ${unknown.join(', ')}.`);
  for (const key of ['baseUrl', 'model', 'label'] as const) {
    if (record[key] !== undefined && (typeof record[key] !== 'string' || record[key] === '')) {
      return invalid(`${key} must be a non-empty string.`);
    }
  }
  const { presetId, baseUrl, model, label } = record as Record<string, string | undefined>;
  if (!isProviderId(presetId)) {
    return invalid(
      `presetId "${String(presetId)}" is not one of ${Object.keys(PROVIDER_PRESETS).join(', ')}.`,
    );
  }
  if (baseUrl === undefined && !PROVIDER_PRESETS[presetId].local) {
    return invalid(`give the baseUrl of an endpoint that adds the key itself (the widget holds no key).`);
  }
  if (baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      return invalid(`baseUrl "${baseUrl}" is not a URL.`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
      // The conversation travels there: in clear text only to this computer.
      return invalid(`baseUrl must start with https:// (http:// only for this computer).`);
    }
    if (baseUrl.includes('{')) return invalid('baseUrl must be the full address, with no {placeholders}.');
  }
  try {
    resolveEndpoint(widgetProviderSettings({ presetId, baseUrl, model }), '');
  } catch (e) {
    return invalid(e instanceof PetitError ? e.message : 'the endpoint cannot be used.');
  }
  const provider: WidgetProvider = { presetId };
  if (baseUrl !== undefined) provider.baseUrl = baseUrl;
  if (model !== undefined) provider.model = model;
  if (label !== undefined) provider.label = label;
  return { provider, problem: null };
}

/** The remote client's settings: always keyless, whatever the preset. */
export function widgetProviderSettings(provider: WidgetProvider): ProviderSettings {
  return { ...provider, keyless: true };
}

/** The origin the build's CSP `connect-src` must allow, or null when there is no (valid) provider. */
export function widgetProviderOrigin(value: string | undefined): string | null {
  const { provider } = parseWidgetProvider(value);
  if (!provider) return null;
  return new URL(provider.baseUrl ?? PROVIDER_PRESETS[provider.presetId].baseUrl).origin;
}
