/**
 * Misbehaviour the local hub can be told to show, for tests of download, resume, cache and integrity code.
 * Set programmatically (`hub.faults.add`) or over HTTP (`POST /__hub/faults`) from another process.
 */

export interface FaultSpec {
  /** Which files: `org/name/path` (revision left out); `*` matches any run of characters, slashes included. */
  match: string;
  /** Answer with this HTTP status (400–599) and a hub-like JSON error body instead of the file. */
  status?: number;
  /** Wait this many milliseconds before sending the response headers. */
  delayMs?: number;
  /** Send the headers and this many body bytes, then hang until the client gives up or the hub closes. */
  stallAfterBytes?: number;
  /** Send this many body bytes (Content-Length still announces all of them), then destroy the socket. */
  cutAfterBytes?: number;
  /** Flip (XOR 0xff) the bytes at these file offsets; `true` flips the byte in the middle of the file. */
  corrupt?: true | number[];
  /** Throttle the body to about this many bytes per second. */
  bytesPerSecond?: number;
  /** Apply to this many matching requests, then expire. Default: every matching request until removed. */
  times?: number;
}

export interface Fault extends FaultSpec {
  id: number;
  /** How many requests this fault has been applied to so far. */
  hits: number;
}

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

const KEYS = new Set([
  'match',
  'status',
  'delayMs',
  'stallAfterBytes',
  'cutAfterBytes',
  'corrupt',
  'bytesPerSecond',
  'times',
]);

function nonNegativeInt(v: unknown, key: string): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
    throw new FaultSpecError(`fault.${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
}

/** Checks a fault that came from outside (JSON over HTTP); throws FaultSpecError saying what is wrong. */
export function validateFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultSpecError(
      'a fault must be a JSON object such as {"match":"org/name/config.json","status":500}',
    );
  }
  const spec = input as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!KEYS.has(key))
      throw new FaultSpecError(`unknown fault field "${key}"; known: ${[...KEYS].join(', ')}`);
  }
  if (typeof spec.match !== 'string' || spec.match === '') {
    throw new FaultSpecError('fault.match must be a non-empty string like "org/name/onnx/*"');
  }
  if (spec.status !== undefined) {
    const s = spec.status;
    if (!(typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599)) {
      throw new FaultSpecError(`fault.status must be an integer from 400 to 599, got ${JSON.stringify(s)}`);
    }
  }
  for (const key of ['delayMs', 'stallAfterBytes', 'cutAfterBytes', 'times'] as const)
    nonNegativeInt(spec[key], key);
  if (spec.times === 0)
    throw new FaultSpecError('fault.times must be at least 1 (leave it out for "always")');
  if (spec.bytesPerSecond !== undefined) {
    const b = spec.bytesPerSecond;
    if (!(typeof b === 'number' && Number.isFinite(b) && b > 0)) {
      throw new FaultSpecError(`fault.bytesPerSecond must be a positive number, got ${JSON.stringify(b)}`);
    }
  }
  if (spec.corrupt !== undefined && spec.corrupt !== true) {
    const c = spec.corrupt;
    if (!Array.isArray(c) || !c.every((o) => typeof o === 'number' && Number.isInteger(o) && o >= 0)) {
      throw new FaultSpecError('fault.corrupt must be true or an array of non-negative byte offsets');
    }
  }
  return spec as unknown as FaultSpec;
}

/** `*` matches any run of characters (slashes included); everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(value);
}

export class FaultTable {
  #faults: Fault[] = [];
  #nextId = 1;

  /** Adds a fault; later faults win over earlier ones for the same file. Returns its id. */
  add(spec: FaultSpec): number {
    const checked = validateFaultSpec(spec);
    const id = this.#nextId++;
    this.#faults.push({ ...checked, id, hits: 0 });
    return id;
  }

  remove(id: number): boolean {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter((f) => f.id !== id);
    return this.#faults.length !== before;
  }

  clear(): void {
    this.#faults = [];
  }

  list(): Fault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** The fault to apply to this request (counted as a hit), or undefined. */
  take(file: string): Fault | undefined {
    for (let i = this.#faults.length - 1; i >= 0; i--) {
      const f = this.#faults[i];
      if (!globMatches(f.match, file)) continue;
      f.hits++;
      if (f.times !== undefined && f.hits >= f.times) this.#faults.splice(i, 1);
      return { ...f };
    }
    return undefined;
  }
}
