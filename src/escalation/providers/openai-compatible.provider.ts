/**
 * The OpenAI chat/completions wire format, shared by every OpenAI-compatible preset (OpenAI, Azure, Mistral,
 * Groq, OpenRouter, Together, Gemini, Cohere, Bedrock, Ollama, LM Studio). Streaming is SSE: one JSON chunk per
 * `data:` line, ended by `data: [DONE]`; with `stream_options.include_usage` a last chunk with empty `choices`
 * carries the usage.
 */
import type { FinishReason } from '../../engine/protocol.ts';
import type { ParsedCompletion, ProtocolAdapter, StreamState } from './remote-types.ts';

function finishOf(reason: unknown): FinishReason {
  return reason === 'length' ? 'length' : 'stop';
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const openAiAdapter: ProtocolAdapter = {
  path: '/chat/completions',

  buildBody(messages, endpoint, options) {
    const body: Record<string, unknown> = {
      model: endpoint.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      stream: options.stream,
    };
    if (options.stream && endpoint.preset.streamUsage) body.stream_options = { include_usage: true };
    if (options.maxTokens !== undefined) body[endpoint.preset.maxTokensField] = options.maxTokens;
    if (options.temperature !== undefined) body.temperature = options.temperature;
    if (options.topP !== undefined) body.top_p = options.topP;
    if (options.stop !== undefined && options.stop.length > 0) body.stop = options.stop;
    return body;
  },

  parseCompletion(json): ParsedCompletion | null {
    if (!isObject(json) || !Array.isArray(json.choices) || json.choices.length === 0) return null;
    const choice = json.choices[0] as { message?: { content?: unknown }; finish_reason?: unknown };
    const content = choice?.message?.content;
    if (typeof content !== 'string' && content !== null) return null;
    const usage = (isObject(json.usage) ? json.usage : {}) as OpenAiUsage;
    return {
      id: typeof json.id === 'string' ? json.id : undefined,
      model: typeof json.model === 'string' ? json.model : undefined,
      text: content ?? '',
      finish: finishOf(choice.finish_reason),
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
    };
  },

  newStream(): StreamState {
    let id: string | undefined;
    let model: string | undefined;
    let finish: FinishReason = 'stop';
    let usage: OpenAiUsage = {};
    return {
      step(ev) {
        if (ev.data === '[DONE]') return { done: true };
        let json: unknown;
        try {
          json = JSON.parse(ev.data);
        } catch {
          return { bad: 'a streamed chunk is not JSON' };
        }
        if (!isObject(json)) return { bad: 'a streamed chunk is not an object' };
        if (isObject(json.error)) {
          const message = typeof json.error.message === 'string' ? json.error.message : 'error in stream';
          const type = String(json.error.type ?? json.error.code ?? '');
          return { error: { rateLimited: /rate/.test(type), message } };
        }
        if (typeof json.id === 'string') id = json.id;
        if (typeof json.model === 'string') model = json.model;
        if (isObject(json.usage)) usage = json.usage as OpenAiUsage;
        // Chunks without choices are legitimate: the usage chunk, and keep-alive or metadata chunks some
        // compatible servers send (OpenRouter, Azure's content-filter results). Skip them, never abort.
        if (!Array.isArray(json.choices)) return {};
        const choice = json.choices[0] as
          { delta?: { content?: unknown }; finish_reason?: unknown } | undefined;
        if (choice?.finish_reason) finish = finishOf(choice.finish_reason);
        const text = choice?.delta?.content;
        return typeof text === 'string' && text !== '' ? { text } : {};
      },
      result: () => ({
        id,
        model,
        finish,
        promptTokens: usage.prompt_tokens,
        completionTokens: usage.completion_tokens,
      }),
    };
  },
};
