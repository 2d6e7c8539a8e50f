/**
 * The export formats (pure functions, no IndexedDB): a versioned JSON file, and a Markdown file that people can
 * read and that parses back exactly. Import validates everything before anything is written, and says where
 * the file is wrong.
 */
import { PetitError } from '../engine/errors.ts';
import type { UserRouterWeights } from '../escalation/router.ts';
import { checkUserWeights } from '../escalation/router-user-weights.ts';
import {
  MESSAGE_ROLES,
  MESSAGE_SOURCES,
  MESSAGE_STATUSES,
  type Conversation,
  type StoredMessage,
} from './types.ts';

export const EXPORT_FORMAT = 'petit-conversations';
export const EXPORT_VERSION = 1;

export interface ConversationExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: number;
  conversations: Conversation[];
  /** What the router learned from this user (full exports only; absent when nothing was learned). */
  routerWeights?: UserRouterWeights;
}

export function makeExport(
  conversations: Conversation[],
  exportedAt = Date.now(),
  routerWeights?: UserRouterWeights,
): ConversationExport {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt,
    conversations,
    ...(routerWeights ? { routerWeights } : {}),
  };
}

function invalid(message: string): PetitError {
  return new PetitError('import-invalid', `${message} Nothing was imported.`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? JSON.stringify(v.slice(0, 40))
        : typeof v;

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    // Unknown fields would be silently dropped; refusing them keeps import lossless.
    if (!allowed.includes(key)) throw invalid(`${where} has an unknown field "${key}".`);
  }
}

function str(value: Record<string, unknown>, key: string, where: string, nonEmpty = false): string {
  const v = value[key];
  if (typeof v !== 'string') throw invalid(`${where}.${key} must be a string (got ${describe(v)}).`);
  if (nonEmpty && v.length === 0) throw invalid(`${where}.${key} must not be empty.`);
  return v;
}

function time(value: Record<string, unknown>, key: string, where: string): number {
  const v = value[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw invalid(`${where}.${key} must be a time in milliseconds since 1970 (got ${describe(v)}).`);
  }
  return v;
}

function oneOf<T extends string>(
  value: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  where: string,
): T {
  const v = value[key];
  if (!(allowed as readonly unknown[]).includes(v)) {
    throw invalid(`${where}.${key} must be one of ${allowed.join(', ')} (got ${describe(v)}).`);
  }
  return v as T;
}

function isJsonValue(v: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x, depth + 1));
  if (isObject(v)) return Object.values(v).every((x) => isJsonValue(x, depth + 1));
  return false;
}

const MESSAGE_KEYS = [
  'id',
  'role',
  'content',
  'createdAt',
  'status',
  'source',
  'modelId',
  'usage',
  'error',
] as const;
const CONVERSATION_KEYS = ['id', 'title', 'createdAt', 'updatedAt', 'modelId', 'messages'] as const;

function validateMessage(raw: unknown, where: string): StoredMessage {
  if (!isObject(raw)) throw invalid(`${where} must be an object (got ${describe(raw)}).`);
  checkKeys(raw, MESSAGE_KEYS, where);
  const message: StoredMessage = {
    id: str(raw, 'id', where, true),
    role: oneOf(raw, 'role', MESSAGE_ROLES, where),
    content: str(raw, 'content', where),
    createdAt: time(raw, 'createdAt', where),
    status: oneOf(raw, 'status', MESSAGE_STATUSES, where),
    source: oneOf(raw, 'source', MESSAGE_SOURCES, where),
  };
  if (raw.modelId !== undefined) message.modelId = str(raw, 'modelId', where);
  if (raw.usage !== undefined) {
    const usage = raw.usage;
    if (!isObject(usage) || !isJsonValue(usage)) throw invalid(`${where}.usage must be a JSON object.`);
    for (const key of ['prompt_tokens', 'completion_tokens', 'total_tokens']) {
      if (typeof usage[key] !== 'number') throw invalid(`${where}.usage.${key} must be a number.`);
    }
    message.usage = usage as unknown as StoredMessage['usage'];
  }
  if (raw.error !== undefined) {
    const error = raw.error;
    if (!isObject(error)) throw invalid(`${where}.error must be an object with code and message.`);
    checkKeys(error, ['code', 'message'], `${where}.error`);
    message.error = {
      code: str(error, 'code', `${where}.error`),
      message: str(error, 'message', `${where}.error`),
    };
  }
  return message;
}

function validateConversation(raw: unknown, where: string): Conversation {
  if (!isObject(raw)) throw invalid(`${where} must be an object (got ${describe(raw)}).`);
  checkKeys(raw, CONVERSATION_KEYS, where);
  const modelId = raw.modelId;
  if (modelId !== null && typeof modelId !== 'string') {
    throw invalid(`${where}.modelId must be a string or null (got ${describe(modelId)}).`);
  }
  if (!Array.isArray(raw.messages))
    throw invalid(`${where}.messages must be an array (got ${describe(raw.messages)}).`);
  const seen = new Set<string>();
  const messages = raw.messages.map((m, i) => {
    const message = validateMessage(m, `${where}.messages[${i}]`);
    if (seen.has(message.id)) throw invalid(`${where}.messages[${i}].id "${message.id}" appears twice.`);
    seen.add(message.id);
    return message;
  });
  return {
    id: str(raw, 'id', where, true),
    title: str(raw, 'title', where),
    createdAt: time(raw, 'createdAt', where),
    updatedAt: time(raw, 'updatedAt', where),
    modelId,
    messages,
  };
}

/** Checks a parsed export completely; throws PetitError 'import-invalid' naming the first problem found. */
export function validateExport(value: unknown): ConversationExport {
  if (!isObject(value))
    throw invalid(`This is not a Petit export: expected a JSON object (got ${describe(value)}).`);
  if (value.format !== EXPORT_FORMAT) {
    throw invalid(
      `This is not a Petit conversations export: "format" must be "${EXPORT_FORMAT}" (got ${describe(value.format)}).`,
    );
  }
  if (typeof value.version !== 'number' || !Number.isInteger(value.version) || value.version < 1) {
    throw invalid(`"version" must be a positive whole number (got ${describe(value.version)}).`);
  }
  if (value.version > EXPORT_VERSION) {
    throw invalid(
      `This export was made by a newer Petit (format version ${value.version}; this one reads up to ${EXPORT_VERSION}). Update Petit, then import again.`,
    );
  }
  checkKeys(value, ['format', 'version', 'exportedAt', 'conversations', 'routerWeights'], 'The export');
  let routerWeights: UserRouterWeights | undefined;
  if (value.routerWeights !== undefined) {
    const checked = checkUserWeights(value.routerWeights);
    if (!checked.ok) throw invalid(`"routerWeights" ${checked.why}.`);
    routerWeights = checked.value;
  }
  const exportedAt = time(value, 'exportedAt', 'The export');
  if (!Array.isArray(value.conversations)) {
    throw invalid(`"conversations" must be an array (got ${describe(value.conversations)}).`);
  }
  const ids = new Set<string>();
  const conversations = value.conversations.map((c, i) => {
    const conversation = validateConversation(c, `conversations[${i}]`);
    if (ids.has(conversation.id)) throw invalid(`conversations[${i}].id "${conversation.id}" appears twice.`);
    ids.add(conversation.id);
    return conversation;
  });
  return makeExport(conversations, exportedAt, routerWeights);
}

/** Parses and validates JSON text (or an already-parsed value). */
export function parseJsonExport(input: unknown): ConversationExport {
  if (typeof input !== 'string') return validateExport(input);
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch (error) {
    throw invalid(`The file is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  return validateExport(value);
}

// ---- Markdown ----
//
// Each conversation and message carries its exact data in an HTML comment (invisible when rendered); a message's
// comment gives its content length, so content is read back verbatim whatever it contains. Headings are only for
// people reading the file and are ignored on import.

const MD_HEADER = '<!-- petit-conversations ';
const MD_MARKER = '<!-- petit:';
const MD_END = ' -->';

/** JSON that can sit inside an HTML comment: `<` and `>` escaped so `-->` can never appear. */
const commentJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
/** One line of heading text that cannot contain a marker. */
const headingText = (text: string): string =>
  text
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;')
    .trim();

/** FNV-1a over UTF-16 code units: catches a hand-edited message whose length happens to still line up. */
function checksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

const ROLE_LABEL = { system: 'System', user: 'User', assistant: 'Assistant' } as const;

export function toMarkdown(data: ConversationExport): string {
  const out: string[] = [
    `${MD_HEADER}${commentJson({ version: data.version, exportedAt: data.exportedAt })}${MD_END}\n`,
  ];
  for (const conversation of data.conversations) {
    const { messages, ...meta } = conversation;
    out.push(`\n# ${headingText(conversation.title) || 'Untitled'}\n\n`);
    out.push(`${MD_MARKER}conversation ${commentJson(meta)}${MD_END}\n`);
    for (const message of messages) {
      const { content, ...rest } = message;
      const by = message.modelId ? ` (${headingText(message.modelId)})` : '';
      const status = message.status === 'complete' ? '' : ` · ${message.status}`;
      out.push(`\n## ${ROLE_LABEL[message.role]}${by}${status}\n\n`);
      out.push(
        `${MD_MARKER}message ${commentJson({ ...rest, length: content.length, checksum: checksum(content) })}${MD_END}\n`,
      );
      out.push(`${content}\n`);
    }
  }
  return out.join('');
}

export function parseMarkdownExport(text: string): ConversationExport {
  if (typeof text !== 'string') throw invalid('A Markdown import must be text.');
  if (!text.startsWith(MD_HEADER)) {
    throw invalid(
      'This Markdown file is not a Petit export (it must begin with "<!-- petit-conversations"). Import the file exactly as Petit exported it.',
    );
  }
  const readComment = (start: number, prefixLength: number): { payload: unknown; end: number } => {
    const close = text.indexOf(MD_END, start);
    const lineEnd = text.indexOf('\n', start);
    if (close < 0 || (lineEnd >= 0 && lineEnd < close))
      throw invalid(`An export comment near character ${start} is not closed.`);
    try {
      return { payload: JSON.parse(text.slice(start + prefixLength, close)), end: close + MD_END.length };
    } catch {
      throw invalid(
        `The export comment near character ${start} does not hold valid data; the file was edited after export.`,
      );
    }
  };
  const header = readComment(0, MD_HEADER.length);
  if (!isObject(header.payload)) throw invalid('The export header is damaged.');
  const conversations: Record<string, unknown>[] = [];
  let cursor = header.end;
  for (;;) {
    const at = text.indexOf(MD_MARKER, cursor);
    if (at < 0) break;
    const kindEnd = text.indexOf(' ', at + MD_MARKER.length);
    const kind = text.slice(at + MD_MARKER.length, kindEnd);
    const { payload, end } = readComment(at, MD_MARKER.length + kind.length + 1);
    if (!isObject(payload)) throw invalid(`The ${kind} comment near character ${at} is damaged.`);
    if (kind === 'conversation') {
      conversations.push({ ...payload, messages: [] });
      cursor = end;
    } else if (kind === 'message') {
      const current = conversations.at(-1);
      if (!current) throw invalid(`A message near character ${at} comes before any conversation.`);
      const { length, checksum: sum, ...message } = payload;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
        throw invalid(`The message near character ${at} has no valid length.`);
      }
      const start = end + 1;
      if (text[end] !== '\n' || start + length > text.length || text[start + length] !== '\n') {
        throw invalid(
          `The message near character ${at} does not end where its length says: the file was edited after export (line endings too count). Import the JSON export instead, or export again.`,
        );
      }
      const content = text.slice(start, start + length);
      if (sum !== checksum(content)) {
        throw invalid(
          `The message near character ${at} was changed after export (its checksum does not match). Import the JSON export instead, or export again.`,
        );
      }
      (current.messages as unknown[]).push({ ...message, content });
      cursor = start + length + 1;
    } else {
      throw invalid(`Unknown export comment "${kind}" near character ${at}.`);
    }
  }
  return validateExport({ format: EXPORT_FORMAT, ...header.payload, conversations });
}
