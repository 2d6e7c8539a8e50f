/**
 * The weights ONNX Runtime copies into its WASM heap, handed over one tensor at a time.
 *
 * ORT keeps the external-data object it is given (`mountExternalData`) and, while it builds the session, asks it
 * for each weight with `subarray(offset, end)` and `byteLength`, synchronously, from inside the session build. A
 * Uint8Array passes ORT's checks unchanged, so this is one, of length 0, answering those two for a file:
 * - given the stored file as a Blob (a Cache Storage entry, on disk), each weight is read as ORT asks for it with
 *   FileReaderSync, so the file is never in the worker's memory beside ORT's copy of it. In raw onnxruntime-web,
 *   135M q8, the peak PSS over an idle page went from 2.68× to 1.77× the file (BENCHMARKS.md);
 * - given bytes (a first load, which reads the whole file to split it), it answers with views of them.
 *
 * Its source is attached after the load has started (the graph and the weights are read together), and reading it
 * before that is a bug: it throws rather than give ORT an empty weight.
 */

/** Reads bytes [begin, end) of `blob` synchronously: FileReaderSync, which only workers have. */
export type SyncBlobReader = (blob: Blob, begin: number, end: number) => ArrayBuffer;

export function syncBlobReader(): SyncBlobReader | null {
  if (typeof FileReaderSync === 'undefined') return null;
  return (blob, begin, end) => new FileReaderSync().readAsArrayBuffer(blob.slice(begin, end));
}

type Source =
  | { kind: 'none' }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'blob'; blob: Blob; read: SyncBlobReader };

export class WeightsSource extends Uint8Array {
  #source: Source = { kind: 'none' };
  /** Weights read from disk so far (a test and the load phases can tell the path taken). */
  reads = 0;

  constructor() {
    super(0);
    // An accessor over TypedArray's own: ORT checks each weight's end against it.
    Object.defineProperty(this, 'byteLength', { get: () => this.size });
  }

  get size(): number {
    const source = this.#source;
    if (source.kind === 'bytes') return source.bytes.byteLength;
    if (source.kind === 'blob') return source.blob.size;
    return 0;
  }

  /** True once the weights come from disk, a tensor at a time. */
  get streamed(): boolean {
    return this.#source.kind === 'blob';
  }

  fromBytes(bytes: Uint8Array): void {
    this.#source = { kind: 'bytes', bytes };
  }

  fromBlob(blob: Blob, read: SyncBlobReader): void {
    this.#source = { kind: 'blob', blob, read };
  }

  /** Lets go of the file (ORT has its copy). */
  release(): void {
    this.#source = { kind: 'none' };
  }

  override subarray(begin = 0, end = this.size): Uint8Array<ArrayBuffer> {
    const source = this.#source;
    if (source.kind === 'bytes') return source.bytes.subarray(begin, end) as Uint8Array<ArrayBuffer>;
    if (source.kind === 'blob') {
      this.reads++;
      return new Uint8Array(source.read(source.blob, begin, end));
    }
    throw new Error('The model weights were read before the model file was opened.');
  }
}
