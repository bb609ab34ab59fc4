import { InvalidVersionError } from './errors';
import { memoizedByText } from '../memo';
import { compareDigits, sign, type VersionScheme } from './scheme';

/** A Debian version `[epoch:]upstream[-revision]`, as dpkg's parseversion splits it. */
export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const MAX_EPOCH = 2 ** 31 - 1;
const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]*$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]*$/;

/**
 * Parses like dpkg: hard errors (empty, bad epoch, empty upstream, embedded blanks) throw;
 * what dpkg only warns about (upstream not starting with a digit, odd characters) is kept and
 * reported through `warning` so isValid can refuse it while compare still orders it as dpkg does.
 */
export function parseDpkgVersion(input: string): DpkgVersion & { warning?: string } {
  const text = input.trim();
  if (text === '') throw new InvalidVersionError('dpkg', input, 'version string is empty');
  if (/\s/.test(text)) throw new InvalidVersionError('dpkg', input, 'version string has embedded spaces');

  let epoch = 0;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText)) throw new InvalidVersionError('dpkg', input, 'epoch is not a non-negative number');
    epoch = Number(epochText);
    if (epoch > MAX_EPOCH) throw new InvalidVersionError('dpkg', input, 'epoch is too big');
    rest = text.slice(colon + 1);
    if (rest === '') throw new InvalidVersionError('dpkg', input, 'nothing after colon in version number');
  }

  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (upstream === '') throw new InvalidVersionError('dpkg', input, 'version number is empty');

  let warning: string | undefined;
  if (!/^[0-9]/.test(upstream)) warning = 'version number does not start with digit';
  else if (!UPSTREAM_CHARS.test(upstream)) warning = 'invalid character in version number';
  else if (!REVISION_CHARS.test(revision)) warning = 'invalid character in revision number';
  return { epoch, upstream, revision, warning };
}

/** Weight of one non-digit character: `~` first, then end of string, letters, everything else. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126) return -1;
  return c + 256;
}

const isDigitAt = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/** Debian's comparison of one upstream or revision string: alternating non-digit and digit runs. */
export function compareDebianPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigitAt(a, i)) || (j < b.length && !isDigitAt(b, j))) {
      const diff = order(a, i) - order(b, j);
      if (diff !== 0) return sign(diff);
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (isDigitAt(a, i)) i++;
    while (isDigitAt(b, j)) j++;
    const diff = compareDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (diff !== 0) return diff;
  }
  return 0;
}

export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareDebianPart(a.upstream, b.upstream) || compareDebianPart(a.revision, b.revision);
}

const parsedDpkgVersion = memoizedByText(parseDpkgVersion);

export const dpkgScheme: VersionScheme = {
  name: 'dpkg',
  compare: (a, b) => compareDpkgVersions(parsedDpkgVersion(a), parsedDpkgVersion(b)),
  isValid(version) {
    try {
      return parseDpkgVersion(version).warning === undefined;
    } catch {
      return false;
    }
  },
};
