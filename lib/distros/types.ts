import type { OsRelease, PackageManager } from '../analyzers/types';
import type { SchemeName } from '../versions/scheme';

/** Where the distribution's own rating of an advisory is found in its OSV records, in order of preference. */
export type RatingField =
  | 'affected.ecosystem_specific.urgency'
  | 'affected.ecosystem_specific.severity'
  | 'affected.database_specific.severity'
  | 'affected.severity.Ubuntu'
  | 'severity.Ubuntu'
  | 'database_specific.severity';

/** Which package and version its advisories name: the source package at the source version, at the binary's version, or the binary. */
export type AdvisoryPackageRule = 'source' | 'source-name' | 'binary';

/** Everything the project knows about one distribution. Adding a distribution is one such file plus its registration. */
export interface Distribution {
  /** Human name (`Debian`). */
  name: string;
  /** os-release `ID` values that are this distribution. */
  ids: readonly string[];
  /** Its package manager. */
  manager: PackageManager;
  /** package-url namespace of its packages (`pkg:deb/debian/…`). */
  purlNamespace: string;
  /** The scheme its package versions are ordered by. */
  versionScheme: SchemeName;
  /** OSV ecosystem names its advisories are filed under (`Debian`; `Ubuntu` and its Pro/FIPS streams share one). */
  osvEcosystems: readonly string[];
  /** The advisory ecosystem of one release (`Debian:12`), undefined when no feed covers it. */
  releaseEcosystem(os: OsRelease): string | undefined;
  /** The lookup form of a release as spelled in an advisory (`12.4` → `12`); absent: the release as written. */
  normaliseRelease?(parts: string[]): string[];
  advisoryPackage: AdvisoryPackageRule;
  /**
   * Some of its advisories name the binary package instead (SUSE's CSAF VEX does, its OSV names source packages):
   * a binary built from a source of another name is looked up under both names.
   */
  binaryAdvisories?: boolean;
  ratingFields: readonly RatingField[];
  /** The distribution's tracker page for a CVE, when it has one. */
  trackerLink?(cve: string): string;
  /** StackRox's `scan.operatingSystem` for a release (`debian:12`, `alpine:v3.18`, `rhel:8`). */
  operatingSystem(os: OsRelease): string;
  /** The purl `distro` qualifier (`debian-12`, `alpine-3.18.4`). */
  purlDistro(os: OsRelease): string;
  /** The advisory sources `lamina db update` and the updater bring by default (`osv:Debian`, `alas:2023`); empty when there is none. */
  feeds: readonly string[];
  /**
   * Its advisories name the rpm module stream of every modular fix, so an entry without one is for the
   * non-modular build only (Red Hat's); elsewhere an entry without a stream speaks for every build.
   */
  modularAdvisories?: boolean;
  /**
   * The advisory source whose stored data maps the repositories an image was built from (its content sets) to the
   * CPEs its advisories name per entry; absent: the image's repositories do not decide what it is matched with.
   */
  repositoryPlatforms?: string;
  /** Said with every match of its images, when its advisories are another distribution's (CentOS: Red Hat's). */
  matchNote?: string;
}

/** The rating fields every distribution feed in OSV uses one of. */
export const OSV_RATING_FIELDS: readonly RatingField[] = [
  'affected.ecosystem_specific.urgency',
  'affected.ecosystem_specific.severity',
  'affected.database_specific.severity',
  'affected.severity.Ubuntu',
  'severity.Ubuntu',
  'database_specific.severity',
];

export function majorOf(version: string): string | undefined {
  return /^(\d+)/.exec(version)?.[1];
}

export function majorMinorOf(version: string): string | undefined {
  return /^(\d+)\.(\d+)/.exec(version)?.slice(1, 3).join('.');
}

/** `<ID>:<VERSION_ID>`, or the bare ID when it names no version. */
export function idAndVersion(os: OsRelease): string {
  const versionId = os.versionId.trim();
  return versionId ? `${os.id}:${versionId}` : os.id;
}

/** `<ID>:<major>` for distributions whose releases are named by their major version (RHEL and its rebuilds). */
export function idAndMajor(os: OsRelease): string {
  const versionId = os.versionId.trim();
  return versionId ? `${os.id}:${versionId.split('.')[0]}` : os.id;
}

/** `<ID>-<VERSION_ID>`, the purl distro qualifier most distributions use. */
export function purlDistroOf(os: OsRelease): string {
  return os.versionId ? `${os.id}-${os.versionId}` : os.id;
}
