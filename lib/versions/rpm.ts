import { InvalidVersionError } from './errors';
import { memoizedByText } from '../memo';
import { compareDigits, compareStrings, type VersionScheme } from './scheme';

/** An RPM `[epoch:]version[-release]`; release is absent when the string has no hyphen. */
export interface RpmVersion {
  epoch: string;
  version: string;
  release?: string;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isSeparator = (c: string): boolean => !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';

/**
 * rpmvercmp: runs of ASCII digits or letters compared pairwise (numbers beat letters), anything
 * else only separates; `~` sorts before everything, even the end, `^` after the end but before
 * anything else.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a[i])) i++;
    while (j < b.length && isSeparator(b[j])) j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(a[i]);
    const inRun = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && inRun(a[i])) i++;
    while (j < b.length && inRun(b[j])) j++;
    // Runs of different kinds: the numeric one is newer.
    if (j === sj) return numeric ? 1 : -1;

    const segA = a.slice(si, i);
    const segB = b.slice(sj, j);
    const rc = numeric ? compareDigits(segA, segB) : compareStrings(segA, segB);
    if (rc !== 0) return rc;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Splits `[E:]V[-R]` as rpm does: epoch before the first colon, release after the last hyphen. */
export function parseRpmVersion(input: string): RpmVersion {
  const text = input.trim();
  if (text === '') throw new InvalidVersionError('rpm', input, 'version string is empty');
  let epoch = '0';
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (!/^[0-9]*$/.test(epochText)) throw new InvalidVersionError('rpm', input, 'epoch is not a number');
    epoch = epochText === '' ? '0' : epochText;
    rest = text.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen < 0) return { epoch, version: rest };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

/** rpm's EVR order: epoch, then version, then release only when both sides have one. */
export function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  return (
    compareDigits(a.epoch, b.epoch) ||
    rpmvercmp(a.version, b.version) ||
    (a.release !== undefined && b.release !== undefined ? rpmvercmp(a.release, b.release) : 0)
  );
}

/** A match compares the same few thousand EVRs (installed builds, fixes) over and over. */
const parsedRpmVersion = memoizedByText(parseRpmVersion, 20_000);

/** Orders two `[epoch:]version[-release]` texts as rpm does; throws InvalidVersionError for one rpm cannot read. */
export const compareRpmEvrs = (a: string, b: string): number => compareRpmVersions(parsedRpmVersion(a), parsedRpmVersion(b));

export const rpmScheme: VersionScheme = {
  name: 'rpm',
  compare: compareRpmEvrs,
  isValid(version) {
    try {
      const parsed = parseRpmVersion(version);
      return parsed.version !== '' && parsed.release !== '' && !/\s/.test(version.trim());
    } catch {
      return false;
    }
  },
};
