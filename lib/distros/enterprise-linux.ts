import type { AdvisoryPackageRule } from './types';
import { idAndMajor, majorOf, OSV_RATING_FIELDS, purlDistroOf, type Distribution } from './types';

interface RpmOptions {
  /** Ecosystem base its advisories are filed under (`Rocky Linux`, `Red Hat`); none when no source covers it. */
  ecosystem?: string;
  /** Whether this distribution owns the ecosystem (its descriptor decides the ecosystem's scheme and ratings). */
  ownsEcosystem?: boolean;
  advisoryPackage?: AdvisoryPackageRule;
  feeds?: string[];
  trackerLink?: (cve: string) => string;
  matchNote?: string;
  normaliseRelease?: Distribution['normaliseRelease'];
  modularAdvisories?: boolean;
  repositoryPlatforms?: string;
}

/** RHEL and its rebuilds: rpm, releases named by their major version. */
export function rpmDistribution(name: string, ids: string[], purlNamespace: string, options: RpmOptions = {}): Distribution {
  const { ecosystem } = options;
  return {
    name,
    ids,
    manager: 'rpm',
    purlNamespace,
    versionScheme: 'rpm',
    osvEcosystems: ecosystem && options.ownsEcosystem !== false ? [ecosystem] : [],
    releaseEcosystem: (os) => {
      const release = majorOf(os.versionId);
      return ecosystem && release ? `${ecosystem}:${release}` : undefined;
    },
    normaliseRelease: options.normaliseRelease ?? (([release, ...rest]) => [majorOf(release) ?? release, ...rest].slice(0, 1)),
    advisoryPackage: options.advisoryPackage ?? 'binary',
    ratingFields: OSV_RATING_FIELDS,
    trackerLink: options.trackerLink,
    operatingSystem: idAndMajor,
    purlDistro: purlDistroOf,
    feeds: options.feeds ?? [],
    matchNote: options.matchNote,
    modularAdvisories: options.modularAdvisories,
    repositoryPlatforms: options.repositoryPlatforms,
  };
}

export const rocky = rpmDistribution('Rocky Linux', ['rocky'], 'rocky', { ecosystem: 'Rocky Linux', feeds: ['osv:Rocky Linux'] });
export const almalinux = rpmDistribution('AlmaLinux', ['almalinux'], 'almalinux', { ecosystem: 'AlmaLinux', feeds: ['osv:AlmaLinux'] });

const redHatTracker = (cve: string) => `https://access.redhat.com/security/cve/${cve}`;

/**
 * `Red Hat:9`, and osv.dev's spelling of the main RHEL streams (`Red Hat:enterprise_linux:9::appstream`) as the
 * same release; other Red Hat products and EUS-style streams keep their whole name, so they match nothing.
 */
function redHatRelease(parts: string[]): string[] {
  const [first, second] = parts.map((p) => p.trim());
  if (/^\d+/.test(first)) return [majorOf(first) ?? first];
  if (first === 'enterprise_linux' && /^\d+/.test(second ?? '')) return [majorOf(second) ?? second];
  return parts;
}
/**
 * Red Hat's CSAF VEX names source packages: a binary is matched by its source rpm's name at its own EVR (they are one
 * build). An image's content manifests name the repositories it was built from; Red Hat's repository-to-CPE mapping
 * turns them into the products its VEX entries are for.
 */
export const rhel = rpmDistribution('Red Hat Enterprise Linux', ['rhel'], 'redhat', {
  ecosystem: 'Red Hat',
  advisoryPackage: 'source-name',
  feeds: ['redhat-csaf'],
  trackerLink: redHatTracker,
  normaliseRelease: redHatRelease,
  modularAdvisories: true,
  repositoryPlatforms: 'redhat-repositories',
});
/** CentOS (7, 8, Stream) has no feed of its own: it is matched with Red Hat's data of the same major, as Trivy does. */
export const centos = rpmDistribution('CentOS', ['centos'], 'centos', {
  ecosystem: 'Red Hat',
  ownsEcosystem: false,
  advisoryPackage: 'source-name',
  feeds: ['redhat-csaf'],
  trackerLink: redHatTracker,
  modularAdvisories: true,
  matchNote: "CentOS has no advisory feed of its own: its packages are matched against Red Hat Enterprise Linux's advisories of the same major release",
});
export const oracle = rpmDistribution('Oracle Linux', ['ol'], 'oracle', {
  ecosystem: 'Oracle Linux',
  feeds: ['oracle-oval'],
  trackerLink: (cve) => `https://linux.oracle.com/cve/${cve}.html`,
});
export const scientific = rpmDistribution('Scientific Linux', ['scientific'], 'scientific');
