import type { Osv } from './osv';
import { contentHash, packageAdvisories } from './package-advisories';
import { addCoverageDeltas, newestById, supersedes, type AdvisoryState } from './store';

/** One advisory replacing what a store holds of it. */
export interface AdvisoryWrite {
  /** The full record, as `getAdvisories` answers it. */
  osv: Osv;
  /** What the store remembers of it from now on. */
  state: AdvisoryState;
  /** Its lookup copy under each package key it is stored under now (none when withdrawn). */
  copies: Map<string, Osv>;
  /** Package keys it was stored under before and is no longer. */
  left: string[];
}

export interface AdvisoryWritePlan {
  writes: AdvisoryWrite[];
  /** How each touched ecosystem's count moves (see addCoverageDeltas); every ecosystem here gets a new time. */
  coverage: Map<string, number>;
  /** Records that change nothing: older than or identical to what is stored, or an older copy in the same batch. */
  skipped: number;
}

/**
 * What writing a batch of records changes, given what the store remembers of each id: the rules every advisory
 * store shares (the newest copy in the batch counts, a newer `modified` or an equal one with other content replaces).
 */
export function planAdvisoryWrites(records: Osv[], stored: (id: string) => AdvisoryState | undefined): AdvisoryWritePlan {
  const { records: newest } = newestById(records);
  const writes: AdvisoryWrite[] = [];
  const coverage = new Map<string, number>();
  for (const osv of newest) {
    const hash = contentHash(osv);
    const before = stored(osv.id);
    if (!supersedes({ modified: osv.modified, hash }, before)) continue;
    const copies = packageAdvisories(osv);
    const was = before?.packages ?? [];
    addCoverageDeltas(coverage, was, copies.keys());
    writes.push({
      osv,
      state: { modified: osv.modified, hash, withdrawn: Boolean(osv.withdrawn), packages: [...copies.keys()] },
      copies,
      left: was.filter((key) => !copies.has(key)),
    });
  }
  return { writes, coverage, skipped: records.length - writes.length };
}

/** What a batch changes of one package's copies: by advisory id, the copies to store and the ones to drop. */
export interface PackageChange {
  upserts: Map<string, Osv>;
  removals: Set<string>;
}

/** The writes grouped by the package keys they touch, for stores that keep a package's copies together. */
export function packageChanges(writes: AdvisoryWrite[]): Map<string, PackageChange> {
  const changes = new Map<string, PackageChange>();
  const change = (key: string) => {
    let c = changes.get(key);
    if (!c) changes.set(key, (c = { upserts: new Map(), removals: new Set() }));
    return c;
  };
  for (const { osv, copies, left } of writes) {
    for (const key of left) change(key).removals.add(osv.id);
    for (const [key, copy] of copies) change(key).upserts.set(osv.id, copy);
  }
  return changes;
}

/** A package's copies after a change, in id order. */
export function changedCopies(current: Osv[], change: PackageChange): Osv[] {
  const byId = new Map(current.map((copy) => [copy.id, copy]));
  for (const id of change.removals) byId.delete(id);
  for (const [id, copy] of change.upserts) byId.set(id, copy);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** An ecosystem's coverage after an import moved its count by `delta` at `updated`. */
export function movedCoverage(current: { records: number } | undefined, delta: number, updated: string): { updated: string; records: number } {
  return { updated, records: (current?.records ?? 0) + delta };
}
