/** The OpenAI-shaped objects the engine returns, built from what the worker reports. */
import { AsyncQueue } from './async-queue.ts';
import { PetitError, abortError } from './errors.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CompletionUsage,
  TokenLogprob,
} from './protocol.ts';
import type { GenerationOutcome } from './worker-protocol.ts';

function completionId(): string {
  return `chatcmpl-${crypto.randomUUID()}`;
}

export function buildUsage(outcome: GenerationOutcome, timeToFirstTokenMs: number): CompletionUsage {
  const { promptTokens, completionTokens, timings } = outcome;
  const prefilled = outcome.prefilledTokens ?? promptTokens;
  const perSecond = (tokens: number, ms: number) => (ms > 0 && tokens > 0 ? (tokens * 1000) / ms : 0);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: promptTokens - prefilled },
    extra: {
      time_to_first_token_ms: timeToFirstTokenMs,
      // Only the tokens run through the model this time: the rest came from the KV cache.
      prefill_tokens_per_s: perSecond(prefilled, timings.prefillMs),
      // The first token comes out of the prefill pass; decoding makes the rest.
      decode_tokens_per_s: perSecond(completionTokens - 1, timings.decodeMs),
      total_ms: timings.totalMs,
      ...(outcome.promptLogprob ? { prompt_logprob: outcome.promptLogprob } : {}),
    },
  };
}

/** Reads `signal` and `stream` once, as validated values: a getter or a look-alike signal is an invalid request. */
export function readControls(request: ChatCompletionRequest): {
  signal: AbortSignal | undefined;
  stream: boolean;
} {
  let signal: unknown;
  let stream: unknown;
  try {
    ({ signal, stream } = request);
  } catch (error) {
    throw new PetitError(
      'invalid-request',
      'The request could not be read. Pass a plain object of plain values.',
      {
        details: { field: 'request' },
        cause: error,
      },
    );
  }
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
    throw new PetitError('invalid-request', '`signal` must be an AbortSignal (from an AbortController).', {
      details: { field: 'signal' },
    });
  }
  return { signal: signal ?? undefined, stream: stream === true };
}

type ChunkChoice = ChatCompletionChunk['choices'][0];

/** One answer's id, time and model, and the chunks or the completion that carry it. */
export function completionShape(model: string) {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: ChunkChoice['delta'], extra: Partial<ChunkChoice> = {}) =>
    ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      inference_source: 'on-device',
      choices: [{ index: 0, delta, finish_reason: null, logprobs: null, ...extra }],
    }) as ChatCompletionChunk;
  return {
    chunk,
    delta: (content: string, logprobs: TokenLogprob[] | null) =>
      chunk({ content }, logprobs ? { logprobs: { content: logprobs } } : {}),
    /** The closing chunk: why the answer ended, and the usage. */
    last: (outcome: GenerationOutcome, usage: CompletionUsage): ChatCompletionChunk => ({
      ...chunk({}, { finish_reason: outcome.finishReason }),
      usage,
    }),
    completion: (outcome: GenerationOutcome, usage: CompletionUsage): ChatCompletion => ({
      id,
      object: 'chat.completion',
      created,
      model,
      inference_source: 'on-device',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: outcome.text },
          finish_reason: outcome.finishReason,
          logprobs: outcome.logprobs ? { content: outcome.logprobs } : null,
        },
      ],
      usage,
    }),
  };
}

/** Runs one generation, handing each delta to `onDelta`; resolves with what the worker reported. */
export type RunAnswer = (
  onDelta: (delta: string, logprobs: TokenLogprob[] | null) => void,
) => Promise<{ outcome: GenerationOutcome; usage: CompletionUsage }>;

/** `stream: true`: a role chunk at once, one chunk per delta, then the closing chunk with the usage. */
export function streamedAnswer(
  model: string,
  signal: AbortSignal | undefined,
  interrupt: () => void,
  run: RunAnswer,
): AsyncIterable<ChatCompletionChunk> {
  const shape = completionShape(model);
  const queue = new AsyncQueue<ChatCompletionChunk>(interrupt);
  queue.push(shape.chunk({ role: 'assistant', content: '' }));
  // The reader learns of a cancel at once; the worker stops at its next token in the background.
  signal?.addEventListener('abort', () => queue.fail(abortError()), { once: true });
  run((delta, logprobs) => queue.push(shape.delta(delta, logprobs))).then(
    ({ outcome, usage }) => {
      if (outcome.finishReason === 'abort') return queue.fail(abortError());
      queue.push(shape.last(outcome, usage));
      queue.end();
    },
    (error) => queue.fail(error),
  );
  return queue;
}

/** Otherwise: one completion once the answer is whole; a cancelled one is `aborted` with the partial text. */
export async function wholeAnswer(model: string, run: RunAnswer): Promise<ChatCompletion> {
  const shape = completionShape(model);
  const { outcome, usage } = await run(() => {});
  if (outcome.finishReason === 'abort') {
    throw new PetitError('aborted', 'The request was cancelled.', {
      details: { partialText: outcome.text },
    });
  }
  return shape.completion(outcome, usage);
}
