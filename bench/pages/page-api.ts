/** What the bench pages put on `window.bench`, typed for the runner's page.evaluate calls. */
import type { ChatMessage } from '../lib/prompts.ts';

export interface PageGeneration {
  promptTokens: number;
  completionTokens: number;
  ttftMs: number;
  /** From the first to the last generated token. */
  decodeMs: number;
  /** Prefill as the runtime itself timed it, when it says. */
  prefillMs: number;
  /** Prompt tokens taken from an earlier request's KV cache (chat scenario). */
  cachedTokens?: number;
  text: string;
}

export interface DirectBench {
  load(request: {
    hubUrl: string;
    repo: string;
    dtype: string;
    threads: number;
    /** Which ORT build: the plain CPU-only one Petit runs on WASM (default), or the asyncify one (WebGPU-capable). */
    wasm?: 'asyncify' | 'plain';
    /** Read model_q4.onnx as the q8 rewrite Petit makes on WASM (same graph as Petit). */
    rewriteQ4?: boolean;
    /** ONNX Runtime session options to try. */
    sessionOptions?: Record<string, unknown>;
  }): Promise<{ loadMs: number }>;
  /** `reuse`: prefill only what follows the previous answer's cached tokens (the same PrefixCache as Petit). */
  generate(request: { messages: ChatMessage[]; maxTokens: number; reuse?: boolean }): Promise<PageGeneration>;
}

export interface WllamaBench {
  load(request: { url: string; threads: number; contextTokens: number }): Promise<{
    loadMs: number;
    threads: number;
    multithread: boolean;
  }>;
  /** `bannedIds`: tokens wllama must not emit (see PromptBuilder.invalidUtf8Ids). */
  generate(request: { prompt: string; maxTokens: number; bannedIds: number[] }): Promise<PageGeneration>;
}

export interface DirectWorkerRequest {
  id: number;
  method: 'load' | 'generate';
  args: unknown;
}

export type DirectWorkerReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
