import { DISTRIBUTIONS } from '../distros';
import { apkScheme } from './apk';
import { dpkgScheme } from './dpkg';
import { InvalidVersionError } from './errors';
import { genericScheme } from './generic';
import { goScheme } from './go';
import { mavenScheme } from './maven';
import { nugetScheme } from './nuget';
import { packagistScheme } from './packagist';
import { pep440Scheme } from './pep440';
import { rpmScheme } from './rpm';
import { rubygemsScheme } from './rubygems';
import type { SchemeName, VersionScheme } from './scheme';
import { coercedSemverScheme, semverScheme } from './semver';
import { memoizedByText } from '../memo';

export { InvalidVersionError } from './errors';
export type { SchemeName, VersionScheme } from './scheme';

/** Longest version string any scheme is asked to order; longer input is refused, not parsed. */
export const MAX_VERSION_LENGTH = 512;

const SCHEMES: Record<SchemeName, VersionScheme> = {
  dpkg: dpkgScheme,
  rpm: rpmScheme,
  apk: apkScheme,
  semver: semverScheme,
  go: goScheme,
  pep440: pep440Scheme,
  maven: mavenScheme,
  rubygems: rubygemsScheme,
  nuget: nugetScheme,
  packagist: packagistScheme,
  generic: genericScheme,
};

/** OSV ecosystem names (the part before the first `:`) to their version schemes; distributions' come from their descriptors. */
const ECOSYSTEM_SCHEMES: Record<string, SchemeName> = {
  'Red Hat': 'rpm',
  openSUSE: 'rpm',
  SUSE: 'rpm',
  Mageia: 'rpm',
  'Photon OS': 'rpm',
  'Azure Linux': 'rpm',
  'CBL-Mariner': 'rpm',
  'Oracle Linux': 'rpm',
  Oracle: 'rpm',
  openEuler: 'rpm',
  TuxCare: 'rpm',
  CentOS: 'rpm',
  Fedora: 'rpm',
  Alpaquita: 'apk',
  'BellSoft Hardened Containers': 'apk',
  MinimOS: 'apk',
  npm: 'semver',
  'crates.io': 'semver',
  Hex: 'semver',
  Pub: 'semver',
  SwiftURL: 'semver',
  Bitnami: 'semver',
  Go: 'go',
  Kubernetes: 'go',
  PyPI: 'pep440',
  Maven: 'maven',
  RubyGems: 'rubygems',
  NuGet: 'nuget',
  Packagist: 'packagist',
};

for (const distribution of DISTRIBUTIONS) for (const name of distribution.osvEcosystems) ECOSYSTEM_SCHEMES[name] = distribution.versionScheme;

/**
 * Scheme for an OSV ecosystem string such as `Debian:12` or `Ubuntu:Pro:18.04:LTS`; unknown ones get the generic
 * order. Remembered: a match asks for every package's ecosystem, the same few spellings.
 */
export const getVersionScheme: (ecosystem: string) => SchemeName = memoizedByText(schemeNameOf);

function schemeNameOf(ecosystem: string): SchemeName {
  const parts = String(ecosystem)
    .split(':')
    .map((p) => p.trim());
  // Root's ecosystems name the distribution or package manager they patch: Root:Alpine:3.18, Root:PyPI.
  const base = parts[0] === 'Root' && parts.length > 1 ? parts[1] : parts[0];
  return Object.hasOwn(ECOSYSTEM_SCHEMES, base) ? ECOSYSTEM_SCHEMES[base] : 'generic';
}

function schemeFor(ecosystem: string): VersionScheme {
  return SCHEMES[getVersionScheme(ecosystem)];
}

function checkInput(scheme: VersionScheme, version: unknown): string {
  if (typeof version !== 'string') throw new InvalidVersionError(scheme.name, String(version), 'version is not a string');
  if (version.length > MAX_VERSION_LENGTH) {
    throw new InvalidVersionError(scheme.name, version, `longer than ${MAX_VERSION_LENGTH} characters`);
  }
  if (version.trim() === '' && scheme.name !== 'rubygems') {
    throw new InvalidVersionError(scheme.name, version, 'version string is empty');
  }
  return version;
}

/**
 * Orders two versions of one ecosystem: negative when a < b, 0 when equal, positive when a > b.
 * Throws InvalidVersionError when either version cannot be ordered by the ecosystem's scheme
 * (empty, too long, or rejected by a strict parser such as SemVer, PEP 440, NuGet, RubyGems or
 * Composer); lenient schemes (dpkg warnings, rpm, apk, Maven, generic) order what their tools order.
 */
export function compareVersions(ecosystem: string, a: string, b: string): number {
  const scheme = schemeFor(ecosystem);
  return Math.sign(scheme.compare(checkInput(scheme, a), checkInput(scheme, b)));
}

/** True when the ecosystem's scheme accepts the version without complaint. */
export function isValidVersion(ecosystem: string, version: string): boolean {
  const scheme = schemeFor(ecosystem);
  if (typeof version !== 'string' || version.length > MAX_VERSION_LENGTH) return false;
  return scheme.isValid(version);
}

/**
 * {@link compareVersions} as osv.dev orders advisories' versions: the same, except that SemVer ecosystems' versions
 * with missing parts are padded with zeros first (semver_index.coerce: `2.0` is 2.0.0, `3` is 3.0.0), where
 * compareVersions refuses them as SemVer does. For comparing an installed version with the versions of an advisory's
 * range events, some of which are written that way.
 */
export function compareAdvisoryVersions(ecosystem: string, a: string, b: string): number {
  return advisoryVersionOrder(ecosystem)(a, b);
}

/** {@link compareAdvisoryVersions} of one ecosystem, its scheme looked up once: a match compares thousands of versions. */
export function advisoryVersionOrder(ecosystem: string): (a: string, b: string) => number {
  const named = schemeFor(ecosystem);
  const scheme = named.name === 'semver' ? coercedSemverScheme : named;
  return (a, b) => Math.sign(scheme.compare(checkInput(scheme, a), checkInput(scheme, b)));
}
