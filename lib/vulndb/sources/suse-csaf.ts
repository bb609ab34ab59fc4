/**
 * SUSE's CSAF VEX documents, one per CVE (https://ftp.suse.com/pub/projects/security/csaf-vex/cve-<year>-<n>.json),
 * as OSV records for SUSE Linux Enterprise (Server, Desktop, its modules and LTSS, SLE Micro), SUSE Linux Micro and
 * openSUSE (Leap, Leap Micro, Tumbleweed). Each document becomes one `SUSE-<CVE>` record with an entry per
 * (product, binary package): fixed at the build SUSE recommends (`recommended`; `fixed` and `first_fixed` too), or
 * affected without a fix (`known_affected`). A product that is `known_not_affected` and has no fix gets no entry. SUSE
 * names binary packages here (its OSV names source packages), so the SUSE descriptor looks both names up.
 *
 * The source reads the directory's `changes.csv` (`"cve-2023-5568.json","2024-07-26T03:43:57Z"`): a first run fetches
 * every document it lists, checkpointing after each batch so that a run cut short continues where it stopped; later
 * runs fetch the documents changed since the cursor, and withdraw those `deletions.csv` names, when SUSE lists any.
 *
 * Products are named as SUSE's OSV ecosystems name them (`SUSE:Linux Enterprise Server 15 SP5`,
 * `openSUSE:Tumbleweed`); products that are no operating system an image runs (SUSE Manager, Enterprise Storage,
 * CaaS Platform, Open Enterprise Server…) are left out. The products of one service pack (Server, Desktop, SAP, the
 * modules, LTSS) share one entry per package, named after the first of them.
 */
import { PackageURL } from 'packageurl-js';
import { isCveId } from '../cve-id';
import { compareTimestamps, ecosystemKey, type Osv, type OsvAffected, type OsvReference, withoutUndefined } from '../osv';
import {
  csafVexFormat,
  cvssVectorOf,
  isObject,
  isoTimestamp,
  keepHighestFix,
  type Json,
  listOf,
  noteOf,
  objectOf,
  parsedDocument,
  type ProductTree,
  productTreeOf,
  textOf,
  textsOf,
} from './csaf';
import { applyListedChanges, type CsafFeed, readListing, writeChanged } from './csaf-listing';
import type { AdvisorySource, FeedFormat, SourceContext, SourceOutcome } from './types';
import { RECORD_SOURCES } from '../record-sources';

export const SUSE_CSAF_SOURCE = RECORD_SOURCES.suseCsaf;
const SUSE_PUBLISHER = 'https://www.suse.com';
/** The largest real documents (the kernel's CVEs) are a few MiB. */
export const MAX_SUSE_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** Products whose images lamina can tell apart: SLE and its modules, SLE Micro, SUSE Linux Micro, openSUSE. */
const OS_PRODUCT = /^(?:SUSE (Linux Enterprise .+|Linux Micro .+)|openSUSE (Leap .+|Leap Micro .+|Tumbleweed))$/;

/** The OSV ecosystem of a product name (`SUSE Linux Enterprise Server 15 SP5` → `SUSE:Linux Enterprise Server 15 SP5`). */
export function suseEcosystem(product: string): string | undefined {
  const match = OS_PRODUCT.exec(product.replace(/\s+/g, ' ').trim());
  if (!match) return undefined;
  return match[1] ? `SUSE:${match[1]}` : `openSUSE:${match[2]}`;
}

const RPM_NAME = /^[A-Za-z0-9._+-]+$/;

/** An arch after the release, as SUSE's advisory documents write their builds (`…-150100.4.13.1.x86_64`). */
const ARCH_SUFFIX = /\.(?:x86_64|aarch64|ppc64le|s390x|i586|i686|noarch|src|nosrc)$/;

/** `samba-client-libs-4.19.4+git.339.acf1ccaa02-1.22` → name and EVR; an epoch, when SUSE writes one, as `E:V-R`. */
export function splitNevr(nevra: string): { name: string; evr: string } | undefined {
  const text = nevra.replace(ARCH_SUFFIX, '');
  const release = text.lastIndexOf('-');
  const version = release > 0 ? text.lastIndexOf('-', release - 1) : -1;
  if (version <= 0) return undefined;
  const name = text.slice(0, version);
  const evr = text.slice(version + 1);
  if (!RPM_NAME.test(name) || !/\d/.test(evr.slice(0, evr.indexOf('-'))) || /[\s/]/.test(evr)) return undefined;
  return { name, evr: evr.replace(/^0+:/, '') };
}

// ---------------------------------------------------------------------------------------------------------------
// Statuses to entries

/** Everything the document says about one binary package of one product. */
interface PackageGroup {
  ecosystem: string;
  name: string;
  fixed?: string;
  fixedIds: string[];
  affectedIds: string[];
  notAffected: boolean;
}

/** Statuses by product id, grouped per (product, package); a fixed status names a build, the others a package name. */
function groupStatuses(tree: ProductTree, status: Json): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  const each = (list: unknown, withBuild: boolean, add: (group: PackageGroup, id: string, evr: string | undefined) => void) => {
    for (const id of textsOf(list)) {
      const relation = tree.relationships.get(id);
      const ecosystem = relation && suseEcosystem(relation.platform);
      if (!relation || !ecosystem) continue;
      const build = withBuild ? splitNevr(relation.component) : undefined;
      const name = build?.name ?? (RPM_NAME.test(relation.component) ? relation.component : undefined);
      if (!name || (withBuild && !build)) continue;
      const key = `${ecosystem}\u0000${name}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { ecosystem, name, fixedIds: [], affectedIds: [], notAffected: false }));
      add(group, id, build?.evr);
    }
  };
  const fixed = (group: PackageGroup, id: string, evr: string | undefined) => evr && keepHighestFix(group, evr, id);
  each(status.recommended, true, fixed);
  each(status.fixed, true, fixed);
  each(status.first_fixed, true, fixed);
  each(status.known_affected, false, (group, id) => group.affectedIds.push(id));
  each(status.known_not_affected, false, (group) => {
    group.notAffected = true;
  });
  // Of one product, a fix is kept whatever else is said; without one, not affected wins over affected.
  return byRelease([...groups.values()].filter((g) => g.fixed !== undefined || (g.affectedIds.length > 0 && !g.notAffected)));
}

/**
 * The products of one release merged per package: an image cannot tell which of them it is (Server, Desktop, a
 * module, LTSS), so a fix of any is the fix (the highest), and a package is unfixed only where none has a fix.
 */
function byRelease(groups: PackageGroup[]): PackageGroup[] {
  const merged = new Map<string, PackageGroup>();
  for (const group of groups.sort((a, b) => (a.ecosystem < b.ecosystem ? -1 : a.ecosystem > b.ecosystem ? 1 : 0))) {
    const key = `${ecosystemKey(group.ecosystem)}\u0000${group.name}`;
    const kept = merged.get(key);
    if (!kept) merged.set(key, group);
    else if (group.fixed !== undefined) {
      if (kept.fixed === undefined) merged.set(key, { ...group, ecosystem: kept.ecosystem });
      else keepHighestFix(kept, group.fixed, ...group.fixedIds);
    } else if (kept.fixed === undefined) kept.affectedIds.push(...group.affectedIds);
  }
  return [...merged.values()].sort((a, b) => (a.ecosystem < b.ecosystem ? -1 : a.ecosystem > b.ecosystem ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** SUSE's rating of the group's products: the `impact` threat naming one of them (or none), else the document's. */
function impactOf(vulnerability: Json, ids: string[], aggregate: string | undefined): string | undefined {
  for (const entry of listOf(vulnerability.threats)) {
    const threat = objectOf(entry);
    if (textOf(threat.category) !== 'impact') continue;
    const products = textsOf(threat.product_ids);
    if (products.length > 0 && !ids.some((id) => products.includes(id))) continue;
    const details = textOf(threat.details)?.toLowerCase();
    if (details) return details;
  }
  return aggregate?.toLowerCase();
}

function entryOf(group: PackageGroup, severity: string | undefined): OsvAffected {
  const events = group.fixed !== undefined ? [{ introduced: '0' }, { fixed: group.fixed }] : [{ introduced: '0' }];
  return {
    package: {
      ecosystem: group.ecosystem,
      name: group.name,
      purl: new PackageURL('rpm', 'suse', group.name, undefined, { distro: group.ecosystem.slice(group.ecosystem.indexOf(':') + 1) }).toString(),
    },
    ranges: [{ type: 'ECOSYSTEM', events }],
    ...(severity ? { ecosystem_specific: { severity } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The record

export function withdrawnSuseRecord(cve: string, when: string): Osv {
  return { id: `SUSE-${cve}`, modified: when, withdrawn: when, database_specific: { source: SUSE_CSAF_SOURCE } };
}

/**
 * The references kept: SUSE's CVE page first, spelled as the SUSE descriptor's tracker link spells it (the document
 * writes it without `.html`: the same page), then the document's other links (its bugzilla entries).
 */
function referencesOf(document: Json, cve: string): OsvReference[] {
  const page = `https://www.suse.com/security/cve/${cve}`;
  const urls = listOf(document.references)
    .map((r) => textOf(objectOf(r).url))
    .filter(
      (url): url is string =>
        url !== undefined && /^https:\/\//.test(url) && url !== page && url !== `${page}.html` && !url.endsWith('/support/security/rating/'),
    );
  return [{ type: 'ADVISORY', url: `${page}.html` }, ...[...new Set(urls)].map((url) => ({ type: 'WEB', url }))];
}

/**
 * The OSV record of one SUSE VEX document; undefined for a document that states nothing about any product (SUSE
 * publishes those for CVEs that never concerned it); or why there is none.
 */
export function suseVexRecord(value: unknown): Osv | undefined | { malformed: string } {
  if (!isObject(value) || !isObject(value.document)) return { malformed: 'not a CSAF document' };
  const document = value.document;
  const tracking = objectOf(document.tracking);
  const vulnerabilities = listOf(value.vulnerabilities);
  const vulnerability = objectOf(vulnerabilities[0]);
  const cve = [textOf(vulnerability.cve), textOf(tracking.id)].find((id) => id !== undefined && isCveId(id.toUpperCase()))?.toUpperCase();
  if (!cve) return { malformed: 'no CVE id in the document' };
  if (textOf(document.category) !== 'csaf_vex') return { malformed: `${cve}: not a CSAF VEX document` };
  const publisher = textOf(objectOf(document.publisher).namespace)?.replace(/\/$/, '');
  if (publisher !== SUSE_PUBLISHER) return { malformed: `${cve}: published by ${publisher ?? 'nobody named'}, not SUSE` };
  const modified = isoTimestamp(tracking.current_release_date);
  if (!modified) return { malformed: `${cve}: no readable document.tracking.current_release_date` };
  if (vulnerabilities.length === 0) return undefined;
  const tree = productTreeOf(value.product_tree);
  if (!tree) return { malformed: `${cve}: unreadable product_tree` };
  const groups = groupStatuses(tree, objectOf(vulnerability.product_status));
  if (groups.length === 0) return undefined;
  const aggregate = textOf(objectOf(document.aggregate_severity).text);
  const keptIds = new Set(groups.flatMap((g) => (g.fixed !== undefined ? g.fixedIds : g.affectedIds)));
  const vector = cvssVectorOf(vulnerability, keptIds);
  return withoutUndefined<Osv>({
    id: `SUSE-${cve}`,
    modified,
    published: isoTimestamp(tracking.initial_release_date),
    aliases: [cve],
    details: noteOf(vulnerability, 'general') ?? noteOf(document, 'description'),
    severity: vector ? [{ type: 'CVSS_V3', score: vector }] : undefined,
    affected: groups.map((g) => entryOf(g, impactOf(vulnerability, g.fixed !== undefined ? g.fixedIds : g.affectedIds, aggregate))),
    references: referencesOf(document, cve),
    database_specific: { source: SUSE_CSAF_SOURCE },
  });
}

/** The record of one document's text, none, or why there is none. */
export const suseDocumentRecord = (text: string) => parsedDocument(text, suseVexRecord);

/** A SUSE CSAF VEX document (`document.category` `csaf_vex`, publisher SUSE Product Security): one record per file. */
export const suseCsafFormat: FeedFormat = csafVexFormat(
  'suse-csaf-vex',
  /"namespace"\s*:\s*"https:\/\/www\.suse\.com\/?"|"name"\s*:\s*"SUSE Product Security Team"/,
  MAX_SUSE_DOCUMENT_BYTES,
  suseDocumentRecord,
);
// ---------------------------------------------------------------------------------------------------------------
// The source

export const SUSE_VEX_URL = 'https://ftp.suse.com/pub/projects/security/csaf-vex/';
/** A row can appear in the listing a while after its timestamp: rows this much older than the cursor are fetched again. */
const DEFAULT_LISTING_LAG_MS = 60 * 60 * 1000;

const feedOf = (options: SuseCsafSourceOptions): CsafFeed => ({
  record: suseDocumentRecord,
  withdrawn: withdrawnSuseRecord,
  maxDocumentBytes: MAX_SUSE_DOCUMENT_BYTES,
  // ftp.suse.com serves small static files: the first run fetches tens of thousands of them.
  concurrency: 16,
  retryDelayMs: options.retryDelayMs,
});

/** The cursor names the shape of its records, so that a later change of shape starts over. */
const CURSOR_SHAPE = 'vex ';
const cursorOf = (timestamp: string | undefined) => (timestamp ? `${CURSOR_SHAPE}${timestamp}` : undefined);
const timestampOf = (cursor: string | undefined) => (cursor?.startsWith(CURSOR_SHAPE) ? cursor.slice(CURSOR_SHAPE.length) : undefined);

/** Where an interrupted first run stopped: the listing's newest row it loads up to, and the last path written. */
interface LoadProgress {
  upTo: string;
  after: string;
}

function parseProgress(text: string | undefined): LoadProgress | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as LoadProgress;
    return typeof value.upTo === 'string' && typeof value.after === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * First run: every document the listing names, in path order, up to the newest row it had when the load began;
 * rows newer than that are the next run's. The cursor is that newest row.
 */
async function initialLoad(context: SourceContext, feed: CsafFeed, base: string): Promise<SourceOutcome> {
  const changes = await readListing(context, new URL('changes.csv', base).href, undefined);
  const resumed = parseProgress(context.progress);
  const upTo = resumed?.upTo ?? changes.newest;
  if (!upTo) return { status: 'not-modified' };
  const paths = [...changes.rows]
    .filter(([path, when]) => compareTimestamps(when, upTo) <= 0 && (!resumed || path > resumed.after))
    .map(([path]) => path)
    .sort();
  if (resumed) context.skipped(changes.rows.size - paths.length);
  await writeChanged(context, feed, base, paths, (after) => context.saveProgress(JSON.stringify({ upTo, after } satisfies LoadProgress)));
  return { status: 'updated', cursor: cursorOf(upTo) };
}

async function applyChanges(context: SourceContext, feed: CsafFeed, base: string, cursor: string, lagMs: number): Promise<SourceOutcome> {
  // SUSE has not published a deletions.csv so far: its absence is no failure.
  const newest = await applyListedChanges(context, feed, base, cursor, lagMs, { deletionsOptional: true });
  return newest ? { status: 'updated', cursor: cursorOf(newest) } : { status: 'not-modified' };
}

export interface SuseCsafSourceOptions {
  /** The VEX directory (default {@link SUSE_VEX_URL}); it serves changes.csv and the documents. */
  baseUrl?: string;
  /** Rows this much older than the cursor are fetched again on a later run (default 1 h). */
  listingLagMs?: number;
  /** The wait before a document's first retry (default 2 s). */
  retryDelayMs?: number;
}

/** SUSE's VEX feed: one `SUSE-<CVE>` record per CVE, under the SLE, SLE Micro and openSUSE product ecosystems. */
export function suseCsafSource(options: SuseCsafSourceOptions = {}): AdvisorySource {
  const base = (options.baseUrl ?? SUSE_VEX_URL).replace(/\/*$/, '/');
  const lagMs = options.listingLagMs ?? DEFAULT_LISTING_LAG_MS;
  const feed = feedOf(options);
  return {
    name: SUSE_CSAF_SOURCE,
    ecosystems: ['SUSE', 'openSUSE'],
    run: (context) => {
      const since = timestampOf(context.cursor);
      return since ? applyChanges(context, feed, base, since, lagMs) : initialLoad(context, feed, base);
    },
  };
}
