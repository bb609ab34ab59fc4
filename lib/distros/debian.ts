import { majorOf, OSV_RATING_FIELDS, type Distribution } from './types';

export const debian: Distribution = {
  name: 'Debian',
  ids: ['debian'],
  manager: 'dpkg',
  purlNamespace: 'debian',
  versionScheme: 'dpkg',
  osvEcosystems: ['Debian'],
  releaseEcosystem: (os) => {
    const release = majorOf(os.versionId);
    return release ? `Debian:${release}` : undefined;
  },
  normaliseRelease: ([release, ...rest]) => [majorOf(release) ?? release, ...rest].slice(0, 1),
  advisoryPackage: 'source',
  ratingFields: OSV_RATING_FIELDS,
  trackerLink: (cve) => `https://security-tracker.debian.org/tracker/${cve}`,
  operatingSystem: (os) => `debian:${os.versionId.trim() ? os.versionId.trim().split('.')[0] : 'unstable'}`,
  purlDistro: (os) => `debian-${majorOf(os.versionId) ?? 'unstable'}`,
  feeds: ['osv:Debian'],
};
