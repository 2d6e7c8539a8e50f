import { PROVIDER_PRESETS, type ProviderPreset } from '../escalation/providers/presets.ts';
import { widgetProviderOrigin } from '../widget/widget-provider.ts';

/**
 * The Content Security Policy of the built app, as one string for a `<meta http-equiv>` tag (vite.config.ts
 * injects it into every page) or a response header.
 *
 * - No inline script, no eval: `script-src 'self'` plus `'wasm-unsafe-eval'`, which compiles WebAssembly
 *   (ONNX Runtime, web-llm) and nothing else.
 * - `worker-src 'self' blob:`: the inference worker is a same-origin file; ONNX Runtime's threads may start
 *   from blob: URLs.
 * - `connect-src`: the app, the model hub it was built for (with Hugging Face's download CDNs when that hub is
 *   Hugging Face: `resolve/` answers redirect there, and CSP checks every redirect), the remote providers whose
 *   address is fixed in the presets (they are used only after the user's consent; the policy keeps injected
 *   code from sending anything anywhere else), and loopback, where local servers such as Ollama, LM Studio or
 *   a mirror on this machine live. Azure OpenAI and Bedrock, whose hosts hold the user's resource or region,
 *   are allowed by their documented patterns. A CSP cannot widen at runtime, so another host (a company
 *   mirror, a proxy, a Bedrock region newer than the list) is added at build time with
 *   `VITE_PETIT_CSP_CONNECT`; the widget's remote model (`VITE_PETIT_WIDGET_PROVIDER`) from its own setting.
 * - Images only from the app, `data:` and `blob:`: remote images in answers stay blocked even after consent
 *   lifts the Markdown renderer's own block.
 */
export const HF_DOWNLOAD_HOSTS = ['https://*.huggingface.co', 'https://*.hf.co'];
/** web-llm's prebuilt model libraries (`modelLibURLPrefix`), fetched when the hub is Hugging Face; a mirror
 * serves them under its own origin (workers/backends/webllm-runtime.ts). */
export const MLC_LIB_HOSTS = ['https://raw.githubusercontent.com'];

export const LOOPBACK = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

export interface CspOptions {
  /** The build's default hub (VITE_PETIT_HUB_URL), e.g. https://huggingface.co. */
  hubUrl: string;
  /** More origins, space- or comma-separated (VITE_PETIT_CSP_CONNECT). */
  extraConnect?: string;
  /** The widget's remote model, the raw VITE_PETIT_WIDGET_PROVIDER JSON; an invalid value adds nothing. */
  widgetProvider?: string;
}

function origin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * Origins of the presets whose base URL needs no user-filled `{placeholder}`, and the documented host patterns
 * of those that do (Azure's `*.openai.azure.com`, Bedrock's regional hosts: `cspSources` in the presets).
 */
export function presetOrigins(): string[] {
  const presets: readonly ProviderPreset[] = Object.values(PROVIDER_PRESETS);
  return [
    ...presets
      .map((preset) => preset.baseUrl)
      .filter((url) => !url.includes('{'))
      .map(origin)
      .filter((o): o is string => o !== null && !/^http:\/\/(localhost|127\.0\.0\.1)/.test(o)),
    ...presets.flatMap((preset) => preset.cspSources ?? []),
  ];
}

export function connectSources({ hubUrl, extraConnect = '', widgetProvider }: CspOptions): string[] {
  const hub = origin(hubUrl);
  if (!hub) throw new Error(`VITE_PETIT_HUB_URL must be an http(s) address; got "${hubUrl}".`);
  const extra = extraConnect.split(/[\s,]+/).filter(Boolean);
  for (const value of extra) {
    if (!origin(value) && !/^https?:\/\/\*\.[\w.-]+$/.test(value)) {
      throw new Error(`VITE_PETIT_CSP_CONNECT holds "${value}", which is not an http(s) origin.`);
    }
  }
  const huggingFace =
    new URL(hub).hostname === 'huggingface.co' ? [...HF_DOWNLOAD_HOSTS, ...MLC_LIB_HOSTS] : [];
  const widget = widgetProviderOrigin(widgetProvider);
  return [
    ...new Set([
      "'self'",
      hub,
      ...huggingFace,
      ...presetOrigins(),
      ...LOOPBACK,
      ...extra,
      ...(widget ? [widget] : []),
    ]),
  ];
}

export function contentSecurityPolicy(options: CspOptions): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${connectSources(options).join(' ')}`,
    "img-src 'self' data: blob:",
    // Inline <style> in the HTML pages and React's style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    "manifest-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}
