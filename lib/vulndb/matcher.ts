/** Matching an image's inventory against the advisory store: the vulnerabilities of every component. */
import type { Inventory, InventoryComponent, ScanNote } from '../index/types';
import { componentFromInventory } from '../stackrox/storage-image';
import type { StorageEmbeddedImageScanComponent, StorageImage } from '../stackrox/types';
import { compareVersions, InvalidVersionError } from '../versions';
import { affectedVerdict } from './affected';
import { packageKey, type Osv } from './osv';
import { osEcosystem, queryFor, type PackageQuery } from './package-keys';
import type { AdvisoryStore, PackageRef } from './store';
import { buildVulnerability, cveIdsOf, hasOwnV3, isCveId, type AdvisoryHit } from './vulnerability';

export interface MatchOptions {
  now: Date;
  /** The image as last stored: CVEs it already had keep their firstImageOccurrence. */
  previous?: StorageImage;
}

export interface MatchResult {
  components: StorageEmbeddedImageScanComponent[];
  /** OS_CVES_UNAVAILABLE when the image's OS has no advisory source or the store holds no data. */
  notes: ScanNote[];
  /** Advisories that could not be evaluated (a version their ecosystem cannot order), one line each. */
  warnings: string[];
  /** The store's data version the matches were computed from; a stored scan with another one is stale. */
  dataVersion: string;
}

/** The store's data version before any import. */
export const EMPTY_DATA_VERSION = '0';

/** Version comparisons for one package: the installed version meets the same range events many times. */
function memoizedCompare(ecosystem: string): (a: string, b: string) => number {
  const known = new Map<string, number>();
  return (a, b) => {
    const key = `${a}\u0000${b}`;
    let order = known.get(key);
    if (order === undefined) {
      order = compareVersions(ecosystem, a, b);
      known.set(key, order);
    }
    return order;
  };
}

/** The advisories among `advisories` that affect the queried version, with the fix each names. */
export function hitsFor(query: PackageQuery, advisories: Osv[], warnings: string[]): AdvisoryHit[] {
  const key = packageKey(query.ecosystem, query.name);
  const compare = memoizedCompare(query.ecosystem);
  // Entries spelled exactly as the query skip the normalisation of their package key.
  const sameKey = (ecosystem: string, name: string) => (ecosystem === query.ecosystem && name === query.name) || packageKey(ecosystem, name) === key;
  const hits: AdvisoryHit[] = [];
  for (const advisory of advisories) {
    for (const entry of advisory.affected ?? []) {
      if (!entry.package || !sameKey(entry.package.ecosystem, entry.package.name)) continue;
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
 * Hits grouped by CVE so that one CVE is reported once per component. An advisory naming a single CVE
 * (DEBIAN-CVE-…, ALPINE-CVE-…, a GHSA with its CVE alias) speaks for it before a bulletin naming many (DSA, DLA).
 */
export function groupByCve(hits: AdvisoryHit[]): Map<string, AdvisoryHit[]> {
  const primary = new Map<string, AdvisoryHit[]>();
  const secondary = new Map<string, AdvisoryHit[]>();
  for (const hit of hits) {
    const cves = cveIdsOf(hit.advisory);
    const ids = cves.length > 0 ? cves : [hit.advisory.id];
    const target = ids.length === 1 ? primary : secondary;
    for (const id of ids) target.set(id, [...(target.get(id) ?? []), hit]);
  }
  for (const [id, list] of secondary) if (!primary.has(id)) primary.set(id, list);
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

function firstOccurrences(previous: StorageImage | undefined): Map<string, string> {
  const seen = new Map<string, string>();
  for (const component of previous?.scan?.components ?? []) {
    for (const vuln of component.vulns) {
      const when = vuln.firstImageOccurrence;
      if (when && (!seen.has(vuln.cve) || Date.parse(when) < Date.parse(seen.get(vuln.cve)!))) seen.set(vuln.cve, when);
    }
  }
  return seen;
}

function safeCompare(ecosystem: string): (a: string, b: string) => number {
  return (a, b) => {
    try {
      return compareVersions(ecosystem, a, b);
    } catch {
      return a.localeCompare(b);
    }
  };
}

/** Matches every component of the inventory; components without an advisory source keep empty `vulns`. */
export async function matchInventory(inventory: Inventory, store: AdvisoryStore, options: MatchOptions): Promise<MatchResult> {
  // Read the version first: data imported during the lookup makes the result look stale, never fresh.
  const dataVersion = await store.getDataVersion();
  const notes: ScanNote[] = [];
  const warnings: string[] = [];
  const hasOsPackages = inventory.components.some((c) => c.source === 'OS');
  if (hasOsPackages && (dataVersion === EMPTY_DATA_VERSION || !osEcosystem(inventory.os))) notes.push('OS_CVES_UNAVAILABLE');

  const queries = new Map<InventoryComponent, PackageQuery>();
  const refs = new Map<string, PackageRef>();
  for (const component of inventory.components) {
    const query = queryFor(component, inventory.os);
    if (!query) continue;
    queries.set(component, query);
    refs.set(packageKey(query.ecosystem, query.name), { ecosystem: query.ecosystem, name: query.name });
  }
  const advisories = refs.size > 0 ? await store.findByPackages([...refs.values()]) : new Map<string, Osv[]>();

  const grouped = new Map<InventoryComponent, Map<string, AdvisoryHit[]>>();
  // NVD is asked only for CVEs whose advisories carry no v3 vector of their own.
  const needCvss = new Set<string>();
  for (const [component, query] of queries) {
    const hits = hitsFor(query, advisories.get(packageKey(query.ecosystem, query.name)) ?? [], warnings);
    if (hits.length === 0) continue;
    const byCve = groupByCve(hits);
    grouped.set(component, byCve);
    for (const [cve, cveHits] of byCve) if (isCveId(cve) && !hasOwnV3(cveHits)) needCvss.add(cve);
  }
  const nvd = needCvss.size > 0 ? await store.getCvss([...needCvss]) : new Map();

  const firstSeen = firstOccurrences(options.previous);
  const now = options.now.toISOString();
  const components = inventory.components.map((component) => {
    const base = componentFromInventory(component);
    const byCve = grouped.get(component);
    if (!byCve) return base;
    const compare = safeCompare(queries.get(component)!.ecosystem);
    const vulns = [...byCve.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([cve, hits]) =>
        buildVulnerability({
          cve,
          hits,
          fixedBy: fixFor(hits, compare),
          nvd: nvd.get(cve),
          firstImageOccurrence: firstSeen.get(cve) ?? now,
          firstSystemOccurrence: null,
        }),
      );
    let fixedBy = '';
    for (const vuln of vulns) if (vuln.fixedBy && (!fixedBy || compare(vuln.fixedBy, fixedBy) > 0)) fixedBy = vuln.fixedBy;
    return { ...base, vulns, fixedBy };
  });
  return { components, notes, warnings, dataVersion };
}
