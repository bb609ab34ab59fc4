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

/** One object for every "not affected": most entries of a match are not. */
const NOT_AFFECTED: AffectedVerdict = Object.freeze({ affected: false });

type Event = { kind: 'introduced' | 'fixed' | 'last_affected' | 'limit'; version: string };

const KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

function eventsOf(range: NonNullable<AffectedVersions['ranges']>[number]): Event[] {
  const events: Event[] = [];
  for (const event of range.events ?? []) {
    for (const kind of KINDS) {
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
  let ordered = events;
  if (events.some((e) => e.kind === 'limit')) {
    const limits = events.filter((e) => e.kind === 'limit');
    if (!limits.some((l) => cmp(compare, version, l.version) < 0)) return NOT_AFFECTED;
    ordered = events.filter((e) => e.kind !== 'limit');
  }
  // The common `introduced: "0"` and one more event are in order already, and sorting them would not call
  // `compare` (see cmp); a sort per range is most of what a match allocates.
  if (ordered.length > 2 || (ordered.length === 2 && ordered[0].version !== '0')) ordered.sort((a, b) => cmp(compare, a.version, b.version));
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
  return affected ? { affected, fixedBy } : NOT_AFFECTED;
}

type RawEvent = NonNullable<AffectedVersions['ranges']>[number]['events'][number];

/** Whether a raw event's value is a version: a non-empty string. */
const isVersion = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * Which one of the four keys a raw event sets (its index in KINDS); -1 when none or several, or one is not a version.
 * Read by name, not through KINDS: this runs for every event of every advisory a lookup answers.
 */
function onlyKind(event: RawEvent): number {
  const { introduced, fixed, last_affected: lastAffected, limit } = event;
  let found = -1;
  if (introduced !== undefined) {
    if (!isVersion(introduced)) return -1;
    found = 0;
  }
  if (fixed !== undefined) {
    if (found >= 0 || !isVersion(fixed)) return -1;
    found = 1;
  }
  if (lastAffected !== undefined) {
    if (found >= 0 || !isVersion(lastAffected)) return -1;
    found = 2;
  }
  if (limit !== undefined) {
    if (found >= 0 || !isVersion(limit)) return -1;
    found = 3;
  }
  return found;
}

/**
 * rangeVerdict of the ranges nearly every advisory has, `[introduced]` or `[introduced "0", fixed or last_affected]`,
 * without building and ordering their events; the same comparisons, so the same errors. Undefined for any other range.
 */
function simpleVerdict(version: string, events: RawEvent[], compare: Compare): AffectedVerdict | undefined {
  if (events.length === 1) {
    if (onlyKind(events[0]) !== 0) return undefined;
    return cmp(compare, version, events[0].introduced!) >= 0 ? { affected: true, fixedBy: undefined } : NOT_AFFECTED;
  }
  if (events.length !== 2 || onlyKind(events[0]) !== 0 || events[0].introduced !== '0') return undefined;
  switch (onlyKind(events[1])) {
    case 1:
      return cmp(compare, version, events[1].fixed!) < 0 ? { affected: true, fixedBy: events[1].fixed } : NOT_AFFECTED;
    case 2:
      return cmp(compare, version, events[1].last_affected!) > 0 ? NOT_AFFECTED : { affected: true, fixedBy: undefined };
    default:
      return undefined;
  }
}

/** Whether `version` is affected by one OSV `affected` entry: an explicit `versions` list or ECOSYSTEM/SEMVER ranges. */
export function affectedVerdict(version: string, entry: AffectedVersions, compare: Compare): AffectedVerdict {
  let verdict: AffectedVerdict = NOT_AFFECTED;
  for (const range of entry.ranges ?? []) {
    // GIT ranges name commits, which an installed package does not have.
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const result = simpleVerdict(version, range.events ?? [], compare) ?? rangeVerdict(version, eventsOf(range), compare);
    if (!result.affected) continue;
    // Several ranges: keep the fix that covers the installed version at the lowest version.
    if (!verdict.affected || (result.fixedBy && (!verdict.fixedBy || compare(result.fixedBy, verdict.fixedBy) < 0))) verdict = result;
  }
  if (!verdict.affected && entry.versions?.includes(version)) verdict = { affected: true };
  return verdict;
}
