import type { TokenLogprob } from '../../src/engine/protocol.ts';
import type { BackendName, Device, Dtype } from '../../src/engine/types.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import type { GenerationOutcome } from '../../src/engine/worker-protocol.ts';

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

export type { GenerationOutcome, GenerationTimings } from '../../src/engine/worker-protocol.ts';

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
