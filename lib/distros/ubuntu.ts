import { idAndVersion, majorMinorOf, OSV_RATING_FIELDS, type Distribution } from './types';

/** Long-term releases are the April releases of even years; OSV always spells them with `:LTS`. */
function isLts(release: string): boolean {
  const [year, month] = release.split('.').map(Number);
  return year % 2 === 0 && month === 4;
}

export const ubuntu: Distribution = {
  name: 'Ubuntu',
  ids: ['ubuntu'],
  manager: 'dpkg',
  purlNamespace: 'ubuntu',
  versionScheme: 'dpkg',
  osvEcosystems: ['Ubuntu'],
  releaseEcosystem: (os) => {
    const release = majorMinorOf(os.versionId);
    if (!release) return undefined;
    return isLts(release) ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
  },
  normaliseRelease: (parts) => {
    const out = parts.map((p) => (/^lts$/i.test(p) ? 'LTS' : /^pro$/i.test(p) ? 'Pro' : /^fips/i.test(p) ? p.toUpperCase() : p));
    const release = out.find((p) => /^\d{2}\.\d{2}$/.test(p));
    if (release && !out.includes('LTS') && isLts(release)) out.push('LTS');
    return out;
  },
  advisoryPackage: 'source',
  ratingFields: OSV_RATING_FIELDS,
  trackerLink: (cve) => `https://ubuntu.com/security/${cve}`,
  operatingSystem: idAndVersion,
  purlDistro: (os) => `ubuntu-${os.versionId}`,
  feeds: ['osv:Ubuntu'],
};
