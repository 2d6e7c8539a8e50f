/**
 * OpenAI-compatible chat completion types (the subset Petit implements), so code written for OpenAI's
 * client can call Petit unchanged. `stream` is the discriminant: `true` gives chunks, otherwise one completion.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatCompletionRequestBase {
  messages: ChatMessage[];
  /** Model id; optional, defaults to the loaded model. */
  model?: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  seed?: number;
  /** Return the log-probability of each generated token (used by the router as a confidence signal). */
  logprobs?: boolean;
  /**
   * Constrains the answer: `json_object` to a JSON object, `json_schema` to JSON matching the schema (the subset
   * of JSON Schema that OpenAI's strict mode accepts; anything else is refused with `invalid-request`). Decoding
   * is constrained token by token, so a complete answer (`finish_reason: 'stop'`) always parses; one cut by
   * `max_tokens` (`length`), a `stop` string or an abort may not.
   */
  response_format?: ResponseFormat;
  /** One answer per request: only 1 is accepted. */
  n?: 1 | null;
  /** Cancels the request; rejects with a PetitError whose code is `aborted` (and name `AbortError`). */
  signal?: AbortSignal;
}

export interface JsonSchemaFormat {
  /** 1 to 64 letters, digits, underscores or dashes. */
  name: string;
  schema: Record<string, unknown>;
  /** Accepted for OpenAI compatibility: Petit always enforces the schema. */
  strict?: boolean | null;
  description?: string;
}

export type ResponseFormat =
  { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; json_schema: JsonSchemaFormat };

export interface ChatCompletionRequestNonStreaming extends ChatCompletionRequestBase {
  stream?: false | null;
}

export interface ChatCompletionRequestStreaming extends ChatCompletionRequestBase {
  stream: true;
}

export type ChatCompletionRequest = ChatCompletionRequestNonStreaming | ChatCompletionRequestStreaming;

export type FinishReason = 'stop' | 'length' | 'abort';

/** Where an answer was computed, as Firebase's hybrid inference labels `inferenceSource`. */
export type InferenceSource = 'on-device' | 'remote';

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** As OpenAI reports it: prompt tokens served from the KV cache of an earlier request, not prefilled again. */
  prompt_tokens_details?: { cached_tokens: number };
  extra: {
    /** Milliseconds from the call to the first generated token. */
    time_to_first_token_ms: number;
    prefill_tokens_per_s: number;
    decode_tokens_per_s: number;
    /** Milliseconds of the whole generation. */
    total_ms: number;
    /**
     * With `logprobs: true`, on backends that can tell: the mean log-probability the model gave the prompt's new
     * tokens (how familiar the request looked to it; the router uses it) and how many tokens that covers.
     */
    prompt_logprob?: { mean: number; tokens: number };
  };
}

export interface TokenLogprob {
  token: string;
  logprob: number;
}

export interface ChatCompletionChoice {
  index: number;
  message: { role: 'assistant'; content: string };
  finish_reason: FinishReason;
  logprobs: { content: TokenLogprob[] } | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage: CompletionUsage;
  inference_source: InferenceSource;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: { role?: 'assistant'; content?: string };
  finish_reason: FinishReason | null;
  logprobs: { content: TokenLogprob[] } | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  /** Present on the last chunk only. */
  usage?: CompletionUsage;
  inference_source: InferenceSource;
}
