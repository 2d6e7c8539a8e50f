/**
 * Seeded random JSON schemas in the subset constrained decoding supports (nested objects, enums, arrays, numbers,
 * bounded strings, anyOf, $ref): the test inputs of structured output. Every string and array is bounded, so a
 * model with random weights still reaches the end of an answer in a few hundred tokens.
 */

import { mulberry32 } from './random-weights.ts';

export type Random = () => number;

/** Uniform in [0, 1), the same sequence for a seed everywhere (Node and the browser): the forge's mulberry32. */
export function seededRandom(seed: number): Random {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

type Schema = Record<string, unknown>;
const WORDS = [
  'red',
  'green',
  'light blue',
  'café',
  'naïve',
  'yes',
  'no',
  'maybe',
  'ok',
  'A-1',
  'x"y',
  'tab\there',
];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function leaf(random: Random): Schema {
  switch (int(random, 0, 8)) {
    case 0: {
      const values = new Set<string>();
      const n = int(random, 1, 4);
      while (values.size < n) values.add(pick(random, WORDS));
      return { type: 'string', enum: [...values] };
    }
    case 1:
      return { type: 'string', maxLength: int(random, 1, 12) };
    case 2:
      return { type: 'string', pattern: pick(random, ['^[a-z]{1,8}$', '^[A-Z]{2}-\\d{3}$', '^(yes|no)$']) };
    case 3:
      return { type: 'string', format: pick(random, ['date', 'time', 'uuid', 'ipv4']) };
    case 4: {
      const min = int(random, -50, 50);
      return { type: 'integer', minimum: min, maximum: min + int(random, 0, 500) };
    }
    case 5:
      // Unbounded numbers are left out: random logits rarely end one (the grammar cannot bound its digits).
      return { type: 'number', enum: [0.5, -2, 1e3] };
    case 6:
      return { type: 'boolean' };
    case 7:
      return { type: ['integer', 'null'], minimum: 0, maximum: 9 };
    default:
      return { enum: [1, 2.5, 'three', true, null].slice(0, int(random, 1, 5)) };
  }
}

function node(random: Random, depth: number): Schema {
  const roll = random();
  if (depth >= 3 || roll < 0.45) return leaf(random);
  if (roll < 0.7) return object(random, depth + 1);
  if (roll < 0.88) {
    const min = int(random, 0, 1);
    return {
      type: 'array',
      items: node(random, depth + 1),
      minItems: min,
      maxItems: min + int(random, 0, 3),
    };
  }
  return { anyOf: [leaf(random), leaf(random)] };
}

function object(random: Random, depth: number): Schema {
  const properties: Record<string, Schema> = {};
  const count = int(random, 1, 4);
  for (let i = 0; i < count; i++)
    properties[pick(random, ['name', 'label', 'size', 'tags', 'when', 'ok']) + i] = node(random, depth);
  const names = Object.keys(properties);
  const required = names.filter(() => random() < 0.8);
  return { type: 'object', properties, required, additionalProperties: false };
}

/** A root object schema; one in five puts a part under $defs and points at it with $ref. */
export function randomSchema(random: Random): Schema {
  const root = object(random, 0);
  if (random() < 0.2) {
    const props = root.properties as Record<string, Schema>;
    root.$defs = { part: object(random, 2) };
    props.part = { $ref: '#/$defs/part' };
    (root.required as string[]).push('part');
  }
  return root;
}
