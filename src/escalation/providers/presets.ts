/**
 * Remote provider presets as typed data. Base URLs and auth headers were checked on 2026-11-22 against each
 * provider's documentation (through the search index; URLs in `docsUrl`), the model ids and list endpoints on
 * PRESET_MODELS_DATE. `{resource}`, `{deployment}` and `{region}` are filled from the user's settings.
 * `streamUsage` says whether the endpoint accepts `stream_options.include_usage` (Cohere's compatibility API
 * rejects it; where unsure, false: usage is then estimated locally).
 *
 * `models` is only a dated fallback: where the provider has a list endpoint (`modelsPath`), the list it
 * returns replaces it (Settings → Remote model → "Get the provider's models").
 */

/** When the fallback model lists below were last read on the providers' documentation. */
export const PRESET_MODELS_DATE = '2026-12-03';

/** Labels of the `{placeholders}` as Settings → Remote model shows them (errors name these fields). */
export const URL_PARAM_LABELS: Readonly<Record<string, string>> = {
  resource: 'Resource name',
  deployment: 'Deployment name',
  region: 'Region',
};

/**
 * Bedrock Runtime regions. US, Canada, Europe and Asia Pacific are from AWS's "Regional availability by endpoints"
 * page (read 2026-12-03 through the search index, whose copy was cut before the Middle East); af-south-1 from its
 * "Amazon Bedrock endpoints and quotas" control-plane table; the Middle East, South America, Mexico and GovCloud
 * entries were not read there and are a best guess. A CSP source cannot put a wildcard in the middle of a host
 * (`bedrock-runtime.*.amazonaws.com` is invalid) and `*.amazonaws.com` would also allow every S3 bucket, so the
 * built policy lists each regional host; another region needs VITE_PETIT_CSP_CONNECT.
 */
export const BEDROCK_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'af-south-1',
  // Not read on AWS's pages (see above).
  'me-central-1',
  'me-south-1',
  'il-central-1',
  'sa-east-1',
  'mx-central-1',
  'us-gov-east-1',
  'us-gov-west-1',
] as const;

export type ProviderProtocol = 'openai' | 'anthropic';

export type ProviderAuth =
  /** `Authorization: Bearer <key>`; `optional`: sent only when one is stored (LM Studio's optional token). */
  | { kind: 'bearer'; optional?: boolean }
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
  /**
   * Path of the provider's model list under the base URL (`/models`: OpenAI-compatible `GET /v1/models` and
   * Anthropic's), or null where there is none (an Azure deployment is the model; Bedrock Runtime's
   * OpenAI-compatible API has only chat completions).
   */
  modelsPath: '/models' | null;
  /**
   * CSP `connect-src` sources for a base URL with `{placeholders}` (which cannot go in the policy as such): the
   * documented host patterns the built app allows.
   */
  cspSources?: readonly string[];
  /** Sends OpenRouter's app attribution headers (`HTTP-Referer`: the page's origin, `X-OpenRouter-Title`). */
  attribution?: boolean;
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
    // gpt-4o-mini and gpt-4.1-mini shut down on 2027-01-14 (OpenAI's deprecations page); gpt-6-luna is the
    // replacement it names. The live list (GET /v1/models, with each model's `shutdown_date`) is the truth.
    defaultModel: 'gpt-6-luna',
    models: ['gpt-6-luna', 'gpt-6.1-sol', 'gpt-4o-mini', 'gpt-4.1-mini'],
    docsUrl: 'https://platform.openai.com/docs/api-reference/chat',
    modelsPath: '/models',
  },
  'azure-openai': {
    label: 'Azure OpenAI',
    protocol: 'openai',
    baseUrl: 'https://{resource}.openai.azure.com/openai/deployments/{deployment}',
    urlParams: ['resource', 'deployment'],
    auth: { kind: 'header', header: 'api-key' },
    // The latest GA data-plane inference version of the deployments API the docs list.
    apiVersion: '2024-10-21',
    headers: {},
    streamUsage: true,
    maxTokensField: 'max_completion_tokens',
    local: false,
    // The deployment in the URL picks the model; the body's `model` is informational.
    defaultModel: 'gpt-4o-mini',
    models: ['gpt-4o-mini', 'gpt-4.1-mini'],
    docsUrl: 'https://learn.microsoft.com/azure/ai-services/openai/reference',
    modelsPath: null,
    // Resources are https://{resource}.openai.azure.com; resources made in Azure AI Foundry are said to answer
    // on {resource}.cognitiveservices.azure.com with the same paths (not read on Microsoft's pages: unverified).
    // That host needs the Address field; the policy allows both.
    cspSources: ['https://*.openai.azure.com', 'https://*.cognitiveservices.azure.com'],
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
    modelsPath: '/models',
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
    modelsPath: '/models',
  },
  openrouter: {
    label: 'OpenRouter',
    protocol: 'openai',
    baseUrl: 'https://openrouter.ai/api/v1',
    urlParams: [],
    auth: { kind: 'bearer' },
    headers: {},
    attribution: true,
    streamUsage: true,
    maxTokensField: 'max_tokens',
    local: false,
    defaultModel: 'openai/gpt-4o-mini',
    models: ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4'],
    docsUrl: 'https://openrouter.ai/docs/api-reference/overview',
    modelsPath: '/models',
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
    modelsPath: '/models',
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
    // Gemini 2.5 has announced shutdown dates; the live list (GET /v1beta/openai/models) names what replaced it.
    defaultModel: 'gemini-2.5-flash',
    models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
    docsUrl: 'https://ai.google.dev/gemini-api/docs/openai',
    modelsPath: '/models',
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
    modelsPath: '/models',
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
    // "Amazon Bedrock currently doesn't support the other OpenAI Chat completion API operations."
    modelsPath: null,
    cspSources: BEDROCK_REGIONS.map((region) => `https://bedrock-runtime.${region}.amazonaws.com`),
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
    modelsPath: '/models',
  },
  lmstudio: {
    label: 'LM Studio (this computer)',
    protocol: 'openai',
    baseUrl: 'http://localhost:1234/v1',
    urlParams: [],
    // LM Studio can require an API token (its server's "Require authentication"); off by default.
    auth: { kind: 'bearer', optional: true },
    headers: {},
    streamUsage: false,
    maxTokensField: 'max_tokens',
    local: true,
    defaultModel: 'local-model',
    models: ['local-model'],
    docsUrl: 'https://lmstudio.ai/docs/app/api/endpoints/openai',
    modelsPath: '/models',
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
    // Claude Sonnet 4 and Opus 4 were retired on 2026-06-15 and 3.5 Haiku before (Anthropic's model
    // deprecations page); ids from its model pages (Sonnet 5 is "legacy" there). GET /v1/models is the truth.
    defaultModel: 'claude-sonnet-5-5',
    models: ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-haiku-4-5', 'claude-sonnet-5'],
    docsUrl: 'https://docs.anthropic.com/en/api/messages',
    modelsPath: '/models',
  },
} as const satisfies Record<string, ProviderPreset>;

export type ProviderId = keyof typeof PROVIDER_PRESETS;

export const PROVIDER_IDS = Object.keys(PROVIDER_PRESETS) as ProviderId[];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && Object.hasOwn(PROVIDER_PRESETS, value);
}
