import { readdirSync, readFileSync } from 'node:fs';
import type { Evidence, OsRelease } from '../../lib/analyzers/types';
import {
  formatOperatingSystem,
  osReleaseAnalyzer,
  parseAlpineRelease,
  parseDebianVersion,
  parseOsRelease,
  parseRedHatRelease,
} from '../../lib/analyzers/os-release';
import { mergeLayers } from '../../lib/index/merge';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

function analyze(path: string, text: string) {
  const content = Buffer.from(text);
  return osReleaseAnalyzer.analyze({ path, content, mode: 0o644, size: content.length });
}

function osEvidence(path: string, text: string): Extract<Evidence, { kind: 'os' }> | undefined {
  const [evidence] = analyze(path, text).evidence;
  return evidence?.kind === 'os' ? evidence : undefined;
}

/** Read by hand from each fixture's ID and VERSION_ID lines: [id, versionId, StackRox operatingSystem]. */
const PEER_OS_RELEASE: Record<string, [string, string, string]> = {
  'briefcase-almalinux-9.1': ['almalinux', '9.1', 'almalinux:9'],
  // VERSION_ID=TEMPLATE_VERSION_ID: the image build left its placeholder; no version.
  'briefcase-archlinux-latest': ['arch', '', 'arch'],
  'briefcase-cachyos-rolling': ['cachyos', '', 'cachyos'],
  'briefcase-centos-8': ['centos', '8', 'centos:8'],
  'briefcase-debian-11': ['debian', '11', 'debian:11'],
  'briefcase-fedora-37': ['fedora', '37', 'fedora:37'],
  'briefcase-linuxmint-19.2': ['linuxmint', '19.2', 'linuxmint:19.2'],
  'briefcase-manjaro-base-latest': ['manjaro', '', 'manjaro'],
  'briefcase-opensuse-leap-15.4': ['opensuse-leap', '15.4', 'opensuse-leap:15.4'],
  'briefcase-opensuse-tumbleweed-latest': ['opensuse-tumbleweed', '20230304', 'opensuse-tumbleweed:20230304'],
  'briefcase-pop-22.04': ['pop', '22.04', 'pop:22.04'],
  'briefcase-rhel-ubi8-8.7': ['rhel', '8.7', 'rhel:8'],
  'briefcase-ubuntu-22.04': ['ubuntu', '22.04', 'ubuntu:22.04'],
  'distroless-debian12': ['debian', '12', 'debian:12'],
  'distroless-debian13': ['debian', '13', 'debian:13'],
  'syft-almalinux-from-os-release': ['almalinux', '8.4', 'almalinux:8'],
  'syft-alpine': ['alpine', '3.11.6', 'alpine:v3.11'],
  'syft-amazon': ['amzn', '2', 'amzn:2'],
  'syft-arch': ['arch', '', 'arch'],
  'syft-centos': ['centos', '8', 'centos:8'],
  'syft-custom': ['scientific', '8', 'scientific:8'],
  'syft-debian-from-debian_version': ['debian', '', 'debian:unstable'],
  'syft-debian-from-os-release': ['debian', '8', 'debian:8'],
  'syft-debian-with-point-release': ['debian', '13', 'debian:13'],
  'syft-fedora': ['fedora', '36', 'fedora:36'],
  'syft-mariner': ['mariner', '1.0', 'mariner:1.0'],
  'syft-opensuse-leap': ['opensuse-leap', '15.2', 'opensuse-leap:15.2'],
  'syft-oraclelinux': ['ol', '8.3', 'ol:8'],
  'syft-photon': ['photon', '2.0', 'photon:2.0'],
  'syft-redhat-from-os-release': ['rhel', '7.3', 'rhel:7'],
  'syft-rockylinux-from-os-release': ['rocky', '8.4', 'rocky:8'],
  'syft-scientific-from-os-release': ['scientific', '7.5', 'scientific:7'],
  'syft-sles': ['sles', '15.2', 'sles:15.2'],
  'syft-ubuntu': ['ubuntu', '20.04', 'ubuntu:20.04'],
  'syft-wolfi': ['wolfi', '20220914', 'wolfi:20220914'],
  'teleport-alma9': ['almalinux', '9.4', 'almalinux:9'],
  'teleport-amazn2023': ['amzn', '2023', 'amzn:2023'],
  'teleport-amzn2': ['amzn', '2', 'amzn:2'],
  'teleport-centos7': ['centos', '7', 'centos:7'],
  'teleport-centos8': ['centos', '8', 'centos:8'],
  'teleport-centos9': ['centos', '9', 'centos:9'],
  'teleport-debian10': ['debian', '10', 'debian:10'],
  'teleport-debian11': ['debian', '11', 'debian:11'],
  'teleport-debian12': ['debian', '12', 'debian:12'],
  'teleport-debian9': ['debian', '9', 'debian:9'],
  'teleport-rhel7': ['rhel', '7.5', 'rhel:7'],
  'teleport-rhel8': ['rhel', '8.10', 'rhel:8'],
  'teleport-rhel9': ['rhel', '9.4', 'rhel:9'],
  'teleport-rocky9': ['rocky', '9.3', 'rocky:9'],
  'teleport-sles12': ['sles', '12.3', 'sles:12.3'],
  'teleport-ubuntu1804': ['ubuntu', '18.04', 'ubuntu:18.04'],
  'teleport-ubuntu2004': ['ubuntu', '20.04', 'ubuntu:20.04'],
  'teleport-ubuntu2204': ['ubuntu', '22.04', 'ubuntu:22.04'],
  'teleport-ubuntu2404': ['ubuntu', '24.04', 'ubuntu:24.04'],
  'trivy-activestate': ['activestate', '1.0', 'activestate:1.0'],
  'trivy-alma': ['almalinux', '9.4', 'almalinux:9'],
  'trivy-alpine': ['alpine', '3.15.4', 'alpine:v3.15'],
  'trivy-azurelinux-3.0': ['azurelinux', '3.0', 'azurelinux:3.0'],
  'trivy-bottlerocket': ['bottlerocket', '1.34.0', 'bottlerocket:1.34.0'],
  'trivy-centos': ['centos', '7', 'centos:7'],
  'trivy-centos-stream': ['centos', '8', 'centos:8'],
  'trivy-coreos': ['coreos', '3.15.4', 'coreos:3.15.4'],
  'trivy-echo': ['echo', '1', 'echo:1'],
  'trivy-fedora': ['fedora', '42', 'fedora:42'],
  'trivy-mariner-1.0': ['mariner', '1.0', 'mariner:1.0'],
  'trivy-mariner-2.0': ['mariner', '2.0', 'mariner:2.0'],
  'trivy-minimos': ['minimos', '20241031', 'minimos:20241031'],
  'trivy-opensuseleap-15.2.1': ['opensuse-leap', '15.2.1', 'opensuse-leap:15.2.1'],
  'trivy-opensuseleap-42.3': ['opensuse', '42.3', 'opensuse:42.3'],
  'trivy-opensusetumbleweed': ['opensuse-tumbleweed', '20220412', 'opensuse-tumbleweed:20220412'],
  'trivy-oracle': ['ol', '8.10', 'ol:8'],
  'trivy-photon': ['photon', '4.0', 'photon:4.0'],
  'trivy-rhel': ['rhel', '9.4', 'rhel:9'],
  'trivy-rocky': ['rocky', '9.3', 'rocky:9'],
  'trivy-slemicro': ['sle-micro', '5.3', 'sle-micro:5.3'],
  'trivy-slemicro-rancher': ['sle-micro-rancher', '5.4', 'sle-micro-rancher:5.4'],
  'trivy-slemicro6.0': ['sl-micro', '6.0', 'sl-micro:6.0'],
  'trivy-sles': ['sles', '15.3', 'sles:15.3'],
};

describeWithShared('os-release files from other scanners', () => {
  it('has an expectation for every fixture directory', () => {
    expect(readdirSync(peerFixture('os-release')).sort()).toEqual(Object.keys(PEER_OS_RELEASE).sort());
  });

  it.each(Object.entries(PEER_OS_RELEASE))('%s', (fixture, [id, versionId, operatingSystem]) => {
    const text = readFileSync(peerFixture('os-release', fixture, 'os-release'), 'utf8');
    const result = analyze('etc/os-release', text);
    expect(result.notes).toBeUndefined();
    const evidence = result.evidence[0];
    expect(evidence?.kind).toBe('os');
    if (evidence?.kind !== 'os') return;
    expect([evidence.os.id, evidence.os.versionId]).toEqual([id, versionId]);
    expect(formatOperatingSystem(evidence.os)).toBe(operatingSystem);
  });

  it('reads codenames, pretty names and related distributions', () => {
    const read = (fixture: string) => parseOsRelease(readFileSync(peerFixture('os-release', fixture, 'os-release'), 'utf8')).os;
    expect(read('teleport-debian12')).toMatchObject({ codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    expect(read('teleport-ubuntu1804')?.codename).toBe('bionic');
    expect(read('syft-custom')?.idLike).toEqual(['rhel', 'fedora']);
    // Fedora writes VERSION_CODENAME="": no codename rather than an empty one.
    expect(read('syft-fedora')?.codename).toBeUndefined();
  });
});

describe('os-release syntax', () => {
  it('unquotes double and single quotes and shell escapes, skips comments and blank lines, accepts CRLF', () => {
    const text = [
      '# comment',
      '',
      '  ID="my\\"os"',
      "VERSION_ID='1.0 beta'",
      'PRETTY_NAME="costs \\$5 \\`now\\` \\\\ok\\q"',
      'ID_LIKE=debian\\ ubuntu',
      'VERSION_CODENAME=plain\r',
    ].join('\n');
    const { os, problems } = parseOsRelease(text);
    expect(problems).toEqual([]);
    expect(os).toEqual({ id: 'my"os', versionId: '1.0 beta', prettyName: 'costs $5 `now` \\ok\\q', idLike: ['debian', 'ubuntu'], codename: 'plain' });
  });

  it('lets a later assignment win and notes lines that are not assignments', () => {
    const result = analyze('etc/os-release', 'ID=first\nID=debian\nVERSION_ID="12\nnonsense line\nVERSION_ID=12');
    expect(result.evidence).toEqual([{ kind: 'os', os: { id: 'debian', versionId: '12' }, priority: 100 }]);
    expect(result.notes).toEqual(['etc/os-release: line 3: not a KEY=value assignment', 'etc/os-release: line 4: not a KEY=value assignment']);
  });

  it('reports nothing, with a note, for a file without ID or full of binary garbage', () => {
    expect(analyze('etc/os-release', 'NAME=Nothing\n')).toEqual({ evidence: [], notes: ['etc/os-release: no ID'] });
    const garbage = osReleaseAnalyzer.analyze({ path: 'usr/lib/os-release', content: Buffer.from([0, 255, 10, 61, 34, 0]), mode: 0, size: 6 });
    expect(garbage.evidence).toEqual([]);
    expect(garbage.notes?.length).toBeGreaterThan(0);
  });

  it('says nothing about an empty file (what a dangling symlink leaves)', () => {
    expect(analyze('etc/os-release', '')).toEqual({ evidence: [] });
  });
});

describe('distribution release files', () => {
  it.each([
    ['12.4', { id: 'debian', versionId: '12' }],
    ['11.0', { id: 'debian', versionId: '11' }],
    ['10', { id: 'debian', versionId: '10' }],
    ['bookworm/sid\n', { id: 'debian', versionId: '', codename: 'bookworm' }],
    ['trixie/sid', { id: 'debian', versionId: '', codename: 'trixie' }],
    ['sid', { id: 'debian', versionId: '', codename: 'sid' }],
  ])('etc/debian_version %j', (text, os) => {
    expect(parseDebianVersion(text)).toEqual(os);
  });

  it.each([
    ['3.18.4\n', { id: 'alpine', versionId: '3.18.4' }],
    ['3.19_alpha20230901', { id: 'alpine', versionId: '3.19_alpha20230901' }],
  ])('etc/alpine-release %j', (text, os) => {
    expect(parseAlpineRelease(text)).toEqual(os);
  });

  it.each([
    ['Red Hat Enterprise Linux release 8.9 (Ootpa)', 'rhel', '8.9', 'rhel:8'],
    ['Red Hat Enterprise Linux Server release 7.9 (Maipo)', 'rhel', '7.9', 'rhel:7'],
    ['CentOS Linux release 7.9.2009 (Core)', 'centos', '7', 'centos:7'],
    ['CentOS Stream release 9', 'centos', '9', 'centos:9'],
    ['Rocky Linux release 9.3 (Blue Onyx)', 'rocky', '9.3', 'rocky:9'],
    ['AlmaLinux release 9.3 (Shamrock Pampas Cat)', 'almalinux', '9.3', 'almalinux:9'],
    ['Amazon Linux release 2023 (Amazon Linux)', 'amzn', '2023', 'amzn:2023'],
    ['Amazon Linux release 2 (Karoo)', 'amzn', '2', 'amzn:2'],
    ['Fedora release 39 (Thirty Nine)', 'fedora', '39', 'fedora:39'],
    ['Oracle Linux Server release 8.9', 'ol', '8.9', 'ol:8'],
  ])('%s', (line, id, versionId, operatingSystem) => {
    const os = parseRedHatRelease(`${line}\n`);
    expect(os).toEqual({ id, versionId, prettyName: line });
    expect(formatOperatingSystem(os)).toBe(operatingSystem);
  });

  it('notes release files it cannot read', () => {
    expect(analyze('etc/redhat-release', 'Some Other Linux release 1')).toEqual({
      evidence: [],
      notes: ['etc/redhat-release: no operating system recognised'],
    });
    expect(analyze('etc/debian_version', 'not a version at all')).toEqual({ evidence: [], notes: ['etc/debian_version: no operating system recognised'] });
    expect(analyze('etc/alpine-release', 'edge')).toEqual({ evidence: [], notes: ['etc/alpine-release: no operating system recognised'] });
  });

  it('reads etc/lsb-release', () => {
    const text = 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n';
    expect(osEvidence('etc/lsb-release', text)?.os).toEqual({ id: 'ubuntu', versionId: '22.04', codename: 'jammy', prettyName: 'Ubuntu 22.04.3 LTS' });
  });
});

describe('which file describes the OS', () => {
  const priority = (path: string, text: string) => osEvidence(path, text)!.priority;
  const full = 'ID=debian\nVERSION_ID="12"\n';
  const bare = 'ID=debian\n';

  it('ranks etc/os-release over usr/lib/os-release over distribution files over os-release without a version', () => {
    const ranks = [
      priority('etc/os-release', full),
      priority('usr/lib/os-release', full),
      priority('etc/alpine-release', '3.18.4'),
      priority('etc/redhat-release', 'Fedora release 39'),
      priority('etc/debian_version', '12.4'),
      priority('etc/os-release', bare),
      priority('usr/lib/os-release', bare),
    ];
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    expect(new Set(ranks.slice(0, 3)).size).toBe(3);
    expect(priority('etc/centos-release', 'CentOS Linux release 7.9.2009 (Core)')).toBeGreaterThan(
      priority('etc/redhat-release', 'CentOS Linux release 7.9.2009 (Core)'),
    );
  });

  it('takes the version from etc/debian_version when os-release names none (distroless)', () => {
    const layer = {
      whiteouts: [],
      opaqueDirs: [],
      files: [
        { path: 'etc/os-release', evidence: analyze('etc/os-release', 'PRETTY_NAME="Distroless"\nID="debian"\n').evidence },
        { path: 'etc/debian_version', evidence: analyze('etc/debian_version', '11.6\n').evidence },
      ],
    };
    expect(formatOperatingSystem(mergeLayers([layer]).os)).toBe('debian:11');
  });

  it('a later layer’s debian_version counts: the point release it names is the one reported', () => {
    const merged = mergeLayers([
      {
        whiteouts: [],
        opaqueDirs: [],
        files: [
          { path: 'etc/os-release', evidence: analyze('etc/os-release', 'ID=debian\nVERSION_CODENAME=bookworm\n').evidence },
          { path: 'etc/debian_version', evidence: analyze('etc/debian_version', '11.9\n').evidence },
        ],
      },
      { whiteouts: [], opaqueDirs: [], files: [{ path: 'etc/debian_version', evidence: analyze('etc/debian_version', '12.5\n').evidence }] },
    ]);
    expect(merged.os).toEqual({ id: 'debian', versionId: '12' });
    expect(formatOperatingSystem(merged.os)).toBe('debian:12');
  });

  it('a VERSION_ID placeholder is no version: etc/debian_version gives it', () => {
    const placeholder = 'ID=debian\nVERSION_ID=TEMPLATE_VERSION_ID\nPRETTY_NAME="Debian GNU/Linux"\n';
    expect(osEvidence('etc/os-release', placeholder)).toEqual({
      kind: 'os',
      os: { id: 'debian', versionId: '', prettyName: 'Debian GNU/Linux' },
      priority: osEvidence('etc/os-release', 'ID=debian\n')!.priority,
    });
    const layer = {
      whiteouts: [],
      opaqueDirs: [],
      files: [
        { path: 'etc/os-release', evidence: analyze('etc/os-release', placeholder).evidence },
        { path: 'etc/debian_version', evidence: analyze('etc/debian_version', '12.5\n').evidence },
      ],
    };
    expect(formatOperatingSystem(mergeLayers([layer]).os)).toBe('debian:12');
  });

  it('Debian testing names no release anywhere (no VERSION_ID, debian_version trixie/sid): unstable', () => {
    const layer = {
      whiteouts: [],
      opaqueDirs: [],
      files: [
        { path: 'etc/os-release', evidence: analyze('etc/os-release', 'ID=debian\nVERSION_CODENAME=trixie\n').evidence },
        { path: 'etc/debian_version', evidence: analyze('etc/debian_version', 'trixie/sid\n').evidence },
      ],
    };
    const { os } = mergeLayers([layer]);
    expect(os).toEqual({ id: 'debian', versionId: '', codename: 'trixie' });
    expect(formatOperatingSystem(os)).toBe('debian:unstable');
  });

  it("prefers Ubuntu's os-release over its debian_version (bookworm/sid)", () => {
    const layer = {
      whiteouts: [],
      opaqueDirs: [],
      files: [
        { path: 'etc/os-release', evidence: analyze('etc/os-release', 'ID=ubuntu\nVERSION_ID="22.04"\n').evidence },
        { path: 'etc/debian_version', evidence: analyze('etc/debian_version', 'bookworm/sid\n').evidence },
      ],
    };
    expect(formatOperatingSystem(mergeLayers([layer]).os)).toBe('ubuntu:22.04');
  });
});

describe('formatOperatingSystem', () => {
  const os = (id: string, versionId: string): OsRelease => ({ id, versionId });
  it.each<[OsRelease | undefined, string]>([
    [os('debian', '12'), 'debian:12'],
    [os('debian', ''), 'debian:unstable'],
    [os('ubuntu', '22.04'), 'ubuntu:22.04'],
    [os('rhel', '8.9'), 'rhel:8'],
    [os('centos', '7'), 'centos:7'],
    [os('rocky', '9.3'), 'rocky:9'],
    [os('almalinux', '9.3'), 'almalinux:9'],
    [os('ol', '8.9'), 'ol:8'],
    [os('amzn', '2023'), 'amzn:2023'],
    [os('amzn', '2018.03'), 'amzn:2018.03'],
    [os('fedora', '39'), 'fedora:39'],
    [os('alpine', '3.18.4'), 'alpine:v3.18'],
    [os('alpine', '3.19_alpha20230901'), 'alpine:v3.19'],
    [os('arch', ''), 'arch'],
    [os('', ''), 'unknown'],
    [undefined, 'unknown'],
  ])('%j → %s', (input, expected) => {
    expect(formatOperatingSystem(input)).toBe(expected);
  });
});

describe('osReleaseAnalyzer', () => {
  it('wants the release files and nothing else', () => {
    for (const path of [
      'etc/os-release',
      'usr/lib/os-release',
      'etc/debian_version',
      'etc/alpine-release',
      'etc/redhat-release',
      'etc/system-release',
      'etc/lsb-release',
    ]) {
      expect(osReleaseAnalyzer.wants(path)).toBe(true);
    }
    for (const path of ['/etc/os-release', 'etc/os-release.bak', 'etc', 'usr/lib/os-release/x', 'etc/issue']) {
      expect(osReleaseAnalyzer.wants(path)).toBe(false);
    }
  });

  it('answers a file it did not ask for with a note rather than a guess', () => {
    expect(analyze('etc/issue', 'Debian GNU/Linux 12')).toEqual({ evidence: [], notes: ['etc/issue: not a release file'] });
  });
});
