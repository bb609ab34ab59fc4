import { idAndMajor, majorOf, OSV_RATING_FIELDS, purlDistroOf, type Distribution } from './types';

/** RHEL and its rebuilds: rpm, releases named by their major version, advisories naming binary packages. */
export function rpmDistribution(name: string, ids: string[], purlNamespace: string, osvEcosystem?: string): Distribution {
  return {
    name,
    ids,
    manager: 'rpm',
    purlNamespace,
    versionScheme: 'rpm',
    osvEcosystems: osvEcosystem ? [osvEcosystem] : [],
    releaseEcosystem: (os) => {
      const release = majorOf(os.versionId);
      return osvEcosystem && release ? `${osvEcosystem}:${release}` : undefined;
    },
    normaliseRelease: ([release]) => [majorOf(release) ?? release],
    advisoryPackage: 'binary',
    ratingFields: OSV_RATING_FIELDS,
    operatingSystem: idAndMajor,
    purlDistro: purlDistroOf,
    defaultFeed: osvEcosystem ? { kind: 'osv', ecosystem: osvEcosystem } : undefined,
  };
}

export const rocky = rpmDistribution('Rocky Linux', ['rocky'], 'rocky', 'Rocky Linux');
export const almalinux = rpmDistribution('AlmaLinux', ['almalinux'], 'almalinux', 'AlmaLinux');
// Red Hat's own feeds (CSAF/OVAL) and Oracle's are not read yet: these releases have no advisory source.
export const rhel = rpmDistribution('Red Hat Enterprise Linux', ['rhel'], 'redhat');
export const centos = rpmDistribution('CentOS', ['centos'], 'centos');
export const oracle = rpmDistribution('Oracle Linux', ['ol'], 'oracle');
export const scientific = rpmDistribution('Scientific Linux', ['scientific'], 'scientific');
