import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { apkAnalyzer, parseApkDatabase } from '../../lib/analyzers/apk';
import type { AnalysisResult, Evidence, OsPackage } from '../../lib/analyzers/types';
import { mergeLayers, type AnalyzedLayer } from '../../lib/index/merge';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const INSTALLED = 'lib/apk/db/installed';
const USR_INSTALLED = 'usr/lib/apk/db/installed';

function analyze(content: string | Buffer, path = INSTALLED): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return apkAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

function analyzeFixture(fixture: string): AnalysisResult {
  return analyze(readFileSync(peerFixture('pkgdb/apk', fixture, 'rootfs', INSTALLED)));
}

function packagesOf(result: AnalysisResult): OsPackage[] {
  const evidence = result.evidence.find((item) => item.kind === 'packages');
  expect(evidence).toBeDefined();
  return evidence?.kind === 'packages' ? (evidence.packages as OsPackage[]) : [];
}

function ownedBy(result: AnalysisResult, owner: string): string[] | undefined {
  const evidence = result.evidence.find((item) => item.kind === 'owned-files' && item.owner === owner);
  return evidence?.kind === 'owned-files' ? evidence.files : undefined;
}

const apk = (name: string, version: string, license: string, sourceName = name): OsPackage => ({
  manager: 'apk',
  name,
  version,
  sourceName,
  sourceVersion: version,
  architecture: 'x86_64',
  license,
});

const owned = (owner: string, files: string[]): Evidence => ({ kind: 'owned-files', manager: 'apk', owner, architecture: 'x86_64', files });

describe('apk analyser paths', () => {
  it('wants the installed database in lib/apk/db and usr/lib/apk/db', () => {
    expect(apkAnalyzer.wants(INSTALLED)).toBe(true);
    expect(apkAnalyzer.wants(USR_INSTALLED)).toBe(true);
    expect(apkAnalyzer.wants('lib/apk/db/scripts.tar')).toBe(false);
    expect(apkAnalyzer.wants('usr/lib/apk/db/triggers')).toBe(false);
    expect(apkAnalyzer.pathHints.exact).toEqual([INSTALLED, USR_INSTALLED]);
  });
});

describeWithShared('apk databases from other scanners', () => {
  it('syft multiple-1: every package with origin and licence; R lines joined to their F folder; packages without files own none', () => {
    const result = analyzeFixture('syft-multiple-1');
    expect(result.notes).toBeUndefined();
    expect(result.evidence).toEqual([
      {
        kind: 'packages',
        supersededBy: USR_INSTALLED,
        packages: [
          apk('bash', '5.2.21-r0', 'GPL-3.0-or-later'),
          apk('busybox-binsh', '1.36.1-r15', 'GPL-2.0-only', 'busybox'),
          apk('musl', '1.2.4_git20230717-r4', 'MIT'),
          apk('readline', '8.2.1-r2', 'GPL-2.0-or-later'),
        ],
      },
      owned('busybox-binsh', ['bin/sh']),
      owned('musl', ['lib/ld-musl-x86_64.so.1', 'lib/libc.musl-x86_64.so.1']),
      owned('readline', ['etc/inputrc', 'usr/lib/libreadline.so.8']),
    ]);
  });

  it('syft multiple-2: fourteen packages, subpackages carry their origin as source name', () => {
    const result = analyzeFixture('syft-multiple-2');
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([
      apk('alpine-baselayout-data', '3.2.0-r22', 'GPL-2.0-only', 'alpine-baselayout'),
      apk('musl', '1.2.3-r0', 'MIT'),
      apk('busybox', '1.35.0-r17', 'GPL-2.0-only'),
      apk('alpine-baselayout', '3.2.0-r22', 'GPL-2.0-only'),
      apk('alpine-keys', '2.4-r1', 'MIT'),
      apk('ca-certificates-bundle', '20220614-r0', 'MPL-2.0 AND MIT', 'ca-certificates'),
      apk('libcrypto1.1', '1.1.1q-r0', 'OpenSSL', 'openssl'),
      apk('libssl1.1', '1.1.1q-r0', 'OpenSSL', 'openssl'),
      apk('ssl_client', '1.35.0-r17', 'GPL-2.0-only', 'busybox'),
      apk('zlib', '1.2.12-r3', 'Zlib'),
      apk('apk-tools', '2.12.9-r3', 'GPL-2.0-only'),
      apk('scanelf', '1.3.4-r0', 'GPL-2.0-only', 'pax-utils'),
      apk('musl-utils', '1.2.3-r0', 'MIT BSD GPL2+', 'musl'),
      apk('libc-utils', '0.7.2-r3', 'BSD-2-Clause AND BSD-3-Clause', 'libc-dev'),
    ]);
    // Folders without R lines own nothing themselves; a later F changes the folder of the R lines after it.
    expect(ownedBy(result, 'busybox')).toEqual([
      'bin/busybox',
      'bin/sh',
      'etc/securetty',
      'etc/udhcpd.conf',
      'etc/logrotate.d/acpid',
      'etc/network/if-up.d/dad',
      'usr/share/udhcpc/default.script',
    ]);
    expect(ownedBy(result, 'libssl1.1')).toEqual(['lib/libssl.so.1.1', 'usr/lib/libssl.so.1.1']);
    expect(ownedBy(result, 'ca-certificates-bundle')).toEqual(['etc/ssl/cert.pem', 'etc/ssl/certs/ca-certificates.crt']);
    expect(ownedBy(result, 'apk-tools')).toEqual(['lib/libapk.so.3.12.0', 'sbin/apk']);
    expect(ownedBy(result, 'libc-utils')).toBeUndefined();
  });

  it('syft multiple-2 at usr/lib/apk/db/installed: the same packages and files, superseding nothing', () => {
    const bytes = readFileSync(peerFixture('pkgdb/apk', 'syft-multiple-2', 'rootfs', INSTALLED));
    const atLib = analyze(bytes);
    const atUsrLib = analyze(bytes, USR_INSTALLED);
    expect(atUsrLib.notes).toBeUndefined();
    expect(atUsrLib.evidence).toEqual(atLib.evidence.map((item) => (item.kind === 'packages' ? { kind: 'packages', packages: item.packages } : item)));
    expect(packagesOf(atUsrLib)).toHaveLength(14);
  });

  it('trivy alpine installed: a stanza without a version is skipped with a note, the rest are kept', () => {
    const result = analyzeFixture('trivy-alpine-installed');
    const packages = packagesOf(result);
    expect(packages).toHaveLength(15);
    expect(packages.map((pkg) => pkg.name)).not.toContain('invalidPackageWithoutAVersion');
    expect(packages).toContainEqual(apk('test', '2.9.11_pre20061021-r2', 'Public-Domain', 'test-parent'));
    expect(packages).toContainEqual(apk('ada-libs', '2.7.4-r0', '( Apache-2.0 OR MIT ) AND MPL-2.0', 'ada'));
    expect(result.notes).toEqual([`${INSTALLED}: stanza at line 23 (invalidPackageWithoutAVersion) has no valid version (V); skipped`]);
  });
});

describe('apk databases written for the test', () => {
  it('CRLF line ends, a missing final newline, R before any F, and repeated keys keeping the first', () => {
    const text = 'P:one\r\nV:1.0-r0\r\nV:2.0-r0\r\nR:top-level\r\nF:usr/bin\r\nR:one\r\n\r\nP:two\r\nV:3-r1\r\nR:no-folder-carried-over';
    const { packages, owned: files, notes } = parseApkDatabase(text);
    expect(notes).toEqual([]);
    expect(packages).toEqual([
      { manager: 'apk', name: 'one', version: '1.0-r0', sourceName: 'one', sourceVersion: '1.0-r0' },
      { manager: 'apk', name: 'two', version: '3-r1', sourceName: 'two', sourceVersion: '3-r1' },
    ]);
    expect(files).toEqual([
      { kind: 'owned-files', manager: 'apk', owner: 'one', files: ['top-level', 'usr/bin/one'] },
      { kind: 'owned-files', manager: 'apk', owner: 'two', files: ['no-folder-carried-over'] },
    ]);
  });

  it('paths that climb out of the root are normalised inside it', () => {
    const { owned: files } = parseApkDatabase('P:x\nV:1-r0\nF:../../etc\nR:passwd\n');
    expect(files).toEqual([{ kind: 'owned-files', manager: 'apk', owner: 'x', files: ['etc/passwd'] }]);
  });

  it('an empty database is evidence that no package is installed', () => {
    expect(analyze('')).toEqual({ evidence: [{ kind: 'packages', packages: [], supersededBy: USR_INSTALLED }] });
  });

  it('random bytes give a note and no evidence, never a throw', () => {
    const result = analyze(randomBytes(4096));
    expect(result.evidence).toEqual([]);
    expect(result.notes?.[0]).toMatch(/^lib\/apk\/db\/installed: \d+ malformed line\(s\), first line \d+: not a field$/);
    expect(result.unreadable).toBe(true);
  });

  it('malformed lines are reported but do not hide good stanzas', () => {
    const result = analyze('P:ok\nV:1-r0\nthis is not a field\n\nV:2-r0\n');
    expect(packagesOf(result)).toEqual([{ manager: 'apk', name: 'ok', version: '1-r0', sourceName: 'ok', sourceVersion: '1-r0' }]);
    expect(result.notes).toEqual([
      `${INSTALLED}: 1 malformed line(s), first line 3: not a field`,
      `${INSTALLED}: stanza at line 5 has no valid package name (P); skipped`,
    ]);
    // What it could read is kept, and the result says it is not the whole database.
    expect(result.unreadable).toBe(true);
  });
});

describe('apk databases in both locations', () => {
  const layer = (files: Record<string, AnalysisResult>, whiteouts: string[] = []): AnalyzedLayer => ({
    whiteouts,
    opaqueDirs: [],
    files: Object.entries(files).map(([path, result]) => ({ path, evidence: result.evidence })),
  });
  const installed = (merged: ReturnType<typeof mergeLayers>) => merged.packages.map(({ pkg, layer: index }) => `${pkg.name}=${pkg.version}@${index}`);
  const database = (...packages: string[]) =>
    packages.map((pkg) => `P:${pkg.split('=')[0]}\nV:${pkg.split('=')[1]}\nF:usr/bin\nR:${pkg.split('=')[0]}\n`).join('\n');

  it('reads usr/lib/apk/db/installed like lib/apk/db/installed, superseding nothing itself', () => {
    const result = analyze(database('busybox=1.36.1-r29'), USR_INSTALLED);
    expect(result.evidence).toEqual([
      { kind: 'packages', packages: [{ manager: 'apk', name: 'busybox', version: '1.36.1-r29', sourceName: 'busybox', sourceVersion: '1.36.1-r29' }] },
      { kind: 'owned-files', manager: 'apk', owner: 'busybox', files: ['usr/bin/busybox'] },
    ]);
  });

  it('uses lib/apk/db/installed while the image has no usr/lib/apk/db/installed', () => {
    const merged = mergeLayers([layer({ [INSTALLED]: analyze(database('musl=1.2.5-r0')) })]);
    expect(installed(merged)).toEqual(['musl=1.2.5-r0@0']);
  });

  it('a usr/lib database, in the same layer or a later one, makes the lib one a leftover: its packages and files are not used', () => {
    const old = analyze(database('musl=1.2.4-r0', 'removed-later=1-r0'));
    const current = analyze(database('musl=1.2.5-r0'), USR_INSTALLED);
    for (const layers of [[layer({ [INSTALLED]: old, [USR_INSTALLED]: current })], [layer({ [INSTALLED]: old }), layer({ [USR_INSTALLED]: current })]]) {
      const merged = mergeLayers(layers);
      expect(installed(merged).map((entry) => entry.split('@')[0])).toEqual(['musl=1.2.5-r0']);
      expect(merged.packages[0].pkg.files).toEqual(['usr/bin/musl']);
    }
  });

  it('deleting the usr/lib database brings the lib one back', () => {
    const merged = mergeLayers([
      layer({ [INSTALLED]: analyze(database('musl=1.2.4-r0')), [USR_INSTALLED]: analyze(database('musl=1.2.5-r0'), USR_INSTALLED) }),
      layer({}, [USR_INSTALLED]),
    ]);
    expect(installed(merged)).toEqual(['musl=1.2.4-r0@1']);
  });

  it('an unreadable usr/lib database still supersedes the lib one (the scan is partial for it)', () => {
    const unreadable = analyze(randomBytes(2048), USR_INSTALLED);
    expect(unreadable.unreadable).toBe(true);
    const merged = mergeLayers([layer({ [INSTALLED]: analyze(database('musl=1.2.4-r0')), [USR_INSTALLED]: unreadable })]);
    expect(installed(merged)).toEqual([]);
  });
});
