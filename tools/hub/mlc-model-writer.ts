import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes an MLC-layout model (what web-llm downloads) into a local hub folder, for tests: `mlc-chat-config.json`,
 * `tokenizer.json`, `tensor-cache.json` and its weight shards, as mlc-llm's `convert_weight` lays them out. The
 * weights are seeded bytes: no MLC model library can be compiled or downloaded here, so nothing runs them.
 */
export interface MlcModelOptions {
  /** `org/name`, e.g. `mlc-ai/SmolLM2-135M-Instruct-q0f32-MLC`. */
  repo: string;
  shards?: number;
  shardBytes?: number;
  /** Fields merged over a ChatML SmolLM2-like `mlc-chat-config.json`. */
  config?: Record<string, unknown>;
}

/** A minimal valid Hugging Face `tokenizer.json` (word level) that web-llm's tokenizers-cpp accepts. */
export const TINY_TOKENIZER = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 1, content: '<|im_start|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 2, content: '<|im_end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: {
    type: 'WordLevel',
    vocab: { '<unk>': 0, '<|im_start|>': 1, '<|im_end|>': 2, hello: 3, world: 4 },
    unk_token: '<unk>',
  },
}; // prettier-ignore

export function chatConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'llama',
    quantization: 'q0f32',
    vocab_size: 5,
    context_window_size: 2048,
    sliding_window_size: -1,
    prefill_chunk_size: 2048,
    attention_sink_size: -1,
    tensor_parallel_shards: 1,
    temperature: 0.2,
    top_p: 0.9,
    repetition_penalty: 1.1,
    tokenizer_files: ['tokenizer.json'],
    tokenizer_info: { token_postproc_method: 'byte_level', prepend_space_in_encode: false, strip_space_in_decode: false },
    conv_template: {
      name: 'chatml',
      system_template: '<|im_start|>system\n{system_message}<|im_end|>\n',
      system_message: 'You are a helpful AI assistant.',
      roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
      seps: ['<|im_end|>\n'],
      role_content_sep: '\n',
      role_empty_sep: '\n',
      stop_str: ['<|im_end|>'],
      stop_token_ids: [2],
      system_prefix_token_ids: null,
    },
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
    ...over,
  }; // prettier-ignore
}

function write(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** Seeded, reproducible bytes (a shard's content only has to be stable and distinct per shard). */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes the model under `{root}/{repo}/` and returns its files, in the order web-llm reads them. */
export function writeMlcModel(root: string, options: MlcModelOptions): string[] {
  const { repo, shards = 8, shardBytes = 4096 } = options;
  const dir = join(root, repo);
  write(join(dir, 'mlc-chat-config.json'), JSON.stringify(chatConfig(options.config), null, 2));
  write(join(dir, 'tokenizer.json'), JSON.stringify(TINY_TOKENIZER));
  const records = Array.from({ length: shards }, (_, i) => {
    const dataPath = `params_shard_${i}.bin`;
    write(join(dir, dataPath), seededBytes(shardBytes, i + 1));
    return {
      dataPath,
      format: 'raw-shard',
      nbytes: shardBytes,
      records: [
        { name: `param_${i}`, shape: [shardBytes / 4], dtype: 'float32', format: 'raw', nbytes: shardBytes, byteOffset: 0 },
      ],
      md5sum: '',
    };
  }); // prettier-ignore
  write(
    join(dir, 'tensor-cache.json'),
    JSON.stringify({
      metadata: { ParamSize: shards, ParamBytes: shards * shardBytes, BitsPerParam: 32 },
      records,
    }),
  );
  return ['mlc-chat-config.json', 'tokenizer.json', 'tensor-cache.json', ...records.map((r) => r.dataPath)];
}

/** Writes a model library where a mirror serves web-llm's: `mlc-ai/binary-mlc-llm-libs/web-llm-models/{v}/{lib}`. */
export function writeModelLibrary(
  root: string,
  modelVersion: string,
  lib: string,
  bytes: Uint8Array,
): string {
  const path = `mlc-ai/binary-mlc-llm-libs/web-llm-models/${modelVersion}/${lib}`;
  write(join(root, path), bytes);
  return path;
}

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const name = (s: string) => {
  const bytes = [...new TextEncoder().encode(s)];
  return [...leb(bytes.length), ...bytes];
};
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];

/**
 * A stand-in for an MLC model library: a wasm module exporting just enough of TVM's C ABI (the functions tvmjs
 * calls while it builds its runtime and registers WebGPU) for web-llm to go on past `instantiate()` to the
 * tokenizer and the weight download. It has no kernels: every packed-function call fails with `message`, so
 * web-llm stops at the first tensor it allocates on the GPU, after every file was fetched. Real MLC libraries are
 * compiled by TVM and cannot be had on these machines.
 */
export function stubModelLibrary(message: string): Uint8Array<ArrayBuffer> {
  // One signature for all: (i32, i32, i32, i32) -> i32; JavaScript passes fewer arguments as 0.
  const bodies: Record<string, number[]> = {
    // bump allocator over global 0, 16-byte aligned
    alloc: [0x23, 0, 0x23, 0, 0x20, 0, 0x6a, 0x41, 15, 0x6a, 0x41, ...sleb(-16), 0x71, 0x24, 0],
    ok: [0x41, 0],
    // *arg1 = ++global 1 (a fresh handle or type index); return 0
    handle: [0x23, 1, 0x41, 1, 0x6a, 0x24, 1, 0x20, 1, 0x23, 1, 0x36, 2, 0, 0x41, 0],
    fail: [0x41, ...sleb(-1)],
    lastError: [0x41, ...sleb(1024)],
  };
  const functions = Object.keys(bodies);
  const exported: [string, string][] = [
    ['_initialize', 'ok'],
    ['TVMWasmAllocSpace', 'alloc'],
    ['TVMWasmFreeSpace', 'ok'],
    ['TVMFFIFunctionGetGlobal', 'handle'],
    ['TVMFFIWasmFunctionCreate', 'handle'],
    ['TVMFFIFunctionSetGlobal', 'ok'],
    ['TVMFFITypeKeyToIndex', 'handle'],
    ['TVMFFIObjectIncRef', 'ok'],
    ['TVMFFIObjectDecRef', 'ok'],
    ['TVMFFIAnyViewToOwnedAny', 'ok'],
    ['TVMFFIErrorSetRaisedFromCStr', 'ok'],
    ['TVMFFIGetTypeInfo', 'ok'],
    ['TVMFFIFunctionCall', 'fail'],
    ['TVMFFIDataTypeToString', 'fail'],
    ['TVMFFIWasmGetLastError', 'lastError'],
  ];
  const text = [...new TextEncoder().encode(message), 0];
  return new Uint8Array([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vec([[0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]])),
    ...section(3, vec(functions.map(() => [0]))),
    ...section(5, vec([[0, ...leb(256)]])),
    ...section(
      6,
      vec([
        [0x7f, 1, 0x41, ...sleb(65536), 0x0b],
        [0x7f, 1, 0x41, ...sleb(1000), 0x0b],
      ]),
    ),
    ...section(
      7,
      vec([
        [...name('memory'), 2, 0],
        ...exported.map(([n, f]) => [...name(n), 0, ...leb(functions.indexOf(f))]),
      ]),
    ),
    ...section(
      10,
      vec(
        functions.map((f) => {
          const body = [0, ...bodies[f], 0x0b];
          return [...leb(body.length), ...body];
        }),
      ),
    ),
    ...section(11, vec([[0, 0x41, ...sleb(1024), 0x0b, ...leb(text.length), ...text]])),
  ]);
}
