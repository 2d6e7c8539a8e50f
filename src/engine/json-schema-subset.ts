import { PetitError } from './errors.ts';

/**
 * The JSON Schema subset Petit enforces with constrained decoding (OpenAI's strict-mode subset, as XGrammar
 * compiles it). Every keyword here is enforced token by token; any other keyword is refused up front, naming it,
 * because a constraint dropped silently would return JSON that does not match what the caller asked for.
 * workers/backends/grammar.test.ts proves each constraining keyword is enforced by the grammar engine.
 */

/** Annotations: they describe, never constrain, so accepting them loses nothing. */
const ANNOTATIONS = ['description', 'title', '$comment', 'examples', 'default'];
const COMMON = ['type', 'enum', 'const', 'anyOf', '$ref', ...ANNOTATIONS];
/** Keywords by the type they constrain. */
const BY_TYPE: Record<string, readonly string[]> = {
  object: ['properties', 'required', 'additionalProperties'],
  array: ['items', 'minItems', 'maxItems'],
  string: ['pattern', 'format', 'minLength', 'maxLength'],
  // XGrammar 0.1.27 does not enforce bounds on non-integers exactly (-10.5 passes `minimum: -10`).
  number: [],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  boolean: [],
  null: [],
};
const ROOT_ONLY = ['$defs', 'definitions', '$schema'];
const TYPES = Object.keys(BY_TYPE);
/** OpenAI's strict-mode formats; XGrammar enforces each. */
export const STRING_FORMATS = [
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
];
export const SUPPORTED_KEYWORDS = [
  ...new Set([...COMMON, ...Object.values(BY_TYPE).flat(), ...ROOT_ONLY]),
].sort();

/** Bounds on hostile or runaway schemas (OpenAI's are 5000 properties and 10 levels of nesting). */
export const MAX_SCHEMA_CHARS = 100_000;
export const MAX_SCHEMA_DEPTH = 10;
export const MAX_SCHEMA_PROPERTIES = 5000;
export const MAX_ENUM_VALUES = 1000;

const FIELD = 'response_format';

function refuse(message: string, details: Record<string, string>): PetitError {
  return new PetitError('invalid-request', message, { details: { field: FIELD, ...details } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

interface Walk {
  root: Record<string, unknown>;
  properties: number;
}

/**
 * Checks `schema` against the subset and returns its canonical JSON text (what the grammar is compiled from).
 * `where` names the schema in messages, e.g. `response_format.json_schema.schema`.
 */
export function checkJsonSchema(schema: unknown, where: string): string {
  if (!isPlainObject(schema)) throw refuse(`\`${where}\` must be a JSON Schema object.`, { path: '#' });
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (error) {
    throw refuse(
      `\`${where}\` could not be read as JSON (${error instanceof Error ? error.message : error}); pass plain JSON values.`,
      { path: '#' },
    );
  }
  if (text.length > MAX_SCHEMA_CHARS) {
    throw refuse(
      `\`${where}\` is ${text.length} characters of JSON; at most ${MAX_SCHEMA_CHARS} are accepted.`,
      {
        path: '#',
      },
    );
  }
  // Checked on the JSON copy: getters and prototypes of the caller's object cannot change between check and use.
  const copy = JSON.parse(text) as Record<string, unknown>;
  const walk: Walk = { root: copy, properties: 0 };
  checkNode(copy, '#', 0, walk, where);
  for (const key of ['$defs', 'definitions'] as const) {
    if (copy[key] === undefined) continue;
    if (!isPlainObject(copy[key]))
      throw refuse(`\`${where}\`: \`${key}\` must be an object of schemas.`, { path: `#/${key}` });
    for (const [name, sub] of Object.entries(copy[key])) checkNode(sub, `#/${key}/${name}`, 1, walk, where);
  }
  return text;
}

function checkNode(node: unknown, path: string, depth: number, walk: Walk, where: string): void {
  const at = (message: string, keyword: string) =>
    refuse(`\`${where}\` at ${path}: ${message}`, { path, keyword });
  if (!isPlainObject(node)) throw at('each schema must be an object.', 'type');
  if (depth > MAX_SCHEMA_DEPTH) {
    throw at(`schemas nest at most ${MAX_SCHEMA_DEPTH} levels deep; flatten it or use $defs.`, 'depth');
  }
  const types = readTypes(node.type, at);
  const allowed = new Set([...COMMON, ...(depth === 0 && path === '#' ? ROOT_ONLY : [])]);
  const typeNames = types ?? TYPES;
  for (const t of typeNames) for (const k of BY_TYPE[t]) allowed.add(k);
  for (const key of Object.keys(node)) {
    if (allowed.has(key)) continue;
    const known = SUPPORTED_KEYWORDS.includes(key);
    throw at(
      known
        ? `\`${key}\` does not apply to type ${typeNames.join(' | ')}; remove it or fix \`type\`.`
        : `\`${key}\` is not supported (constrained decoding could not enforce it); remove it. Supported keywords: ${SUPPORTED_KEYWORDS.join(', ')}.`,
      key,
    );
  }
  if (node.enum !== undefined) {
    if (!Array.isArray(node.enum) || node.enum.length === 0 || node.enum.length > MAX_ENUM_VALUES) {
      throw at(`\`enum\` must be a non-empty array of at most ${MAX_ENUM_VALUES} values.`, 'enum');
    }
  }
  if (node.$ref !== undefined) checkRef(node.$ref, walk.root, at);
  if (node.anyOf !== undefined) {
    if (!Array.isArray(node.anyOf) || node.anyOf.length === 0)
      throw at('`anyOf` must be a non-empty array of schemas.', 'anyOf');
    node.anyOf.forEach((sub, i) => checkNode(sub, `${path}/anyOf/${i}`, depth + 1, walk, where));
  }
  if (node.properties !== undefined) {
    if (!isPlainObject(node.properties)) throw at('`properties` must be an object of schemas.', 'properties');
    for (const [name, sub] of Object.entries(node.properties)) {
      walk.properties += 1;
      if (walk.properties > MAX_SCHEMA_PROPERTIES) {
        throw at(`a schema may declare at most ${MAX_SCHEMA_PROPERTIES} properties in all.`, 'properties');
      }
      checkNode(sub, `${path}/properties/${name}`, depth + 1, walk, where);
    }
  }
  if (node.required !== undefined) {
    const names = isPlainObject(node.properties) ? Object.keys(node.properties) : [];
    if (
      !Array.isArray(node.required) ||
      node.required.some((n) => typeof n !== 'string' || !names.includes(n))
    ) {
      throw at('`required` must list names declared in `properties`.', 'required');
    }
  }
  if (node.additionalProperties !== undefined && node.additionalProperties !== false) {
    throw at(
      '`additionalProperties` must be false (or left out, which means false): every property must be declared.',
      'additionalProperties',
    );
  }
  if (node.items !== undefined) checkNode(node.items, `${path}/items`, depth + 1, walk, where);
  for (const key of ['minItems', 'maxItems', 'minLength', 'maxLength']) {
    if (node[key] !== undefined && !isCount(node[key]))
      throw at(`\`${key}\` must be a whole number of at least 0.`, key);
  }
  for (const [min, max] of [
    ['minItems', 'maxItems'],
    ['minLength', 'maxLength'],
    ['minimum', 'maximum'],
  ]) {
    if (typeof node[min] === 'number' && typeof node[max] === 'number' && node[min] > node[max]) {
      throw at(`\`${min}\` is above \`${max}\`: no value could match.`, min);
    }
  }
  const bounds = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].filter(
    (k) => node[k] !== undefined,
  );
  for (const key of bounds) {
    if (typeof node[key] !== 'number' || !Number.isFinite(node[key]))
      throw at(`\`${key}\` must be a number.`, key);
  }
  if (bounds.length > 0 && typeNames.includes('number')) {
    throw at(
      `\`${bounds[0]}\` applies to \`type: 'integer'\` only: bounds on other numbers cannot be enforced exactly.`,
      bounds[0],
    );
  }
  // XGrammar 0.1.27 enforces an integer range exactly only when it is closed on both sides (grammar.test.ts).
  const lower = bounds.some((k) => k.endsWith('inimum'));
  const upper = bounds.some((k) => k.endsWith('aximum'));
  if (lower !== upper) {
    throw at(
      `\`${bounds[0]}\` needs a bound on the other side too (a ${lower ? 'maximum' : 'minimum'}): only closed integer ranges can be enforced.`,
      bounds[0],
    );
  }
  if (node.pattern !== undefined) {
    try {
      if (typeof node.pattern !== 'string') throw new Error('not a string');
      new RegExp(node.pattern, 'u');
    } catch {
      throw at('`pattern` must be a valid regular expression.', 'pattern');
    }
    const construct = unsupportedRegex(node.pattern);
    if (construct) {
      throw at(
        `\`pattern\` uses ${construct}, which the grammar engine cannot compile; rewrite it without.`,
        'pattern',
      );
    }
  }
  if (node.format !== undefined && !STRING_FORMATS.includes(node.format as string)) {
    throw at(
      `\`format\` must be one of ${STRING_FORMATS.join(', ')}; got ${JSON.stringify(node.format)}.`,
      'format',
    );
  }
}

/**
 * Regular-expression constructs XGrammar 0.1.27 cannot compile. It aborts its wasm module on them, which would
 * end constrained decoding in the worker for good, so they never reach it (grammar.test.ts compiles the rest).
 */
function unsupportedRegex(pattern: string): string | null {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return `a backreference (\\${next})`;
      if (next === 'b' || next === 'B') return `a word boundary (\\${next})`;
      if (next === 'p' || next === 'P') return `a Unicode property (\\${next}{…})`;
      i += 1;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const kind = pattern.slice(i + 2, i + 4);
      if (kind[0] === '=' || kind[0] === '!' || kind === '<=' || kind === '<!')
        return 'a lookaround ((?=…), (?!…)…)';
    }
  }
  return null;
}

function readTypes(type: unknown, at: (m: string, k: string) => PetitError): string[] | null {
  if (type === undefined) return null;
  const list = Array.isArray(type) ? type : [type];
  if (list.length === 0 || list.some((t) => typeof t !== 'string' || !TYPES.includes(t))) {
    throw at(`\`type\` must be one of ${TYPES.join(', ')} (or an array of them).`, 'type');
  }
  return list as string[];
}

function checkRef(
  ref: unknown,
  root: Record<string, unknown>,
  at: (m: string, k: string) => PetitError,
): void {
  const match = typeof ref === 'string' ? /^#(?:\/(\$defs|definitions)\/([^/]+))?$/.exec(ref) : null;
  if (!match) throw at('`$ref` must be "#" or point into "#/$defs/…" (or "#/definitions/…").', '$ref');
  if (match[1]) {
    const defs = root[match[1]];
    if (!isPlainObject(defs) || !isPlainObject(defs[match[2]])) {
      throw at(`\`$ref\` ${JSON.stringify(ref)} points to no schema.`, '$ref');
    }
  }
}
