/**
 * Which models other tabs of this origin hold in memory, through Web Locks: a tab with a model loaded holds a
 * shared lock named after it until it unloads or closes (the browser frees a closed tab's locks, so nothing
 * goes stale). Used to warn before a second copy of a large model doubles the memory taken.
 */
import { heldLockNames, holdLock } from './web-locks.ts';

const PREFIX = 'petit-loaded:';
/** "Large": over 1 GB of files. localStorage `petit.largeModelBytes` lowers it (tests, small devices). */
export const LARGE_MODEL_BYTES = 1_000_000_000;

export interface HeldModel {
  repo: string;
  dtype: string;
  bytes: number;
}

export interface OtherTabs {
  /** How many other tabs hold this model and dtype. */
  tabs: number;
  bytes: number;
}

export function largeModelBytes(): number {
  try {
    const value = Number(globalThis.localStorage?.getItem('petit.largeModelBytes'));
    return Number.isFinite(value) && value > 0 ? value : LARGE_MODEL_BYTES;
  } catch {
    return LARGE_MODEL_BYTES;
  }
}

function lockName(model: HeldModel): string {
  return PREFIX + JSON.stringify([model.repo, model.dtype, model.bytes]);
}

function parse(name: string | undefined): HeldModel | null {
  if (!name?.startsWith(PREFIX)) return null;
  try {
    const [repo, dtype, bytes] = JSON.parse(name.slice(PREFIX.length)) as [string, string, number];
    return { repo, dtype, bytes };
  } catch {
    return null;
  }
}

/** Holds the lock saying this tab has `model` loaded; returns the function that lets it go. */
export function holdModel(model: HeldModel): () => void {
  return holdLock(lockName(model), { mode: 'shared' });
}

/** Other tabs holding `repo` at `dtype`; `mine` is what this tab holds itself (not counted). */
export async function otherTabsHolding(
  repo: string,
  dtype: string,
  mine: HeldModel | null,
): Promise<OtherTabs> {
  let tabs = 0;
  let bytes = 0;
  let ownSkipped = false;
  for (const name of await heldLockNames()) {
    const model = parse(name);
    if (!model || model.repo !== repo || model.dtype !== dtype) continue;
    if (!ownSkipped && mine && lockName(mine) === name) {
      ownSkipped = true;
      continue;
    }
    tabs += 1;
    bytes = Math.max(bytes, model.bytes);
  }
  return { tabs, bytes };
}

/** The model this tab says it holds (one at a time), and what other tabs hold of the same. */
export class TabHold {
  private held: HeldModel | null = null;
  private releaseHeld: (() => void) | null = null;

  hold(model: HeldModel): void {
    this.release();
    this.held = model;
    this.releaseHeld = holdModel(model);
  }

  release(): void {
    this.releaseHeld?.();
    this.releaseHeld = null;
    this.held = null;
  }

  /** Other tabs holding `repo` at `dtype` when it is a large model (see largeModelBytes), else null. */
  async largeCopiesElsewhere(repo: string, dtype: string): Promise<OtherTabs | null> {
    const others = await otherTabsHolding(repo, dtype, this.held).catch(() => ({ tabs: 0, bytes: 0 }));
    return others.tabs === 0 || others.bytes < largeModelBytes() ? null : others;
  }
}
