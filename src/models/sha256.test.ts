import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256Hex } from './sha256.ts';

const reference = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('Sha256', () => {
  it('matches the published test vectors', () => {
    expect(sha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('agrees with node:crypto at every length around the block and padding edges', () => {
    for (let n = 0; n <= 200; n++) {
      const data = randomBytes(n);
      expect(sha256Hex(data), `length ${n}`).toBe(reference(data));
    }
  });

  it('gives the same digest however the bytes are split, and across save/resume', () => {
    const data = randomBytes(300_000);
    const expected = reference(data);
    for (const step of [1, 63, 64, 65, 4096, 99_991]) {
      let hash = new Sha256();
      for (let i = 0; i < data.length; i += step) {
        hash.update(data.subarray(i, i + step));
        // Resume through JSON, as a download continued after a reload does.
        if ((i / step) % 7 === 3) hash = Sha256.resume(JSON.parse(JSON.stringify(hash.save())));
      }
      expect(hash.digestHex(), `step ${step}`).toBe(expected);
    }
  });
});
