import { createHash } from 'node:crypto';
import { packageKey, type Osv, type OsvAffected } from './osv';

/** Lookup copies keep a short text; the full advisory stays available through `getAdvisories`. */
const SUMMARY_CHARS = 512;
const DETAILS_HEAD_CHARS = 280;
const REFERENCES_KEPT = 3;
const SMALL_JSON_BYTES = 512;

function small(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return value && JSON.stringify(value).length <= SMALL_JSON_BYTES ? value : undefined;
}

/** The `ecosystem_specific` keys matching and ratings read: kept even when the whole object is not small. */
const MATCHED_KEYS = ['rpm_module', 'cpes', 'extended_stream', 'severity', 'urgency'];

function matchedPart(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const whole = small(value);
  if (whole || !value) return whole;
  const kept = Object.fromEntries(MATCHED_KEYS.filter((key) => value[key] !== undefined).map((key) => [key, value[key]]));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function head(text: string | undefined, chars: number): string | undefined {
  if (!text) return undefined;
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/** What a matcher needs of one affected entry: GIT ranges name commits no installed package has. */
function matchable(entry: OsvAffected): OsvAffected | undefined {
  const ranges = entry.ranges?.filter((r) => r.type !== 'GIT').map((r) => ({ type: r.type, events: r.events }));
  if (!ranges?.length && !entry.versions?.length) return undefined;
  const out: OsvAffected = { package: entry.package };
  if (entry.severity?.length) out.severity = entry.severity;
  if (ranges?.length) out.ranges = ranges;
  if (entry.versions?.length) out.versions = entry.versions;
  const ecosystemSpecific = matchedPart(entry.ecosystem_specific);
  if (ecosystemSpecific) out.ecosystem_specific = ecosystemSpecific;
  const databaseSpecific = small(entry.database_specific);
  if (databaseSpecific) out.database_specific = databaseSpecific;
  return out;
}

/**
 * The advisory as stored under each package it affects: only that package's matchable entries, the CVSS
 * vectors, aliases and a short text. Withdrawn advisories affect nothing.
 */
export function packageAdvisories(osv: Osv): Map<string, Osv> {
  const byPackage = new Map<string, Osv>();
  if (osv.withdrawn) return byPackage;
  for (const entry of osv.affected ?? []) {
    if (!entry.package?.name || !entry.package.ecosystem) continue;
    const affected = matchable(entry);
    if (!affected) continue;
    const key = packageKey(entry.package.ecosystem, entry.package.name);
    let copy = byPackage.get(key);
    if (!copy) {
      copy = { id: osv.id, modified: osv.modified, affected: [] };
      if (osv.published) copy.published = osv.published;
      if (osv.aliases?.length) copy.aliases = osv.aliases;
      if (osv.related?.length) copy.related = osv.related;
      if (osv.upstream?.length) copy.upstream = osv.upstream;
      const summary = head(osv.summary, SUMMARY_CHARS);
      if (summary) copy.summary = summary;
      else if (osv.details) copy.details = head(osv.details, DETAILS_HEAD_CHARS);
      if (osv.severity?.length) copy.severity = osv.severity;
      if (osv.references?.length) copy.references = osv.references.slice(0, REFERENCES_KEPT);
      const databaseSpecific = small(osv.database_specific);
      if (databaseSpecific) copy.database_specific = databaseSpecific;
      byPackage.set(key, copy);
    }
    copy.affected!.push(affected);
  }
  return byPackage;
}

/** Content hash deciding whether a record with the same `modified` is still a change (Go's repo records all say 0001-01-01). */
export function contentHash(osv: Osv): string {
  return createHash('sha256').update(JSON.stringify(osv)).digest('base64url').slice(0, 22);
}
