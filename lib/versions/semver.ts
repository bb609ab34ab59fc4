import { SemVer } from 'semver';
import { InvalidVersionError } from './errors';
import { memoizedByText } from '../memo';
import type { VersionScheme } from './scheme';

/**
 * Loose parsing accepts `v`/`=` prefixes and inner spaces (`v 1.2.3`), as npm itself does, and a capital `V`
 * (`V1.2.3`, as some tags and advisories write it), which node-semver's loose grammar lacks.
 */
function parse(version: string): SemVer {
  try {
    return new SemVer(version.replace(/^([v=\s]*)V/, '$1v'), { loose: true });
  } catch (err) {
    throw new InvalidVersionError('semver', version, err instanceof Error ? err.message : String(err));
  }
}

// Parsed versions are only compared, never changed (SemVer#inc would), so they can be shared.
const parsed = memoizedByText(parse);
const parsedCoerced = memoizedByText((version) => parse(coerceSemver(version)));

/** SemVer 2.0 precedence; build metadata never matters. */
export const semverScheme: VersionScheme = {
  name: 'semver',
  compare: (a, b) => parsed(a).compare(parsed(b)),
  isValid(version) {
    try {
      parse(version);
      return true;
    } catch {
      return false;
    }
  },
};

const PARTIAL = /^[vV=\s]*([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(.*)$/s;

/**
 * osv.dev's semver_index.coerce, which it applies to every SemVer-ecosystem version before ordering: the prefix
 * dropped, missing minor and patch read as 0 (`2.0` is 2.0.0, `3` is 3.0.0, `1.2-beta` is 1.2.0-beta) and leading
 * zeros dropped. What is not a number first (`latest`) or has more parts (`1.2.3.4`) is left for the parser to refuse.
 */
export function coerceSemver(version: string): string {
  const m = PARTIAL.exec(version);
  if (!m) return version;
  const [, major, minor = '0', patch = '0', rest] = m;
  const part = (digits: string) => digits.replace(/^0+(?=[0-9])/, '');
  return `${part(major)}.${part(minor)}.${part(patch)}${rest}`;
}

/** {@link semverScheme} after {@link coerceSemver}: the order osv.dev gives advisories' SemVer versions. */
export const coercedSemverScheme: VersionScheme = {
  name: 'semver',
  compare: (a, b) => parsedCoerced(a).compare(parsedCoerced(b)),
  isValid(version) {
    try {
      parse(coerceSemver(version));
      return true;
    } catch {
      return false;
    }
  },
};
