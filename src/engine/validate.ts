import { PetitError } from './errors.ts';
import { checkJsonSchema } from './json-schema-subset.ts';
import type { ChatMessage, ChatRole } from './protocol.ts';
import { DEVICES, DTYPES, type LoadOptions, type ModelSpec } from './types.ts';

/** A request after validation: what the worker receives (no signal, no stream flag, defaults applied). */
export interface GenerationParams {
  messages: ChatMessage[];
  maxTokens: number | null;
  temperature: number;
  topP: number;
  stop: string[];
  seed: number | null;
  logprobs: boolean;
  /** Set when the answer is constrained to JSON (absent for plain text). */
  responseFormat?: OutputFormat;
}

/** A constrained answer: any JSON object, or JSON matching a schema (its canonical JSON text, checked). */
export type OutputFormat = { type: 'json_object' } | { type: 'json_schema'; name: string; schema: string };

/** Request fields Petit does not implement yet: refused by name rather than dropped. */
const UNSUPPORTED_FIELDS = ['tools', 'tool_choice', 'parallel_tool_calls', 'functions', 'function_call'];
const SCHEMA_NAME = /^[\w-]{1,64}$/;

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];
/** Far above any small model's context; bounds the work done on hostile input before tokenisation. */
export const MAX_MESSAGE_CHARS = 2_000_000;
export const MAX_MESSAGES = 10_000;
const MAX_STOP_SEQUENCES = 4;

function invalid(message: string, field: string): PetitError {
  return new PetitError('invalid-request', message, { details: { field } });
}

function optionalNumber(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`\`${field}\` must be a number from ${min} to ${max}; got ${describe(value)}.`, field);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string "${value.slice(0, 40)}"`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Strips lone surrogates, which tokenizers cannot encode, keeping every valid character. */
export function toWellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Checks an OpenAI-style request from untrusted callers and returns the normalised generation parameters.
 * Anything the request itself throws while being read (a getter, a Proxy trap) is an invalid request too.
 */
export function validateRequest(request: unknown): GenerationParams {
  try {
    return readRequest(request);
  } catch (error) {
    if (error instanceof PetitError) throw error;
    throw new PetitError(
      'invalid-request',
      `The request could not be read (${error instanceof Error ? error.message : String(error)}). Pass a plain object of plain values.`,
      { details: { field: 'request' }, cause: error },
    );
  }
}

function readRequest(request: unknown): GenerationParams {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw invalid('The request must be an object with a `messages` array.', 'request');
  }
  const r = request as Record<string, unknown>;
  if (!Array.isArray(r.messages) || r.messages.length === 0) {
    throw invalid('`messages` must be a non-empty array of { role, content } objects.', 'messages');
  }
  if (r.messages.length > MAX_MESSAGES) {
    throw invalid(
      `\`messages\` holds ${r.messages.length} messages; at most ${MAX_MESSAGES} are accepted.`,
      'messages',
    );
  }
  // Array.from visits holes of sparse arrays (map skips them and would pass the holes on).
  const messages = Array.from(r.messages as unknown[], (m: unknown, i): ChatMessage => {
    if (typeof m !== 'object' || m === null) throw invalid(`messages[${i}] must be an object.`, 'messages');
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.includes(role as ChatRole)) {
      throw invalid(
        `messages[${i}].role must be one of ${ROLES.join(', ')}; got ${describe(role)}.`,
        'messages',
      );
    }
    if (typeof content !== 'string') {
      throw invalid(`messages[${i}].content must be a string; got ${describe(content)}.`, 'messages');
    }
    if (content.length > MAX_MESSAGE_CHARS) {
      throw invalid(
        `messages[${i}] is ${content.length} characters; shorten it below ${MAX_MESSAGE_CHARS}.`,
        'messages',
      );
    }
    return { role: role as ChatRole, content: toWellFormed(content) };
  });
  if (!messages.some((m) => m.role === 'user')) {
    throw invalid('`messages` needs at least one message with the role "user".', 'messages');
  }
  // Chat templates (and web-llm, which throws on anything else) take one system message, first, and answer the
  // last user message: checked here so every backend sees the same, well-formed conversation.
  const lateSystem = messages.findIndex((m, i) => m.role === 'system' && i > 0);
  if (lateSystem !== -1) {
    throw invalid(
      `messages[${lateSystem}] is a system message; only the first message may be one. Merge the instructions into messages[0].`,
      'messages',
    );
  }
  if (messages[messages.length - 1].role !== 'user') {
    throw invalid(
      `The last message must be from the user (it is the one answered); messages[${messages.length - 1}] is from the ${messages[messages.length - 1].role}.`,
      'messages',
    );
  }

  let maxTokens: number | null = null;
  if (r.max_tokens !== undefined && r.max_tokens !== null) {
    if (typeof r.max_tokens !== 'number' || !Number.isInteger(r.max_tokens) || r.max_tokens < 1) {
      throw invalid(
        `\`max_tokens\` must be a whole number of at least 1; got ${describe(r.max_tokens)}.`,
        'max_tokens',
      );
    }
    maxTokens = r.max_tokens;
  }

  const temperature = optionalNumber(r.temperature, 'temperature', 0, 2, 0.7);
  const topP = optionalNumber(r.top_p, 'top_p', Number.MIN_VALUE, 1, 1);

  let stop: string[] = [];
  if (typeof r.stop === 'string') stop = [r.stop];
  else if (Array.isArray(r.stop)) stop = r.stop;
  else if (r.stop !== undefined && r.stop !== null) {
    throw invalid('`stop` must be a string or an array of strings.', 'stop');
  }
  if (stop.length > MAX_STOP_SEQUENCES || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw invalid(`\`stop\` takes at most ${MAX_STOP_SEQUENCES} non-empty strings.`, 'stop');
  }

  let seed: number | null = null;
  if (r.seed !== undefined && r.seed !== null) {
    if (typeof r.seed !== 'number' || !Number.isSafeInteger(r.seed)) {
      throw invalid(`\`seed\` must be a whole number; got ${describe(r.seed)}.`, 'seed');
    }
    seed = r.seed;
  }
  if (r.stream !== undefined && r.stream !== null && typeof r.stream !== 'boolean') {
    throw invalid('`stream` must be true or false.', 'stream');
  }
  if (r.logprobs !== undefined && r.logprobs !== null && typeof r.logprobs !== 'boolean') {
    throw invalid('`logprobs` must be true or false.', 'logprobs');
  }
  for (const field of UNSUPPORTED_FIELDS) {
    if (r[field] !== undefined && r[field] !== null) {
      throw invalid(`\`${field}\` is not supported yet; remove it.`, field);
    }
  }
  if (r.n !== undefined && r.n !== null && r.n !== 1) {
    throw invalid(
      `\`n\` must be 1 (one answer per request); got ${describe(r.n)}. Send several requests instead.`,
      'n',
    );
  }
  const responseFormat = readResponseFormat(r.response_format);
  return {
    messages,
    maxTokens,
    temperature,
    topP,
    stop,
    seed,
    logprobs: r.logprobs === true,
    ...(responseFormat ? { responseFormat } : {}),
  };
}

/** `response_format` as OpenAI shapes it: text, json_object, or json_schema { name, schema, strict }. */
function readResponseFormat(value: unknown): OutputFormat | null {
  if (value === undefined || value === null) return null;
  const usage =
    "`response_format` must be { type: 'text' }, { type: 'json_object' } or { type: 'json_schema', json_schema: { name, schema, strict } }.";
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(usage, 'response_format');
  const { type, json_schema: spec, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined)
    throw invalid(`\`response_format.${extra}\` is not supported; ${usage}`, 'response_format');
  if (type === 'text' || type === 'json_object') {
    if (spec !== undefined)
      throw invalid(`\`json_schema\` goes with type 'json_schema'. ${usage}`, 'response_format');
    return type === 'json_object' ? { type } : null;
  }
  if (type !== 'json_schema') throw invalid(usage, 'response_format');
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw invalid(usage, 'response_format');
  const { name, schema, strict, description, ...others } = spec as Record<string, unknown>;
  const other = Object.keys(others)[0];
  if (other !== undefined) {
    throw invalid(`\`response_format.json_schema.${other}\` is not supported; remove it.`, 'response_format');
  }
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw invalid(
      '`response_format.json_schema.name` must be 1 to 64 letters, digits, underscores or dashes.',
      'response_format',
    );
  }
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean') {
    throw invalid('`response_format.json_schema.strict` must be true or false.', 'response_format');
  }
  if (description !== undefined && typeof description !== 'string') {
    throw invalid('`response_format.json_schema.description` must be a string.', 'response_format');
  }
  // Enforced whether strict or not: decoding is always constrained, so the subset holds either way.
  return { type, name, schema: checkJsonSchema(schema, 'response_format.json_schema.schema') };
}

const REVISION = /^[\w.-]{1,128}$/;

/**
 * Checks the parts of a load spec that reach the worker and the hub (dtype, device, revision, hub URL) and the
 * load options; the repository id itself is checked by the engine's resolver. Returns plain copies.
 */
export function validateLoad(
  spec: ModelSpec,
  options: unknown,
): { spec: ModelSpec; onProgress: LoadOptions['onProgress']; signal: AbortSignal | undefined } {
  try {
    const { id, revision, dtype, device, hubUrl } = spec;
    if (revision !== undefined && (typeof revision !== 'string' || !REVISION.test(revision))) {
      throw invalid(
        `\`revision\` must be a branch name or commit hash; got ${describe(revision)}.`,
        'revision',
      );
    }
    if (dtype !== undefined && !DTYPES.includes(dtype)) {
      throw invalid(`\`dtype\` must be one of ${DTYPES.join(', ')}; got ${describe(dtype)}.`, 'dtype');
    }
    if (device !== undefined && device !== 'auto' && !DEVICES.includes(device)) {
      throw invalid(`\`device\` must be auto, ${DEVICES.join(' or ')}; got ${describe(device)}.`, 'device');
    }
    if (hubUrl !== undefined) {
      let url: URL | null = null;
      try {
        url = typeof hubUrl === 'string' ? new URL(hubUrl) : null;
      } catch {
        url = null;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        throw invalid(`\`hubUrl\` must be an http(s) address; got ${describe(hubUrl)}.`, 'hubUrl');
      }
    }
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw invalid('The load options must be an object { onProgress, signal }.', 'options');
    }
    const { onProgress, signal } = (options ?? {}) as Record<string, unknown>;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw invalid('`onProgress` must be a function.', 'onProgress');
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw invalid('`signal` must be an AbortSignal (from an AbortController).', 'signal');
    }
    return {
      // Other fields (e.g. the backend preference) pass on as given: the worker checks its own.
      spec: { ...spec, id, revision, dtype, device, hubUrl },
      onProgress: onProgress as LoadOptions['onProgress'],
      signal,
    };
  } catch (error) {
    if (error instanceof PetitError) throw error;
    throw new PetitError('invalid-request', 'The load request could not be read. Pass plain values.', {
      details: { field: 'request' },
      cause: error,
    });
  }
}
