/** What the model store's downloads take and give (store.ts). */

export interface DownloadProgress {
  loaded: number;
  /** 0 while unknown. */
  total: number;
}

/** What the catalog knows of a file; checked before the file is committed. */
export interface ExpectedFile {
  size?: number;
  sha256?: string;
  /** Set when `sha256` is what this commit served at the first download (pins.ts), not the catalog's. */
  commit?: string;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Where to fetch the file when not from its own URL: the pinned commit's (the store keeps it under `url`). */
  from?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Resolve to null instead of failing when the hub says the file does not exist. */
  optional?: boolean;
  expected?: ExpectedFile;
  /** Runs when the response's headers arrive, before any byte of the body is read (the quota check). */
  beforeBody?: (total: number, resumeFrom: number) => Promise<void>;
  /**
   * The model prefix this file belongs to when its URL is outside it (web-llm's model library, on GitHub or a
   * mirror's library repository): the Models screen lists it, and deletes it, with that model.
   */
  owner?: string;
}

export type Verification = 'catalog' | 'pin' | 'etag' | 'none';

export interface StoredFile {
  url: string;
  size: number;
  fromCache: boolean;
  /** Bytes that were already in the journal and not downloaded again. */
  resumedFrom?: number;
  verified?: Verification;
  /** The commit the hub served it from (`X-Repo-Commit`), when it was downloaded now and the hub said. */
  commit?: string | null;
  /** Its SHA-256, as stored. */
  sha256?: string;
}
