/**
 * Fedora security updates as Bodhi's JSON API describes them, turned into OSV records. An update names its CVEs in
 * the titles of its bugs (else in its notes); it becomes one record per CVE, `<update>-<CVE>` (for example
 * `FEDORA-2024-900475e0f7-CVE-2024-38439`), or one record under the update's own id when it names none. Each record
 * lists the update's builds, source rpms, fixed at their EVR in the release's ecosystem (`Fedora:40`).
 */
import { PackageURL } from 'packageurl-js';
import { compareRpmEvrs } from '../../versions/rpm';
import { readBounded } from '../advisory-files';
import { isCveId, sortCveIds } from '../cve-id';
import { compareTimestamps, type Osv, type OsvAffected, type OsvReference, withoutUndefined } from '../osv';
import type { FeedFormat } from './types';
import { RECORD_SOURCES } from '../record-sources';

export const BODHI_URL = 'https://bodhi.fedoraproject.org';
const SOURCE = RECORD_SOURCES.fedoraBodhi;
/** A Bodhi response or export above this is not one lamina reads whole. */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * The version of a Fedora release as Bodhi names it (`F41` → `41`). EPEL (`EPEL-9`, prefix `FEDORA-EPEL`), ELN
 * (`ELN`, whose updates are `FEDORA-` too) and the container, flatpak and modular releases (`F41C`, `F41F`, `F38M`)
 * are other products: undefined.
 */
export function fedoraReleaseOf(release: unknown): string | undefined {
  if (!isObject(release)) return undefined;
  const version = /^F(\d+)$/.exec(textOf(release.name) ?? '')?.[1];
  const prefix = textOf(release.id_prefix);
  return version && (prefix === undefined || prefix === 'FEDORA') ? version : undefined;
}

/** Bodhi's times (`2024-07-09 01:53:44`, UTC) in ISO form (`2024-07-09T01:53:44Z`). */
export function bodhiTimestamp(value: unknown): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?$/.exec(textOf(value) ?? '');
  if (!match) return undefined;
  const iso = `${match[1]}T${match[2]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** The later of two ISO times, either of which may be missing. */
export function laterTime(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareTimestamps(a, b) >= 0 ? a : b;
}

/** When an update last reached the repositories: what Bodhi's `pushed_since` filter compares. */
export function pushedAt(update: unknown): string | undefined {
  return isObject(update) ? bodhiTimestamp(update.date_pushed) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Builds

export interface Nvr {
  name: string;
  version: string;
  release: string;
}

/** `name-version-release`: the name may hold dashes, version and release may not. */
export function parseNvr(nvr: string): Nvr | undefined {
  const text = nvr.trim();
  if (/\s/.test(text)) return undefined;
  const releaseAt = text.lastIndexOf('-');
  const versionAt = releaseAt > 0 ? text.lastIndexOf('-', releaseAt - 1) : -1;
  if (versionAt <= 0) return undefined;
  const parsed = { name: text.slice(0, versionAt), version: text.slice(versionAt + 1, releaseAt), release: text.slice(releaseAt + 1) };
  return parsed.version && parsed.release ? parsed : undefined;
}

/** Bodhi's build epoch: a number, sometimes a numeric string, null when the build has none (0). */
function epochOf(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return '0';
  const text = String(value).trim();
  return /^\d+$/.test(text) ? String(Number(text)) : undefined;
}

/** The fixed EVR of each source package the update ships (epoch 0 left out); builds that cannot be read are noted. */
function fixedBuilds(update: JsonObject, alias: string, notes: string[]): Map<string, string> {
  const fixes = new Map<string, string>();
  for (const build of listOf(update.builds)) {
    if (!isObject(build)) continue;
    const type = textOf(build.type);
    if (type !== undefined && type !== 'rpm') continue;
    const nvr = textOf(build.nvr);
    const parsed = nvr ? parseNvr(nvr) : undefined;
    const epoch = epochOf(build.epoch);
    if (!parsed || epoch === undefined) {
      notes.push(`${alias}: build ${JSON.stringify(build.nvr ?? null)} (epoch ${JSON.stringify(build.epoch ?? null)}) is not name-version-release`);
      continue;
    }
    const vr = `${parsed.version}-${parsed.release}`;
    const evr = epoch === '0' ? vr : `${epoch}:${vr}`;
    const known = fixes.get(parsed.name);
    if (known === undefined || compareRpmEvrs(evr, known) > 0) fixes.set(parsed.name, evr);
  }
  return fixes;
}

// ---------------------------------------------------------------------------------------------------------------
// CVEs

const CVE_IDS = /\bCVE-\d{4}-\d{4,}\b/gi;

function cvesIn(text: string | undefined): string[] {
  return (text?.match(CVE_IDS) ?? []).map((id) => id.toUpperCase()).filter(isCveId);
}

/** What an update says of one CVE: the bugs naming it, and the first such bug's title. */
interface NamedCve {
  bugs: number[];
  title?: string;
}

/**
 * The CVEs an update fixes: those its bugs' titles name (Fedora's tracker bugs are titled
 * `CVE-2023-2603 libcap: … [fedora-38]`); when no bug names one, those its display name, title or notes name.
 */
function namedCves(update: JsonObject): Map<string, NamedCve> {
  const named = new Map<string, NamedCve>();
  for (const bug of listOf(update.bugs)) {
    if (!isObject(bug)) continue;
    const title = textOf(bug.title);
    const id = typeof bug.bug_id === 'number' && Number.isInteger(bug.bug_id) ? bug.bug_id : undefined;
    for (const cve of cvesIn(title)) {
      const entry = named.get(cve) ?? { bugs: [], title };
      if (id !== undefined && !entry.bugs.includes(id)) entry.bugs.push(id);
      named.set(cve, entry);
    }
  }
  if (named.size > 0) return named;
  for (const cve of [update.display_name, update.title, update.notes].flatMap((text) => cvesIn(textOf(text)))) named.set(cve, { bugs: [] });
  return named;
}

/** A tracker bug's title without its CVE ids and its `[fedora-all]` tag: `libcap: Integer Overflow in _libcap_strdup()`. */
function bugSummary(title: string): string | undefined {
  const text = title
    .replace(/^(?:\s*(?:CVE-\d{4}-\d+|\.\.\.|…)[\s,]*)+/i, '')
    .replace(/\s*\[(?:fedora|epel)[^\]]*\]\s*$/i, '')
    .trim();
  return text || undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Records

/** Bodhi's severities on the scale distribution ratings share (Bugzilla's `urgent` is Red Hat's Critical). */
const SEVERITIES: Record<string, string> = { urgent: 'critical', high: 'high', medium: 'medium', low: 'low' };

const bugLink = (id: number) => `https://bugzilla.redhat.com/show_bug.cgi?id=${id}`;

function advisoryLink(update: JsonObject, alias: string): string {
  const url = textOf(update.url);
  return url && /^https:\/\//.test(url) ? url : `${BODHI_URL}/updates/${encodeURIComponent(alias)}`;
}

function affectedOf(release: string, fixes: Map<string, string>, severity: string | undefined): OsvAffected[] {
  const ecosystem = `Fedora:${release}`;
  return [...fixes]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, fixed]) => ({
      package: { ecosystem, name, purl: new PackageURL('rpm', 'fedora', name, undefined, { distro: `fedora-${release}` }).toString() },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ...(severity ? { ecosystem_specific: { severity } } : {}),
    }));
}

/** What one update gives: its records (none when it is not a stable Fedora security update) and what was wrong with it. */
export interface UpdateRecords {
  records: Osv[];
  notes: string[];
}

/** The OSV records of one Bodhi update. EPEL, ELN and other products, and updates not stable or not security, give none. */
export function updateRecords(value: unknown): UpdateRecords {
  const notes: string[] = [];
  if (!isObject(value)) return { records: [], notes: ['an update that is not a JSON object'] };
  const alias = textOf(value.alias) ?? textOf(value.updateid);
  if (!alias) return { records: [], notes: ['an update without an alias'] };
  if (!isObject(value.release)) return { records: [], notes: [`${alias}: no release`] };
  const release = fedoraReleaseOf(value.release);
  if (!release || textOf(value.status) !== 'stable' || textOf(value.type) !== 'security') return { records: [], notes };
  const published = bodhiTimestamp(value.date_stable) ?? bodhiTimestamp(value.date_pushed) ?? bodhiTimestamp(value.date_submitted);
  const modified = [value.date_modified, value.date_stable, value.date_pushed, value.date_submitted].map(bodhiTimestamp).reduce(laterTime, undefined);
  if (!modified) return { records: [], notes: [`${alias}: no readable date_stable, date_pushed or date_submitted`] };
  const fixes = fixedBuilds(value, alias, notes);
  if (fixes.size === 0) return { records: [], notes: [...notes, `${alias}: no rpm build`] };

  const severity = SEVERITIES[textOf(value.severity)?.toLowerCase() ?? ''];
  const advisory = advisoryLink(value, alias);
  const fallbackSummary = textOf(value.display_name) ?? textOf(value.title);
  // Each record its own objects: a store may keep what it is given.
  const shared = () => ({
    modified,
    published,
    details: textOf(value.notes),
    affected: affectedOf(release, fixes, severity),
    database_specific: { source: SOURCE },
  });
  const references = (bugs: number[]): OsvReference[] => [{ type: 'ADVISORY', url: advisory }, ...bugs.map((id) => ({ type: 'REPORT', url: bugLink(id) }))];

  const cves = namedCves(value);
  if (cves.size === 0) {
    // As ALAS does for its own ids: an update naming no CVE is still a fix, reported under the update's id.
    const bugs = listOf(value.bugs).flatMap((bug) => (isObject(bug) && typeof bug.bug_id === 'number' ? [bug.bug_id] : []));
    return { records: [withoutUndefined<Osv>({ id: alias, ...shared(), summary: fallbackSummary, references: references(bugs) })], notes };
  }
  const records = sortCveIds(cves.keys()).map((cve) => {
    const { bugs, title } = cves.get(cve)!;
    return withoutUndefined<Osv>({
      id: `${alias}-${cve}`,
      ...shared(),
      aliases: [cve],
      related: [alias],
      summary: (title && bugSummary(title)) ?? fallbackSummary,
      references: references(bugs),
    });
  });
  return { records, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// Documents

/**
 * The updates of a Bodhi document: a page of `/updates/` (`{"updates": [...], "page", "pages", …}`), one update as
 * `/updates/<alias>` answers (`{"update": {...}}`), a bare update, or a list of them; undefined for anything else.
 */
export function updatesOfDocument(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (!isObject(value)) return undefined;
  if (Array.isArray(value.updates)) return value.updates;
  if (isObject(value.update)) return [value.update];
  return textOf(value.alias) ? [value] : undefined;
}

const JSON_START = /^\uFEFF?\s*[[{]/;
/** An update's alias (`FEDORA-2024-…`, `FEDORA-EPEL-…`), or keys only Bodhi's updates and pages have. */
const BODHI_MARK = /"(?:alias|updateid)"\s*:\s*"FEDORA-(?:[A-Z]+-)?\d{4}-[0-9a-f]+"|"(?:autokarma|stable_karma|display_request)"\s*:/;

/** Bodhi's updates JSON (a page of the API, one update, or a list of them), as `lamina db import` reads it. */
export const bodhiUpdatesFormat: FeedFormat = {
  name: 'fedora-bodhi-updates',
  sniff: (head) => JSON_START.test(head) && BODHI_MARK.test(head),
  async *parse(input, context) {
    let document: unknown;
    try {
      document = JSON.parse(await readBounded(input, MAX_DOCUMENT_BYTES));
    } catch (err) {
      context.malformed(`cannot read the document: ${(err as Error).message}`);
      return;
    }
    const updates = updatesOfDocument(document);
    if (!updates) {
      context.malformed('not a Bodhi updates document: no "updates" list, "update" or "alias"');
      return;
    }
    for (const update of updates) {
      const { records, notes } = updateRecords(update);
      for (const note of notes) context.malformed(note);
      yield* records;
    }
  },
};
