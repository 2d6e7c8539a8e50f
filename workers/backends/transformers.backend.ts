import {
  AutoModelForCausalLM,
  AutoTokenizer,
  BaseStreamer,
  LogitsProcessor,
  StoppingCriteria,
  TopPLogitsWarper,
  env,
  random,
  type DynamicCache,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { ortWasmPaths } from './ort-wasm.ts';
import { PetitError } from '../../src/engine/errors.ts';
import type { FinishReason, TokenLogprob } from '../../src/engine/protocol.ts';
import { DTYPE_FILE_SUFFIX } from '../../src/engine/types.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import { fetchModelFiles } from '../../src/models/fetch-model.ts';
import type { ModelStore } from '../../src/models/store.ts';
import type {
  Backend,
  BackendLoadRequest,
  GenerationOutcome,
  LoadPhase,
  LoadedModel,
  PrepareHooks,
  TextSink,
} from './backend.ts';
import { externalizeWeights, type ExternalizedModel } from './external-weights.ts';
import { KEEP_INPUT, keepLastLogits } from './last-logits.ts';
import { rewriteQ4ToQ8 } from './q4-to-q8.ts';
import { NO_REUSE, PrefixCache, tokenIds, type PrefixReuse } from './prefix-cache.ts';
import { StopSequenceMatcher } from './stop-sequences.ts';

/** Chat models end a turn with their own marker, often not the config's eos_token_id. */
const END_OF_TURN_TOKENS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>', '</s>', '<|endoftext|>'];

type Match = (key: string) => Promise<Response | undefined>;

/** Part of the stored rewrite's key: bump it when rewriteQ4ToQ8's output changes. */
const Q8_REWRITE_KEY = 'petit-rewrite=q8-v1';
const Q4_ONNX = /\/onnx\/model_q4\.onnx$/;

/**
 * On WASM, a q4 model file is read as its q8 rewrite (see q4-to-q8.ts: about 5× faster decoding, measured in
 * BENCHMARKS.md). The rewrite is made on the first load and kept in the model store as a derived file of the
 * original, so later loads read it directly and deleting the model deletes it too.
 */
function q4AsQ8(store: ModelStore, match: Match): Match {
  return async (key) => {
    if (!Q4_ONNX.test(key)) return match(key);
    const stored = await store.matchDerived(key, Q8_REWRITE_KEY);
    if (stored) return stored;
    const original = await match(key);
    if (!original) return undefined;
    const bytes = new Uint8Array(await original.arrayBuffer());
    const { model } = rewriteQ4ToQ8(bytes);
    if (model) await store.putDerived(key, Q8_REWRITE_KEY, model);
    // Read next by splitWeights: the buffer itself, not one more model-sized copy.
    return bufferResponse(model ?? bytes);
  };
}

const MODEL_ONNX = /\/onnx\/model[^/]*\.onnx$/;
/** The mount name of the weights in the split graph, and the suffix of the key transformers.js asks them under. */
const WEIGHTS_LOCATION = 'petit-weights';
const WEIGHTS_SUFFIX = '.petit-weights';

/**
 * A response whose arrayBuffer() hands over `bytes` itself: transformers.js reads store files that way (it is
 * given no progress callback), and a real Response would copy a model-sized buffer once more.
 */
function bufferResponse(bytes: Uint8Array): Response {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (!whole) return new Response(bytes as Uint8Array<ArrayBuffer>);
  return {
    ok: true,
    status: 200,
    headers: new Headers({ 'content-length': String(bytes.byteLength) }),
    arrayBuffer: async () => bytes.buffer,
  } as unknown as Response;
}

/**
 * On WASM the model file reaches ONNX Runtime as a small graph plus its weights as external data pointing into
 * the file's own buffer (external-weights.ts): each weight is copied into the WASM heap once instead of three
 * times. transformers.js asks for the graph under the file's key and for the weights under the key plus
 * WEIGHTS_SUFFIX; whichever comes first reads and splits the file, once. `release()` drops the buffers once the
 * session exists, so that only ORT's copy stays.
 */
function splitWeights(match: Match): { match: Match; release: () => void } {
  const splits = new Map<string, Promise<{ graph: Uint8Array; data: Uint8Array } | null>>();
  const split = (key: string) => {
    let pending = splits.get(key);
    if (!pending) {
      pending = match(key).then(async (response) => {
        if (!response) return null;
        const bytes = new Uint8Array(await response.arrayBuffer());
        // Not splittable (weights already external, or the file is corrupt): the file as it is, for ONNX Runtime
        // to load or to refuse with its own error, and an unused empty mount.
        let parts: ExternalizedModel | null;
        try {
          parts = externalizeWeights(bytes, WEIGHTS_LOCATION);
          // On the graph alone (kilobytes): the vocabulary projection for the positions generation reads.
          if (parts) parts.graph = keepLastLogits(parts.graph) ?? parts.graph;
        } catch {
          parts = null;
        }
        return parts ?? { graph: bytes, data: new Uint8Array(0) };
      });
      splits.set(key, pending);
    }
    return pending;
  };
  return {
    match: async (key) => {
      if (key.endsWith(WEIGHTS_SUFFIX)) {
        const parts = await split(key.slice(0, -WEIGHTS_SUFFIX.length));
        return parts ? bufferResponse(parts.data) : undefined;
      }
      if (!MODEL_ONNX.test(key)) return match(key);
      const parts = await split(key);
      return parts ? bufferResponse(parts.graph) : undefined;
    },
    release: () => splits.clear(),
  };
}

/**
 * Routes every file transformers.js asks for to the model store; it never downloads on its own. Returns what
 * to call once the model is loaded.
 */
function configureTransformers(store: ModelStore, model: BackendLoadRequest): { release: () => void } {
  const { hubUrl, threads } = model;
  env.allowLocalModels = false;
  // "Remote" files are answered from the store; anything the store lacks is a 404, never a network request.
  env.allowRemoteModels = true;
  env.fetch = async () => new Response(null, { status: 404, statusText: 'Not in the model store' });
  env.useBrowserCache = false;
  env.useWasmCache = false;
  env.useCustomCache = true;
  const cache = store.cacheFor(model);
  const split = model.device === 'wasm' ? splitWeights(q4AsQ8(store, (key) => cache.match(key))) : null;
  env.customCache = split ? { match: split.match, put: cache.put } : cache;
  env.remoteHost = `${hubUrl.replace(/\/+$/, '')}/`;
  const onnx = env.backends.onnx;
  if (onnx.wasm) {
    // Self-hosted runtime files: never a CDN, and offline once the service worker has them.
    // The CPU-only build on WASM (much faster there), the asyncify one for WebGPU: see ort-wasm.ts.
    onnx.wasm.wasmPaths = ortWasmPaths(model.device, self.location.href);
    onnx.wasm.numThreads = threads;
    onnx.wasm.proxy = false;
  }
  return { release: () => split?.release() };
}

class CallbackStreamer extends BaseStreamer {
  private promptSeen = false;
  constructor(private readonly onTokens: (ids: bigint[]) => void) {
    super();
  }
  override put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    this.onTokens(value[0]);
  }
  override end(): void {}
}

class FlagStoppingCriteria extends StoppingCriteria {
  stop = false;
  override _call(inputIds: number[][]): boolean[] {
    return new Array(inputIds.length).fill(this.stop);
  }
}

/** Records the log-probability distribution the next token is drawn from. */
/** log Σ exp over `length` logits from `start`: the normaliser of a log-softmax, computed without overflow. */
function logSumExp(data: Float32Array, start: number, length: number): number {
  let max = -Infinity;
  for (let i = start; i < start + length; i++) if (data[i] > max) max = data[i];
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += Math.exp(data[i] - max);
  return max + Math.log(sum);
}

class LogprobRecorder extends LogitsProcessor {
  last: Float32Array | null = null;
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const data = logits.data as Float32Array;
    const logZ = logSumExp(data, 0, data.length);
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] - logZ;
    this.last = out;
    return logits;
  }
}

/**
 * ONNX Runtime's WASM run settles in microtasks, so a whole generation can run without giving the worker's
 * event loop a turn, and an interrupt message would wait until the end. A MessageChannel hop is a real task
 * (unlike setTimeout, never clamped to 4 ms) that lets queued messages in between two tokens.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

const WARM_UP_TEXT = 'Hello! How are you today?';

/** Prompt positions scored at most (the request's end, where the user's new words are): bounds the cost. */
const PROMPT_LOGPROB_POSITIONS = 256;

/**
 * Mean log-probability of the prompt's last tokens: logits position j predicts the token after it. The pass
 * returns logits for the last positions it read (all of them, or fewer where the graph keeps only the last k),
 * so they end at the prompt's end. Null when it returned only the last position's logits.
 */
function meanPromptLogprob(
  logits: Tensor,
  promptIds: readonly number[],
): { mean: number; tokens: number } | null {
  const [, positions, vocab] = logits.dims;
  if (!positions || !vocab || positions < 2 || (logits as { location?: string }).location === 'gpu-buffer')
    return null;
  const data = logits.data as Float32Array;
  const start = promptIds.length - positions;
  let sum = 0;
  let count = 0;
  for (let j = Math.max(0, positions - 1 - PROMPT_LOGPROB_POSITIONS); j < positions - 1; j++) {
    const next = promptIds[start + j + 1];
    if (next === undefined) break;
    const row = j * vocab;
    sum += data[row + next] - logSumExp(data, row, vocab);
    count++;
  }
  return count > 0 ? { mean: sum / count, tokens: count } : null;
}

function now(): number {
  return performance.now();
}

export class TransformersBackend implements Backend {
  readonly name = 'transformers' as const;
  private model: PreTrainedModel | null = null;
  private tokenizer: PreTrainedTokenizer | null = null;
  private contextLength = 2048;
  private stopFlag: FlagStoppingCriteria | null = null;
  private endOfTurnIds: number[] = [];
  private prefixCache: PrefixCache | null = null;
  /** Called once with the logits of a generation's first forward pass (the prefill), then cleared. */
  private onPrefillLogits: ((logits: Tensor) => void) | null = null;

  constructor(private readonly store: ModelStore) {}

  async prepare(request: BackendLoadRequest, hooks: PrepareHooks): Promise<void> {
    const model = { ...request, memoryBudget: hooks.memoryBudget ?? null };
    await fetchModelFiles(this.store, model, hooks.entry, hooks.tracker, hooks.signal);
  }

  async load(request: BackendLoadRequest): Promise<LoadedModel> {
    const files = configureTransformers(this.store, request);
    const options = { revision: request.revision };
    const onnxFile = `onnx/model${DTYPE_FILE_SUFFIX[request.dtype]}.onnx`;
    const phases: LoadPhase[] = [];
    const started = now();
    const timed = <T>(name: string, work: Promise<T>): Promise<T> =>
      work.then((result) => {
        phases.push({ name, ms: now() - started });
        return result;
      });
    try {
      // Side by side: the tokenizer is parsed while the model file is still being read from the store.
      const [model, tokenizer] = await Promise.allSettled([
        timed(
          'weights into an ONNX Runtime session',
          AutoModelForCausalLM.from_pretrained(request.repo, {
            ...options,
            dtype: request.dtype,
            device: request.device,
            session_options: {
              // 'all' adds only CPU layout transforms these graphs do not use: 'extended' loads 135M q8 about 0.1 s
              // faster with the same speed (three interleaved A/Bs, BENCHMARKS.md); 'basic' is slower on both.
              graphOptimizationLevel: 'extended',
              // The weights split off the model file on WASM (splitWeights): transformers.js reads them here.
              ...(request.device === 'wasm'
                ? { externalData: [{ path: WEIGHTS_LOCATION, data: `${onnxFile}${WEIGHTS_SUFFIX}` }] }
                : {}),
            },
          }),
        ),
        timed('tokenizer (alongside)', AutoTokenizer.from_pretrained(request.repo, options)),
      ]);
      if (model.status === 'rejected') throw model.reason;
      if (tokenizer.status === 'rejected') {
        await model.value.dispose();
        throw tokenizer.reason;
      }
      this.model = model.value;
      this.tokenizer = tokenizer.value;
    } finally {
      files.release();
    }
    const model = this.model as unknown as { forward: (inputs: unknown) => Promise<unknown> };
    const forward = model.forward.bind(model);
    model.forward = async (inputs: unknown) => {
      await yieldToEventLoop();
      // Prompt log-probabilities need the logits of the positions they score; generation asks for the last only.
      if (this.onPrefillLogits)
        (inputs as Record<string, unknown>)[KEEP_INPUT] = new Tensor(
          'int64',
          BigInt64Array.of(BigInt(PROMPT_LOGPROB_POSITIONS + 1)),
          [],
        );
      const output = await forward(inputs);
      const onLogits = this.onPrefillLogits;
      this.onPrefillLogits = null;
      onLogits?.((output as { logits: Tensor }).logits);
      return output;
    };
    const config = this.model.config as unknown as Record<string, unknown>;
    const maxPositions = Number(config.max_position_embeddings);
    this.contextLength = Number.isFinite(maxPositions) && maxPositions > 0 ? maxPositions : 2048;
    const eos = this.model.generation_config?.eos_token_id ?? config.eos_token_id;
    const ids = new Set<number>(
      (Array.isArray(eos) ? eos : [eos]).filter((x): x is number => typeof x === 'number'),
    );
    const vocab = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
    for (const token of END_OF_TURN_TOKENS) {
      const id = vocab instanceof Map ? vocab.get(token) : vocab[token];
      if (typeof id === 'number' && this.hasToken(token)) ids.add(id);
    }
    this.endOfTurnIds = [...ids];
    // One short pass now: ONNX Runtime sizes its buffers and the browser optimises the hot kernels on the first
    // run, which would otherwise land on the user's first message; and a model that cannot run fails on Load.
    try {
      await this.model.generate({
        ...this.encodeWarmUp(),
        max_new_tokens: 1,
        do_sample: false,
      } as unknown as Parameters<PreTrainedModel['generate']>[0]);
    } catch (error) {
      await this.unload();
      throw error;
    }
    phases.push({ name: 'first run (warm-up)', ms: now() - started });
    this.prefixCache = request.kvCache === false ? null : new PrefixCache();
    return { contextLength: this.contextLength, phases };
  }

  /** The warm-up's input; a tokenizer that cannot encode plain text is reported as the tokenizer's fault. */
  private encodeWarmUp(): { input_ids: Tensor } {
    let encoded: { input_ids: Tensor };
    try {
      encoded = this.tokenizer!(WARM_UP_TEXT) as { input_ids: Tensor };
    } catch (error) {
      throw new Error(`The tokenizer cannot encode text: ${error instanceof Error ? error.message : error}`, {
        cause: error,
      });
    }
    if (encoded.input_ids.dims.at(-1) === 0)
      throw new Error('The tokenizer turned plain text into no tokens.');
    return encoded;
  }

  /** Only count end-of-turn markers the chat template really uses (`</s>` can be an ordinary token). */
  private hasToken(token: string): boolean {
    const template = String((this.tokenizer as unknown as { chat_template?: unknown }).chat_template ?? '');
    return template.includes(token) || this.endOfTurnIds.length === 0;
  }

  private requireLoaded(): { model: PreTrainedModel; tokenizer: PreTrainedTokenizer } {
    if (!this.model || !this.tokenizer)
      throw new PetitError('not-loaded', 'No model is loaded. Load a model first.');
    return { model: this.model, tokenizer: this.tokenizer };
  }

  private encode(messages: GenerationParams['messages']): { input_ids: Tensor; attention_mask: Tensor } {
    const { tokenizer } = this.requireLoaded();
    try {
      return tokenizer.apply_chat_template(messages, {
        add_generation_prompt: true,
        tokenize: true,
        return_dict: true,
      }) as unknown as { input_ids: Tensor; attention_mask: Tensor };
    } catch (error) {
      // The template comes with the model (tokenizer_config.json): a broken one is the model's fault, not the
      // request's or the runtime's.
      throw new PetitError(
        'invalid-model-config',
        `This model's chat template could not be applied (${error instanceof Error ? error.message : String(error)}). Its tokenizer_config.json is broken: choose another model or revision.`,
        { cause: error },
      );
    }
  }

  async countTokens({ messages }: Pick<GenerationParams, 'messages'>): Promise<number> {
    return this.encode(messages).input_ids.dims.at(-1) ?? 0;
  }

  async generate(params: GenerationParams, sink: TextSink): Promise<GenerationOutcome> {
    const { model, tokenizer } = this.requireLoaded();
    const start = now();
    const inputs = this.encode(params.messages);
    const promptTokens = inputs.input_ids.dims.at(-1) ?? 0;
    const room = this.contextLength - promptTokens;
    if (room < 1) {
      throw new PetitError(
        'context-length-exceeded',
        `The conversation is ${promptTokens} tokens long, but this model reads at most ${this.contextLength}. Shorten the message or start a new conversation.`,
        { details: { promptTokens, contextLength: this.contextLength } },
      );
    }
    const maxNewTokens = Math.min(params.maxTokens ?? room, room);

    const stopFlag = new FlagStoppingCriteria();
    this.stopFlag = stopFlag;
    const recorder = params.logprobs ? new LogprobRecorder() : null;
    const processors: LogitsProcessor[] = [];
    const sampling = params.temperature > 0;
    if (sampling && params.topP < 1) processors.push(new TopPLogitsWarper(params.topP));
    if (recorder) processors.push(recorder);
    if (params.seed !== null) random.seed(params.seed);

    const generated: number[] = [];
    const logprobs: TokenLogprob[] | null = recorder ? [] : null;
    let pendingLogprobs: TokenLogprob[] = [];
    const stops = new StopSequenceMatcher(params.stop);
    // Incremental detokenization: only the tokens since the last emitted text are decoded (as text-generation-
    // inference does), not the whole reply per token, which cost up to 2 ms a token at 2048 tokens.
    let prefixOffset = 0;
    let readOffset = 0;
    const decode = (ids: number[]) =>
      ids.length ? tokenizer.decode(ids, { skip_special_tokens: true }) : '';
    let firstTokenAt = 0;
    let finishReason: FinishReason = 'length';
    let hitEndOfTurn = false;

    const streamer = new CallbackStreamer((ids) => {
      if (firstTokenAt === 0) firstTokenAt = now();
      for (const big of ids) {
        const id = Number(big);
        if (this.endOfTurnIds.includes(id)) {
          hitEndOfTurn = true;
          continue;
        }
        generated.push(id);
        if (recorder?.last) {
          const entry = { token: tokenizer.decode([id]), logprob: recorder.last[id] };
          pendingLogprobs.push(entry);
          logprobs!.push(entry);
        }
      }
      if (stops.stopped) return;
      const before = decode(generated.slice(prefixOffset, readOffset));
      const after = decode(generated.slice(prefixOffset));
      // Hold back an incomplete UTF-8 sequence until the next token completes it.
      if (after.length <= before.length || after.endsWith('\uFFFD')) return;
      const delta = stops.push(after.slice(before.length));
      prefixOffset = readOffset;
      readOffset = generated.length;
      if (stops.stopped) {
        finishReason = 'stop';
        stopFlag.stop = true;
      }
      if (delta) {
        sink(delta, recorder ? pendingLogprobs : null);
        pendingLogprobs = [];
      }
    });

    const promptIds = tokenIds(inputs.input_ids);
    let promptLogprob: GenerationOutcome['promptLogprob'];
    const run = (reuse: PrefixReuse) => {
      if (params.logprobs) {
        this.onPrefillLogits = (logits) => {
          promptLogprob = meanPromptLogprob(logits, promptIds) ?? undefined;
        };
      }
      return model.generate({
        ...inputs,
        ...(reuse.pastKeyValues ? { past_key_values: reuse.pastKeyValues } : {}),
        // Keeps the cache alive after the answer (transformers.js disposes it otherwise).
        return_dict_in_generate: this.prefixCache !== null,
        max_new_tokens: maxNewTokens,
        do_sample: sampling,
        ...(sampling ? { temperature: params.temperature } : {}),
        eos_token_id: this.endOfTurnIds.length > 0 ? this.endOfTurnIds : undefined,
        streamer,
        stopping_criteria: [stopFlag],
        logits_processor: processors.length > 0 ? processors : null,
      } as unknown as Parameters<PreTrainedModel['generate']>[0]) as unknown as Promise<{
        sequences?: Tensor;
        past_key_values?: DynamicCache;
      }>;
    };
    const prefillStart = now();
    let cachedTokens = 0;
    try {
      if (this.prefixCache) ({ cachedTokens } = await this.prefixCache.generate(promptIds, run));
      else await run(NO_REUSE);
    } finally {
      this.stopFlag = null;
      this.onPrefillLogits = null;
    }
    const tail = stops.flush();
    if (tail) sink(tail, null);
    const end = now();

    if (stops.stopped) finishReason = 'stop';
    else if (stopFlag.stop) finishReason = 'abort';
    else if (hitEndOfTurn) finishReason = 'stop';
    const completionTokens = generated.length + (hitEndOfTurn ? 1 : 0);
    const first = firstTokenAt || end;
    const prefillMs = first - prefillStart;
    const decodeMs = end - first;
    return {
      text: stops.text,
      finishReason,
      promptTokens,
      prefilledTokens: promptTokens - cachedTokens,
      completionTokens,
      timings: { timeToFirstTokenMs: first - start, prefillMs, decodeMs, totalMs: end - start },
      logprobs,
      ...(promptLogprob ? { promptLogprob } : {}),
    };
  }

  interrupt(): void {
    if (this.stopFlag) this.stopFlag.stop = true;
  }

  async unload(): Promise<void> {
    const model = this.model;
    this.model = null;
    this.tokenizer = null;
    await this.prefixCache?.clear();
    this.prefixCache = null;
    await model?.dispose();
  }
}
