import { PetitError } from '../engine/errors.ts';
import { describeHubFile, sha256FromEtag } from './hub-files.ts';
import type { ExpectedFile, Verification } from './store-types.ts';

/**
 * What a downloaded file is checked against before it enters the store, strongest first: the catalog's pin, the
 * SHA-256 recorded when its commit was first downloaded (pins.ts), the hub's ETag; and the typed error when the
 * bytes are not those. The caller discards the bytes before throwing.
 */
export function checkIntegrity(
  url: string,
  got: { sha256: string; size: number },
  expected: ExpectedFile | undefined,
  etags: { linked: string | null; etag: string | null },
): { verified: Verification; error?: undefined } | { verified?: undefined; error: PetitError } {
  const fromEtag = sha256FromEtag(etags.linked) ?? sha256FromEtag(etags.etag);
  const want = expected?.sha256?.toLowerCase() ?? fromEtag;
  const verified: Verification = expected?.sha256
    ? expected.commit
      ? 'pin'
      : 'catalog'
    : fromEtag
      ? 'etag'
      : 'none';
  const sizeWrong = expected?.size !== undefined && expected.size !== got.size;
  if (!sizeWrong && (!want || want === got.sha256)) return { verified };
  const name = describeHubFile(url);
  const details = { url, expected: want, actual: got.sha256, size: got.size };
  if (verified === 'pin') {
    const commit = expected!.commit!.slice(0, 12);
    return {
      error: new PetitError(
        'integrity-mismatch',
        `${name} changed on the hub under commit ${commit}: its ${sizeWrong ? `size (${got.size} bytes, recorded ${expected?.size})` : 'SHA-256'} is not the one recorded when this model was first downloaded at that commit. It was not stored. A commit's files never change, so the hub or a proxy is serving other bytes: try again later, or delete the model in Models to download the hub's current version afresh.`,
        { details: { ...details, commit: expected!.commit, reason: 'changed-under-commit' } },
      ),
    };
  }
  const source = verified === 'catalog' ? 'the catalog' : 'the hub';
  return {
    error: new PetitError(
      'integrity-mismatch',
      sizeWrong
        ? `${name} has ${got.size} bytes where ${source} says ${expected?.size}. It was discarded; try again, and if it happens again the hub or a proxy is serving a damaged file.`
        : `${name} is damaged: its SHA-256 does not match ${source} (expected ${want!.slice(0, 12)}…, got ${got.sha256.slice(0, 12)}…). It was discarded; try again, and if it happens again the hub or a proxy is serving a damaged file.`,
      { details },
    ),
  };
}
