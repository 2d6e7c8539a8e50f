/**
 * A second mask beside the grammar's, for what XGrammar 0.1.27 lets through (workers/backends/grammar.test.ts
 * shows both): raw control characters inside JSON strings, which JSON.parse refuses, and invalid UTF-8 (overlong
 * forms, surrogates) from byte tokens. Constrained output is one line without tabs, so no byte below 0x20 is ever
 * valid; and every token must continue the UTF-8 sequence the previous ones left open.
 */

/** GPT-2's byte-level alphabet, reversed: the character a byte-level BPE writes → the byte it stands for. */
function byteLevelDecoder(): Map<string, number> {
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    map.set(String.fromCharCode(printable ? b : 256 + extra++), b);
  }
  return map;
}

const encoder = new TextEncoder();

/** The bytes a token writes, or null for tokens that write nothing (special, unused). */
export function tokenBytes(
  tokens: readonly string[],
  type: 'byte_level' | 'byte_fallback' | 'raw',
): (Uint8Array | null)[] {
  const byteLevel = type === 'byte_level' ? byteLevelDecoder() : null;
  return tokens.map((token) => {
    if (token === '') return null;
    if (byteLevel) {
      const out = new Uint8Array(token.length);
      for (let i = 0; i < token.length; i++) {
        const b = byteLevel.get(token[i]);
        // Not in the alphabet: a special token written as text; the grammar never allows those.
        if (b === undefined) return null;
        out[i] = b;
      }
      return out;
    }
    if (type === 'byte_fallback') {
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
      if (byte) return Uint8Array.of(parseInt(byte[1], 16));
      return encoder.encode(token.replaceAll('\u2581', ' '));
    }
    return encoder.encode(token);
  });
}

/** What the text so far leaves open: continuation bytes still expected, and the range of the next one. */
interface Utf8State {
  need: number;
  lo: number;
  hi: number;
}
const BOUNDARY: Utf8State = { need: 0, lo: 0x80, hi: 0xbf };

/** Runs the bytes from a state; null when they break UTF-8 or hold a control character. */
function advance(state: Utf8State, bytes: Uint8Array): Utf8State | null {
  let { need, lo, hi } = state;
  for (const b of bytes) {
    if (need > 0) {
      if (b < lo || b > hi) return null;
      need -= 1;
      lo = 0x80;
      hi = 0xbf;
      continue;
    }
    if (b < 0x20 || b === 0x7f) return null;
    if (b < 0x80) continue;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return null;
  }
  return { need, lo, hi };
}

/** The bytes of a vocabulary and the tokens banned in each open state (shared by every answer of a model). */
export interface Utf8Table {
  bytes: readonly (Uint8Array | null)[];
  banned: Map<string, Int32Array>;
}

export function utf8Table(bytes: readonly (Uint8Array | null)[]): Utf8Table {
  return { bytes, banned: new Map() };
}

/** One answer's UTF-8 state. */
export class Utf8Guard {
  private state: Utf8State = BOUNDARY;

  constructor(private readonly table: Utf8Table) {}

  /** Tokens that would break UTF-8 or write a control character after the text so far. */
  bannedNow(): Int32Array {
    const key = `${this.state.need}:${this.state.lo}:${this.state.hi}`;
    let list = this.table.banned.get(key);
    if (!list) {
      const ids: number[] = [];
      this.table.bytes.forEach((bytes, id) => {
        if (bytes && advance(this.state, bytes) === null) ids.push(id);
      });
      list = Int32Array.from(ids);
      this.table.banned.set(key, list);
    }
    return list;
  }

  accept(id: number): void {
    const bytes = this.table.bytes[id];
    if (bytes) this.state = advance(this.state, bytes) ?? BOUNDARY;
  }
}
