/**
 * The wllama peer page. wllama runs llama.cpp in its own worker; its default build needs memory64 and JSPI
 * (Chromium has both). It takes text prompts only, so it gets the chat-templated text of the same tokens.
 */
import { Wllama } from '@wllama/wllama/esm/index.js';
import type { RawCompletionChunk, RawCompletionParams } from '@wllama/wllama/esm/types/oai-compat';
import type { StreamParams } from '@wllama/wllama/esm/types/types';
import wllamaWasm from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import type { PageGeneration, WllamaBench } from './page-api.ts';

const wllama = new Wllama({ default: wllamaWasm }, { suppressNativeLog: true });

const bench: WllamaBench = {
  async load({ url, threads, contextTokens }) {
    const started = performance.now();
    // Kept in Cache Storage like Petit's model store (wllama's own OPFS cache fails to reload in 3.8.1:
    // "Invalid typed array length").
    const cache = await caches.open('bench-gguf');
    let response = await cache.match(url);
    if (!response) {
      const fetched = await fetch(url);
      if (!fetched.ok) throw new Error(`GGUF download failed: HTTP ${fetched.status}`);
      await cache.put(url, fetched);
      response = (await cache.match(url))!;
    }
    const blob = await response.blob();
    await wllama.loadModel([blob], {
      n_threads: threads,
      n_ctx: contextTokens,
      n_batch: 512,
      n_gpu_layers: 0,
    });
    return {
      loadMs: performance.now() - started,
      threads: wllama.getNumThreads(),
      multithread: wllama.isMultithread(),
    };
  },
  async generate({ prompt, maxTokens, bannedIds }) {
    const start = performance.now();
    let first = 0;
    let last = 0;
    let text = '';
    let timings: { prompt_n: number; predicted_n: number; prompt_ms: number } | undefined;
    const options: RawCompletionParams & StreamParams<RawCompletionChunk> = {
      prompt,
      max_tokens: maxTokens,
      temperature: 0,
      ignore_eos: true,
      stream: true,
      onData: (chunk) => {
        const piece = chunk.choices[0]?.text ?? '';
        if (piece || !chunk.timings) {
          last = performance.now();
          if (first === 0) first = last;
        }
        text += piece;
        if (chunk.timings) timings = chunk.timings;
      },
    };
    // A reply that is not valid UTF-8 makes 3.8.1's completion action fail ("Invalid typed array length"):
    // llama.cpp's server code cannot JSON-encode it. Random weights emit such tokens, so they are banned here,
    // in llama-server's OpenAI form (an id → bias map; the typings only list the array form).
    Object.assign(options, { logit_bias: Object.fromEntries(bannedIds.map((id) => [String(id), -100])) });
    await wllama.createCompletion(options);
    const result: PageGeneration = {
      promptTokens: timings?.prompt_n ?? NaN,
      completionTokens: timings?.predicted_n ?? NaN,
      ttftMs: first - start,
      prefillMs: timings?.prompt_ms ?? NaN,
      decodeMs: last - first,
      text,
    };
    return result;
  },
};
Object.assign(window, { bench });
