/** Shapes of what the bench records (bench/results/<date>.json). */
import type { Machine } from './machine.ts';
import type { Summary } from './stats.ts';

export const RUNTIMES = ['petit', 'direct', 'native', 'wllama'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export const RUNTIME_LABEL: Record<Runtime, string> = {
  petit: 'Petit (page → engine → worker → transformers.js, WASM)',
  direct: 'transformers.js direct (own worker, WASM; q4 files read as the same q8 rewrite Petit makes)',
  native: 'onnxruntime-node (native)',
  wllama: 'wllama (llama.cpp WASM, GGUF)',
};

/** One generation, timed by the runtime's caller. */
export interface GenerationRun {
  promptTokens: number;
  completionTokens: number;
  /** From the request to the first generated token (prefill included). */
  ttftMs: number;
  prefillTokPerS: number;
  /** (completion tokens − 1) / time from the first to the last token. */
  decodeTokPerS: number;
}

export interface ChatTurn {
  promptTokens: number;
  /** Prompt tokens whose keys and values came from the previous turn's cache. */
  cachedTokens: number;
  completionTokens: number;
  /** From the request to the first token of the answer (tokenisation and prefill included). */
  ttftMs: number;
}

export interface ChatScenario {
  reuse: boolean;
  turns: ChatTurn[];
  /** Peak PSS of the browser over the whole scenario (load and every turn), and before the load. */
  peakPssBytes?: number;
  idlePssBytes?: number;
  error?: string;
}

export interface RuntimeResult {
  runtime: Runtime;
  /** Why it did not run, when it did not. */
  skipped?: string;
  error?: string;
  /** The file it ran (ONNX or GGUF) and its size. */
  file: string;
  fileBytes: number;
  threads: number;
  runs: (GenerationRun & { loadMs: number })[];
  loadMs: Summary | null;
  ttftMs: Summary | null;
  prefillTokPerS: Summary | null;
  decodeTokPerS: Summary | null;
  /** Peak summed RSS/PSS of the browser's renderer, GPU and utility processes (browser runtimes). */
  peakRssBytes?: number;
  peakPssBytes?: number;
  /** The same before the model was loaded (an empty page). */
  idleRssBytes?: number;
  idlePssBytes?: number;
  /**
   * The chat scenario: a fresh page, the model loaded from the store, then N user turns answered one after the
   * other, each prompt holding the whole conversation so far; with the KV cache reused across turns and without.
   */
  chat?: ChatScenario[];
  /** Decode tokens/s after a prompt of N tokens (one run each). */
  contextScaling?: { contextTokens: number; completionTokens: number; decodeTokPerS: number }[];
  notes: string[];
}

export interface CaseResult {
  preset: string;
  dtype: string;
  ggufType: string;
  promptVariant: number;
  /** 1-minute load average when the case started. */
  loadAverage: number;
  results: RuntimeResult[];
}

export interface BenchReport {
  kind: 'full' | 'quick';
  date: string;
  label: string;
  durationS: number;
  machine: Machine;
  settings: {
    runs: number;
    promptTokens: number;
    newTokens: number;
    threads: number;
    contexts: number[];
    contextNewTokens?: number;
    chatTurns?: number;
    chatUserTokens?: number;
    chatAnswerTokens?: number;
  };
  cases: CaseResult[];
  webgpu?: { model: string; ok: boolean; note: string; tokensCompared?: number; tokensAgreeing?: number };
}
