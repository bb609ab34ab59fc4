import { idAndVersion, majorMinorOf, majorOf, type Distribution } from './types';
import { rpmDistribution } from './enterprise-linux';

/** rpm distributions whose releases are named by their whole VERSION_ID (`amzn:2023`, `sles:15.5`). */
function rpmByVersion(name: string, ids: string[], purlNamespace: string, rest: Partial<Distribution> = {}): Distribution {
  return { ...rpmDistribution(name, ids, purlNamespace), operatingSystem: idAndVersion, ...rest };
}

/** Amazon Linux AMI (1) carries its release date as VERSION_ID (`2018.03`); its ALAS ids are the unnumbered ones. */
function amazonRelease(version: string): string | undefined {
  const release = version.trim();
  if (/^20(1\d)\.\d{2}$/.test(release)) return '1';
  return /^\d+$/.test(release) ? release : undefined;
}

export const amazonLinux = rpmByVersion('Amazon Linux', ['amzn'], 'amzn', {
  osvEcosystems: ['Amazon Linux'],
  releaseEcosystem: (os) => {
    const release = amazonRelease(os.versionId);
    return release ? `Amazon Linux:${release}` : undefined;
  },
  normaliseRelease: ([release]) => [amazonRelease(release) ?? release],
  trackerLink: (cve) => `https://explore.alas.aws.amazon.com/${cve}.html`,
  feeds: ['alas:2023', 'alas:2', 'alas:1'],
});

/**
 * SUSE's OSV ecosystems name products (`SUSE:Linux Enterprise Server 15 SP5`, `…Module for Basesystem 15 SP5`,
 * `…Server LTSS 15 SP3`, `…Micro 5.5`); an image says `sles` `15.5`. Every Linux Enterprise product of one code
 * base and service pack ships the same packages, so they share one lookup release; other products keep their name.
 */
function suseRelease(parts: string[]): string[] {
  const product = parts.join(':').trim();
  const micro = /^Linux (?:Enterprise )?Micro(?: for Rancher)? (\d+\.\d+)$/i.exec(product);
  if (micro) return ['micro', micro[1]];
  // `15 SP5`, `15 SP4-LTSS`, `16.0`: the code base and service pack (a `.0` minor is the GA, as the image says `16.0` → `16`).
  const sle = /^Linux Enterprise .*?\b(\d+)(?:\.(\d+))?(?: SP(\d+))?(?:[- ](?:LTSS|ESPOS))?$/i.exec(product);
  if (sle) {
    const minor = sle[3] ?? sle[2];
    return [minor && minor !== '0' ? `${sle[1]}.${minor}` : sle[1]];
  }
  // Already in lookup form (`15.5`, `micro:5.5`), or another product (Package Hub, Manager…), which matches no image.
  return parts.map((p) => p.trim().toLowerCase());
}

export const suse = rpmByVersion('SUSE Linux Enterprise', ['sles', 'sled', 'sle-micro', 'sl-micro', 'sles_sap'], 'suse', {
  osvEcosystems: ['SUSE'],
  releaseEcosystem: (os) => {
    const version = majorMinorOf(os.versionId) ?? majorOf(os.versionId);
    if (!version) return undefined;
    // SLE Micro 5 says `sle-micro`, SUSE Linux Micro 6 `sl-micro`.
    if (/^sle?-micro$/.test(os.id.trim().toLowerCase())) return `SUSE:micro:${version}`;
    // SLE 15 GA says `15`, its service packs `15.1`…: the lookup form drops a `.0`.
    return `SUSE:${version.replace(/\.0$/, '')}`;
  },
  normaliseRelease: suseRelease,
  // SUSE's OSV names the source rpm (binaries only in ecosystem_specific.binaries), its CSAF VEX the binary.
  advisoryPackage: 'source-name',
  binaryAdvisories: true,
  trackerLink: (cve) => `https://www.suse.com/security/cve/${cve}.html`,
  feeds: ['osv:SUSE', 'suse-csaf'],
});

/** openSUSE's OSV ecosystems: `openSUSE:Leap 15.5`, `openSUSE:Leap Micro 5.5`, `openSUSE:Tumbleweed`. */
function openSuseRelease(parts: string[]): string[] {
  const product = parts.join(':').trim().toLowerCase();
  const leap = /^leap(?: (micro))? (\d+\.\d+)(?: nonfree)?$/.exec(product);
  if (leap) return [leap[1] ? 'leap-micro' : 'leap', leap[2]];
  return parts.map((p) => p.trim().toLowerCase());
}

export const opensuse = rpmByVersion('openSUSE', ['opensuse', 'opensuse-leap', 'opensuse-leap-micro', 'opensuse-tumbleweed'], 'opensuse', {
  osvEcosystems: ['openSUSE'],
  releaseEcosystem: (os) => {
    const id = os.id.trim().toLowerCase();
    if (id === 'opensuse-tumbleweed') return 'openSUSE:tumbleweed';
    const version = majorMinorOf(os.versionId);
    if (!version) return undefined;
    return id === 'opensuse-leap-micro' ? `openSUSE:leap-micro:${version}` : `openSUSE:leap:${version}`;
  },
  normaliseRelease: openSuseRelease,
  advisoryPackage: 'source-name',
  binaryAdvisories: true,
  trackerLink: (cve) => `https://www.suse.com/security/cve/${cve}.html`,
  feeds: ['osv:openSUSE', 'suse-csaf'],
});

/** `3.0` for `3.0` and `3`: Microsoft names releases major.minor. */
function majorMinorRelease(version: string): string | undefined {
  return majorMinorOf(version) ?? (majorOf(version) ? `${majorOf(version)}.0` : undefined);
}

/** Microsoft's OVAL names source packages; a binary is matched by its source rpm's name at its own EVR. */
function microsoftLinux(name: string, id: string, ecosystem: string, feeds: string[]): Distribution {
  return rpmByVersion(name, [id], id, {
    osvEcosystems: [ecosystem],
    releaseEcosystem: (os) => {
      const release = majorMinorRelease(os.versionId);
      return release ? `${ecosystem}:${release}` : undefined;
    },
    normaliseRelease: ([release]) => [majorMinorRelease(release) ?? release],
    advisoryPackage: 'source-name',
    trackerLink: (cve) => `https://nvd.nist.gov/vuln/detail/${cve}`,
    feeds,
  });
}

export const azureLinux = microsoftLinux('Azure Linux', 'azurelinux', 'Azure Linux', ['azure-oval:3.0']);
export const mariner = microsoftLinux('CBL-Mariner', 'mariner', 'CBL-Mariner', ['azure-oval:2.0', 'azure-oval:1.0']);

export const photon = rpmByVersion('Photon OS', ['photon'], 'photon', {
  osvEcosystems: ['Photon OS'],
  releaseEcosystem: (os) => {
    const release = majorMinorRelease(os.versionId);
    return release ? `Photon OS:${release}` : undefined;
  },
  normaliseRelease: ([release]) => [majorMinorRelease(release) ?? release],
  // Photon's advisories name the spec (`curl`), never its subpackages (`curl-libs`).
  advisoryPackage: 'source-name',
  feeds: ['osv:Photon OS'],
});

/** Fedora's security updates come from Bodhi (`fedora-bodhi`), filed per release (`Fedora:41`) under the source rpm. */
export const fedora = rpmByVersion('Fedora', ['fedora'], 'fedora', {
  osvEcosystems: ['Fedora'],
  releaseEcosystem: (os) => {
    const release = majorOf(os.versionId);
    return release ? `Fedora:${release}` : undefined;
  },
  // A Bodhi update lists its builds, source rpms: a binary is matched by its source rpm's name at its own EVR.
  advisoryPackage: 'source-name',
  // Fedora tracks a CVE in Red Hat's Bugzilla, where the CVE id is the flaw bug's alias.
  trackerLink: (cve) => `https://bugzilla.redhat.com/show_bug.cgi?id=${cve}`,
  feeds: ['fedora-bodhi'],
});
