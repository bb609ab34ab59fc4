import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { opkgAnalyzer, packagesFromOpkgStatus, pathsFromOpkgList } from '../../lib/analyzers/opkg';
import type { AnalysisResult, OsPackage } from '../../lib/analyzers/types';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const DATA = join(__dirname, 'data/opkg');
const OPENWRT_STATUS = 'usr/lib/opkg/status';
const YOCTO_STATUS = 'var/lib/opkg/status';

function analyze(path: string, content: string | Buffer): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return opkgAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

/** Analyses a file of test/analyzers/data/opkg/<image>/rootfs at its image path. */
function analyzeData(image: string, path: string): AnalysisResult {
  expect(opkgAnalyzer.wants(path)).toBe(true);
  return analyze(path, readFileSync(join(DATA, image, 'rootfs', path)));
}

function packagesOf(result: AnalysisResult): OsPackage[] {
  const [evidence] = result.evidence;
  expect(evidence?.kind).toBe('packages');
  return evidence?.kind === 'packages' ? (evidence.packages as OsPackage[]) : [];
}

const ipk = (name: string, version: string, architecture: string, extra: Partial<OsPackage> = {}): OsPackage => ({
  manager: 'opkg',
  name,
  version,
  sourceName: name,
  sourceVersion: version,
  architecture,
  ...extra,
});

/** Stanzas and states counted straight from the text, independently of the deb822 parser. */
function statusCounts(text: string): { stanzas: number; installed: number } {
  const states = [...text.matchAll(/^Status: \S+ \S+ (\S+)$/gm)].map((match) => match[1]);
  return { stanzas: [...text.matchAll(/^Package: /gm)].length, installed: states.filter((state) => state === 'installed').length };
}

describe('opkg analyser paths', () => {
  it.each([
    ['usr/lib/opkg/status', true],
    ['var/lib/opkg/status', true],
    ['usr/lib/opkg/info/busybox.list', true],
    ['var/lib/opkg/info/libc6.list', true],
    ['usr/lib/opkg/info/busybox.control', false],
    ['usr/lib/opkg/info/busybox.conffiles', false],
    ['usr/lib/opkg/info/.list', false],
    ['usr/lib/opkg/info/sub/x.list', false],
    ['usr/lib/opkg/lists/openwrt_core', false],
    ['var/lib/opkg/status.old', false],
    ['opt/lib/opkg/status', false],
  ])('%s → %s', (path, wanted) => {
    expect(opkgAnalyzer.wants(path)).toBe(wanted);
  });
});

describe('opkg databases of real images', () => {
  it('OpenWrt 23.05: every stanza is installed (user, ok and hold), none with source or licence fields', () => {
    const text = readFileSync(join(DATA, 'openwrt-23.05/rootfs', OPENWRT_STATUS), 'utf8');
    const result = analyzeData('openwrt-23.05', OPENWRT_STATUS);
    expect(result.notes).toBeUndefined();
    const packages = packagesOf(result);
    expect(statusCounts(text)).toEqual({ stanzas: 380, installed: 380 });
    expect(packages).toHaveLength(380);
    expect(packages).toContainEqual(ipk('busybox', '1.36.1-1', 'x86_64'));
    // `install hold installed`: held, and installed.
    expect(packages).toContainEqual(ipk('libc', '1.2.4-4', 'x86_64'));
    expect(packages).toContainEqual(ipk('libopenssl3', '3.0.12-1', 'x86_64'));
    expect(packages).toContainEqual(ipk('luci-app-opkg', 'git-23.311.75635-769b30c', 'all'));
    expect(new Set(packages.map((pkg) => pkg.name)).size).toBe(380);
  });

  it('Ångström (Yocto): versions keep their epoch, machine architectures are kept', () => {
    const text = readFileSync(join(DATA, 'angstrom-2013.06/rootfs', YOCTO_STATUS), 'utf8');
    const result = analyzeData('angstrom-2013.06', YOCTO_STATUS);
    expect(result.notes).toBeUndefined();
    const packages = packagesOf(result);
    expect(statusCounts(text)).toEqual({ stanzas: 106, installed: 106 });
    expect(packages).toHaveLength(106);
    expect(packages).toContainEqual(ipk('opkg', '1:0.1.8+svnr649-r13.0.0', 'armv7ahf-vfp-neon'));
    expect(packages).toContainEqual(ipk('udev', '1:208-r0.0', 'armv7ahf-vfp-neon'));
    expect(packages).toContainEqual(ipk('base-files', '3.0.14-r89.0', 'beaglebone'));
    expect(packages).toContainEqual(ipk('openssl', '1.0.1e-r15.1.0', 'armv7ahf-vfp-neon'));
  });

  it('OpenWrt file lists: absolute file paths become owned image paths', () => {
    const result = analyzeData('openwrt-23.05', 'usr/lib/opkg/info/dropbear.list');
    expect(result).toEqual({
      evidence: [
        {
          kind: 'owned-files',
          manager: 'opkg',
          owner: 'dropbear',
          files: [
            'lib/preinit/99_10_failsafe_dropbear',
            'usr/bin/dbclient',
            'etc/dropbear/dropbear_ed25519_host_key',
            'etc/dropbear/dropbear_rsa_host_key',
            'etc/init.d/dropbear',
            'usr/bin/dropbearkey',
            'etc/config/dropbear',
            'usr/sbin/dropbear',
          ],
        },
      ],
    });
    const busybox = analyzeData('openwrt-23.05', 'usr/lib/opkg/info/busybox.list').evidence[0];
    const lines = readFileSync(join(DATA, 'openwrt-23.05/rootfs/usr/lib/opkg/info/busybox.list'), 'utf8').split('\n').filter(Boolean);
    expect(busybox).toMatchObject({ kind: 'owned-files', owner: 'busybox' });
    expect(busybox.kind === 'owned-files' && busybox.files).toEqual(lines.map((line) => line.slice(1)));
  });

  it('Ångström file lists: directories with a trailing slash, and an empty list owning nothing', () => {
    const busybox = analyzeData('angstrom-2013.06', 'var/lib/opkg/info/busybox.list');
    expect(busybox).toEqual({
      evidence: [{ kind: 'owned-files', manager: 'opkg', owner: 'busybox', files: ['etc/busybox.links', 'bin/sh', 'etc', 'bin/busybox', 'bin'] }],
    });
    expect(analyzeData('angstrom-2013.06', 'var/lib/opkg/info/base-passwd.list')).toEqual({
      evidence: [{ kind: 'owned-files', manager: 'opkg', owner: 'base-passwd', files: [] }],
    });
  });
});

describeWithShared('the opkg status of syft’s tests', () => {
  it('reads License where the status file has it', () => {
    const path = 'var/lib/opkg/status';
    const result = analyze(path, readFileSync(peerFixture('pkgdb/dpkg/syft-status.d-opkg-status/rootfs', path)));
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([
      ipk('dropbear', '2024.85-r0', 'x86_64', { license: 'MIT' }),
      ipk('busybox', '1.36.1-r3', 'x86_64', { license: 'GPL-2.0-only' }),
      ipk('kernel-modules', '6.6.0-r0', 'x86_64', { license: 'GPL-2.0 BSD-3-Clause' }),
    ]);
  });
});

describe('opkg status syntax', () => {
  const stanza = (...lines: string[]) => `${lines.join('\n')}\n`;

  it('reports installed packages only: not-installed, unpacked, half-installed and config-files are left out', () => {
    const states = ['not-installed', 'unpacked', 'half-installed', 'half-configured', 'config-files', 'installed'];
    const text = states.map((state, i) => stanza(`Package: p${i}`, 'Version: 1', `Status: install ok ${state}`)).join('\n');
    expect(packagesFromOpkgStatus(text)).toEqual({
      packages: [{ manager: 'opkg', name: 'p5', version: '1', sourceName: 'p5', sourceVersion: '1' }],
      notes: [],
    });
  });

  it('takes the source name from SourceName, or from a Source that names a package; never a build path or a URI', () => {
    const text = [
      stanza('Package: dropbear', 'Version: 2022.82-5', 'Status: install ok installed', 'Source: package/network/services/dropbear', 'SourceName: dropbear'),
      stanza('Package: libz1', 'Version: 1.3-r0', 'Status: install ok installed', 'Source: zlib'),
      stanza('Package: libz-dev', 'Version: 1.3-r0', 'Status: install ok installed', 'Source: zlib (1.3)'),
      stanza('Package: kmod-tun', 'Version: 5.15-1', 'Status: install ok installed', 'Source: package/kernel/linux'),
      stanza('Package: busybox', 'Version: 1.36-r0', 'Status: install ok installed', 'Source: git://busybox.net/busybox.git;branch=1_36_stable'),
    ].join('\n');
    const { packages, notes } = packagesFromOpkgStatus(text);
    expect(notes).toEqual([]);
    expect(packages.map((pkg) => [pkg.name, pkg.sourceName, pkg.sourceVersion])).toEqual([
      ['dropbear', 'dropbear', '2022.82-5'],
      ['libz1', 'zlib', '1.3-r0'],
      ['libz-dev', 'zlib', '1.3-r0'],
      ['kmod-tun', 'kmod-tun', '5.15-1'],
      ['busybox', 'busybox', '1.36-r0'],
    ]);
  });

  it('skips stanzas without Status, a name or a version, with a note; the file is then partial', () => {
    const text = [
      stanza('Package: a', 'Version: 1'),
      stanza('Package: b', 'Status: install ok installed'),
      stanza('Version: 2', 'Status: install ok installed'),
      stanza('Package: c', 'Version: 3', 'Status: install ok installed'),
    ].join('\n');
    const result = analyze(OPENWRT_STATUS, text);
    expect(packagesOf(result).map((pkg) => pkg.name)).toEqual(['c']);
    expect(result.notes).toEqual([
      'usr/lib/opkg/status: stanza at line 1 (a) has no Status; skipped',
      'usr/lib/opkg/status: stanza at line 4 (b) has no valid Version; skipped',
      'usr/lib/opkg/status: stanza at line 7 has no valid Package name; skipped',
    ]);
    expect(result.unreadable).toBe(true);
  });

  it('an empty status file is an empty database, which still hides packages of lower layers', () => {
    expect(analyze(OPENWRT_STATUS, '')).toEqual({ evidence: [{ kind: 'packages', packages: [] }] });
  });

  it('binary garbage yields no packages and a note, never an exception', () => {
    const result = analyze(YOCTO_STATUS, randomBytes(64 * 1024));
    expect(result.evidence).toEqual([]);
    expect(result.notes?.[0]).toMatch(/^var\/lib\/opkg\/status: /);
    expect(result.unreadable).toBe(true);
  });
});

describe('opkg file lists', () => {
  it('keeps the path of lines that carry a mode and a link target after a tab; CRLF and blank lines are fine', () => {
    expect(pathsFromOpkgList('/usr/bin/\t040755\n/usr/bin/ls\t0100755\r\n/usr/bin/dir\t0120777\t/usr/bin/ls\n\n')).toEqual({
      paths: ['usr/bin', 'usr/bin/ls', 'usr/bin/dir'],
      overlong: 0,
    });
  });

  it('leaves out lines longer than any path, with a note, and marks the list unreadable', () => {
    expect(analyze('var/lib/opkg/info/x.list', `/bin/x\n/${'a'.repeat(5000)}\n`)).toEqual({
      evidence: [{ kind: 'owned-files', manager: 'opkg', owner: 'x', files: ['bin/x'] }],
      notes: ['var/lib/opkg/info/x.list: 1 line(s) longer than 4096 characters skipped'],
      unreadable: true,
    });
  });
});
