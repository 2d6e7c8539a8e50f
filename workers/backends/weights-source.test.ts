import { describe, expect, it } from 'vitest';
import { WeightsSource } from './weights-source.ts';

// ONNX Runtime's loader reads external data as `data.byteLength` and `data.subarray(offset, offset + length)`,
// after checking `data instanceof Uint8Array`; these are what it would see.
const file = Uint8Array.from({ length: 64 }, (_, i) => i * 3);

describe('WeightsSource', () => {
  it('passes ORT’s Uint8Array check and answers for the whole file, not its own empty buffer', () => {
    const weights = new WeightsSource();
    weights.fromBytes(file);
    expect(weights).toBeInstanceOf(Uint8Array);
    expect(weights.byteLength).toBe(64);
    expect([...weights.subarray(10, 14)]).toEqual([30, 33, 36, 39]);
    expect(weights.reads).toBe(0);
  });

  it('reads each weight from the Blob when asked, and only that range', () => {
    const weights = new WeightsSource();
    const blob = new Blob([file]);
    const asked: [number, number][] = [];
    // What FileReaderSync gives a worker (Node has none): the range's bytes.
    weights.fromBlob(blob, (from, begin, end) => {
      expect(from).toBe(blob);
      asked.push([begin, end]);
      return file.slice(begin, end).buffer;
    });
    expect(weights.byteLength).toBe(64);
    expect(weights.streamed).toBe(true);
    expect([...weights.subarray(60, 64)]).toEqual([180, 183, 186, 189]);
    expect([...weights.subarray(0, 2)]).toEqual([0, 3]);
    expect(asked).toEqual([
      [60, 64],
      [0, 2],
    ]);
    expect(weights.reads).toBe(2);
  });

  it('refuses to be read before its file is attached or after it is released, instead of giving empty weights', () => {
    const weights = new WeightsSource();
    expect(() => weights.subarray(0, 4)).toThrow(/before the model file was opened/);
    weights.fromBytes(file);
    weights.release();
    expect(weights.byteLength).toBe(0);
    expect(() => weights.subarray(0, 4)).toThrow(/before the model file was opened/);
  });
});
