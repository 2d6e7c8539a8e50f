import type { TokenLogprob } from '../../src/engine/protocol.ts';
import type { BackendName, Device, Dtype } from '../../src/engine/types.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import type { GenerationOutcome } from '../../src/engine/worker-protocol.ts';
import type { MemoryBudget } from '../../src/models/capabilities.ts';
import type { CatalogEntry } from '../../src/models/catalog.ts';
import type { ProgressTracker } from '../../src/models/load-progress.ts';

/** A model to prepare, then load: once `prepare` resolves, every file sits complete in the model store. */
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

/** What `prepare` reports to and is bound by while it puts the model's files in the store. */
export interface PrepareHooks {
  tracker: ProgressTracker;
  signal: AbortSignal;
  /** The catalog's record of the model (pinned sizes and hashes), if it has one. */
  entry: CatalogEntry | undefined;
  /** What the tab can count on: weights whose peak exceeds it are refused before their body is downloaded. */
  memoryBudget?: MemoryBudget | null;
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
  /** Puts every file `load` needs in the model store (downloading what is missing); the only step that fetches. */
  prepare(request: BackendLoadRequest, hooks: PrepareHooks): Promise<void>;
  /** Loads the model from the model store alone: a file missing there is an `invalid-model-file`, never a download. */
  load(request: BackendLoadRequest): Promise<LoadedModel>;
  /** Counts the tokens of a conversation once the chat template is applied. */
  countTokens(params: Pick<GenerationParams, 'messages'>): Promise<number>;
  generate(params: GenerationParams, sink: TextSink): Promise<GenerationOutcome>;
  /** Ends the running generation at the next token; the model stays loaded. */
  interrupt(): void;
  unload(): Promise<void>;
}
