import type { FinishReason, TokenLogprob } from '../../src/engine/protocol.ts';
import type { BackendName, Device, Dtype } from '../../src/engine/types.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';

/** A model ready to load: every file already sits complete in the model store. */
export interface BackendLoadRequest {
  repo: string;
  revision: string;
  hubUrl: string;
  dtype: Dtype;
  device: Device;
  threads: number;
  /** Reuse the KV cache of the previous request when the new prompt starts with its tokens. Default true. */
  kvCache?: boolean;
}

export interface LoadedModel {
  contextLength: number;
  /** Where the load's time went, in order (e.g. tokenizer, ONNX session), in milliseconds. */
  phases?: LoadPhase[];
}

export interface LoadPhase {
  name: string;
  ms: number;
}

export interface GenerationTimings {
  timeToFirstTokenMs: number;
  prefillMs: number;
  decodeMs: number;
  totalMs: number;
}

export interface GenerationOutcome {
  text: string;
  finishReason: FinishReason;
  /** Tokens of the whole prompt, as the model saw it. */
  promptTokens: number;
  /** Tokens actually run through the model this time, when a KV cache held the rest (prefill speed uses these). */
  prefilledTokens?: number;
  completionTokens: number;
  timings: GenerationTimings;
  logprobs: TokenLogprob[] | null;
  /**
   * With `logprobs`: the mean log-probability the model gave the prompt tokens it read this time (how familiar the
   * request looked to it), and how many; absent where the backend cannot tell.
   */
  promptLogprob?: { mean: number; tokens: number };
}

/** Receives text as it is generated; `logprobs` holds one entry per token that produced the delta. */
export type TextSink = (delta: string, logprobs: TokenLogprob[] | null) => void;

/** One interface, several runtimes (transformers.js on ONNX Runtime, web-llm). Backends never touch the DOM. */
export interface Backend {
  readonly name: BackendName;
  load(request: BackendLoadRequest): Promise<LoadedModel>;
  /** Counts the tokens of a conversation once the chat template is applied. */
  countTokens(params: Pick<GenerationParams, 'messages'>): Promise<number>;
  generate(params: GenerationParams, sink: TextSink): Promise<GenerationOutcome>;
  /** Ends the running generation at the next token; the model stays loaded. */
  interrupt(): void;
  unload(): Promise<void>;
}
