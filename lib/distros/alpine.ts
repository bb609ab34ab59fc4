import { majorMinorOf, OSV_RATING_FIELDS, purlDistroOf, type Distribution } from './types';

export const alpine: Distribution = {
  name: 'Alpine Linux',
  ids: ['alpine'],
  manager: 'apk',
  purlNamespace: 'alpine',
  versionScheme: 'apk',
  osvEcosystems: ['Alpine'],
  releaseEcosystem: (os) => {
    const release = majorMinorOf(os.versionId);
    return release ? `Alpine:v${release}` : undefined;
  },
  normaliseRelease: ([release]) => {
    const majorMinor = /^v?(\d+\.\d+)/.exec(release)?.[1];
    return [majorMinor ? `v${majorMinor}` : release];
  },
  // secdb and OSV name the origin package, at the installed version (origin and subpackages share it).
  advisoryPackage: 'source-name',
  ratingFields: OSV_RATING_FIELDS,
  trackerLink: (cve) => `https://security.alpinelinux.org/vuln/${cve}`,
  operatingSystem: (os) => {
    const versionId = os.versionId.trim();
    const release = majorMinorOf(versionId);
    if (release) return `alpine:v${release}`;
    return versionId ? `alpine:${versionId}` : 'alpine';
  },
  purlDistro: purlDistroOf,
  feeds: ['osv:Alpine'],
};
