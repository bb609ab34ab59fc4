import { InvalidVersionError } from './errors';
import { comparePrerelease } from './prerelease';
import { compareDigits, type VersionScheme } from './scheme';

interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  prerelease: string[];
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const SEMVER = new RegExp(`^v?${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?)?)?$`);
/** Go toolchain names: go1.21.3, go1.22rc1, 1.21beta2, go1.20. */
const TOOLCHAIN = /^(?:go)?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:(alpha|beta|rc)([0-9]+))?$/;

/**
 * Parses module versions as golang.org/x/mod/semver does (the `v` is optional because OSV drops
 * it, and may be a `V`; `v1` and `v1.2` are shorthands; `+incompatible` and other build metadata are ignored), and
 * Go toolchain versions as go/version orders them: go1.22rc1 is 1.22.0-rc.1, and from Go 1.21 on
 * a bare go1.N is the language version, below its release candidates (1.N.0-0).
 */
function parseGoVersion(input: string): GoVersion {
  // A capital V (`V1.2.3`) is read as the `v` golang.org/x/mod/semver wants.
  const text = input.trim().replace(/^V(?=[0-9])/, 'v');
  const m = SEMVER.exec(text);
  const numericPrerelease = m?.[4]?.split('.').some((id) => /^0[0-9]+$/.test(id));
  const shorthandWithExtras = m !== null && m[3] === undefined && /[-+]/.test(text);
  if (m && !numericPrerelease && !shorthandWithExtras && !text.startsWith('go')) {
    return { major: m[1], minor: m[2] ?? '0', patch: m[3] ?? '0', prerelease: m[4] ? m[4].split('.') : [] };
  }
  const t = TOOLCHAIN.exec(text);
  if (t && (text.startsWith('go') || t[4] !== undefined)) {
    const [, major, minor, patch, stage, n] = t;
    if (stage) return { major, minor, patch: patch ?? '0', prerelease: [stage, n] };
    const languageVersion = patch === undefined && compareDigits(major, '1') === 0 && compareDigits(minor, '21') >= 0;
    return { major, minor, patch: patch ?? '0', prerelease: languageVersion ? ['0'] : [] };
  }
  throw new InvalidVersionError('go', input, 'not a Go module or toolchain version');
}

function compareGoVersions(a: GoVersion, b: GoVersion): number {
  return compareDigits(a.major, b.major) || compareDigits(a.minor, b.minor) || compareDigits(a.patch, b.patch) || comparePrerelease(a.prerelease, b.prerelease);
}

export const goScheme: VersionScheme = {
  name: 'go',
  compare: (a, b) => compareGoVersions(parseGoVersion(a), parseGoVersion(b)),
  isValid(version) {
    try {
      parseGoVersion(version);
      return true;
    } catch {
      return false;
    }
  },
};
