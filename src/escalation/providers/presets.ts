/**
 * Remote provider presets as typed data. Base URLs and auth headers were checked on 2026-11-22 against each
 * provider's documentation (through the search index; URLs in `docsUrl`). `{resource}`, `{deployment}` and
 * `{region}` are filled from the user's settings. `streamUsage` says whether the endpoint accepts
 * `stream_options.include_usage` (Cohere's compatibility API rejects it; where unsure, false: usage is then
 * estimated locally).
 */

export type ProviderProtocol = 'openai' | 'anthropic';

export type ProviderAuth =
  /** `Authorization: Bearer <key>` */
  | { kind: 'bearer' }
  /** The key in a named header (`api-key` for Azure, `x-api-key` for Anthropic). */
  | { kind: 'header'; header: string }
  /** No key (servers on the user's own machine). */
  | { kind: 'none' };

export interface ProviderPreset {
  label: string;
  protocol: ProviderProtocol;
  /** Base URL; the client appends `/chat/completions` (OpenAI) or `/messages` (Anthropic). */
  baseUrl: string;
  /** Names of `{placeholders}` in baseUrl the user must fill in. */
  urlParams: readonly string[];
  auth: ProviderAuth;
  /** Query parameter `api-version` (Azure). */
  apiVersion?: string;
  /** Sent with every request besides the key. */
  headers: Readonly<Record<string, string>>;
  streamUsage: boolean;
  /** Name of the output-length field in the body. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Runs on the user's own machine (nothing leaves it). */
  local: boolean;
  defaultModel: string;
  models: readonly string[];
  docsUrl: string;
}

export const PROVIDER_PRESETS = {
  openai: {
    label: 'OpenAI',
    protocol: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: true,
    maxTokensField: 'max_completion_tokens',
    local: false,
    defaultModel: 'gpt-4o-mini',
    models: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini'],
    docsUrl: 'https://platform.openai.com/docs/api-reference/chat',
  },
  'azure-openai': {
    label: 'Azure OpenAI',
    protocol: 'openai',
    baseUrl: 'https://{resource}.openai.azure.com/openai/deployments/{deployment}',
    urlParams: ['resource', 'deployment'],
    auth: { kind: 'header', header: 'api-key' },
    apiVersion: '2024-10-21',
    headers: {},
    streamUsage: true,
    maxTokensField: 'max_completion_tokens',
    local: false,
    defaultModel: 'gpt-4o-mini',
    models: ['gpt-4o-mini', 'gpt-4o'],
    docsUrl: 'https://learn.microsoft.com/azure/ai-services/openai/reference',
  },
  mistral: {
    label: 'Mistral',
    protocol: 'openai',
    baseUrl: 'https://api.mistral.ai/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'mistral-small-latest',
    models: ['mistral-small-latest', 'mistral-large-latest'],
    docsUrl: 'https://docs.mistral.ai/api/',
  },
  groq: {
    label: 'Groq',
    protocol: 'openai',
    baseUrl: 'https://api.groq.com/openai/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: true,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'llama-3.3-70b-versatile',
    models: ['llama-3.3-70b-versatile'],
    docsUrl: 'https://console.groq.com/docs/openai',
  },
  openrouter: {
    label: 'OpenRouter',
    protocol: 'openai',
    baseUrl: 'https://openrouter.ai/api/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: { 'X-Title': 'Petit' },
    streamUsage: true,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'openai/gpt-4o-mini',
    models: ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4'],
    docsUrl: 'https://openrouter.ai/docs/api-reference/overview',
  },
  together: {
    label: 'Together AI',
    protocol: 'openai',
    baseUrl: 'https://api.together.ai/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    models: ['meta-llama/Llama-3.3-70B-Instruct-Turbo'],
    docsUrl: 'https://docs.together.ai/docs/inference/openai-compatibility',
  },
  gemini: {
    label: 'Google Gemini',
    protocol: 'openai',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'gemini-2.5-flash',
    models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
    docsUrl: 'https://ai.google.dev/gemini-api/docs/openai',
  },
  cohere: {
    label: 'Cohere',
    protocol: 'openai',
    baseUrl: 'https://api.cohere.ai/compatibility/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'command-a-03-2025',
    models: ['command-a-03-2025'],
    docsUrl: 'https://docs.cohere.com/docs/compatibility-api',
  },
  bedrock: {
    label: 'Amazon Bedrock',
    protocol: 'openai',
    baseUrl: 'https://bedrock-runtime.{region}.amazonaws.com/openai/v1',
    urlParams: ['region'],
    auth: { kind: 'bearer' },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'openai.gpt-oss-120b-1:0',
    models: ['openai.gpt-oss-120b-1:0', 'openai.gpt-oss-20b-1:0'],
    docsUrl: 'https://docs.aws.amazon.com/bedrock/latest/userguide/inference-chat-completions.html',
  },
  ollama: {
    label: 'Ollama (this computer)',
    protocol: 'openai',
    baseUrl: 'http://localhost:11434/v1',
    urlParams: [],
    auth: { kind: 'none' },
    headers: {},
    streamUsage: true,
    maxTokensField: 'max_tokens',
    local: true,
    defaultModel: 'llama3.1:8b',
    models: ['llama3.1:8b', 'qwen2.5:14b'],
    docsUrl: 'https://github.com/ollama/ollama/blob/main/docs/openai.md',
  },
  lmstudio: {
    label: 'LM Studio (this computer)',
    protocol: 'openai',
    baseUrl: 'http://localhost:1234/v1',
    urlParams: [],
    auth: { kind: 'none' },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: true,
    defaultModel: 'local-model',
    models: ['local-model'],
    docsUrl: 'https://lmstudio.ai/docs/app/api/endpoints/openai',
  },
  anthropic: {
    label: 'Anthropic',
    protocol: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    urlParams: [],
    auth: { kind: 'header', header: 'x-api-key' },
    // The last header is Anthropic's explicit opt-in for calls from a browser (without it CORS is refused).
    headers: { 'anthropic-version': '2023-06-01', 'anthropic-dangerous-direct-browser-access': 'true' },
    streamUsage: true,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'claude-sonnet-4-20250514',
    models: ['claude-sonnet-4-20250514', 'claude-3-5-haiku-latest', 'claude-opus-4-1-20250805'],
    docsUrl: 'https://docs.anthropic.com/en/api/messages',
  },
} as const satisfies Record<string, ProviderPreset>;

export type ProviderId = keyof typeof PROVIDER_PRESETS;

export const PROVIDER_IDS = Object.keys(PROVIDER_PRESETS) as ProviderId[];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && Object.hasOwn(PROVIDER_PRESETS, value);
}
