import { SemVer } from 'semver';
import { InvalidVersionError } from './errors';
import type { VersionScheme } from './scheme';

/** Loose parsing accepts `v`/`=` prefixes and inner spaces (`v 1.2.3`), as npm itself does. */
function parse(version: string): SemVer {
  try {
    return new SemVer(version, { loose: true });
  } catch (err) {
    throw new InvalidVersionError('semver', version, err instanceof Error ? err.message : String(err));
  }
}

/** SemVer 2.0 precedence; build metadata never matters. */
export const semverScheme: VersionScheme = {
  name: 'semver',
  compare: (a, b) => parse(a).compare(parse(b)),
  isValid(version) {
    try {
      parse(version);
      return true;
    } catch {
      return false;
    }
  },
};
