/**
 * The hub's own rule for a repository id, `owner/name`: each part 1 to 96 letters, digits, `_`, `-` or `.`, starting
 * and ending with a letter, digit or `_`, with no `..`. An id outside it names no repository (`a/..` would even
 * climb out of the repository in the file URL), so it is refused before any request.
 */
const PART = /^\w(?:[\w.-]{0,94}\w)?$/;

/** Whether `id` can name a hub repository. */
export function isHubRepoId(id: string): boolean {
  const parts = id.split('/');
  return parts.length === 2 && parts.every((part) => PART.test(part) && !part.includes('..'));
}
