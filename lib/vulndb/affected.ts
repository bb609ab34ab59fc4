/** The parts of an OSV `affected[]` entry that decide whether a version is affected. */
export interface AffectedVersions {
  ranges?: Array<{ type: string; events: Array<{ introduced?: string; fixed?: string; last_affected?: string; limit?: string }> }>;
  versions?: string[];
}

export type Compare = (a: string, b: string) => number;

export interface AffectedVerdict {
  affected: boolean;
  /** The lowest `fixed` version above the installed one, in the range that affects it. */
  fixedBy?: string;
}

type Event = { kind: 'introduced' | 'fixed' | 'last_affected' | 'limit'; version: string };

function eventsOf(range: NonNullable<AffectedVersions['ranges']>[number]): Event[] {
  const events: Event[] = [];
  for (const event of range.events ?? []) {
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const version = event[kind];
      if (typeof version === 'string' && version !== '') events.push({ kind, version });
    }
  }
  return events;
}

/** `introduced: "0"` means "from the very first version" in every ecosystem. */
function cmp(compare: Compare, a: string, b: string): number {
  if (a === '0' && b === '0') return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  return compare(a, b);
}

/**
 * OSV's evaluation of one range: walking the events in version order, `introduced` at or below the version
 * opens an affected interval, `fixed` at or below it closes one, `last_affected` below it closes one; `limit`
 * caps the whole range. Events whose versions cannot be compared throw, so the caller can note the advisory.
 */
function rangeVerdict(version: string, events: Event[], compare: Compare): AffectedVerdict {
  const limits = events.filter((e) => e.kind === 'limit');
  if (limits.length > 0 && !limits.some((l) => cmp(compare, version, l.version) < 0)) return { affected: false };
  const ordered = events.filter((e) => e.kind !== 'limit').sort((a, b) => cmp(compare, a.version, b.version));
  let affected = false;
  let fixedBy: string | undefined;
  for (const event of ordered) {
    const order = cmp(compare, version, event.version);
    if (event.kind === 'introduced' && order >= 0) {
      affected = true;
      fixedBy = undefined;
    } else if (event.kind === 'fixed') {
      if (order >= 0) affected = false;
      else if (affected && fixedBy === undefined) fixedBy = event.version;
    } else if (event.kind === 'last_affected' && order > 0) {
      affected = false;
    }
  }
  return affected ? { affected, fixedBy } : { affected: false };
}

/** Whether `version` is affected by one OSV `affected` entry: an explicit `versions` list or ECOSYSTEM/SEMVER ranges. */
export function affectedVerdict(version: string, entry: AffectedVersions, compare: Compare): AffectedVerdict {
  let verdict: AffectedVerdict = { affected: false };
  for (const range of entry.ranges ?? []) {
    // GIT ranges name commits, which an installed package does not have.
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const result = rangeVerdict(version, eventsOf(range), compare);
    if (!result.affected) continue;
    // Several ranges: keep the fix that covers the installed version at the lowest version.
    if (!verdict.affected || (result.fixedBy && (!verdict.fixedBy || compare(result.fixedBy, verdict.fixedBy) < 0))) verdict = result;
  }
  if (!verdict.affected && entry.versions?.includes(version)) verdict = { affected: true };
  return verdict;
}
