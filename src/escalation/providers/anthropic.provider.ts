/**
 * Anthropic's Messages API: `system` is a top-level field (not a message role), roles must alternate starting
 * with `user`, `max_tokens` is required. Streaming is SSE with named events: message_start, content_block_start,
 * content_block_delta (text_delta), content_block_stop, message_delta (stop_reason, output usage), message_stop,
 * ping, and error (e.g. overloaded_error) in the middle of a stream.
 */
import type { ChatMessage, FinishReason } from '../../engine/protocol.ts';
import type { ParsedCompletion, ProtocolAdapter, StreamState } from './remote-types.ts';

/** Anthropic requires max_tokens; used when the caller gives none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

function finishOf(reason: unknown): FinishReason {
  return reason === 'max_tokens' ? 'length' : 'stop';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Splits system messages out and merges consecutive turns of the same role (joined by a blank line), dropping
 * assistant turns before the first user turn: the shape the Messages API accepts. What is dropped or merged is
 * visible in the consent preview, which shows this exact body.
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): {
  system: string | undefined;
  messages: { role: 'user' | 'assistant'; content: string }[];
} {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const out: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (out.length === 0 && m.role === 'assistant') continue;
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content = `${last.content}\n\n${m.content}`;
    else out.push({ role: m.role, content: m.content });
  }
  return { system: system || undefined, messages: out };
}

export const anthropicAdapter: ProtocolAdapter = {
  path: '/messages',

  buildBody(messages, endpoint, options) {
    const split = toAnthropicMessages(messages);
    const body: Record<string, unknown> = {
      model: endpoint.model,
      max_tokens: options.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    };
    if (split.system !== undefined) body.system = split.system;
    body.messages = split.messages;
    if (options.stream) body.stream = true;
    if (options.temperature !== undefined) body.temperature = options.temperature;
    if (options.topP !== undefined) body.top_p = options.topP;
    if (options.stop !== undefined && options.stop.length > 0) body.stop_sequences = options.stop;
    return body;
  },

  parseCompletion(json): ParsedCompletion | null {
    if (!isObject(json) || json.type !== 'message' || !Array.isArray(json.content)) return null;
    const text = json.content
      .filter(
        (b): b is { type: 'text'; text: string } =>
          isObject(b) && b.type === 'text' && typeof b.text === 'string',
      )
      .map((b) => b.text)
      .join('');
    const usage = isObject(json.usage) ? json.usage : {};
    return {
      id: typeof json.id === 'string' ? json.id : undefined,
      model: typeof json.model === 'string' ? json.model : undefined,
      text,
      finish: finishOf(json.stop_reason),
      promptTokens: typeof usage.input_tokens === 'number' ? usage.input_tokens : undefined,
      completionTokens: typeof usage.output_tokens === 'number' ? usage.output_tokens : undefined,
    };
  },

  newStream(): StreamState {
    let id: string | undefined;
    let model: string | undefined;
    let finish: FinishReason = 'stop';
    let promptTokens: number | undefined;
    let completionTokens: number | undefined;
    return {
      step(ev) {
        let json: unknown;
        try {
          json = JSON.parse(ev.data);
        } catch {
          return { bad: `the "${ev.event}" event is not JSON` };
        }
        if (!isObject(json)) return { bad: `the "${ev.event}" event is not an object` };
        const type = typeof json.type === 'string' ? json.type : ev.event;
        switch (type) {
          case 'message_start': {
            const message = isObject(json.message) ? json.message : {};
            if (typeof message.id === 'string') id = message.id;
            if (typeof message.model === 'string') model = message.model;
            const usage = isObject(message.usage) ? message.usage : {};
            if (typeof usage.input_tokens === 'number') promptTokens = usage.input_tokens;
            return {};
          }
          case 'content_block_delta': {
            const delta = isObject(json.delta) ? json.delta : {};
            return delta.type === 'text_delta' && typeof delta.text === 'string' ? { text: delta.text } : {};
          }
          case 'message_delta': {
            const delta = isObject(json.delta) ? json.delta : {};
            if (delta.stop_reason) finish = finishOf(delta.stop_reason);
            const usage = isObject(json.usage) ? json.usage : {};
            if (typeof usage.output_tokens === 'number') completionTokens = usage.output_tokens;
            return {};
          }
          case 'message_stop':
            return { done: true };
          case 'error': {
            const error = isObject(json.error) ? json.error : {};
            const message = typeof error.message === 'string' ? error.message : 'error in stream';
            return { error: { rateLimited: error.type === 'rate_limit_error', message } };
          }
          default:
            // ping, content_block_start, content_block_stop and event types added later are ignored.
            return {};
        }
      },
      result: () => ({ id, model, finish, promptTokens, completionTokens }),
    };
  },
};
