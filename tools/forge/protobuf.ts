/**
 * A minimal protobuf encoder, just enough for ONNX. A message is kept as a list of byte chunks (large payloads
 * such as tensor data are referenced, never copied), so a model of hundreds of megabytes is written without
 * building one giant buffer; `writeTo` streams the chunks to a file descriptor.
 */
import { writeSync } from 'node:fs';

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

/** Chunks at least this big are referenced instead of copied into the small-bytes buffer. */
const BIG_CHUNK = 4096;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private pending = new Uint8Array(256);
  private pendingLen = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  private ensure(extra: number): void {
    if (this.pendingLen + extra <= this.pending.length) return;
    const next = new Uint8Array(Math.max(this.pending.length * 2, this.pendingLen + extra));
    next.set(this.pending.subarray(0, this.pendingLen));
    this.pending = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.pending[this.pendingLen++] = b;
    this.total++;
  }

  private flushPending(): void {
    if (this.pendingLen === 0) return;
    this.chunks.push(this.pending.slice(0, this.pendingLen));
    this.pendingLen = 0;
  }

  private raw(data: Uint8Array): void {
    if (data.byteLength < BIG_CHUNK) {
      this.ensure(data.byteLength);
      this.pending.set(data, this.pendingLen);
      this.pendingLen += data.byteLength;
      this.total += data.byteLength;
      return;
    }
    this.flushPending();
    this.chunks.push(data);
    this.total += data.byteLength;
  }

  /** Unsigned or negative (two's complement, 10 bytes) varint. */
  private varintValue(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.byte((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      this.byte(v);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varintValue((field << 3) | wire);
  }

  /** int32 / int64 / enum / bool field. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varintValue(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.raw(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varintValue(data.byteLength);
    this.raw(data);
    return this;
  }

  /** Packed repeated int64 (proto3 default encoding). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varintValue(v);
    return this.message(field, inner);
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  message(field: number, child: ProtoWriter): this {
    child.flushPending();
    this.tag(field, WIRE_LEN);
    this.varintValue(child.total);
    this.flushPending();
    for (const c of child.chunks) this.chunks.push(c);
    this.total += child.total;
    return this;
  }

  /** Streams the encoded message to an open file descriptor. */
  writeTo(fd: number): void {
    this.flushPending();
    for (const c of this.chunks) {
      let off = 0;
      while (off < c.byteLength) off += writeSync(fd, c, off, c.byteLength - off);
    }
  }

  /** The encoded message as one buffer (small messages and tests only). */
  finish(): Uint8Array {
    this.flushPending();
    const out = new Uint8Array(this.total);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
}
