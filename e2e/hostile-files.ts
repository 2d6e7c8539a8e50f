import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Hostile model files and hub misbehaviours for e2e/hostile.spec.ts (the requests are in hostile-inputs.ts). */
export interface FuzzRepo {
  klass: 'config' | 'tokenizer' | 'template' | 'onnx';
  repo: string;
  label: string;
  /** As in HostileCase: a code other than the class's. */
  code?: string;
}

/** xorshift32 over bytes, so the fuzzed files are the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

/**
 * Writes fuzzed copies of the tiny model (q8 weights) into the hub's folder, one repo per case, and lists them.
 * Each repo id is fresh (`petit-fuzz/...`), so nothing of it is in the browser's store beforehand.
 */
export function writeFuzzRepos(hubRoot: string, tinyDir: string): FuzzRepo[] {
  const out: FuzzRepo[] = [];
  const root = join(hubRoot, 'petit-fuzz');
  rmSync(root, { recursive: true, force: true });
  let n = 0;
  const make = (
    klass: FuzzRepo['klass'],
    label: string,
    file: string,
    bytes: Buffer | string,
    codes: { code?: string } = {},
  ) => {
    const repo = `petit-fuzz/${klass}-${n++}`;
    const dir = join(hubRoot, repo);
    mkdirSync(dir, { recursive: true });
    cpSync(tinyDir, dir, { recursive: true });
    rmSync(join(dir, 'onnx', 'model.onnx'), { force: true });
    writeFileSync(join(dir, file), bytes);
    out.push({ klass, repo, label, ...codes });
  };

  const config = JSON.parse(readFileSync(join(tinyDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const configCases: [string, string][] = [
    ['empty', ''],
    ['null', 'null'],
    ['array', '[]'],
    ['empty object', '{}'],
    ['truncated', JSON.stringify(config).slice(0, 100)],
    ['deep nesting', '['.repeat(100_000)],
    ['not UTF-8', '\xff\xfe{"a":1}'],
  ];
  const mutations: Record<string, unknown>[] = [
    { model_type: 'not-a-model' },
    { model_type: 42 },
    { model_type: undefined },
    { num_hidden_layers: 0 },
    { num_hidden_layers: -1 },
    { num_hidden_layers: 'two' },
    { num_hidden_layers: 1e9 },
    { num_attention_heads: 0 },
    { num_key_value_heads: 3 },
    { hidden_size: 1e12 },
    { vocab_size: 0 },
    { head_dim: null },
    { eos_token_id: 'x' },
    { max_position_embeddings: 1 },
    { max_position_embeddings: -5 },
    { architectures: 'LlamaForCausalLM' },
    { __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } },
  ];
  for (const [label, text] of configCases) make('config', `config.json ${label}`, 'config.json', text);
  for (const change of mutations)
    make(
      'config',
      `config.json ${JSON.stringify(change)}`,
      'config.json',
      JSON.stringify({ ...config, ...change }),
      // A 1-token context is a valid config: the load succeeds and the first prompt does not fit.
      change.max_position_embeddings === 1 ? { code: 'context-length-exceeded' } : {},
    );

  const tokenizer = JSON.parse(readFileSync(join(tinyDir, 'tokenizer.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const tokenizerCases: [string, string][] = [
    ['empty', ''],
    ['not JSON', 'tokenizer'],
    ['empty object', '{}'],
    ['truncated', JSON.stringify(tokenizer).slice(0, 5000)],
    ['unknown model type', JSON.stringify({ ...tokenizer, model: { type: 'Nope' } })],
    ['model null', JSON.stringify({ ...tokenizer, model: null })],
    ['vocab empty', JSON.stringify({ ...tokenizer, model: { ...(tokenizer.model as object), vocab: {} } })],
    ['merges garbage', JSON.stringify({ ...tokenizer, model: { ...(tokenizer.model as object), merges: [1, null, 'a'] } })], // prettier-ignore
    ['added_tokens wrong', JSON.stringify({ ...tokenizer, added_tokens: 'x' })],
    ['normalizer unknown', JSON.stringify({ ...tokenizer, normalizer: { type: 'Nope' } })],
    ['pre_tokenizer bad regex', JSON.stringify({ ...tokenizer, pre_tokenizer: { type: 'Split', pattern: { Regex: '(' }, behavior: 'Isolated', invert: false } })], // prettier-ignore
  ];
  // tokenizer.json is a config file (invalid-model-config), also when it is well-formed JSON with wrong content.
  for (const [label, text] of tokenizerCases)
    make('tokenizer', `tokenizer.json ${label}`, 'tokenizer.json', text);

  const tokConfig = JSON.parse(readFileSync(join(tinyDir, 'tokenizer_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const templates: unknown[] = [
    '{% for message in messages %}',
    '{{ raise_exception("no") }}',
    '{{ messages[999].content }}',
    '{{ undefined_thing.attr.more }}',
    '{% for i in range(100000000) %}x{% endfor %}',
    // Ten billion empty turns, and a prompt that doubles forty times.
    '{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}',
    '{% set ns = namespace(s="xxxxxxxxxx") %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}',
    '',
    42,
    null,
    [{ name: 'default', template: '{%' }],
    '{{ messages | map(attribute="content") | join }}{{ 1/0 }}',
  ];
  // A chat template that fails when rendered (it throws, renders nothing, loops, or grows a giant prompt) is the
  // model's config at fault (invalid-model-config), within a render budget and with the worker alive.
  for (const chat_template of templates)
    make('template', `chat_template ${JSON.stringify(chat_template).slice(0, 40)}`, 'tokenizer_config.json', JSON.stringify({ ...tokConfig, chat_template })); // prettier-ignore
  make('template', 'tokenizer_config.json not JSON', 'tokenizer_config.json', '{"chat_template": ');

  const onnx = readFileSync(join(tinyDir, 'onnx', 'model_quantized.onnx'));
  const next = prng(99);
  const onnxCases: [string, Buffer][] = [
    ['zero-length', Buffer.alloc(0)],
    ['one byte', onnx.subarray(0, 1)],
    ['header only', onnx.subarray(0, 64)],
    ['cut at 10%', onnx.subarray(0, Math.floor(onnx.length * 0.1))],
    ['cut at 99%', onnx.subarray(0, onnx.length - 100)],
    ['random bytes', Buffer.from(Array.from({ length: onnx.length }, () => next() & 0xff))],
    ['zeros', Buffer.alloc(onnx.length)],
    ['text', Buffer.from('<html>Not found</html>')],
  ];
  for (const where of [4, 16, 200, 0.5, 0.9]) {
    const copy = Buffer.from(onnx);
    const offset = where < 1 ? Math.floor(onnx.length * where) : where;
    for (let i = 0; i < 8; i++) copy[offset + i] ^= 0xff;
    onnxCases.push([`8 bytes flipped at ${offset}`, copy]);
  }
  const flipped = Buffer.from(onnx);
  for (let i = 0; i < 200; i++) flipped[next() % flipped.length] ^= 1 << (next() % 8);
  onnxCases.push(['200 random bit flips', flipped]);
  for (const [label, bytes] of onnxCases) make('onnx', `onnx ${label}`, 'onnx/model_quantized.onnx', bytes);
  return out;
}

export interface HubFault {
  label: string;
  file: string;
  fault: Record<string, unknown>;
  /** The code a user should get when it is not the class's (download-failed). */
  code?: string;
}

/** Every misbehaviour the local hub can show, for one file pattern of a fresh repo. */
export function hubFaults(): HubFault[] {
  const faults: HubFault[] = [];
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx'];
  // The hub answers 401/403 for a repository that is missing, private or gated; 5xx is the hub's own failure.
  const statusCode = (status: number) =>
    status >= 500 ? 'hub-error' : [401, 403, 404].includes(status) ? 'model-not-found' : undefined;
  for (const status of [400, 401, 403, 404, 410, 416, 429, 500, 502, 503, 504])
    faults.push({ label: `HTTP ${status}`, file: files[status % files.length], fault: { status }, code: statusCode(status) }); // prettier-ignore
  for (const file of files) {
    faults.push({ label: `cut at 0 ${file}`, file, fault: { cutAfterBytes: 0 } });
    faults.push({ label: `cut at 10 ${file}`, file, fault: { cutAfterBytes: 10 } });
    faults.push({ label: `corrupt ${file}`, file, fault: { corrupt: true }, code: 'integrity-mismatch' });
    // Given up by the caller's signal (the spec's AbortSignal.timeout).
    faults.push({ label: `stall ${file}`, file, fault: { stallAfterBytes: 5 }, code: 'aborted' });
  }
  faults.push({
    label: 'cut mid onnx',
    file: 'onnx/model_quantized.onnx',
    fault: { cutAfterBytes: 100_000 },
  });
  faults.push({ label: 'cut mid onnx, once', file: 'onnx/model_quantized.onnx', fault: { cutAfterBytes: 100_000, times: 1 } }); // prettier-ignore
  faults.push({
    label: '500 once',
    file: 'config.json',
    fault: { status: 500, times: 1 },
    code: 'hub-error',
  });
  faults.push({ label: 'slow headers', file: '*', fault: { delayMs: 1500 } });
  faults.push({ label: 'throttled', file: 'onnx/*', fault: { bytesPerSecond: 300_000 } });
  faults.push({ label: 'corrupt range', file: 'onnx/model_quantized.onnx', fault: { corrupt: [0, 4096] }, code: 'integrity-mismatch' }); // prettier-ignore
  return faults;
}
