/** Findings: what the matcher says about one package and one vulnerability, in no output format's terms. */
import { distributionOfEcosystem, type RatingField } from '../distros';
import { OSV_RATING_FIELDS } from '../distros/types';
import { isCveId } from './cve-id';
import { parseCvssV2, parseCvssV3, type CvssV2, type CvssV3 } from './cvss';
import type { Osv, OsvAffected, OsvSeverity } from './osv';
import type { CvssRecord } from './store';
import { memoizedByText } from '../memo';
import { VENDOR_FEED_SOURCES } from './record-sources';

export { isCveId };

/** The CVE ids an advisory speaks for: its own id when it is one, else the CVEs among its aliases and upstream ids. */
/** Distribution bulletins that name the CVEs they fix only under `related` (SUSE's and openSUSE's older ones, Photon's). */
const BULLETIN_WITH_RELATED_CVES = /^(?:SUSE|openSUSE)-[A-Z]{2}-|^PHSA-/;

export function cveIdsOf(osv: Pick<Osv, 'id' | 'aliases' | 'upstream' | 'related'>): string[] {
  if (isCveId(osv.id)) return [osv.id];
  const named = distinctCves([], osv.aliases);
  distinctCves(named, osv.upstream);
  if (named.length > 0 || !BULLETIN_WITH_RELATED_CVES.test(osv.id)) return named;
  return distinctCves([], osv.related);
}

/** Adds the CVE ids of `ids` not in `into` yet, in order (a loop: this runs for every advisory a match hits). */
function distinctCves(into: string[], ids: string[] | undefined): string[] {
  for (const id of ids ?? []) if (isCveId(id)) addNew(into, id);
  return into;
}

/** One advisory that affects the installed version, with the entry that matched and the fix it names. */
export interface AdvisoryHit {
  advisory: Osv;
  entry: OsvAffected;
  fixedBy?: string;
}

/** A rating on the four-step scale distributions and CVSS bands share. */
export type Rating = 'LOW' | 'MODERATE' | 'IMPORTANT' | 'CRITICAL';

export interface ScoredVector<Parsed> {
  vector: string;
  score: number;
  parsed: Parsed;
}

/** One vulnerability of one package. */
export interface Finding {
  /** Index of the package in the inventory's packages. */
  packageIndex: number;
  /** The CVE it is reported under, else the advisory id (a GHSA, a MAL-… record without a CVE). */
  id: string;
  /** The advisories that speak for it, per-CVE records first. */
  advisoryIds: string[];
  /** Every other id they are known by. */
  aliases: string[];
  /** The version that fixes it; absent when any advisory speaking for it names none. */
  fixedVersion?: string;
  /** The distribution's own rating, when the advisory comes from it. */
  vendorRating?: Rating;
  /** The rating used: the vendor's, else CVSS v3's band, else v2's; absent when nothing rates it. */
  rating?: Rating;
  cvssV3?: ScoredVector<CvssV3>;
  cvssV2?: ScoredVector<CvssV2>;
  summary: string;
  /** Where to read about it, best first: the distribution's tracker, the advisory, osv.dev, NVD. */
  links: string[];
  published?: string;
  modified?: string;
  /** Why it matched: ecosystem, name and version against the advisory's range. */
  reason: string;
}

const RATINGS: Record<string, Rating> = {
  unimportant: 'LOW',
  negligible: 'LOW',
  low: 'LOW',
  medium: 'MODERATE',
  moderate: 'MODERATE',
  high: 'IMPORTANT',
  important: 'IMPORTANT',
  critical: 'CRITICAL',
};

function rating(value: unknown): Rating | undefined {
  if (typeof value !== 'string') return undefined;
  return RATINGS[value.trim().toLowerCase().replace(/\*+$/, '')];
}

const ubuntuScore = (list: OsvSeverity[] | undefined) => list?.find((s) => s.type === 'Ubuntu')?.score;

function ratingField(hit: AdvisoryHit, field: RatingField): unknown {
  switch (field) {
    case 'affected.ecosystem_specific.urgency':
      return hit.entry.ecosystem_specific?.urgency;
    case 'affected.ecosystem_specific.severity':
      return hit.entry.ecosystem_specific?.severity;
    case 'affected.database_specific.severity':
      return hit.entry.database_specific?.severity;
    case 'affected.severity.Ubuntu':
      return ubuntuScore(hit.entry.severity);
    case 'severity.Ubuntu':
      return ubuntuScore(hit.advisory.severity);
    case 'database_specific.severity':
      return hit.advisory.database_specific?.severity;
  }
}

/** The distribution's own rating of an advisory, read from the fields its descriptor names. */
export function distroRating(hit: AdvisoryHit): Rating | undefined {
  const base = baseOf(hit.entry.package?.ecosystem);
  const fields = distributionOfEcosystem(base)?.ratingFields ?? (OTHER_DISTRO_ECOSYSTEMS.has(base) ? OSV_RATING_FIELDS : []);
  for (const field of fields) {
    const found = rating(ratingField(hit, field));
    if (found) return found;
  }
  return undefined;
}

/** Texts parsed before (ecosystems, vectors, times) are kept up to this many each. */
const PARSED_LIMIT = 20_000;

const baseName = memoizedByText((ecosystem) => ecosystem.split(':')[0].trim(), PARSED_LIMIT);

/** The ecosystem's name before its release (`Debian` of `Debian:12`); '' for none. */
function baseOf(ecosystem: string | undefined): string {
  return ecosystem === undefined ? '' : baseName(ecosystem);
}

/** OSV ecosystems of distributions without a descriptor yet, whose records still carry the distribution's rating. */
const OTHER_DISTRO_ECOSYSTEMS = new Set(['Red Hat', 'SUSE', 'openSUSE', 'Photon OS', 'Mageia', 'openEuler', 'Azure Linux', 'Mariner']);

/** Parsed vectors by text: a scan meets the same few vectors thousands of times. */
const parsedV3 = new Map<string, CvssV3 | undefined>();
const parsedV2 = new Map<string, CvssV2 | undefined>();

function cached<T>(cache: Map<string, T | undefined>, vector: string, parse: (v: string) => T | undefined): T | undefined {
  if (cache.has(vector)) return cache.get(vector);
  if (cache.size >= PARSED_LIMIT) cache.clear();
  const parsed = parse(vector);
  cache.set(vector, parsed);
  return parsed;
}

/** Whether the advisories carry a CVSS v3 vector of their own, so NVD need not be asked. */
export function hasOwnV3(hits: AdvisoryHit[]): boolean {
  for (const hit of hits) if (hasV3(hit.advisory.severity) || hasV3(hit.entry.severity)) return true;
  return false;
}

function hasV3(list: OsvSeverity[] | undefined): boolean {
  for (const severity of list ?? []) if (severity.type === 'CVSS_V3') return true;
  return false;
}

interface Vectors {
  v3?: CvssV3;
  v2?: CvssV2;
}

/** The first parseable vectors of each version, advisory-level before affected-level, then NVD's. */
export function vectorsFor(hits: AdvisoryHit[], nvd: CvssRecord | undefined): Vectors {
  const found: Vectors = {};
  for (const hit of hits) {
    readVectors(found, hit.advisory.severity);
    readVectors(found, hit.entry.severity);
  }
  if (!found.v3 && nvd?.v3Vector) found.v3 = cached(parsedV3, nvd.v3Vector, parseCvssV3);
  if (!found.v2 && nvd?.v2Vector) found.v2 = cached(parsedV2, nvd.v2Vector, parseCvssV2);
  return found;
}

/** The first parseable vector of each version in `list` that `found` has none of yet. */
function readVectors(found: Vectors, list: OsvSeverity[] | undefined): void {
  for (const severity of list ?? []) {
    if (!found.v3 && severity.type === 'CVSS_V3') found.v3 = cached(parsedV3, severity.score, parseCvssV3);
    if (!found.v2 && severity.type === 'CVSS_V2') found.v2 = cached(parsedV2, severity.score, parseCvssV2);
  }
}

const V3_RATING: Record<CvssV3['severity'], Rating> = { NONE: 'LOW', LOW: 'LOW', MEDIUM: 'MODERATE', HIGH: 'IMPORTANT', CRITICAL: 'CRITICAL' };
const V2_RATING: Record<CvssV2['severity'], Rating> = { LOW: 'LOW', MEDIUM: 'MODERATE', HIGH: 'IMPORTANT' };

/** Distro rating first, then CVSS v3's band, then v2's. */
export function ratingOf(vendor: Rating | undefined, vectors: Vectors): Rating | undefined {
  if (vendor) return vendor;
  if (vectors.v3) return V3_RATING[vectors.v3.severity];
  if (vectors.v2) return V2_RATING[vectors.v2.severity];
  return undefined;
}

/** The advisory database's own rating (GitHub's `database_specific.severity`), for records that carry no CVSS. */
function databaseRating(hits: AdvisoryHit[]): Rating | undefined {
  for (const hit of hits) {
    const found = rating(hit.advisory.database_specific?.severity);
    if (found) return found;
  }
  return undefined;
}

const fromVendorFeed = (advisory: Osv) => VENDOR_FEED_SOURCES.has(advisory.database_specific?.source as string);

/** Where a reader learns about the vulnerability: the distribution's tracker for OS advisories, else the advisory. */
export function linksFor(id: string, hits: AdvisoryHit[]): string[] {
  const links: string[] = [];
  const base = baseOf(hits[0]?.entry.package?.ecosystem);
  const tracker = distributionOfEcosystem(base)?.trackerLink;
  if (isCveId(id) && tracker) links.push(tracker(id));
  for (const hit of hits) {
    const reference = hit.advisory.references?.find((r) => r.type === 'ADVISORY' && /^https:\/\//.test(r.url));
    if (reference) {
      addNew(links, reference.url);
      break;
    }
  }
  const advisory = hits.find((hit) => !isCveId(hit.advisory.id) && !fromVendorFeed(hit.advisory))?.advisory;
  if (advisory) addNew(links, `https://osv.dev/vulnerability/${encodeURIComponent(advisory.id)}`);
  addNew(links, `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(id)}`);
  return links;
}

/** The advisory's summary, else the first line of its details. */
export function summaryOf(hits: AdvisoryHit[]): string {
  for (const hit of hits) if (hit.advisory.summary?.trim()) return hit.advisory.summary.trim();
  for (const hit of hits) {
    const line = firstLine(hit.advisory.details ?? '');
    if (line) return line;
  }
  return '';
}

/** The first line of `text` with more than blanks, trimmed; '' when none. */
function firstLine(text: string): string {
  for (let start = 0; start <= text.length; ) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end).trim();
    if (line !== '') return line;
    if (end < 0) break;
    start = end + 1;
  }
  return '';
}

/** `value` added to `list` unless it is there: lists of a few ids, where a Set costs more. */
function addNew(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

interface KnownTime {
  time: number;
  iso: string;
}

/** Timestamps read before: every finding reads two per advisory, and advisories share them. */
const knownTimes = new Map<string, KnownTime | null>();

/** A parseable timestamp, with its ISO form; Go's repository records say 0001-01-01, which means "unknown". */
function knownTime(value: string | undefined): KnownTime | null {
  if (!value || value.startsWith('0001-')) return null;
  let known = knownTimes.get(value);
  if (known === undefined) {
    if (knownTimes.size >= PARSED_LIMIT) knownTimes.clear();
    const time = Date.parse(value);
    known = Number.isNaN(time) ? null : { time, iso: new Date(time).toISOString() };
    knownTimes.set(value, known);
  }
  return known;
}

/** The earliest (`order` -1) or latest (1) known time of NVD's record and the hits' advisories, as an ISO string. */
function extreme(nvd: string | undefined, hits: AdvisoryHit[], field: 'published' | 'modified', order: 1 | -1): string | undefined {
  let found = knownTime(nvd);
  for (const hit of hits) {
    const known = knownTime(hit.advisory[field]);
    if (known && (!found || (known.time - found.time) * order > 0)) found = known;
  }
  return found?.iso;
}

export interface FindingInput {
  packageIndex: number;
  id: string;
  hits: AdvisoryHit[];
  fixedVersion?: string;
  nvd?: CvssRecord;
  reason: string;
}

/** The finding for one vulnerability id of one package. */
export function buildFinding(input: FindingInput): Finding {
  const vectors = vectorsFor(input.hits, input.nvd);
  let vendorRating: Rating | undefined;
  for (const hit of input.hits) {
    vendorRating = distroRating(hit);
    if (vendorRating) break;
  }
  const advisoryIds: string[] = [];
  const aliases: string[] = [];
  for (const { advisory } of input.hits) {
    addNew(advisoryIds, advisory.id);
    addNew(aliases, advisory.id);
    for (const alias of advisory.aliases ?? []) addNew(aliases, alias);
    for (const alias of advisory.upstream ?? []) addNew(aliases, alias);
  }
  const own = aliases.indexOf(input.id);
  if (own >= 0) aliases.splice(own, 1);
  const finding: Finding = {
    packageIndex: input.packageIndex,
    id: input.id,
    advisoryIds,
    aliases,
    summary: summaryOf(input.hits),
    links: linksFor(input.id, input.hits),
    reason: input.reason,
  };
  if (input.fixedVersion) finding.fixedVersion = input.fixedVersion;
  if (vendorRating) finding.vendorRating = vendorRating;
  const rated = ratingOf(vendorRating, vectors) ?? databaseRating(input.hits);
  if (rated) finding.rating = rated;
  if (vectors.v3) finding.cvssV3 = { vector: vectors.v3.vector, score: vectors.v3.score, parsed: vectors.v3 };
  if (vectors.v2) finding.cvssV2 = { vector: vectors.v2.vector, score: vectors.v2.score, parsed: vectors.v2 };
  const published = extreme(input.nvd?.published, input.hits, 'published', -1);
  const modified = extreme(input.nvd?.lastModified, input.hits, 'modified', 1);
  if (published) finding.published = published;
  if (modified) finding.modified = modified;
  return finding;
}
