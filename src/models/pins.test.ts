import { describe, expect, it } from 'vitest';
import { isPetitError } from '../engine/errors.ts';
import type { PlannedFile } from './download-plan.ts';
import { checkIntegrity } from './integrity.ts';
import { isCommit, pinPlan, type PinRecord } from './pins.ts';

const HUB = 'https://hub.test';
const MODEL = { hubUrl: HUB, repo: 'org/tiny' };
const COMMIT = 'a'.repeat(40);
const SHA = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);

const planned = (path: string, expected: PlannedFile['expected'] = {}): PlannedFile => ({
  path,
  url: `${HUB}/org/tiny/resolve/main/${path}`,
  optional: false,
  expected,
  size: null,
});

const pin: PinRecord = {
  prefix: `${HUB}/org/tiny/resolve/main/`,
  commit: COMMIT,
  files: { 'onnx/model.onnx': { sha256: SHA, size: 1000 } },
  pinnedAt: 1,
};

describe('a pinned model’s plan', () => {
  it('fetches every file from the pinned commit and holds recorded files to their hash and size', () => {
    const [weights, tokenizer] = pinPlan([planned('onnx/model.onnx'), planned('tokenizer.json')], pin, MODEL);
    // Stored under main's URL (what the runtimes read), fetched from the commit's.
    expect(weights.url).toBe(`${HUB}/org/tiny/resolve/main/onnx/model.onnx`);
    expect(weights.from).toBe(`${HUB}/org/tiny/resolve/${COMMIT}/onnx/model.onnx`);
    expect(weights.expected).toEqual({ sha256: SHA, size: 1000, commit: COMMIT });
    expect(weights.size).toBe(1000);
    // Not downloaded at that commit yet: from the commit, checked against the hub's ETag as before.
    expect(tokenizer.from).toBe(`${HUB}/org/tiny/resolve/${COMMIT}/tokenizer.json`);
    expect(tokenizer.expected).toEqual({});
  });

  it('keeps a catalog pin’s hash, leaves an unpinned model to its revision, and never touches a folder from disk', () => {
    const catalog = planned('onnx/model.onnx', { sha256: OTHER, size: 5 });
    expect(pinPlan([catalog], pin, MODEL)[0].expected).toEqual({ sha256: OTHER, size: 5 });
    const plain = [planned('config.json')];
    expect(pinPlan(plain, undefined, MODEL)).toBe(plain);
    const local = {
      ...planned('config.json'),
      url: 'https://local.petit.invalid/local/x/resolve/main/config.json',
    };
    expect(pinPlan([local], pin, MODEL)[0]).toEqual(local);
  });

  it('takes a 40-hex revision as its own commit, and a branch name as something to resolve', () => {
    expect(isCommit(COMMIT)).toBe(true);
    expect(isCommit('main')).toBe(false);
    expect(isCommit('A'.repeat(40))).toBe(false);
  });
});

describe('the integrity check of a pinned file', () => {
  const url = `${HUB}/org/tiny/resolve/main/onnx/model.onnx`;
  const recorded = { sha256: SHA, size: 1000, commit: COMMIT };
  const noEtag = { linked: null, etag: null };

  it('passes the recorded bytes as verified by the pin', () => {
    expect(checkIntegrity(url, { sha256: SHA, size: 1000 }, recorded, noEtag)).toEqual({ verified: 'pin' });
  });

  it('refuses other bytes under the same commit with integrity-mismatch, naming the commit and what to do', () => {
    const { error } = checkIntegrity(url, { sha256: OTHER, size: 1000 }, recorded, {
      linked: null,
      etag: `"${OTHER}"`,
    });
    expect(isPetitError(error, 'integrity-mismatch')).toBe(true);
    expect(error!.message).toMatch(
      /org\/tiny: onnx\/model\.onnx changed on the hub under commit aaaaaaaaaaaa/,
    );
    expect(error!.message).toMatch(/It was not stored.*try again later, or delete the model in Models/);
    expect(error!.details).toMatchObject({
      reason: 'changed-under-commit',
      commit: COMMIT,
      expected: SHA,
      actual: OTHER,
    });
    const resized = checkIntegrity(url, { sha256: SHA, size: 999 }, recorded, noEtag).error;
    expect(resized?.message).toMatch(/its size \(999 bytes, recorded 1000\)/);
  });

  it('still says "the catalog" or "the hub" for those checks', () => {
    const catalog = checkIntegrity(url, { sha256: OTHER, size: 1 }, { sha256: SHA }, noEtag).error;
    expect(catalog?.message).toMatch(/does not match the catalog/);
    const hub = checkIntegrity(url, { sha256: OTHER, size: 1 }, {}, { linked: null, etag: `"${SHA}"` });
    expect(hub.error?.message).toMatch(/does not match the hub/);
    expect(checkIntegrity(url, { sha256: SHA, size: 1 }, {}, { linked: null, etag: `"${SHA}"` })).toEqual({
      verified: 'etag',
    });
    expect(checkIntegrity(url, { sha256: SHA, size: 1 }, undefined, noEtag)).toEqual({ verified: 'none' });
  });
});
