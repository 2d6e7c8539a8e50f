import { LogitsProcessor, type Tensor } from '@huggingface/transformers';
import type * as Xgrammar from '@mlc-ai/web-xgrammar';
import { PetitError } from '../../src/engine/errors.ts';
import type { OutputFormat } from '../../src/engine/validate.ts';
import { Utf8Guard, tokenBytes, utf8Table, type Utf8Table } from './utf8-guard.ts';

/**
 * Constrained decoding for the transformers.js backend with XGrammar (@mlc-ai/web-xgrammar, the build web-llm
 * uses): the JSON schema is compiled against the model's vocabulary once, then at each step the logits of every
 * token that would break the grammar are set to -Infinity before sampling. Its wasm is inlined in the module
 * (no fetch, no extra precache entry) and needs only `'wasm-unsafe-eval'`, which ONNX Runtime needs already.
 */

export type XgrammarModule = typeof Xgrammar;
type VocabType = 'byte_level' | 'byte_fallback' | 'raw';

/** Whitespace and separators of the output: one line, as `JSON.stringify(value, null, 0)` with spaces after , and :. */
const SEPARATORS: [string, string] = [', ', ': '];
/** Compiled grammars kept per model (a schema is often reused for many requests). */
const COMPILED_KEPT = 8;

export interface Vocabulary {
  /** Token strings as the tokenizer stores them (byte-level `Ġ`, sentencepiece `▁`, `<0x0A>`), by id. */
  encoded: string[];
  type: VocabType;
  /** Special tokens (chat markers…): text the decoder drops, so never allowed inside constrained output. */
  specialIds: number[];
  /** Highest id the tokenizer knows + 1; the logits may have more rows (padding), which are never text. */
  tokenCount: number;
}

interface TokenizerJson {
  model?: { vocab?: Record<string, number> | [string, number][]; byte_fallback?: boolean };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  decoder?: unknown;
  pre_tokenizer?: unknown;
}

/** Whether `node` (a tokenizer.json component, possibly a Sequence) contains a part of one of these types. */
function hasPart(node: unknown, types: readonly string[]): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const { type, decoders, pretokenizers, pre_tokenizers } = node as Record<string, unknown>;
  if (typeof type === 'string' && types.includes(type)) return true;
  return [decoders, pretokenizers, pre_tokenizers].some(
    (list) => Array.isArray(list) && list.some((part) => hasPart(part, types)),
  );
}

/** The vocabulary XGrammar needs, read from a Hugging Face tokenizer.json (what transformers.js loaded). */
export function vocabularyOf(json: TokenizerJson | undefined, logits: number): Vocabulary {
  const vocab = json?.model?.vocab;
  if (!json || !vocab) {
    throw new PetitError(
      'invalid-model-config',
      "This model's tokenizer.json has no vocabulary the grammar engine can read: response_format cannot be used with it.",
      { details: { field: 'response_format' } },
    );
  }
  let highest = Array.isArray(vocab) ? vocab.length - 1 : -1;
  if (!Array.isArray(vocab)) for (const id of Object.values(vocab)) if (id > highest) highest = id;
  for (const added of json.added_tokens ?? []) if (added.id > highest) highest = added.id;
  // The logits' size (config.json's vocab_size), or the tokenizer's when the config does not say.
  const size = Number.isSafeInteger(logits) && logits > highest ? logits : highest + 1;
  const encoded: string[] = new Array<string>(size).fill('');
  if (Array.isArray(vocab)) vocab.forEach(([token], id) => id < size && (encoded[id] = token));
  else if (vocab) for (const [token, id] of Object.entries(vocab)) if (id < size) encoded[id] = token;
  const specialIds: number[] = [];
  for (const added of json.added_tokens ?? []) {
    if (added.id >= size) continue;
    encoded[added.id] = added.content;
    if (added.special) specialIds.push(added.id);
  }
  let tokenCount = size;
  while (tokenCount > 0 && encoded[tokenCount - 1] === '') tokenCount--;
  let type: VocabType = 'raw';
  if (hasPart(json.decoder, ['ByteLevel']) || hasPart(json.pre_tokenizer, ['ByteLevel'])) type = 'byte_level';
  else if (json.model?.byte_fallback || hasPart(json.decoder, ['ByteFallback', 'Metaspace', 'Replace']))
    type = 'byte_fallback';
  return { encoded, type, specialIds, tokenCount };
}

/** One per loaded model: the vocabulary compiled into XGrammar's tokenizer info, and the grammars compiled so far. */
export class GrammarCompilerCache {
  private compiled = new Map<string, Promise<Xgrammar.CompiledGrammar>>();
  private constructor(
    private readonly xgr: XgrammarModule,
    private readonly info: Xgrammar.TokenizerInfo,
    private readonly compiler: Xgrammar.GrammarCompiler,
    private readonly vocabulary: Vocabulary,
    readonly stopIds: number[],
    private readonly utf8: Utf8Table,
  ) {}

  static async create(
    xgr: XgrammarModule,
    vocabulary: Vocabulary,
    stopIds: number[],
  ): Promise<GrammarCompilerCache> {
    const stops = new Set(stopIds);
    // Special tokens other than the stop tokens are blanked: XGrammar then never matches them as text.
    const encoded = vocabulary.encoded.map((token, id) =>
      stops.has(id) || !vocabulary.specialIds.includes(id) ? token : '',
    );
    const info = await xgr.TokenizerInfo.createTokenizerInfo(
      encoded,
      vocabulary.type,
      false,
      encoded.length,
      stopIds,
    );
    const compiler = await xgr.GrammarCompiler.createGrammarCompiler(info);
    return new GrammarCompilerCache(
      xgr,
      info,
      compiler,
      vocabulary,
      stopIds,
      utf8Table(tokenBytes(encoded, vocabulary.type)),
    );
  }

  /** Compiles (or reuses) the grammar of a format; a schema XGrammar cannot compile is an invalid request. */
  private compile(format: OutputFormat): Promise<Xgrammar.CompiledGrammar> {
    const key = format.type === 'json_schema' ? format.schema : '';
    const kept = this.compiled.get(key);
    if (kept) {
      this.compiled.delete(key);
      this.compiled.set(key, kept);
      return kept;
    }
    // json_object: any object, so the schema {"type":"object"} in non-strict mode (any properties).
    const work = this.compiler
      .compileJSONSchema(key ? strictFormats(key) : '{"type":"object"}', false, -1, SEPARATORS, key !== '')
      .catch((error: unknown) => {
        this.compiled.delete(key);
        const reason = error instanceof Error ? error.message : String(error);
        // An abort ends XGrammar's wasm module for good: a backend-error makes the engine start a fresh worker.
        if (reason.includes('Aborted(')) {
          throw new PetitError(
            'backend-error',
            `The grammar engine stopped on this schema (${reason}); the model is reloaded. Simplify the schema.`,
            { details: { field: 'response_format' }, cause: error },
          );
        }
        throw new PetitError(
          'invalid-request',
          `The schema of response_format could not be compiled into a grammar (${reason}). Simplify it.`,
          { details: { field: 'response_format' }, cause: error },
        );
      });
    this.compiled.set(key, work);
    while (this.compiled.size > COMPILED_KEPT) {
      const oldest = this.compiled.keys().next().value as string;
      void this.compiled.get(oldest)?.then(
        (grammar) => grammar.dispose(),
        () => {},
      );
      this.compiled.delete(oldest);
    }
    return work;
  }

  /** A fresh constraint for one answer. */
  async constraint(format: OutputFormat): Promise<GrammarConstraint> {
    const compiled = await this.compile(format);
    const matcher = await this.xgr.GrammarMatcher.createGrammarMatcher(compiled, this.stopIds);
    const stops = new Set(this.stopIds);
    return new GrammarConstraint(
      matcher,
      this.vocabulary.specialIds.filter((id) => !stops.has(id)),
      this.vocabulary.tokenCount,
      new Utf8Guard(this.utf8),
    );
  }

  dispose(): void {
    for (const grammar of this.compiled.values())
      void grammar.then(
        (g) => g.dispose(),
        () => {},
      );
    this.compiled.clear();
    this.compiler.dispose();
    this.info.dispose();
  }
}

/**
 * The state of one constrained answer. Per step: `prepare()` (async, before the model's forward pass) computes the
 * allowed tokens, `processor` masks the logits (transformers.js calls processors synchronously), and `accept()`
 * advances the grammar with the sampled token.
 */
export class GrammarConstraint {
  private mask: Int32Array | null = null;
  /** A sampled token the grammar refused (only a sampler's floating-point edge could cause it). */
  rejected: number | null = null;
  readonly processor: LogitsProcessor;

  constructor(
    private readonly matcher: Xgrammar.GrammarMatcher,
    private readonly banned: readonly number[],
    private readonly tokenCount: number,
    private readonly utf8: Utf8Guard,
  ) {
    this.processor = new MaskProcessor(this);
  }

  async prepare(): Promise<void> {
    this.mask = await this.matcher.getNextTokenBitmask();
  }

  /** Sets the logits of every token the grammar does not allow now to -Infinity (in place). */
  apply(scores: Float32Array): void {
    const mask = this.mask;
    if (!mask) throw new PetitError('backend-error', 'The grammar mask was not ready before sampling.');
    const n = Math.min(scores.length, this.tokenCount, mask.length * 32);
    for (let word = 0; word * 32 < n; word++) {
      const bits = mask[word];
      if (bits === -1) continue;
      const end = Math.min(n, word * 32 + 32);
      for (let id = word * 32; id < end; id++) if (((bits >>> (id & 31)) & 1) === 0) scores[id] = -Infinity;
    }
    // Logit rows beyond the tokenizer (padded vocabularies such as Qwen2.5's) are no text at all.
    for (let id = n; id < scores.length; id++) scores[id] = -Infinity;
    for (const id of this.banned) if (id < scores.length) scores[id] = -Infinity;
    for (const id of this.utf8.bannedNow()) if (id < scores.length) scores[id] = -Infinity;
  }

  accept(id: number): void {
    if (this.rejected === null && !this.matcher.acceptToken(id)) this.rejected = id;
    this.utf8.accept(id);
  }

  /** True once the grammar is complete and a stop token was accepted. */
  get terminated(): boolean {
    return this.matcher.isTerminated();
  }

  dispose(): void {
    this.matcher.dispose();
  }
}

class MaskProcessor extends LogitsProcessor {
  constructor(private readonly constraint: GrammarConstraint) {
    super();
  }
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    this.constraint.apply(logits.data as Float32Array);
    return logits;
  }
}

let xgrammar: Promise<XgrammarModule> | null = null;

/** XGrammar, loaded on the first constrained request (1.1 MB with its wasm: no cost for plain chat). */
export function loadXgrammar(): Promise<XgrammarModule> {
  xgrammar ??= import('@mlc-ai/web-xgrammar');
  return xgrammar;
}

/** One dotted-decimal octet, 0–255, without leading zeros (RFC 3986's dec-octet). */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';

/**
 * XGrammar 0.1.27's `ipv4` format lets octets with leading zeros through ("077.1.2.3", read as octal by some
 * parsers), which strict validators refuse: such a format is compiled as the exact pattern instead.
 */
export function strictFormats(schemaJson: string): string {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = walk(value);
    if (out.format === 'ipv4' && out.pattern === undefined) {
      delete out.format;
      out.pattern = `^${OCTET}(\\.${OCTET}){3}$`;
    }
    return out;
  };
  return JSON.stringify(walk(JSON.parse(schemaJson)));
}
