import type { PetitError } from './errors.ts';
import type { OtherTabs } from './tab-registry.ts';
import type { Dtype, ModelSpec, RuntimeInfo } from './types.ts';

/** Decides whether to load a second copy of a large model another tab holds; see setSecondCopyGuard. */
export type SecondCopyGuard = (model: { repo: string; dtype: Dtype } & OtherTabs) => Promise<boolean>;

/** What the engine tells the app about its worker's health. */
export type EngineEvent =
  | { type: 'crashed'; error: PetitError }
  | { type: 'recovering'; model: string }
  | { type: 'recovered'; runtime: RuntimeInfo }
  | { type: 'recovery-failed'; error: PetitError };

export interface PetitEngineOptions {
  /** Base URL of the model hub; defaults to Hugging Face. */
  hubUrl?: string;
  /** Creates the inference worker. Apps bundling Petit themselves pass their own (see README). */
  createWorker?: () => Worker;
  /** Resolves short catalog ids (e.g. `smollm2-135m-instruct`) to a full spec. */
  resolveModel?: (id: string) => ModelSpec | undefined;
  /**
   * A generation whose worker answers no ping for this long is taken as hung: the worker is replaced and the
   * model reloaded. Default 30 s; until the first token it grows with the prompt (src/engine/hang-limit.ts),
   * since a long prefill on a slow device is one forward pass the worker cannot interrupt to answer.
   */
  hangTimeoutMs?: number;
  /** The same watch while a model loads, where compiling a large model legitimately blocks the worker. Default 5 min. */
  loadHangTimeoutMs?: number;
}
