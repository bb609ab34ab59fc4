/** Matching an image's inventory against the advisory store: the findings of every package, in neutral terms. */
import { distributionOf, releaseEcosystem } from '../distros';
import type { Inventory } from '../index/types';
import { advisoryVersionOrder, InvalidVersionError } from '../versions';
import { affectedVerdict } from './affected';
import { buildFinding, cveIdsOf, hasOwnV3, isCveId, type AdvisoryHit, type Finding } from './findings';
import { ecosystemKey, packageKey, type Osv } from './osv';
import { queryFor, type PackageQuery } from './package-keys';
import { imagePlatforms, platformApplies } from './platforms';
import { rememberedFor } from './list-memo';
import type { AdvisoryReader, CvssRecord, PackageRef } from './store';

export interface MatchResult {
  findings: Finding[];
  /** The image has OS packages but no advisories cover its release (or the store holds no data at all). */
  osAdvisoriesUnavailable: boolean;
  /** Language ecosystems (`npm`, `PyPI`…) the image has packages of but the store holds no advisories for. */
  languageAdvisoriesUnavailable: string[];
  /** Advisories that could not be evaluated (a version their ecosystem cannot order), one line each. */
  warnings: string[];
  /** The store's data version the matches were computed from; a stored scan with another one is stale. */
  dataVersion: string;
}

/** The store's data version before any import. */
export const EMPTY_DATA_VERSION = '0';

/**
 * Version comparisons for one package: the installed version meets the same range events many times. Only
 * comparisons with `installed` on the left are kept (nearly all of them), by the other version, in one map made when
 * first needed: most packages compare a handful of versions, and a map per left-hand version cost more than it saved.
 */
function memoizedCompare(ecosystem: string, installed: string): (a: string, b: string) => number {
  // As osv.dev orders them: an advisory's `2.0` is SemVer's 2.0.0.
  const order = advisoryVersionOrder(ecosystem);
  let known: Map<string, number> | undefined;
  return (a, b) => {
    if (a !== installed) return order(a, b);
    known ??= new Map();
    let result = known.get(b);
    if (result === undefined) known.set(b, (result = order(a, b)));
    return result;
  };
}

/**
 * Whether an entry of an rpm module stream (or of none) speaks for the queried build: a fix made in one stream says
 * nothing of another stream's build; an entry without a stream is for every build, or, where the distribution's
 * advisories name every stream (`strictModules`), for non-modular builds only.
 */
function streamApplies(stream: unknown, query: PackageQuery): boolean {
  if (typeof stream === 'string') return stream === query.module;
  return !query.strictModules || query.module === undefined;
}

/** The advisories among `advisories` that affect the queried version, with the fix each names. */
export function hitsFor(query: PackageQuery, advisories: Osv[], warnings: string[], key = packageKey(query.ecosystem, query.name)): AdvisoryHit[] {
  const compare = memoizedCompare(query.ecosystem, query.version);
  const hits: AdvisoryHit[] = [];
  for (const advisory of advisories) {
    for (const entry of advisory.affected ?? []) {
      const pkg = entry.package;
      if (!pkg) continue;
      // Entries spelled exactly as the query skip the normalisation of their package key.
      if ((pkg.ecosystem !== query.ecosystem || pkg.name !== query.name) && packageKey(pkg.ecosystem, pkg.name) !== key) continue;
      if (!streamApplies(entry.ecosystem_specific?.rpm_module, query)) continue;
      if (!platformApplies(entry.ecosystem_specific, query)) continue;
      try {
        const verdict = affectedVerdict(query.version, entry, compare);
        if (verdict.affected) hits.push({ advisory, entry, fixedBy: verdict.fixedBy });
      } catch (err) {
        if (!(err instanceof InvalidVersionError)) throw err;
        warnings.push(`advisory ${advisory.id} for ${query.name} ${query.version} skipped: ${err.message}`);
      }
    }
  }
  return hits;
}

/**
 * Hits grouped by CVE so that one CVE is reported once per package. An advisory naming a single CVE
 * (DEBIAN-CVE-…, ALPINE-CVE-…, a GHSA with its CVE alias) speaks for it before a bulletin naming many (DSA, DLA).
 */
export function groupByCve(hits: AdvisoryHit[]): Map<string, AdvisoryHit[]> {
  const primary = new Map<string, AdvisoryHit[]>();
  // Made for the first bulletin: most packages' hits name one CVE each.
  let secondary: Map<string, AdvisoryHit[]> | undefined;
  for (const hit of hits) {
    const cves = cveIdsOf(hit.advisory);
    const ids = cves.length > 0 ? cves : [hit.advisory.id];
    const target = ids.length === 1 ? primary : (secondary ??= new Map());
    for (const id of ids) {
      const list = target.get(id);
      if (list) list.push(hit);
      else target.set(id, [hit]);
    }
  }
  for (const [id, list] of secondary ?? []) if (!primary.has(id)) primary.set(id, list);
  return primary;
}

/** The fix for a CVE: none when any advisory speaking for it names none, else the highest they name. */
export function fixFor(hits: AdvisoryHit[], compare: (a: string, b: string) => number): string | undefined {
  let fix: string | undefined;
  for (const hit of hits) {
    if (!hit.fixedBy) return undefined;
    if (!fix || compare(hit.fixedBy, fix) > 0) fix = hit.fixedBy;
  }
  return fix;
}

/** Orders versions of one ecosystem, falling back to text order for versions its scheme cannot read. */
export function safeCompare(ecosystem: string): (a: string, b: string) => number {
  const order = advisoryVersionOrder(ecosystem);
  return (a, b) => {
    try {
      return order(a, b);
    } catch {
      return a.localeCompare(b);
    }
  };
}

function reasonOf(query: PackageQuery, hits: AdvisoryHit[], fixedVersion: string | undefined): string {
  // Nearly every vulnerability has one hit: its advisory's id, without a set and a list to join.
  const advisories = hits.length === 1 ? hits[0].advisory.id : [...new Set(hits.map((h) => h.advisory.id))].join(', ');
  const range = fixedVersion ? `before the fix ${fixedVersion}` : 'with no fixed version';
  return `${query.ecosystem} ${query.name} ${query.version} is in the affected range of ${advisories}, ${range}`;
}

/** Matches every package of the inventory; packages without an advisory source have no findings. */
export async function matchInventory(inventory: Inventory, store: AdvisoryReader): Promise<MatchResult> {
  // Read the version first: data imported during the lookup makes the result look stale, never fresh.
  const dataVersion = await store.getDataVersion();
  const warnings: string[] = [];
  const coverage = dataVersion === EMPTY_DATA_VERSION ? new Map<string, string>() : await store.getCoverage();
  // A store written before coverage was recorded says nothing about it: only an empty store is known to lack data.
  const covers = (ecosystem: string) => (dataVersion === EMPTY_DATA_VERSION ? false : coverage.size === 0 || coverage.has(ecosystemKey(ecosystem)));
  const hasOsPackages = inventory.packages.some((p) => p.manager !== undefined);
  const release = releaseEcosystem(inventory.os);
  const osAdvisoriesUnavailable = hasOsPackages && (!release || !covers(release));
  const borrowed = hasOsPackages ? distributionOf(inventory.os)?.matchNote : undefined;
  if (borrowed) warnings.push(borrowed);
  const languageAdvisoriesUnavailable = [
    ...new Set(inventory.packages.filter((p) => p.manager === undefined && !p.owner && !covers(p.ecosystem)).map((p) => ecosystemKey(p.ecosystem))),
  ].sort();

  const platforms = await imagePlatforms(inventory, store, warnings);
  // Each query with its lookup key, worked out once: normalising a name is most of what a package costs before matching.
  const queries = new Map<number, KeyedQuery>();
  const refs = new Map<string, PackageRef>();
  inventory.packages.forEach((pkg, index) => {
    const query = queryFor(pkg, inventory, platforms);
    if (!query) return;
    const key = packageKey(query.ecosystem, query.name);
    refs.set(key, { ecosystem: query.ecosystem, name: query.name });
    if (query.binaryName === undefined) {
      queries.set(index, { query, key });
      return;
    }
    const binaryKey = packageKey(query.ecosystem, query.binaryName);
    queries.set(index, { query, key, binaryKey });
    refs.set(binaryKey, { ecosystem: query.ecosystem, name: query.binaryName });
  });
  const matches = refs.size > 0 ? await matchesAsRead(store, [...refs.values()], queries) : [];

  const grouped: Array<{ index: number; query: PackageQuery; match: PackageMatch }> = [];
  // NVD is asked only for CVEs whose advisories carry no v3 vector of their own.
  const needCvss = new Set<string>();
  for (const [index, { query }] of queries) {
    const match = matches[index];
    warnings.push(...match.warnings);
    if (match.byCve.length === 0) continue;
    grouped.push({ index, query, match });
    for (const cve of match.needCvss) needCvss.add(cve);
  }
  const nvd: Map<string, CvssRecord> = needCvss.size > 0 ? await store.getCvss([...needCvss]) : new Map();

  const findings: Finding[] = [];
  for (const { index, query, match } of grouped) {
    // Findings built for this package index before are the same objects; nothing changes a finding once built.
    for (const finding of builtFindings(index, query, match, nvd)) {
      findings.push(finding.packageIndex === index ? finding : { ...finding, packageIndex: index });
    }
  }
  return { findings, osAdvisoriesUnavailable, languageAdvisoriesUnavailable, warnings, dataVersion };
}

interface KeyedQuery {
  query: PackageQuery;
  key: string;
  binaryKey?: string;
}

/**
 * Each query's match (by package index), worked out as soon as the store has handed over the lists it reads. A list
 * is let go once no query waits for it: most of a large lookup dies young, before the rest is read, and the young
 * generation's collections copy little.
 */
async function matchesAsRead(store: AdvisoryReader, refs: PackageRef[], queries: Map<number, KeyedQuery>): Promise<PackageMatch[]> {
  const matches: PackageMatch[] = [];
  const lists = new Map<string, Osv[]>();
  /** The queries a key's list is still to be read for, and how many lists each query still waits for. */
  const waiting = new Map<string, number[]>();
  const unread = new Map<number, number>();
  /** Queries not yet matched that need each list. */
  const users = new Map<string, number>();
  const keysOf = ({ key, binaryKey }: KeyedQuery) => (binaryKey === undefined || binaryKey === key ? [key] : [key, binaryKey]);
  for (const [index, keyed] of queries) {
    const keys = keysOf(keyed);
    unread.set(index, keys.length);
    for (const key of keys) {
      const list = waiting.get(key);
      if (list) list.push(index);
      else waiting.set(key, [index]);
      users.set(key, (users.get(key) ?? 0) + 1);
    }
  }
  const run = (index: number) => {
    const keyed = queries.get(index)!;
    const { query, key, binaryKey } = keyed;
    const list = lists.get(key) ?? NO_ADVISORIES;
    const binaryList = binaryKey === undefined ? NO_ADVISORIES : (lists.get(binaryKey) ?? NO_ADVISORIES);
    // Both lists come from one data version (see CachedAdvisoryStore), so either may hold what was worked out from the two.
    const kept = list.length > 0 || binaryList.length === 0 ? list : binaryList;
    // Every field of the query decides what matches, so all of them make the key.
    matches[index] = rememberedFor(kept, JSON.stringify(query), () => packageMatch(query, list, key, binaryList, binaryKey));
    for (const used of keysOf(keyed)) {
      const left = users.get(used)! - 1;
      if (left === 0) lists.delete(used);
      users.set(used, left);
    }
  };
  await store.visitPackages(refs, (key, advisories) => {
    const indexes = waiting.get(key);
    if (!indexes) return;
    waiting.delete(key);
    lists.set(key, advisories);
    for (const index of indexes) {
      const left = unread.get(index)! - 1;
      unread.set(index, left);
      if (left === 0) run(index);
    }
  });
  // A package the store did not answer for has no advisories.
  for (const [index, left] of unread) if (left > 0) run(index);
  return matches;
}

/** What one package's query finds in its advisory list, kept with the list (see ./list-memo). */
interface PackageMatch {
  warnings: string[];
  /** The hits by vulnerability id, in id order. */
  byCve: Array<[string, AdvisoryHit[]]>;
  /** The CVEs NVD is asked about for this package. */
  needCvss: string[];
  /** Its findings (at the package index they were first built for) and the NVD record each was built with. */
  built?: { nvd: Array<CvssRecord | undefined>; findings: Finding[] };
}

/** Most packages of an image: nothing affects them. */
const NO_MATCH: PackageMatch = Object.freeze({ warnings: [], byCve: [], needCvss: [] });
const NO_ADVISORIES: Osv[] = Object.freeze([]) as unknown as Osv[];

/** The hits of the package's advisories, and of those naming its binary package when the distribution has such. */
function packageMatch(query: PackageQuery, advisories: Osv[], key: string, binaryAdvisories: Osv[], binaryKey: string | undefined): PackageMatch {
  const warnings: string[] = [];
  const hits = hitsFor(query, advisories, warnings, key);
  if (binaryKey !== undefined && binaryAdvisories.length > 0 && query.binaryName !== undefined) {
    hits.push(...hitsFor({ ...query, name: query.binaryName }, binaryAdvisories, warnings, binaryKey));
  }
  if (hits.length === 0 && warnings.length === 0) return NO_MATCH;
  const byCve = [...groupByCve(hits)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const needCvss = byCve.filter(([cve, hits]) => isCveId(cve) && !hasOwnV3(hits)).map(([cve]) => cve);
  return { warnings, byCve, needCvss };
}

/** The package's findings, built again only when an NVD record they read is not the one they were built with. */
function builtFindings(packageIndex: number, query: PackageQuery, match: PackageMatch, nvd: Map<string, CvssRecord>): Finding[] {
  // Another package's CVE may bring NVD's record for one of these too: every id's record is compared.
  const records = match.byCve.map(([id]) => nvd.get(id));
  if (match.built?.nvd.every((record, i) => record === records[i])) return match.built.findings;
  const compare = safeCompare(query.ecosystem);
  const findings = match.byCve.map(([id, hits], i) => {
    const fixedVersion = fixFor(hits, compare);
    return buildFinding({ packageIndex, id, hits, fixedVersion, nvd: records[i], reason: reasonOf(query, hits, fixedVersion) });
  });
  match.built = { nvd: records, findings };
  return findings;
}
