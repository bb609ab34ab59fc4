import { compareTimestamps, type Osv } from './osv';

/** A package to look advisories up for, in any spelling; answers come back under `packageKey(ecosystem, name)`. */
export interface PackageRef {
  ecosystem: string;
  name: string;
}

export interface PutResult {
  written: number;
  skipped: number;
}

/** CVSS vectors from NVD for a CVE whose advisories carry none. `v31` says the v3 vector is CVSS 3.1 (else 3.0). */
export interface CvssRecord {
  v2Vector?: string;
  v3Vector?: string;
  v31?: boolean;
  published?: string;
  lastModified?: string;
}

/** What a scan reads: advisories per package, NVD's CVSS, and the data version that makes stored scans stale. */
export interface AdvisoryReader {
  /** Every requested package appears in the answer, with [] when nothing affects it; withdrawn advisories never do. */
  findByPackages(keys: PackageRef[]): Promise<Map<string, Osv[]>>;
  /**
   * The same answers, each package's handed to `visit` as it is read (every package once, in no promised order):
   * a caller done with a package's list lets it go before the next is read, so a large lookup never lives whole.
   */
  visitPackages(keys: PackageRef[], visit: PackageVisitor): Promise<void>;
  /** Changes whenever an import changed something; a stored scan with another version is stale. */
  getDataVersion(): Promise<string>;
  getCvss(cveIds: string[]): Promise<Map<string, CvssRecord>>;
  /**
   * The ecosystems the store holds advisories of (lookup form: `Debian:12`, `npm`), each with when an import last
   * changed some and how many it holds; empty for a store written before coverage was recorded. An ecosystem stays
   * listed when its last advisory is withdrawn or moves away (with 0 records): it was imported.
   */
  getCoverage(): Promise<Map<string, EcosystemCoverage>>;
  /** A value kept under `key`: a source's cursor or checkpoint, or data a source keeps for the matcher. */
  getCursor(key: string): Promise<string | undefined>;
}

/** Takes one package's advisories, under the key findByPackages answers it with. */
export type PackageVisitor = (key: string, advisories: Osv[]) => void;

/** visitPackages of a store that reads its answers all at once. */
export async function visitFound(found: Map<string, Osv[]>, visit: PackageVisitor): Promise<void> {
  for (const [key, advisories] of found) visit(key, advisories);
}

/** findByPackages of a store that reads package by package. */
export async function collectVisited(store: Pick<AdvisoryReader, 'visitPackages'>, keys: PackageRef[]): Promise<Map<string, Osv[]>> {
  const found = new Map<string, Osv[]>();
  await store.visitPackages(keys, (key, advisories) => found.set(key, advisories));
  return found;
}

/** The key a source's cursor is kept under. */
export const cursorKey = (source: string) => `source:${source}:cursor`;

export interface EcosystemCoverage {
  /** ISO time of the last import that changed an advisory of the ecosystem. */
  updated: string;
  /**
   * Distinct advisories stored under the ecosystem (withdrawn ones are not); -1 when not known yet: a DynamoDB store
   * written before counts were kept recounts on its next write.
   */
  records: number;
}

/** The ecosystems (lookup form) of the package keys an advisory is stored under. */
export function ecosystemsOfKeys(keys: Iterable<string>): Set<string> {
  const ecosystems = new Set<string>();
  for (const key of keys) ecosystems.add(key.slice(0, key.indexOf('|')));
  return ecosystems;
}

/**
 * How rewriting one advisory changes the per-ecosystem counts: +1 for each ecosystem it is newly stored under, -1
 * for each it left. Adds every ecosystem it touched to `deltas` (0 when it stayed), so their times move too.
 */
export function addCoverageDeltas(deltas: Map<string, number>, before: Iterable<string>, after: Iterable<string>): void {
  const was = ecosystemsOfKeys(before);
  const now = ecosystemsOfKeys(after);
  for (const ecosystem of now) deltas.set(ecosystem, (deltas.get(ecosystem) ?? 0) + (was.has(ecosystem) ? 0 : 1));
  for (const ecosystem of was) if (!now.has(ecosystem)) deltas.set(ecosystem, (deltas.get(ecosystem) ?? 0) - 1);
}

/** What an import writes (and reads back to order its writes). */
export interface AdvisoryWriter {
  /** Newer `modified` wins; an equal `modified` with different content replaces; withdrawn records stop matching and stay remembered. */
  putAdvisories(records: Osv[]): Promise<PutResult>;
  /** Full records by id (withdrawn ones included, with `withdrawn` set); unknown ids are absent. */
  getAdvisories(ids: string[]): Promise<Map<string, Osv>>;
  getDataVersion(): Promise<string>;
  getCursor(source: string): Promise<string | undefined>;
  setCursor(source: string, value: string): Promise<void>;
  /** True when it changed what was stored. */
  putCvss(cveId: string, cvss: CvssRecord): Promise<boolean>;
  putCvssMany(entries: Array<{ cveId: string; cvss: CvssRecord }>): Promise<PutResult>;
  getCvss(cveIds: string[]): Promise<Map<string, CvssRecord>>;
}

/**
 * Where advisories live between imports and scans. Writes are idempotent and ordered by `modified`; lookups are
 * per package and answer with the copy stored for that package (its own `affected` entries, CVSS, aliases,
 * a short text); `getAdvisories` has the full records.
 */
export interface AdvisoryStore extends AdvisoryReader, AdvisoryWriter {}

/** What the store remembers of every advisory it has seen, to order and deduplicate writes. */
export interface AdvisoryState {
  modified: string;
  hash: string;
  withdrawn: boolean;
  /** Package keys the advisory is stored under. */
  packages: string[];
}

/** Whether an incoming record replaces what is stored. */
export function supersedes(incoming: { modified: string; hash: string }, stored: { modified: string; hash: string } | undefined): boolean {
  if (!stored) return true;
  const order = compareTimestamps(incoming.modified, stored.modified);
  return order > 0 || (order === 0 && incoming.hash !== stored.hash);
}

/** Within one batch the newest copy of each id is the one that counts; returns it and how many were dropped. */
export function newestById(records: Osv[]): { records: Osv[]; dropped: number } {
  const byId = new Map<string, Osv>();
  for (const record of records) {
    const seen = byId.get(record.id);
    if (!seen || compareTimestamps(record.modified, seen.modified) >= 0) byId.set(record.id, record);
  }
  return { records: [...byId.values()], dropped: records.length - byId.size };
}

function sameCvss(a: CvssRecord, b: CvssRecord): boolean {
  return (
    a.v2Vector === b.v2Vector &&
    a.v3Vector === b.v3Vector &&
    Boolean(a.v31) === Boolean(b.v31) &&
    a.published === b.published &&
    a.lastModified === b.lastModified
  );
}

/** An NVD record replaces the stored one unless it is older or identical. */
export function cvssSupersedes(incoming: CvssRecord, stored: CvssRecord | undefined): boolean {
  if (!stored) return true;
  if (incoming.lastModified && stored.lastModified && compareTimestamps(incoming.lastModified, stored.lastModified) < 0) return false;
  return !sameCvss(incoming, stored);
}

/** Drops undefined fields so the record has one stored shape. */
export function cleanCvss(cvss: CvssRecord): CvssRecord {
  const out: CvssRecord = {};
  if (cvss.v2Vector) out.v2Vector = cvss.v2Vector;
  if (cvss.v3Vector) out.v3Vector = cvss.v3Vector;
  if (cvss.v3Vector) out.v31 = cvss.v31 ?? cvss.v3Vector.startsWith('CVSS:3.1/');
  if (cvss.published) out.published = cvss.published;
  if (cvss.lastModified) out.lastModified = cvss.lastModified;
  return out;
}

/** What `get` holds for each of `keys`, the keys it lacks left out: a store's batch read over a key-value map. */
export function presentEntries<V>(keys: Iterable<string>, get: (key: string) => V | undefined): Map<string, V> {
  const found = new Map<string, V>();
  for (const key of keys) {
    const value = get(key);
    if (value) found.set(key, value);
  }
  return found;
}

/**
 * The NVD records of `entries` to write over what `stored` holds, cleaned, in order; a later entry for the same CVE
 * is judged against the earlier one as if it had been written.
 */
export function cvssWrites(
  entries: ReadonlyArray<{ cveId: string; cvss: CvssRecord }>,
  stored: (cveId: string) => CvssRecord | undefined,
): Array<{ cveId: string; cvss: CvssRecord }> {
  const pending = new Map<string, CvssRecord>();
  const writes: Array<{ cveId: string; cvss: CvssRecord }> = [];
  for (const { cveId, cvss } of entries) {
    const clean = cleanCvss(cvss);
    if (!cvssSupersedes(clean, pending.get(cveId) ?? stored(cveId))) continue;
    pending.set(cveId, clean);
    writes.push({ cveId, cvss: clean });
  }
  return writes;
}
