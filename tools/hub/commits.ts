import { createHash } from 'node:crypto';

/**
 * The local hub's commits, in memory: a repo folder on disk is its first commit, and a test moves `main` to a new
 * commit (some files changed, added or deleted) or changes a file under an existing commit (a hub serving other
 * bytes for the same commit), without touching the folder. `POST /__hub/reset` forgets them all.
 */

/** Bytes of a file at a commit, or null where the commit deleted it. */
export type Overlay = Map<string, Buffer | null>;

interface RepoCommits {
  head: string;
  overlays: Map<string, Overlay>;
}

const COMMIT = /^[0-9a-f]{40}$/;

export class CommitTable {
  #repos = new Map<string, RepoCommits>();

  /** The commit the repo folder itself is: stable for a repo id, 40 hex digits like a git commit. */
  static initial(repoId: string): string {
    return createHash('sha1').update(`petit-hub\0${repoId}`).digest('hex');
  }

  #repo(repoId: string): RepoCommits {
    let repo = this.#repos.get(repoId);
    if (!repo) {
      const first = CommitTable.initial(repoId);
      repo = { head: first, overlays: new Map([[first, new Map()]]) };
      this.#repos.set(repoId, repo);
    }
    return repo;
  }

  head(repoId: string): string {
    return this.#repos.get(repoId)?.head ?? CommitTable.initial(repoId);
  }

  /**
   * The commit a revision names: that commit when it is one of the repo's, the head for a branch name such as
   * `main`; null for another 40-hex string (served from the folder, as before commits existed).
   */
  resolve(repoId: string, revision: string): string | null {
    if (this.#repo(repoId).overlays.has(revision)) return revision;
    return COMMIT.test(revision) ? null : this.head(repoId);
  }

  overlay(repoId: string, commit: string | null): Overlay {
    return (commit && this.#repos.get(repoId)?.overlays.get(commit)) || new Map();
  }

  /** A new commit on top of the head with `files` changed (null deletes); `main` moves to it. */
  commit(repoId: string, files: Record<string, Buffer | null>): { commit: string; parent: string } {
    const repo = this.#repo(repoId);
    const parent = repo.head;
    const hash = createHash('sha1').update(`${parent}\0`);
    for (const [path, bytes] of Object.entries(files)) hash.update(`${path}\0`).update(bytes ?? '\0deleted');
    const commit = hash.digest('hex');
    repo.overlays.set(commit, new Map([...(repo.overlays.get(parent) ?? []), ...Object.entries(files)]));
    repo.head = commit;
    return { commit, parent };
  }

  /** Changes files under an existing commit in place; false when the repo has no such commit. */
  rewrite(repoId: string, commit: string, files: Record<string, Buffer | null>): boolean {
    const overlay = this.#repo(repoId).overlays.get(commit);
    if (!overlay) return false;
    for (const [path, bytes] of Object.entries(files)) overlay.set(path, bytes);
    return true;
  }

  clear(): void {
    this.#repos.clear();
  }
}

/** `{ "path": "<base64>" | null }` from a control request's body; throws a message naming the bad field. */
export function parseFiles(value: unknown): Record<string, Buffer | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('`files` must be an object of path → base64 bytes (or null to delete)');
  const out: Record<string, Buffer | null> = {};
  for (const [path, bytes] of Object.entries(value)) {
    if (
      path === '' ||
      path.split('/').some((s) => s === '' || s === '.' || s === '..' || s.startsWith('.hub-'))
    )
      throw new Error(`\`files\` has a bad path: ${JSON.stringify(path)}`);
    if (bytes !== null && typeof bytes !== 'string')
      throw new Error(`\`files.${path}\` must be base64 bytes or null`);
    out[path] = bytes === null ? null : Buffer.from(bytes, 'base64');
  }
  return out;
}
