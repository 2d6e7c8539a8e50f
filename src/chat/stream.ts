/**
 * Reads one streamed answer: every token goes to `received` (saving, the host page), the screen gets them at most
 * once per animation frame, and the partial answer travels with a failure so it can be kept.
 */
import { toPetitError, type PetitError } from '../engine/errors.ts';
import type { ChatCompletionRequestStreaming, CompletionUsage, FinishReason } from '../engine/protocol.ts';
import type { ChatEngine } from './chat-engine.ts';

export interface AnswerSink {
  /** Each token as it arrives. */
  received?(delta: string): void;
  /** Tokens gathered since the last frame. */
  render(chunk: string): void;
}

export type StreamOutcome =
  | {
      ok: true;
      text: string;
      usage?: CompletionUsage;
      finishReason: FinishReason | null;
      logprobs: number[];
    }
  | { ok: false; text: string; error: PetitError };

interface Scheduler {
  request(run: () => void): unknown;
  cancel(handle: unknown): void;
}

// Node (unit tests) has no animation frames: a timer of about one frame stands in.
const frames: Scheduler =
  typeof requestAnimationFrame === 'function'
    ? { request: (run) => requestAnimationFrame(run), cancel: (h) => cancelAnimationFrame(h as number) }
    : {
        request: (run) => setTimeout(run, 16),
        cancel: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      };

/** Tokens can arrive faster than the screen refreshes: gathers them and renders at most once per frame. */
export function frameBatcher(render: (chunk: string) => void, scheduler: Scheduler = frames) {
  let pending = '';
  let handle: unknown = null;
  const flush = () => {
    handle = null;
    const chunk = pending;
    pending = '';
    if (chunk) render(chunk);
  };
  return {
    push(text: string) {
      pending += text;
      handle ??= scheduler.request(flush);
    },
    /** Renders what is pending now (the answer ended). */
    flush() {
      if (handle !== null) scheduler.cancel(handle);
      flush();
    },
  };
}

export async function streamAnswer(
  engine: ChatEngine,
  request: ChatCompletionRequestStreaming,
  sink: AnswerSink,
): Promise<StreamOutcome> {
  const batch = frameBatcher((chunk) => sink.render(chunk));
  let text = '';
  let usage: CompletionUsage | undefined;
  let finishReason: FinishReason | null = null;
  const logprobs: number[] = [];
  try {
    for await (const chunk of await engine.chat.completions.create(request)) {
      const choice = chunk.choices[0];
      const delta = choice?.delta.content;
      if (delta) {
        text += delta;
        sink.received?.(delta);
        batch.push(delta);
      }
      if (chunk.usage) usage = chunk.usage;
      finishReason = choice?.finish_reason ?? finishReason;
      for (const t of choice?.logprobs?.content ?? []) logprobs.push(t.logprob);
    }
    batch.flush();
    return { ok: true, text, usage, finishReason, logprobs };
  } catch (e) {
    batch.flush();
    const error = toPetitError(e);
    // A remote failure carries its own partial text, with redacted values restored.
    const partial = typeof error.details.partialText === 'string' ? error.details.partialText : text;
    return { ok: false, text: partial, error };
  }
}
