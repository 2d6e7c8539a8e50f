/// <reference lib="webworker" />
/**
 * transformers.js used the way its documentation shows, with the same self-hosted ORT wasm as Petit's backend on WASM and
 * the same thread count; timings are taken here, next to generate(), so they carry none of Petit's layers.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  BaseStreamer,
  env,
  type DynamicCache,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortPlainWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import ortPlainMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import { NO_REUSE, PrefixCache, tokenIds, type PrefixReuse } from '../../workers/backends/prefix-cache.ts';
import { rewriteQ4ToQ8 } from '../../workers/backends/q4-to-q8.ts';
import type { ChatMessage } from '../lib/prompts.ts';
import type { DirectWorkerReply, DirectWorkerRequest, PageGeneration } from './page-api.ts';

let model: PreTrainedModel | null = null;
let tokenizer: PreTrainedTokenizer | null = null;

class TimingStreamer extends BaseStreamer {
  promptSeen = false;
  first = 0;
  last = 0;
  tokens = 0;
  override put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    this.last = performance.now();
    if (this.tokens === 0) this.first = this.last;
    this.tokens += value[0]!.length;
  }
  override end(): void {}
}

async function load({
  hubUrl,
  repo,
  dtype,
  threads,
  wasm = 'plain',
  rewriteQ4 = false,
  sessionOptions,
}: {
  hubUrl: string;
  repo: string;
  dtype: string;
  threads: number;
  /** Which ORT build: the plain CPU-only one Petit runs on WASM (default), or the asyncify one (WebGPU-capable). */
  wasm?: 'asyncify' | 'plain';
  /** Read model_q4.onnx as the q8 rewrite Petit makes on WASM, so both run the same graph. */
  rewriteQ4?: boolean;
  /** ONNX Runtime session options to try (`npm run bench -- --direct '{"sessionOptions":{…}}'`). */
  sessionOptions?: Record<string, unknown>;
}) {
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = `${hubUrl}/`;
  env.useBrowserCache = true;
  // Its default imports ORT's script from a blob: URL, which the app's Content Security Policy (served for
  // every page of this build) refuses; Petit's backend turns it off too.
  env.useWasmCache = false;
  if (rewriteQ4) {
    // transformers.js keeps what this returns in its browser cache: the rewrite is made on the first load only.
    env.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!/\/onnx\/model_q4\.onnx$/.test(url) || !response.ok) return response;
      const { model } = rewriteQ4ToQ8(new Uint8Array(await response.arrayBuffer()));
      if (!model) throw new Error('the q4 model has nothing to rewrite');
      return new Response(model, { headers: { 'content-length': String(model.byteLength) } });
    };
  }
  const onnx = env.backends.onnx;
  if (onnx.wasm) {
    onnx.wasm.wasmPaths = {
      wasm: new URL(wasm === 'plain' ? ortPlainWasmUrl : ortWasmUrl, self.location.href).href,
      mjs: new URL(wasm === 'plain' ? ortPlainMjsUrl : ortMjsUrl, self.location.href).href,
    };
    onnx.wasm.numThreads = threads;
    onnx.wasm.proxy = false;
  }
  tokenizer = await AutoTokenizer.from_pretrained(repo);
  model = await AutoModelForCausalLM.from_pretrained(repo, {
    dtype: dtype as 'q4',
    device: 'wasm',
    ...(sessionOptions ? { session_options: sessionOptions } : {}),
  });
  return null;
}

/**
 * The previous answer's KV cache, reused the way Petit's backend does (the same PrefixCache, longest common
 * prefix of token ids), so that the chat scenario compares the two without Petit's layers.
 */
const held = new PrefixCache();

async function generate({
  messages,
  maxTokens,
  reuse = false,
}: {
  messages: ChatMessage[];
  maxTokens: number;
  reuse?: boolean;
}): Promise<PageGeneration> {
  if (!model || !tokenizer) throw new Error('load first');
  const start = performance.now();
  const inputs = tokenizer.apply_chat_template(messages, {
    add_generation_prompt: true,
    tokenize: true,
    return_dict: true,
  }) as unknown as { input_ids: Tensor; attention_mask: Tensor };
  const promptIds = tokenIds(inputs.input_ids);
  const streamer = new TimingStreamer();
  const run = (cached: PrefixReuse) =>
    model!.generate({
      ...inputs,
      ...(cached.pastKeyValues ? { past_key_values: cached.pastKeyValues } : {}),
      return_dict_in_generate: reuse,
      max_new_tokens: maxTokens,
      do_sample: false,
      streamer,
    } as unknown as Parameters<PreTrainedModel['generate']>[0]) as unknown as Promise<{
      sequences?: Tensor;
      past_key_values?: DynamicCache;
    }>;
  let sequence: number[];
  let cachedTokens = 0;
  if (reuse) ({ sequence, cachedTokens } = await held.generate(promptIds, run));
  else sequence = tokenIds((await run(NO_REUSE)) as unknown as Tensor);
  const promptTokens = inputs.input_ids.dims.at(-1) ?? 0;
  const ids = sequence.slice(promptTokens);
  return {
    promptTokens,
    cachedTokens,
    completionTokens: streamer.tokens,
    ttftMs: streamer.first - start,
    prefillMs: streamer.first - start,
    decodeMs: streamer.last - streamer.first,
    text: tokenizer.decode(ids, { skip_special_tokens: true }),
  };
}

self.onmessage = async (event: MessageEvent<DirectWorkerRequest>) => {
  const { id, method, args } = event.data;
  let reply: DirectWorkerReply;
  try {
    const value =
      method === 'load'
        ? await load(args as Parameters<typeof load>[0])
        : await generate(args as Parameters<typeof generate>[0]);
    reply = { id, ok: true, value };
  } catch (error) {
    reply = {
      id,
      ok: false,
      error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
    };
  }
  self.postMessage(reply);
};
