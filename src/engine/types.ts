/** Public types of the engine that are not part of the OpenAI protocol: models, devices, progress, runtime. */

export const DEVICES = ['webgpu', 'wasm'] as const;
export type Device = (typeof DEVICES)[number];

export const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
export type Dtype = (typeof DTYPES)[number];

/** transformers.js names the ONNX file of each dtype `onnx/model{suffix}.onnx`. */
export const DTYPE_FILE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  q4: '_q4',
};

export const BACKENDS = ['transformers', 'webllm'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** `auto`: web-llm for a catalog model with an MLC build on a capable GPU, else transformers.js. */
export type BackendPreference = BackendName | 'auto';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** What to load: a repository on a model hub, the revision to pin, and optionally how to run it. */
export interface ModelSpec {
  /** Hub repository id, `org/name`. */
  id: string;
  /** A commit hash for reproducible downloads; `main` when omitted. */
  revision?: string;
  dtype?: Dtype;
  /** `auto` probes WebGPU and falls back to WASM. */
  device?: Device | 'auto';
  /** Base URL of the model hub (Hugging Face or a mirror with the same URL scheme). */
  hubUrl?: string;
  /** Which runtime to use; `auto` (the default) picks web-llm where it applies. */
  backend?: BackendPreference;
  /**
   * Reuse the KV cache of the previous answer when the next prompt starts with the same tokens (a chat's next
   * turn prefills only the new message). Default true; false prefills every prompt whole (for comparisons).
   */
  kvCache?: boolean;
}

export interface FileProgress {
  name: string;
  loaded: number;
  /** Bytes expected, 0 while unknown. */
  total: number;
  fromCache: boolean;
}

interface ProgressBase {
  model: string;
  /** Bytes of all files so far, and expected in all (0 while unknown). */
  loaded: number;
  total: number;
}

/** One union of load progress events, keyed on `status` (as transformers.js's ProgressInfo). */
export type LoadProgress =
  | (ProgressBase & { status: 'initiate'; files: string[] })
  | (ProgressBase & { status: 'download'; file: string })
  | (ProgressBase & {
      status: 'progress';
      file: string;
      fileLoaded: number;
      fileTotal: number;
      bytesPerSecond: number;
    })
  | (ProgressBase & { status: 'done'; file: string; fromCache: boolean })
  | (ProgressBase & { status: 'compile'; device: Device })
  | (ProgressBase & { status: 'ready'; runtime: RuntimeInfo });

export interface RuntimeInfo {
  model: string;
  revision: string;
  backend: BackendName;
  device: Device;
  dtype: Dtype;
  /** WASM threads in use (1 on WebGPU's CPU side is not counted). */
  threads: number;
  crossOriginIsolated: boolean;
  contextLength: number;
  loadMs: number;
  /** Set when the preferred device could not be used, in plain words. */
  fallbackReason?: string;
  /** The same fact as data, for an app that words it itself: what failed, and the error it gave. */
  fallback?: RuntimeFallback;
  /** Where the load's time went, in order, in milliseconds (files from the store, tokenizer, session…). */
  loadPhases?: { name: string; ms: number }[];
  /** web-llm's model id when `backend` is `webllm` (`dtype` is then the nearest ONNX equivalent). */
  mlcModelId?: string;
}

export interface LoadOptions {
  onProgress?: (event: LoadProgress) => void;
  signal?: AbortSignal;
}

/** Why a model runs on something other than what was preferred: WebGPU failed (now on WASM), or web-llm could not
 * run the build (now transformers.js). `error` is the underlying message, in English. */
export interface RuntimeFallback {
  from: 'webgpu' | 'webllm';
  error: string;
  /** web-llm's model id, for `from: 'webllm'`. */
  model?: string;
}
