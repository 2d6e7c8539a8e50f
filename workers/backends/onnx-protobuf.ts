/**
 * Raw protobuf reading and writing for ONNX models: fields are walked as byte ranges of the model, so a rewrite
 * decodes only what it changes and copies everything else through byte for byte (q4-to-q8.ts,
 * external-weights.ts).
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

// Field numbers (onnx.proto3).
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_NAME = 3;
export const NODE_OP_TYPE = 4;
export const NODE_ATTRIBUTE = 5;
export const NODE_DOMAIN = 7;
export const ATTR_NAME = 1;
export const ATTR_I = 3;
export const ATTR_TYPE = 20;
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_FLOAT_DATA = 4;
export const TENSOR_NAME = 8;
export const TENSOR_RAW_DATA = 9;
export const TENSOR_DATA_LOCATION = 14;
export const MODEL_OPSET_IMPORT = 8;
export const OPSET_DOMAIN = 1;
export const OPSET_VERSION = 2;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const VALUE_INFO_NAME = 1;
export const VALUE_INFO_TYPE = 2;
export const TYPE_TENSOR = 1;
export const TENSOR_TYPE_ELEM = 1;
export const TENSOR_TYPE_SHAPE = 2;

export const FLOAT = 1;
export const UINT8 = 2;
export const INT8 = 3;
export const INT64 = 7;
export const ATTR_INT = 2;

export const utf8 = new TextDecoder();
export const encoder = new TextEncoder();

export interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload (wire 2) or fixed bytes (wires 1 and 5). */
  bytes: Uint8Array;
  /** The whole field as it was encoded, tag included. */
  raw: Uint8Array;
}

export function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 1;
    for (;;) {
      // A cut or corrupt file must end in an error, never in a loop past its end.
      if (pos >= buf.length || shift > 2 ** 63) throw new Error('truncated or corrupt protobuf');
      const b = buf[pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
  };
  const take = (len: number): Uint8Array => {
    if (pos + len > buf.length) throw new Error('truncated or corrupt protobuf');
    const bytes = buf.subarray(pos, pos + len);
    pos += len;
    return bytes;
  };
  while (pos < buf.length) {
    const start = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let value = 0;
    let bytes = buf.subarray(pos, pos);
    if (wire === WIRE_VARINT) value = varint();
    else if (wire === WIRE_LEN) bytes = take(varint());
    else if (wire === WIRE_FIXED64) bytes = take(8);
    else if (wire === WIRE_FIXED32) bytes = take(4);
    else throw new Error(`unsupported protobuf wire type ${wire}`);
    yield { field, wire, value, bytes, raw: buf.subarray(start, pos) };
  }
}

/** Protobuf encoding as a list of chunks: big payloads are referenced, never copied. */
export class Writer {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  private small: number[] = [];

  private flush(): void {
    if (!this.small.length) return;
    this.chunks.push(Uint8Array.from(this.small));
    this.small = [];
  }

  private varint(v: number): void {
    while (v >= 0x80) {
      this.small.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
      this.length++;
    }
    this.small.push(v);
    this.length++;
  }

  raw(bytes: Uint8Array): this {
    if (bytes.length < 1024) {
      for (const b of bytes) this.small.push(b);
    } else {
      this.flush();
      this.chunks.push(bytes);
    }
    this.length += bytes.length;
    return this;
  }

  int(field: number, v: number): this {
    this.varint(field * 8 + WIRE_VARINT);
    this.varint(v);
    return this;
  }

  bytes(field: number, payload: Uint8Array | Writer): this {
    this.varint(field * 8 + WIRE_LEN);
    if (payload instanceof Writer) {
      this.varint(payload.length);
      this.flush();
      payload.flush();
      this.chunks.push(...payload.chunks);
      this.length += payload.length;
    } else {
      this.varint(payload.length);
      this.raw(payload);
    }
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, encoder.encode(s));
  }

  done(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  /** The encoding as one buffer (the big payloads are copied once, here). */
  toBytes(): Uint8Array<ArrayBuffer> {
    const chunks = this.done();
    const result = new Uint8Array(this.length);
    let offset = 0;
    for (const c of chunks) {
      result.set(c, offset);
      offset += c.length;
    }
    return result;
  }
}
