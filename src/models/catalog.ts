import { DTYPES, type Dtype } from '../engine/types.ts';
import pins from './catalog-pins.json';
import { ONNX_DTYPES, ONNX_FILE_SUFFIX, type Architecture, type OnnxDtype } from './estimates.ts';

/**
 * The catalog: every model users can pick, as typed data (DESIGN.md convention 8). Human-written facts live here
 * (family, licence, openness, architecture, which browser builds exist); the exact hub revision and each file's
 * size and SHA-256 come from `catalog-pins.json`, which `npm run catalog:refresh` writes from the hub. A repo
 * without a pin is honest about it: `revision: null`, `pinned: false`, and the UI says "revision not pinned yet".
 */

export type { Architecture, OnnxDtype } from './estimates.ts';

/** One file of a pinned revision. */
export interface PinnedFile {
  size: number;
  /** Lower-case hex SHA-256 of the content (the hub's LFS oid, or computed by the refresh script). */
  sha256: string;
}

/** A transformers.js (ONNX) build of the model. */
export interface OnnxBuild {
  repo: string;
  /** A 40-hex commit, or null until the catalog is refreshed with network access. */
  revision: string | null;
  /** The `onnx/model{suffix}.onnx` variants the repo publishes. */
  dtypes: readonly OnnxDtype[];
  /** Exact files of the pinned revision by path; empty while not pinned. */
  files: Readonly<Record<string, PinnedFile>>;
}

export const MLC_QUANTIZATIONS = ['q4f16_1', 'q4f32_1', 'q0f16', 'q0f32'] as const;
export type MlcQuantization = (typeof MLC_QUANTIZATIONS)[number];

/** A web-llm (MLC-compiled, WebGPU only) build, as listed in web-llm 0.2.86's `prebuiltAppConfig`. */
export interface MlcBuild {
  /** web-llm's `model_id`, e.g. `SmolLM2-135M-Instruct-q0f16-MLC`. */
  modelId: string;
  /** Hub repository of the weight shards, e.g. `mlc-ai/SmolLM2-135M-Instruct-q0f16-MLC`. */
  repo: string;
  quantization: MlcQuantization;
  /** f16 kernels need the adapter's `shader-f16` feature. */
  shaderF16: boolean;
  /** web-llm's `vram_required_MB`. */
  vramMB: number;
  contextWindow: number;
  /** File name of the compiled model library under web-llm's `modelLibURLPrefix` + `modelVersion`. */
  modelLib: string;
}

export type Openness = 'open' | 'partly-open' | 'closed';

export interface License {
  /** SPDX id where one exists. */
  id: string;
  name: string;
  url: string;
  /** What the licence forbids or requires beyond attribution, in plain words; empty for permissive licences. */
  restrictions: string;
}

export interface CatalogEntry {
  /** Short id used by the UI and `engine.load()`. */
  id: string;
  label: string;
  family: string;
  /** Parameters for display, e.g. `135M`. */
  params: string;
  paramCount: number;
  /** The hub repository Petit loads with transformers.js (the original repository when there is no ONNX build). */
  repo: string;
  /** Commit to download, or null while not pinned (then `main` is downloaded). */
  revision: string | null;
  pinned: boolean;
  /** Dtypes of the ONNX build that this version of the engine can run. */
  dtypes: Dtype[];
  onnx: OnnxBuild | null;
  mlc: readonly MlcBuild[];
  /** Set when no build runs in a browser: why, in plain words. */
  noBrowserBuild: string | null;
  architecture: Architecture | null;
  contextLength: number;
  license: License;
  openWeights: boolean;
  trainingData: Openness;
  /** What is known about the training data, in one sentence. */
  trainingDataNote: string;
  goodFor: string;
  /**
   * Languages the model's makers say it handles (BCP 47 codes, as they list them); empty when they do not say.
   * `moreLanguages`: they name these and say there are others.
   */
  languages: readonly string[];
  moreLanguages?: boolean;
  /** Where the entry came from: the built-in list, a deployment's extra list, or a folder the user added. */
  source: 'builtin' | 'extra' | 'local';
  /** Hub to download from when not the one in Settings (a folder from disk uses the local pseudo-hub). */
  hubUrl?: string;
}

const APACHE: License = {
  id: 'Apache-2.0',
  name: 'Apache 2.0',
  url: 'https://www.apache.org/licenses/LICENSE-2.0',
  restrictions: '',
};
const MIT: License = { id: 'MIT', name: 'MIT', url: 'https://opensource.org/license/mit', restrictions: '' };
const LLAMA_32: License = {
  id: 'LicenseRef-llama3.2',
  name: 'Llama 3.2 Community License',
  url: 'https://www.llama.com/llama3_2/license/',
  restrictions:
    'Services with over 700 million monthly users need a licence from Meta; use must follow Meta’s acceptable use policy; “Built with Llama” attribution.',
};
const GEMMA: License = {
  id: 'LicenseRef-gemma',
  name: 'Gemma Terms of Use',
  url: 'https://ai.google.dev/gemma/terms',
  restrictions: 'Use must follow Google’s prohibited use policy, which passes on to derived models.',
};
const MISTRAL_RESEARCH: License = {
  id: 'LicenseRef-mistral-research',
  name: 'Mistral Research License',
  url: 'https://mistral.ai/licenses/MRL-0.1.md',
  restrictions: 'Research and personal use only; commercial use needs a licence from Mistral AI.',
};

/** The languages Qwen2.5's makers name among the 29 or more it supports. */
const QWEN_LANGUAGES = ['zh', 'en', 'fr', 'es', 'pt', 'de', 'it', 'ru', 'ja', 'ko', 'vi', 'th', 'ar'];
/** Llama 3.2's officially supported languages. */
const LLAMA_32_LANGUAGES = ['en', 'de', 'fr', 'it', 'pt', 'hi', 'es', 'th'];

const MLC_LIB = (name: string) => `${name}_cs1k-webgpu.wasm`;

function mlc(
  modelId: string,
  quantization: MlcQuantization,
  vramMB: number,
  lib: string,
  contextWindow = 4096,
): MlcBuild {
  return {
    modelId,
    repo: `mlc-ai/${modelId.replace(/-1k$/, '')}`,
    quantization,
    shaderF16: quantization.includes('f16'),
    vramMB,
    contextWindow,
    modelLib: MLC_LIB(lib),
  };
}

/** Human-written part of an entry; the pin (revision, files) is merged in from catalog-pins.json. */
interface CatalogRecord extends Omit<
  CatalogEntry,
  'revision' | 'pinned' | 'dtypes' | 'onnx' | 'source' | 'noBrowserBuild' | 'mlc'
> {
  onnx: { repo: string; dtypes: readonly OnnxDtype[] } | null;
  mlc?: readonly MlcBuild[];
  noBrowserBuild?: string;
}

const RECORDS: readonly CatalogRecord[] = [
  {
    id: 'smollm2-135m-instruct',
    label: 'SmolLM2 135M Instruct',
    family: 'SmolLM2',
    params: '135M',
    paramCount: 134.5e6,
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    onnx: { repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', dtypes: ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] },
    mlc: [
      mlc('SmolLM2-135M-Instruct-q0f16-MLC', 'q0f16', 359.69, 'SmolLM2-135M-Instruct-q0f16'),
      mlc('SmolLM2-135M-Instruct-q0f32-MLC', 'q0f32', 719.38, 'SmolLM2-135M-Instruct-q0f32'),
    ],
    architecture: {
      vocabSize: 49152,
      hiddenSize: 576,
      layers: 30,
      heads: 9,
      kvHeads: 3,
      tiedEmbeddings: true,
    },
    contextLength: 8192,
    license: APACHE,
    openWeights: true,
    trainingData: 'open',
    trainingDataNote:
      'FineWeb-Edu, DCLM, The Stack and Hugging Face’s own published sets (SmolTalk, FineMath, Stack-Edu).',
    goodFor: 'Quick rewording, short answers and classification on any device.',
    languages: ['en'],
  },
  {
    id: 'smollm2-360m-instruct',
    label: 'SmolLM2 360M Instruct',
    family: 'SmolLM2',
    params: '360M',
    paramCount: 361.8e6,
    repo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    onnx: { repo: 'HuggingFaceTB/SmolLM2-360M-Instruct', dtypes: ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] },
    mlc: [
      mlc('SmolLM2-360M-Instruct-q4f16_1-MLC', 'q4f16_1', 376.06, 'SmolLM2-360M-Instruct-q4f16_1'),
      mlc('SmolLM2-360M-Instruct-q4f32_1-MLC', 'q4f32_1', 579.61, 'SmolLM2-360M-Instruct-q4f32_1'),
      mlc('SmolLM2-360M-Instruct-q0f16-MLC', 'q0f16', 871.99, 'SmolLM2-360M-Instruct-q0f16'),
      mlc('SmolLM2-360M-Instruct-q0f32-MLC', 'q0f32', 1743.99, 'SmolLM2-360M-Instruct-q0f32'),
    ],
    architecture: {
      vocabSize: 49152,
      hiddenSize: 960,
      layers: 32,
      heads: 15,
      kvHeads: 5,
      tiedEmbeddings: true,
    },
    contextLength: 8192,
    license: APACHE,
    openWeights: true,
    trainingData: 'open',
    trainingDataNote: 'FineWeb-Edu, DCLM, The Stack and Hugging Face’s own published sets.',
    goodFor: 'Everyday chat and summaries of short texts.',
    languages: ['en'],
  },
  {
    id: 'smollm2-1.7b-instruct',
    label: 'SmolLM2 1.7B Instruct',
    family: 'SmolLM2',
    params: '1.7B',
    paramCount: 1.711e9,
    repo: 'HuggingFaceTB/SmolLM2-1.7B-Instruct',
    onnx: { repo: 'HuggingFaceTB/SmolLM2-1.7B-Instruct', dtypes: ['fp16', 'q8', 'q4', 'q4f16'] },
    mlc: [
      mlc('SmolLM2-1.7B-Instruct-q4f16_1-MLC', 'q4f16_1', 1774.19, 'SmolLM2-1.7B-Instruct-q4f16_1'),
      mlc('SmolLM2-1.7B-Instruct-q4f32_1-MLC', 'q4f32_1', 2692.38, 'SmolLM2-1.7B-Instruct-q4f32_1'),
    ],
    architecture: {
      vocabSize: 49152,
      hiddenSize: 2048,
      layers: 24,
      heads: 32,
      kvHeads: 32,
      tiedEmbeddings: true,
    },
    contextLength: 8192,
    license: APACHE,
    openWeights: true,
    trainingData: 'open',
    trainingDataNote:
      '11 trillion tokens of FineWeb-Edu, DCLM, The Stack, FineMath and Stack-Edu, all published.',
    goodFor: 'Longer answers, rewriting and simple function calling on a laptop.',
    languages: ['en'],
  },
  {
    id: 'qwen2.5-0.5b-instruct',
    label: 'Qwen2.5 0.5B Instruct',
    family: 'Qwen2.5',
    params: '494M',
    paramCount: 494e6,
    repo: 'onnx-community/Qwen2.5-0.5B-Instruct',
    onnx: { repo: 'onnx-community/Qwen2.5-0.5B-Instruct', dtypes: ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] },
    mlc: [
      mlc('Qwen2.5-0.5B-Instruct-q4f16_1-MLC', 'q4f16_1', 944.62, 'Qwen2-0.5B-Instruct-q4f16_1'),
      mlc('Qwen2.5-0.5B-Instruct-q4f32_1-MLC', 'q4f32_1', 1060.2, 'Qwen2-0.5B-Instruct-q4f32_1'),
      mlc('Qwen2.5-0.5B-Instruct-q0f16-MLC', 'q0f16', 1624.12, 'Qwen2-0.5B-Instruct-q0f16'),
      mlc('Qwen2.5-0.5B-Instruct-q0f32-MLC', 'q0f32', 2654.75, 'Qwen2-0.5B-Instruct-q0f32'),
    ],
    architecture: {
      vocabSize: 151936,
      hiddenSize: 896,
      layers: 24,
      heads: 14,
      kvHeads: 2,
      tiedEmbeddings: true,
      sharedTiedHead: true,
    },
    contextLength: 32768,
    license: APACHE,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: '18 trillion tokens, described in the Qwen2.5 report but not published.',
    goodFor: 'Multilingual answers and simple code.',
    languages: QWEN_LANGUAGES,
    moreLanguages: true,
  },
  {
    id: 'qwen2.5-1.5b-instruct',
    label: 'Qwen2.5 1.5B Instruct',
    family: 'Qwen2.5',
    params: '1.5B',
    paramCount: 1.544e9,
    repo: 'onnx-community/Qwen2.5-1.5B-Instruct',
    onnx: { repo: 'onnx-community/Qwen2.5-1.5B-Instruct', dtypes: ['fp16', 'q8', 'q4', 'q4f16'] },
    mlc: [
      mlc('Qwen2.5-1.5B-Instruct-q4f16_1-MLC', 'q4f16_1', 1629.75, 'Qwen2-1.5B-Instruct-q4f16_1'),
      mlc('Qwen2.5-1.5B-Instruct-q4f32_1-MLC', 'q4f32_1', 1888.97, 'Qwen2-1.5B-Instruct-q4f32_1'),
    ],
    architecture: {
      vocabSize: 151936,
      hiddenSize: 1536,
      layers: 28,
      heads: 12,
      kvHeads: 2,
      tiedEmbeddings: true,
      sharedTiedHead: true,
    },
    contextLength: 32768,
    license: APACHE,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: '18 trillion tokens, described in the Qwen2.5 report but not published.',
    goodFor: 'Multilingual chat, summaries and code on a laptop.',
    languages: QWEN_LANGUAGES,
    moreLanguages: true,
  },
  {
    id: 'llama-3.2-1b-instruct',
    label: 'Llama 3.2 1B Instruct',
    family: 'Llama 3.2',
    params: '1.2B',
    paramCount: 1.236e9,
    repo: 'onnx-community/Llama-3.2-1B-Instruct',
    onnx: { repo: 'onnx-community/Llama-3.2-1B-Instruct', dtypes: ['fp16', 'q8', 'q4', 'q4f16'] },
    mlc: [
      mlc('Llama-3.2-1B-Instruct-q4f16_1-MLC', 'q4f16_1', 879.04, 'Llama-3.2-1B-Instruct-q4f16_1'),
      mlc('Llama-3.2-1B-Instruct-q4f32_1-MLC', 'q4f32_1', 1128.82, 'Llama-3.2-1B-Instruct-q4f32_1'),
      mlc('Llama-3.2-1B-Instruct-q0f16-MLC', 'q0f16', 2573.13, 'Llama-3.2-1B-Instruct-q0f16'),
      mlc('Llama-3.2-1B-Instruct-q0f32-MLC', 'q0f32', 5106.26, 'Llama-3.2-1B-Instruct-q0f32'),
    ],
    architecture: {
      vocabSize: 128256,
      hiddenSize: 2048,
      layers: 16,
      heads: 32,
      kvHeads: 8,
      tiedEmbeddings: true,
    },
    contextLength: 131072,
    license: LLAMA_32,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Up to 9 trillion tokens of public web data; the set itself is not published.',
    goodFor: 'Summaries, rewriting and instructions in English and seven other languages.',
    languages: LLAMA_32_LANGUAGES,
  },
  {
    id: 'llama-3.2-3b-instruct',
    label: 'Llama 3.2 3B Instruct',
    family: 'Llama 3.2',
    params: '3.2B',
    paramCount: 3.213e9,
    repo: 'onnx-community/Llama-3.2-3B-Instruct',
    onnx: { repo: 'onnx-community/Llama-3.2-3B-Instruct', dtypes: ['q4', 'q4f16'] },
    mlc: [
      mlc('Llama-3.2-3B-Instruct-q4f16_1-MLC', 'q4f16_1', 2263.69, 'Llama-3.2-3B-Instruct-q4f16_1'),
      mlc('Llama-3.2-3B-Instruct-q4f32_1-MLC', 'q4f32_1', 2951.51, 'Llama-3.2-3B-Instruct-q4f32_1'),
    ],
    architecture: {
      vocabSize: 128256,
      hiddenSize: 3072,
      layers: 28,
      heads: 24,
      kvHeads: 8,
      tiedEmbeddings: true,
    },
    contextLength: 131072,
    license: LLAMA_32,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Up to 9 trillion tokens of public web data; the set itself is not published.',
    goodFor: 'The best answers here on a machine with a good GPU: reasoning, longer writing.',
    languages: LLAMA_32_LANGUAGES,
  },
  {
    id: 'phi-3.5-mini-instruct',
    label: 'Phi-3.5 mini Instruct',
    family: 'Phi-3.5',
    params: '3.8B',
    paramCount: 3.821e9,
    repo: 'onnx-community/Phi-3.5-mini-instruct-onnx-web',
    // Its web export is q4f16 only: WebGPU with shader-f16.
    onnx: { repo: 'onnx-community/Phi-3.5-mini-instruct-onnx-web', dtypes: ['q4f16'] },
    mlc: [
      mlc('Phi-3.5-mini-instruct-q4f16_1-MLC', 'q4f16_1', 3672.07, 'Phi-3.5-mini-instruct-q4f16_1'),
      mlc('Phi-3.5-mini-instruct-q4f32_1-MLC', 'q4f32_1', 5483.12, 'Phi-3.5-mini-instruct-q4f32_1'),
    ],
    architecture: {
      vocabSize: 32064,
      hiddenSize: 3072,
      layers: 32,
      heads: 32,
      kvHeads: 32,
      tiedEmbeddings: false,
    },
    contextLength: 131072,
    license: MIT,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Filtered public web data and synthetic “textbook” data; not published.',
    goodFor: 'Reasoning, maths and code, on a GPU with 4 GB or more.',
    languages: [
      'ar',
      'zh',
      'cs',
      'da',
      'nl',
      'en',
      'fi',
      'fr',
      'de',
      'he',
      'hu',
      'it',
      'ja',
      'ko',
      'no',
      'pl',
      'pt',
      'ru',
      'es',
      'sv',
      'th',
      'tr',
      'uk',
    ],
  },
  {
    id: 'gemma-2-2b-it',
    label: 'Gemma 2 2B Instruct',
    family: 'Gemma 2',
    params: '2.6B',
    paramCount: 2.614e9,
    repo: 'google/gemma-2-2b-it',
    onnx: null,
    mlc: [
      mlc('gemma-2-2b-it-q4f16_1-MLC', 'q4f16_1', 1895.3, 'gemma-2-2b-it-q4f16_1'),
      mlc('gemma-2-2b-it-q4f32_1-MLC', 'q4f32_1', 2508.75, 'gemma-2-2b-it-q4f32_1'),
    ],
    architecture: {
      vocabSize: 256000,
      hiddenSize: 2304,
      layers: 26,
      heads: 8,
      kvHeads: 4,
      headDim: 256,
      tiedEmbeddings: true,
    },
    contextLength: 8192,
    license: GEMMA,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: '2 trillion tokens of web, code and maths; not published.',
    goodFor: 'Friendly, well-written chat answers (with web-llm on a GPU).',
    languages: ['en'],
  },
  {
    id: 'mistral-7b-instruct-v0.3',
    label: 'Mistral 7B Instruct v0.3',
    family: 'Mistral',
    params: '7.2B',
    paramCount: 7.248e9,
    repo: 'mistralai/Mistral-7B-Instruct-v0.3',
    // No ONNX export fits WebAssembly's 4 GB address space; web-llm runs it on a GPU with 5 GB or more.
    onnx: null,
    mlc: [
      mlc('Mistral-7B-Instruct-v0.3-q4f16_1-MLC', 'q4f16_1', 4573.39, 'Mistral-7B-Instruct-v0.3-q4f16_1'),
      mlc('Mistral-7B-Instruct-v0.3-q4f32_1-MLC', 'q4f32_1', 5619.27, 'Mistral-7B-Instruct-v0.3-q4f32_1'),
    ],
    architecture: {
      vocabSize: 32768,
      hiddenSize: 4096,
      layers: 32,
      heads: 32,
      kvHeads: 8,
      tiedEmbeddings: false,
    },
    contextLength: 32768,
    license: APACHE,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Not described beyond “publicly available data”.',
    goodFor: 'The strongest model here for writing and reasoning, on a desktop GPU.',
    languages: [],
  },
  {
    id: 'ministral-3-3b-instruct-2512',
    label: 'Ministral 3 3B Instruct (2512)',
    family: 'Ministral',
    params: '3.4B',
    paramCount: 3.4e9,
    repo: 'mistralai/Ministral-3-3B-Instruct-2512',
    onnx: null,
    mlc: [
      mlc(
        'Ministral-3-3B-Instruct-2512-BF16-q4f16_1-MLC',
        'q4f16_1',
        2863.69,
        'Ministral-3-3B-Instruct-2512-BF16-q4f16_1',
      ),
      mlc(
        'Ministral-3-3B-Instruct-2512-BF16-q4f32_1-MLC',
        'q4f32_1',
        3532.37,
        'Ministral-3-3B-Instruct-2512-BF16-q4f32_1',
      ),
    ],
    architecture: null,
    contextLength: 4096,
    license: APACHE,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Not published.',
    goodFor: 'Instructions and multilingual chat (with web-llm on a GPU; 4096-token window in the browser).',
    languages: ['en', 'fr', 'es', 'de', 'it', 'pt', 'nl', 'zh', 'ja', 'ko', 'ar'],
    moreLanguages: true,
  },
  {
    id: 'ministral-8b-instruct-2410',
    label: 'Ministral 8B Instruct (2410)',
    family: 'Ministral',
    params: '8.0B',
    paramCount: 8.02e9,
    repo: 'mistralai/Ministral-8B-Instruct-2410',
    onnx: null,
    noBrowserBuild:
      'There is no ONNX or MLC build of this model for browsers, and 8 billion parameters exceed what WebAssembly can address.',
    architecture: {
      vocabSize: 131072,
      hiddenSize: 4096,
      layers: 36,
      heads: 32,
      kvHeads: 8,
      tiedEmbeddings: false,
    },
    contextLength: 32768,
    license: MISTRAL_RESEARCH,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Not published.',
    goodFor: 'Research use on a workstation with a native runtime, not in a browser.',
    languages: [],
  },
  {
    id: 'gpt-neo-125m',
    label: 'GPT-Neo 125M',
    family: 'GPT-Neo',
    params: '125M',
    paramCount: 125.2e6,
    repo: 'Xenova/gpt-neo-125M',
    onnx: { repo: 'Xenova/gpt-neo-125M', dtypes: ['fp32', 'q8'] },
    architecture: {
      vocabSize: 50257,
      hiddenSize: 768,
      layers: 12,
      heads: 12,
      kvHeads: 12,
      tiedEmbeddings: true,
    },
    contextLength: 2048,
    license: MIT,
    openWeights: true,
    trainingData: 'open',
    trainingDataNote: 'The Pile (825 GB, published by EleutherAI).',
    goodFor: 'Text continuation and experiments; a base model, not tuned to chat.',
    languages: ['en'],
  },
  {
    id: 'falcon-rw-1b',
    label: 'Falcon RW 1B',
    family: 'Falcon',
    params: '1.3B',
    paramCount: 1.312e9,
    repo: 'Xenova/falcon-rw-1b',
    onnx: { repo: 'Xenova/falcon-rw-1b', dtypes: ['fp32', 'q8'] },
    architecture: {
      vocabSize: 50304,
      hiddenSize: 2048,
      layers: 24,
      heads: 32,
      kvHeads: 32,
      tiedEmbeddings: true,
    },
    contextLength: 2048,
    license: APACHE,
    openWeights: true,
    trainingData: 'partly-open',
    trainingDataNote: 'RefinedWeb; a 600-billion-token extract is published, the rest is not.',
    goodFor: 'Text continuation in English; a base model, not tuned to chat.',
    languages: ['en'],
  },
  {
    id: 'falcon-7b-instruct',
    label: 'Falcon 7B Instruct',
    family: 'Falcon',
    params: '7B',
    paramCount: 6.92e9,
    repo: 'tiiuae/falcon-7b-instruct',
    onnx: null,
    noBrowserBuild:
      'There is no ONNX or MLC build of Falcon 7B for browsers; use Falcon RW 1B here or a native runtime.',
    architecture: null,
    contextLength: 2048,
    license: APACHE,
    openWeights: true,
    trainingData: 'partly-open',
    trainingDataNote: 'RefinedWeb plus curated sources; a 600-billion-token extract is published.',
    goodFor: 'Chat on a workstation with a native runtime, not in a browser.',
    languages: ['en', 'fr'],
  },
  {
    id: 'mpt-7b-instruct',
    label: 'MPT 7B Instruct',
    family: 'MPT',
    params: '6.7B',
    paramCount: 6.7e9,
    repo: 'mosaicml/mpt-7b-instruct',
    onnx: null,
    noBrowserBuild:
      'There is no ONNX or MLC build of MPT for browsers (transformers.js knows the architecture, but nobody has published one).',
    architecture: null,
    contextLength: 2048,
    license: {
      id: 'CC-BY-SA-3.0',
      name: 'CC BY-SA 3.0',
      url: 'https://creativecommons.org/licenses/by-sa/3.0/',
      restrictions: 'Attribution, and derived models must be shared under the same licence.',
    },
    openWeights: true,
    trainingData: 'partly-open',
    trainingDataNote:
      'One trillion tokens from public sets (RedPajama, C4, The Stack…); the mix is described, not published.',
    goodFor: 'Short instructions on a workstation with a native runtime, not in a browser.',
    languages: ['en'],
  },
];

interface PinsFile {
  repos: Record<string, { revision: string; files: Record<string, PinnedFile> } | undefined>;
}

const PINS = (pins as unknown as PinsFile).repos;

const ENGINE_DTYPES: readonly string[] = DTYPES;
export function engineDtypes(dtypes: readonly OnnxDtype[]): Dtype[] {
  return dtypes.filter((d): d is Dtype => ENGINE_DTYPES.includes(d));
}

function toEntry(record: CatalogRecord, source: CatalogEntry['source']): CatalogEntry {
  const pin = record.onnx ? PINS[record.onnx.repo] : undefined;
  const onnx: OnnxBuild | null = record.onnx
    ? {
        repo: record.onnx.repo,
        dtypes: record.onnx.dtypes,
        revision: pin?.revision ?? null,
        files: pin?.files ?? {},
      }
    : null;
  const mlcBuilds = record.mlc ?? [];
  return {
    ...record,
    revision: onnx?.revision ?? null,
    pinned: onnx?.revision != null,
    dtypes: onnx ? engineDtypes(onnx.dtypes) : [],
    onnx,
    mlc: mlcBuilds,
    noBrowserBuild: record.noBrowserBuild ?? null,
    source,
  };
}

export const BUILTIN_CATALOG: readonly CatalogEntry[] = RECORDS.map((r) => toEntry(r, 'builtin'));

/** transformers.js's file name for a dtype. */
export function onnxFileFor(dtype: OnnxDtype): string {
  return `onnx/model${ONNX_FILE_SUFFIX[dtype]}.onnx`;
}

const UNKNOWN_LICENSE: License = {
  id: 'NOASSERTION',
  name: 'see the repository',
  url: '',
  restrictions: 'Read the licence in the model’s repository before use.',
};

type ExtraEntry = { id: string; repo: string; dtypes: OnnxDtype[] } & Partial<
  Omit<CatalogEntry, 'dtypes' | 'onnx'>
> & { files?: Record<string, PinnedFile> };

function isEntry(value: unknown): value is ExtraEntry {
  const v = value as ExtraEntry;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.repo === 'string' &&
    Array.isArray(v.dtypes) &&
    v.dtypes.length > 0 &&
    v.dtypes.every((d) => (ONNX_DTYPES as readonly string[]).includes(d))
  );
}

/** Builds an entry for a model known only by its repository (an extra list, or a folder from disk). */
export function minimalEntry(e: ExtraEntry, source: CatalogEntry['source']): CatalogEntry {
  const revision = e.revision ?? null;
  return {
    label: e.id,
    family: e.family ?? 'custom',
    params: '',
    paramCount: 0,
    architecture: null,
    contextLength: 2048,
    license: UNKNOWN_LICENSE,
    openWeights: true,
    trainingData: 'closed',
    trainingDataNote: 'Not described.',
    goodFor: '',
    noBrowserBuild: null,
    mlc: [],
    ...e,
    // A deployment's list is JSON: only a list of strings is a list of languages.
    languages:
      Array.isArray(e.languages) && e.languages.every((l) => typeof l === 'string') ? e.languages : [],
    revision,
    pinned: revision !== null,
    dtypes: engineDtypes(e.dtypes),
    onnx: { repo: e.repo, revision, dtypes: e.dtypes, files: e.files ?? {} },
    source,
  };
}

/**
 * Extra entries a deployment (or the demo and the tests) adds at build time through
 * `VITE_PETIT_EXTRA_MODELS`, a JSON array of catalog entries; they are listed first.
 */
export function parseExtraModels(json: string | undefined): CatalogEntry[] {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isEntry).map((e) => minimalEntry(e, 'extra'));
  } catch {
    return [];
  }
}

export function buildCatalog(extraJson: string | undefined): CatalogEntry[] {
  const extra = parseExtraModels(extraJson);
  const ids = new Set(extra.map((e) => e.id));
  return [...extra, ...BUILTIN_CATALOG.filter((e) => !ids.has(e.id))];
}

/** Whether the makers list `language` (a BCP 47 base code, `fr`) for the model; null when they list none. */
export function handlesLanguage(entry: CatalogEntry, language: string): boolean | null {
  if (entry.languages.length === 0) return null;
  const base = language.toLowerCase().split('-')[0];
  return entry.languages.some((l) => l.toLowerCase().split('-')[0] === base);
}

/** The entry a hub repository belongs to (by its ONNX build), for the worker to find pinned sizes and hashes. */
export function findByRepo(catalog: readonly CatalogEntry[], repo: string): CatalogEntry | undefined {
  return catalog.find((e) => e.onnx?.repo === repo);
}
