import { InvalidVersionError } from './errors';
import { compareDigits, compareStrings, type VersionScheme } from './scheme';

/** Gem::Version::ANCHORED_VERSION_PATTERN, blanks around allowed. */
const GEM_VERSION = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

type Segment = string | bigint;

/**
 * Gem::Version#canonical_segments: `-` means `.pre.`; digit and letter runs are segments; the
 * release part (before the first letter segment) and the pre-release part each lose trailing zeros.
 */
function canonicalSegments(input: string): Segment[] {
  const m = GEM_VERSION.exec(input);
  if (!m) {
    throw new InvalidVersionError('rubygems', input, 'malformed version number string');
  }
  const text = (m[1] ?? '0').replace(/-/g, '.pre.');
  const segments: Segment[] = (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^[0-9]/.test(s) ? BigInt(s) : s));
  const firstString = segments.findIndex((s) => typeof s === 'string');
  const release = firstString < 0 ? segments : segments.slice(0, firstString);
  const prerelease = firstString < 0 ? [] : segments.slice(firstString);
  return [...dropTrailingZeros(release), ...dropTrailingZeros(prerelease)];
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && segments[end - 1] === 0n) end--;
  return segments.slice(0, end);
}

function compareSegments(a: Segment[], b: Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x === y) continue;
    if (typeof x === 'string' && typeof y !== 'string') return -1;
    if (typeof x !== 'string' && typeof y === 'string') return 1;
    if (typeof x === 'string' && typeof y === 'string') return compareStrings(x, y);
    return compareDigits(String(x), String(y));
  }
  return 0;
}

/** Gem::Version#<=>: letters make a pre-release, which sorts below any number in its place. */
export const rubygemsScheme: VersionScheme = {
  name: 'rubygems',
  compare: (a, b) => compareSegments(canonicalSegments(a), canonicalSegments(b)),
  isValid(version) {
    try {
      canonicalSegments(version);
      return true;
    } catch {
      return false;
    }
  },
};
