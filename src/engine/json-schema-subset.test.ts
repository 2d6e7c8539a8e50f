import { describe, expect, it } from 'vitest';
import { PetitError } from './errors.ts';
import { MAX_SCHEMA_DEPTH, checkJsonSchema } from './json-schema-subset.ts';
import { validateRequest } from './validate.ts';

const messages = [{ role: 'user', content: 'Extract the fields.' }];
const request = (schema: unknown, extra: Record<string, unknown> = {}) => ({
  messages,
  response_format: { type: 'json_schema', json_schema: { name: 'fields', schema, strict: true, ...extra } },
});

function refusal(run: () => unknown): PetitError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PetitError);
    return error as PetitError;
  }
  throw new Error('expected a refusal');
}

const contact = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 80, description: 'Full name' },
    email: { type: 'string', format: 'email' },
    topic: { enum: ['billing', 'bug', 'other'] },
    age: { type: ['integer', 'null'], minimum: 0, maximum: 150 },
    tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' }, maxItems: 5 },
    address: { $ref: '#/$defs/address' },
    score: { anyOf: [{ type: 'number' }, { type: 'null' }] },
    urgent: { type: 'boolean' },
  },
  required: ['name', 'email', 'topic', 'age', 'tags', 'address', 'score', 'urgent'],
  additionalProperties: false,
  $defs: {
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, zip: { type: 'string', pattern: '^\\d{5}$' } },
      required: ['city', 'zip'],
      additionalProperties: false,
    },
  },
};

describe('response_format json_schema', () => {
  it('accepts a strict-mode schema (objects, enums, arrays, $ref, anyOf, formats, closed integer ranges)', () => {
    const params = validateRequest(request(contact));
    expect(params.responseFormat).toEqual({
      type: 'json_schema',
      name: 'fields',
      schema: JSON.stringify(contact),
    });
  });

  it('accepts json_object and text', () => {
    expect(validateRequest({ messages, response_format: { type: 'json_object' } }).responseFormat).toEqual({
      type: 'json_object',
    });
    expect(validateRequest({ messages, response_format: { type: 'text' } }).responseFormat).toBeUndefined();
  });

  it.each([
    ['multipleOf', { type: 'integer', multipleOf: 5 }],
    ['oneOf', { oneOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['allOf', { allOf: [{ type: 'string' }] }],
    ['not', { not: { type: 'string' } }],
    ['patternProperties', { type: 'object', patternProperties: { '^x': { type: 'string' } } }],
    ['uniqueItems', { type: 'array', items: { type: 'string' }, uniqueItems: true }],
    ['if', { type: 'string', if: { maxLength: 2 } }],
  ])('refuses `%s` up front, naming it', (keyword, schema) => {
    const error = refusal(() =>
      validateRequest(request({ type: 'object', properties: { x: schema }, required: ['x'] })),
    );
    expect(error.code).toBe('invalid-request');
    expect(error.message).toContain(`\`${keyword}\``);
    expect(error.message).toContain('#/properties/x');
    expect(error.details).toMatchObject({ field: 'response_format', keyword, path: '#/properties/x' });
  });

  it.each([
    ['a keyword of another type', { type: 'string', minimum: 1, maximum: 3 }, 'minimum'],
    [
      'additionalProperties true',
      { type: 'object', properties: {}, additionalProperties: true },
      'additionalProperties',
    ],
    ['an open integer range', { type: 'integer', minimum: 0 }, 'minimum'],
    ['bounds on a number', { type: 'number', minimum: 0, maximum: 1 }, 'minimum'],
    ['an unknown format', { type: 'string', format: 'credit-card' }, 'format'],
    ['a pattern that is no regular expression', { type: 'string', pattern: '([a-z' }, 'pattern'],
    [
      'required naming an undeclared property',
      { type: 'object', properties: {}, required: ['ghost'] },
      'required',
    ],
    ['a $ref outside $defs', { $ref: 'https://example.com/schema.json' }, '$ref'],
    ['a $ref to nothing', { $ref: '#/$defs/missing' }, '$ref'],
    ['an unknown type', { type: 'date' }, 'type'],
    ['an empty enum', { enum: [] }, 'enum'],
    ['minItems above maxItems', { type: 'array', minItems: 3, maxItems: 1 }, 'minItems'],
  ])('refuses %s', (_what, schema, keyword) => {
    const error = refusal(() => checkJsonSchema(schema, 'schema'));
    expect(error.code).toBe('invalid-request');
    expect(error.details).toMatchObject({ keyword });
  });

  it.each(['^(a)\\1$', '^(?=a)a$', '^[a-z]+(?!x)$', '^a\\bb$', '^\\p{L}+$'])(
    'refuses a pattern the grammar engine would crash on: %s',
    (pattern) => {
      const error = refusal(() => checkJsonSchema({ type: 'string', pattern }, 'schema'));
      expect(error.details).toMatchObject({ keyword: 'pattern' });
      expect(error.message).toMatch(/backreference|lookaround|word boundary|Unicode property/);
    },
  );

  it('bounds nesting and size', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i <= MAX_SCHEMA_DEPTH; i++) deep = { type: 'array', items: deep };
    expect(refusal(() => checkJsonSchema(deep, 'schema')).details).toMatchObject({ keyword: 'depth' });
    const wide = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`p${i}`, {}])),
    };
    expect(refusal(() => checkJsonSchema(wide, 'schema')).message).toMatch(/characters|properties/);
  });

  it('refuses a bad name, a non-object schema, unknown fields of json_schema and response_format', () => {
    expect(refusal(() => validateRequest(request(contact, { name: 'has space' }))).message).toMatch(/name/);
    expect(refusal(() => validateRequest(request('{"type":"object"}'))).message).toMatch(
      /JSON Schema object/,
    );
    expect(refusal(() => validateRequest(request(contact, { schema_version: 2 }))).message).toMatch(
      /json_schema\.schema_version/,
    );
    expect(
      refusal(() => validateRequest({ messages, response_format: { type: 'json_object', schema: '{}' } }))
        .message,
    ).toMatch(/response_format\.schema/);
    expect(refusal(() => validateRequest({ messages, response_format: { type: 'grammar' } })).code).toBe(
      'invalid-request',
    );
  });
});

describe('fields Petit does not implement are refused, never dropped', () => {
  it.each([
    ['n', { n: 2 }],
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }],
    ['tool_choice', { tool_choice: 'auto' }],
  ])('%s', (field, extra) => {
    const error = refusal(() => validateRequest({ messages, ...extra }));
    expect(error.code).toBe('invalid-request');
    expect(error.details).toMatchObject({ field });
    expect(error.message).toContain(`\`${field}\``);
  });

  it('n: 1 is what Petit does anyway', () => {
    expect(() => validateRequest({ messages, n: 1 })).not.toThrow();
  });
});
