import { readFileSync } from 'node:fs';
import { parseOsRelease } from '../../lib/analyzers/os-release';
import { distributionOf, releaseEcosystem } from '../../lib/distros';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

/** Real os-release files from other scanners' test suites, each with the advisory release and StackRox OS it gets. */
const CASES: Array<[string, string | undefined, string]> = [
  ['syft-amazon', 'Amazon Linux:2', 'amzn:2'],
  ['teleport-amazn2023', 'Amazon Linux:2023', 'amzn:2023'],
  ['trivy-rhel', 'Red Hat:9', 'rhel:9'],
  ['briefcase-rhel-ubi8-8.7', 'Red Hat:8', 'rhel:8'],
  ['teleport-centos7', 'Red Hat:7', 'centos:7'],
  ['trivy-centos-stream', 'Red Hat:8', 'centos:8'],
  ['trivy-oracle', 'Oracle Linux:8', 'ol:8'],
  ['syft-sles', 'SUSE:15.2', 'sles:15.2'],
  ['teleport-sles12', 'SUSE:12.3', 'sles:12.3'],
  ['trivy-slemicro', 'SUSE:micro:5.3', 'sle-micro:5.3'],
  ['briefcase-opensuse-leap-15.4', 'openSUSE:leap:15.4', 'opensuse-leap:15.4'],
  ['trivy-opensusetumbleweed', 'openSUSE:tumbleweed', 'opensuse-tumbleweed:20220412'],
  ['trivy-azurelinux-3.0', 'Azure Linux:3.0', 'azurelinux:3.0'],
  ['trivy-mariner-2.0', 'CBL-Mariner:2.0', 'mariner:2.0'],
  ['trivy-mariner-1.0', 'CBL-Mariner:1.0', 'mariner:1.0'],
  ['trivy-photon', 'Photon OS:4.0', 'photon:4.0'],
  ['trivy-minimos', 'MinimOS', 'minimos:20241031'],
  ['trivy-rocky', 'Rocky Linux:9', 'rocky:9'],
  ['syft-fedora', 'Fedora:36', 'fedora:36'],
];

describeWithShared('advisory releases of real os-release files', () => {
  it.each(CASES)('%s → %s (%s)', (fixture, ecosystem, operatingSystem) => {
    const { os } = parseOsRelease(readFileSync(peerFixture('os-release', fixture, 'os-release'), 'utf8'));
    expect(os).toBeDefined();
    expect(releaseEcosystem(os)).toBe(ecosystem);
    expect(distributionOf(os)?.operatingSystem(os!)).toBe(operatingSystem);
  });

  it('never matches one release with another: AL2 is not AL2023, SLE 12 is not SLE 15', () => {
    const release = (fixture: string) => releaseEcosystem(parseOsRelease(readFileSync(peerFixture('os-release', fixture, 'os-release'), 'utf8')).os);
    expect(release('syft-amazon')).not.toBe(release('teleport-amazn2023'));
    expect(release('teleport-sles12')).not.toBe(release('syft-sles'));
  });
});
