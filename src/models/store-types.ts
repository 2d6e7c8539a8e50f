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
}

export interface DownloadOptions {
  signal?: AbortSignal;
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

export type Verification = 'catalog' | 'etag' | 'none';

export interface StoredFile {
  url: string;
  size: number;
  fromCache: boolean;
  /** Bytes that were already in the journal and not downloaded again. */
  resumedFrom?: number;
  verified?: Verification;
}
