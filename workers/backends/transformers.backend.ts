import {
  AutoModelForCausalLM,
  AutoTokenizer,
  LogitsProcessor,
  TopPLogitsWarper,
  random,
  type DynamicCache,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { PetitError } from '../../src/engine/errors.ts';
import type { FinishReason, TokenLogprob } from '../../src/engine/protocol.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import { fetchModelFiles } from '../../src/models/fetch-model.ts';
import { inStep } from '../../src/models/load-failure.ts';
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
import { encodeChat, templateSource } from './chat-template.ts';
import { CallbackStreamer, FlagStoppingCriteria, yieldToEventLoop } from './generation-hooks.ts';
import { GrammarCompilerCache, loadXgrammar, vocabularyOf, type GrammarConstraint } from './grammar.ts';
import { KEEP_INPUT } from './last-logits.ts';
import { LogprobRecorder, PROMPT_LOGPROB_POSITIONS, meanPromptLogprob } from './logprobs.ts';
import { configureTransformers } from './model-files.ts';
import { NO_REUSE, PrefixCache, tokenIds, type PrefixReuse } from './prefix-cache.ts';
import { StopSequenceMatcher } from './stop-sequences.ts';

/** Chat models end a turn with their own marker, often not the config's eos_token_id. */
const END_OF_TURN_TOKENS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>', '</s>', '<|endoftext|>'];

const WARM_UP_TEXT = 'Hello! How are you today?';

function now(): number {
  return performance.now();
}

const WEIGHTS_PHASE = 'weights into an ONNX Runtime session';

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
  /** The running answer's grammar, whose mask is computed before each forward pass (processors run synchronously). */
  private constraint: GrammarConstraint | null = null;
  private grammars: Promise<GrammarCompilerCache> | null = null;

  constructor(private readonly store: ModelStore) {}

  async prepare(request: BackendLoadRequest, hooks: PrepareHooks): Promise<void> {
    const model = { ...request, memoryBudget: hooks.memoryBudget ?? null };
    await fetchModelFiles(this.store, model, hooks.entry, hooks.tracker, hooks.signal);
  }

  async load(request: BackendLoadRequest): Promise<LoadedModel> {
    const files = configureTransformers(this.store, request);
    const options = { revision: request.revision };
    const phases: LoadPhase[] = [];
    const started = now();
    const timed = <T>(name: string, work: Promise<T>): Promise<T> =>
      work.then((result) => {
        phases.push({ name, ms: now() - started });
        return result;
      });
    try {
      // Side by side: the tokenizer is parsed while the model file is still being read from the store. Each
      // failure carries its step: a bad tokenizer is the model's configuration, bad weights are its file.
      const [model, tokenizer] = await Promise.allSettled([
        timed(
          WEIGHTS_PHASE,
          inStep('session', () =>
            AutoModelForCausalLM.from_pretrained(request.repo, {
              ...options,
              dtype: request.dtype,
              device: request.device,
              session_options: {
                // 'all' adds only CPU layout transforms these graphs do not use: 'extended' loads 135M q8 about 0.1 s
                // faster with the same speed (three interleaved A/Bs, BENCHMARKS.md); 'basic' is slower on both.
                graphOptimizationLevel: 'extended',
                // The weights split off the model file on WASM (model-files.ts), handed to ORT as they are.
                ...(files.externalData ? { externalData: files.externalData } : {}),
              },
            }),
          ),
        ),
        timed(
          'tokenizer (alongside)',
          inStep('tokenizer', () => AutoTokenizer.from_pretrained(request.repo, options)),
        ),
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
      await this.constraint?.prepare();
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
    const warmUpStarted = now();
    try {
      const input = await inStep('tokenizer', () => {
        const vocab = this.tokenizer!.get_vocab() as Map<string, number> | Record<string, number>;
        for (const token of END_OF_TURN_TOKENS) {
          const id = vocab instanceof Map ? vocab.get(token) : vocab[token];
          if (typeof id === 'number' && this.hasToken(token)) ids.add(id);
        }
        this.endOfTurnIds = [...ids];
        return this.encodeWarmUp();
      });
      // One short pass now: ONNX Runtime sizes its buffers and the browser optimises the hot kernels on the first
      // run, which would otherwise land on the user's first message; and a model that cannot run fails on Load.
      const warmUp = { ...input, max_new_tokens: 1, do_sample: false };
      await inStep('session', () =>
        this.model!.generate(warmUp as unknown as Parameters<PreTrainedModel['generate']>[0]),
      );
    } catch (error) {
      await this.unload();
      throw error;
    }
    phases.push({ name: 'first run (warm-up)', ms: now() - warmUpStarted });
    const weightsNote = files.weightsNote();
    const weightsPhase = phases.find((phase) => phase.name === WEIGHTS_PHASE);
    if (weightsPhase && weightsNote) weightsPhase.name += `, ${weightsNote}`;
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
    let template = '';
    try {
      template = templateSource(this.tokenizer!.chat_template);
    } catch {
      // No usable template: the first request says so (invalid-model-config), not the load.
    }
    return template.includes(token) || this.endOfTurnIds.length === 0;
  }

  private requireLoaded(): { model: PreTrainedModel; tokenizer: PreTrainedTokenizer } {
    if (!this.model || !this.tokenizer)
      throw new PetitError('not-loaded', 'No model is loaded. Load a model first.');
    return { model: this.model, tokenizer: this.tokenizer };
  }

  /** The prompt's tokens: the model's chat template rendered within a budget (chat-template.ts), then tokenized. */
  private encode(messages: GenerationParams['messages']): { input_ids: Tensor; attention_mask: Tensor } {
    return encodeChat(this.requireLoaded().tokenizer, messages);
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

    const constraint = params.responseFormat ? await this.constrain(params.responseFormat) : null;
    const stopFlag = new FlagStoppingCriteria();
    this.stopFlag = stopFlag;
    const recorder = params.logprobs ? new LogprobRecorder() : null;
    // The grammar first: sampling and log-probabilities then see only the tokens it allows.
    const processors: LogitsProcessor[] = constraint ? [constraint.processor] : [];
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
    // Constrained text is exactly the tokens' bytes: no clean-up of spaces before punctuation.
    const options = {
      skip_special_tokens: true,
      ...(constraint ? { clean_up_tokenization_spaces: false } : {}),
    };
    const decode = (ids: number[]) => (ids.length ? tokenizer.decode(ids, options) : '');
    let firstTokenAt = 0;
    let finishReason: FinishReason = 'length';
    let hitEndOfTurn = false;
    let grammarDone = false;

    const streamer = new CallbackStreamer((ids) => {
      if (firstTokenAt === 0) firstTokenAt = now();
      for (const big of ids) {
        const id = Number(big);
        constraint?.accept(id);
        // A complete answer that ended on a stop token the eos list lacks still ends here.
        if (constraint?.terminated) stopFlag.stop = grammarDone = true;
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
    this.constraint = constraint;
    try {
      if (this.prefixCache) ({ cachedTokens } = await this.prefixCache.generate(promptIds, run));
      else await run(NO_REUSE);
    } finally {
      this.stopFlag = null;
      this.onPrefillLogits = null;
      this.constraint = null;
      constraint?.dispose();
    }
    if (constraint?.rejected != null) {
      throw new PetitError(
        'backend-error',
        `Constrained decoding sampled token ${constraint.rejected}, which the grammar refuses; the answer was dropped rather than returned invalid. Try again.`,
      );
    }
    const tail = stops.flush();
    if (tail) sink(tail, null);
    const end = now();

    if (stops.stopped || grammarDone) finishReason = 'stop';
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

  /** A grammar for this answer, compiled against the model's vocabulary (XGrammar is loaded on first use). */
  private async constrain(
    format: NonNullable<GenerationParams['responseFormat']>,
  ): Promise<GrammarConstraint> {
    const { model, tokenizer } = this.requireLoaded();
    this.grammars ??= loadXgrammar().then((xgr) => {
      const json = (tokenizer as unknown as { _tokenizerJSON: Parameters<typeof vocabularyOf>[0] })
        ._tokenizerJSON;
      const logits = Number((model.config as unknown as Record<string, unknown>).vocab_size);
      return GrammarCompilerCache.create(xgr, vocabularyOf(json, logits), this.endOfTurnIds);
    });
    this.grammars.catch(() => (this.grammars = null));
    return (await this.grammars).constraint(format);
  }

  interrupt(): void {
    if (this.stopFlag) this.stopFlag.stop = true;
  }

  async unload(): Promise<void> {
    const model = this.model;
    this.model = null;
    this.tokenizer = null;
    const grammars = this.grammars;
    this.grammars = null;
    void grammars?.then(
      (cache) => cache.dispose(),
      () => {},
    );
    await this.prefixCache?.clear();
    this.prefixCache = null;
    await model?.dispose();
  }
}
