import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dpkgAnalyzer, packagesFromStatus, pathsFromList } from '../../lib/analyzers/dpkg';
import type { AnalysisResult, Evidence, OsPackage } from '../../lib/analyzers/types';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

function analyzeText(path: string, text: string | Buffer): AnalysisResult {
  const content = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return dpkgAnalyzer.analyze({ path, content, mode: 0o644, size: content.length });
}

/** Analyses a fixture file at the image path it has under the fixture's rootfs. */
function analyzeFixture(fixture: string, imagePath: string): AnalysisResult {
  expect(dpkgAnalyzer.wants(imagePath)).toBe(true);
  return analyzeText(imagePath, readFileSync(peerFixture('pkgdb/dpkg', fixture, 'rootfs', imagePath)));
}

function packagesOf(result: AnalysisResult): OsPackage[] {
  const [evidence] = result.evidence;
  expect(evidence?.kind).toBe('packages');
  return evidence?.kind === 'packages' ? (evidence.packages as OsPackage[]) : [];
}

const deb = (name: string, version: string, architecture: string, sourceName = name, sourceVersion = version): OsPackage => ({
  manager: 'dpkg',
  name,
  version,
  architecture,
  sourceName,
  sourceVersion,
});

describeWithShared('dpkg databases from other scanners', () => {
  it('status.d/single: one stanza, Source without version takes the package version', () => {
    const result = analyzeFixture('syft-status.d-single', 'var/lib/dpkg/status.d/single');
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([deb('apt', '1.8.2', 'amd64', 'apt-dev', '1.8.2')]);
  });

  it('status.d/installed-size-4KB: an odd Installed-Size does not matter', () => {
    const result = analyzeFixture('syft-status.d-installed-size-4KB', 'var/lib/dpkg/status.d/installed-size-4KB');
    expect(packagesOf(result)).toEqual([deb('apt', '1.8.2', 'amd64', 'apt-dev', '1.8.2')]);
  });

  it('status.d/multiple: stanzas without a name or a version are skipped with a note', () => {
    const result = analyzeFixture('syft-status.d-multiple', 'var/lib/dpkg/status.d/multiple');
    expect(packagesOf(result)).toEqual([deb('tzdata', '2020a-0+deb10u1', 'all', 'tzdata-dev', '2020a-0+deb10u1'), deb('util-linux', '2.33.1-0.1', 'amd64')]);
    expect(result.notes).toEqual([
      'var/lib/dpkg/status.d/multiple: stanza at line 1 has no valid Package name; skipped',
      'var/lib/dpkg/status.d/multiple: stanza at line 3 (no-version) has no valid Version; skipped',
    ]);
  });

  it('status.d/deinstall: a package removed but for its config files is not installed', () => {
    const result = analyzeFixture('syft-status.d-deinstall', 'var/lib/dpkg/status.d/deinstall');
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([
      deb('linux-image-6.14.0-1012-aws', '6.14.0-1012.12~24.04.1', 'amd64', 'linux-signed-aws-6.14', '6.14.0-1012.12~24.04.1'),
    ]);
  });

  it('opkg status parses as deb822 too (install user installed), with License', () => {
    const text = readFileSync(peerFixture('pkgdb/dpkg/syft-status.d-opkg-status/rootfs/var/lib/opkg/status'), 'utf8');
    expect(dpkgAnalyzer.wants('var/lib/opkg/status')).toBe(false);
    const { packages, notes } = packagesFromStatus(text, true);
    expect(notes).toEqual([]);
    expect(packages).toEqual([
      { ...deb('dropbear', '2024.85-r0', 'x86_64'), license: 'MIT' },
      { ...deb('busybox', '1.36.1-r3', 'x86_64'), license: 'GPL-2.0-only' },
      { ...deb('kernel-modules', '6.6.0-r0', 'x86_64'), license: 'GPL-2.0 BSD-3-Clause' },
    ]);
  });

  it('image-dpkg: the status file, its OS, and info files other than *.list and *.md5sums left alone', () => {
    const result = analyzeFixture('syft-image-dpkg', 'var/lib/dpkg/status');
    expect(packagesOf(result)).toEqual([deb('libpam-runtime', '1.1.8-3.6', 'all', 'pam', '1.1.8-3.6')]);
    expect(result.notes).toEqual(['var/lib/dpkg/status: stanza at line 1 has no Status; skipped']);
    const info = readdirSync(peerFixture('pkgdb/dpkg/syft-image-dpkg/rootfs/var/lib/dpkg/info'));
    expect(info.filter((name) => dpkgAnalyzer.wants(`var/lib/dpkg/info/${name}`))).toEqual(['libpam-runtime.md5sums']);
  });

  it('image-dpkg: info/*.md5sums give the files the package owns, as its .list would', () => {
    expect(analyzeFixture('syft-image-dpkg', 'var/lib/dpkg/info/libpam-runtime.md5sums')).toEqual({
      evidence: [
        {
          kind: 'owned-files',
          manager: 'dpkg',
          owner: 'libpam-runtime',
          files: [
            'lib/x86_64-linux-gnu/libz.so.1.2.11',
            'usr/share/doc/zlib1g/changelog.Debian.gz',
            'usr/share/doc/zlib1g/changelog.gz',
            'usr/share/doc/zlib1g/copyright',
          ],
        },
      ],
    });
  });

  it('image-distroless-deb: status.d stanza without Status is installed; md5sums give owned files; scripts are not read', () => {
    const dir = 'var/lib/dpkg/status.d';
    expect(packagesOf(analyzeFixture('syft-image-distroless-deb', `${dir}/libsqlite3-0`))).toEqual([
      deb('libsqlite3-0', '3.34.1-3', 'arm64', 'sqlite3', '3.34.1-3'),
    ]);
    expect(analyzeFixture('syft-image-distroless-deb', `${dir}/libsqlite3-0.md5sums`).evidence).toEqual([
      {
        kind: 'owned-files',
        manager: 'dpkg',
        owner: 'libsqlite3-0',
        files: [
          'usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6',
          'usr/share/doc/libsqlite3-0/README.Debian',
          'usr/share/doc/libsqlite3-0/changelog.Debian.gz',
          'usr/share/doc/libsqlite3-0/changelog.gz',
          'usr/share/doc/libsqlite3-0/changelog.html.gz',
          'usr/share/doc/libsqlite3-0/copyright',
        ],
      },
    ]);
    expect(dpkgAnalyzer.wants(`${dir}/libsqlite3-0.preinst`)).toBe(false);
  });

  it('trivy corrupted status: keeps the good stanzas, binNMU-style Source version, skips stanzas without Status', () => {
    const result = analyzeFixture('trivy-corrupted-status', 'var/lib/dpkg/status');
    expect(packagesOf(result)).toEqual([
      deb('libpam-runtime', '1.1.8-3.1ubuntu3', 'all', 'pam', '1.1.8-3.1ubuntu3'),
      deb('libpam-modules-bin', '1.1.8-3.1ubuntu3', 'amd64', 'pam', '1.1.8-3.1ubuntu3'),
      deb('makedev', '2.3.1-93ubuntu1', 'all'),
      // The epoch belongs to the binary version; Source names its own version, as dpkg-query ${source:Version} does.
      deb('libgcc1', '1:5.1.1-12ubuntu1', 'amd64', 'gcc-5', '5.1.1-12ubuntu1'),
    ]);
    expect(result.notes).toEqual([
      'var/lib/dpkg/status: stanza at line 63 (brokenPackageWithNoVersionThatShouldGetThrownOut) has no Status; skipped',
      'var/lib/dpkg/status: stanza at line 85 (invalidpkg) has no Status; skipped',
    ]);
  });

  it('trivy third-party status: epochs and tildes kept verbatim', () => {
    const result = analyzeFixture('trivy-third-party-status', 'var/lib/dpkg/status');
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([deb('docker-ce', '5:20.10.7~3-0~debian-buster', 'amd64'), deb('apt', '1.6.3ubuntu0.1', 'amd64')]);
  });

  it('trivy ubuntu 18.04 status: 90 installed of 91, a binNMU (+b3) with its source version, matching dpkg-query', () => {
    const result = analyzeFixture('trivy-ubuntu1804-status', 'var/lib/dpkg/status');
    const packages = packagesOf(result);
    expect(packages).toHaveLength(90);
    expect(packages).toContainEqual(deb('liblzma5', '5.1.1alpha+20120614-2+b3', 'amd64', 'xz-utils', '5.1.1alpha+20120614-2'));
    expect(packages.map((p) => p.name)).not.toContain(undefined);

    const admindir = mkdtempSync(join(tmpdir(), 'lamina-dpkg-'));
    try {
      copyFileSync(peerFixture('pkgdb/dpkg/trivy-ubuntu1804-status/rootfs/var/lib/dpkg/status'), join(admindir, 'status'));
      expect(packagesAsDpkgQuery(packages)).toEqual(dpkgQueryInstalled(['--admindir', admindir]));
    } finally {
      rmSync(admindir, { recursive: true, force: true });
    }
  });
});

const dpkgQueryAvailable = (() => {
  try {
    execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
    return existsSync('/var/lib/dpkg/status');
  } catch {
    return false;
  }
})();
if (!dpkgQueryAvailable) console.warn('SKIPPED dpkg comparison with this machine: dpkg-query or /var/lib/dpkg/status is absent');

function dpkgQueryInstalled(extraArgs: string[] = []): string[] {
  const format = '${db:Status-Status}\t${binary:Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n';
  const out = execFileSync('dpkg-query', [...extraArgs, '-W', '-f', format], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((line) => line.startsWith('installed\t'))
    .map((line) => {
      const [, binaryPackage, ...rest] = line.split('\t');
      return [binaryPackage.split(':')[0], ...rest].join('\t');
    })
    .sort();
}

function packagesAsDpkgQuery(packages: OsPackage[]): string[] {
  return packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion, p.architecture ?? ''].join('\t')).sort();
}

(dpkgQueryAvailable ? describe : describe.skip)("this machine's dpkg database", () => {
  it('reports every installed package exactly as dpkg-query does', () => {
    const packages = packagesOf(analyzeText('var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status')));
    const expected = dpkgQueryInstalled();
    expect(expected.length).toBeGreaterThan(50);
    expect(packagesAsDpkgQuery(packages)).toEqual(expected);
  });

  it('reads info/*.list ownership as dpkg -L lists it, with :arch split off the owner', () => {
    const lists = readdirSync('/var/lib/dpkg/info').filter((name) => name.endsWith('.list'));
    const plain = lists.filter((name) => !name.includes(':')).slice(0, 4);
    const withArch = lists.filter((name) => name.includes(':')).slice(0, 2);
    expect(plain.length).toBeGreaterThan(0);
    for (const name of [...plain, ...withArch]) {
      const stem = name.slice(0, -'.list'.length);
      const path = `var/lib/dpkg/info/${name}`;
      expect(dpkgAnalyzer.wants(path)).toBe(true);
      const [evidence] = analyzeText(path, readFileSync(`/var/lib/dpkg/info/${name}`)).evidence;
      const listed = execFileSync('dpkg', ['-L', stem], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
        .split('\n')
        .filter((line) => line.startsWith('/') && line !== '/.')
        .map((line) => line.slice(1));
      const [owner, architecture] = stem.split(':');
      expect(evidence).toEqual(
        architecture
          ? { kind: 'owned-files', manager: 'dpkg', owner, architecture, files: listed }
          : { kind: 'owned-files', manager: 'dpkg', owner, files: listed },
      );
    }
  });
});

(dpkgQueryAvailable ? describe : describe.skip)("this machine's info/*.md5sums", () => {
  it('name, for every package, only files dpkg -L lists for it, with :arch split off the owner', () => {
    const sums = readdirSync('/var/lib/dpkg/info').filter((name) => name.endsWith('.md5sums'));
    const sample = [...sums.filter((name) => !name.includes(':')).slice(0, 6), ...sums.filter((name) => name.includes(':')).slice(0, 3)];
    expect(sample.length).toBeGreaterThan(3);
    for (const name of sample) {
      const stem = name.slice(0, -'.md5sums'.length);
      const path = `var/lib/dpkg/info/${name}`;
      expect(dpkgAnalyzer.wants(path)).toBe(true);
      const result = analyzeText(path, readFileSync(`/var/lib/dpkg/info/${name}`));
      expect(result.notes).toBeUndefined();
      const [evidence] = result.evidence;
      const [owner, architecture] = stem.split(':');
      expect(evidence).toMatchObject(
        architecture ? { kind: 'owned-files', manager: 'dpkg', owner, architecture } : { kind: 'owned-files', manager: 'dpkg', owner },
      );
      const listed = new Set(
        execFileSync('dpkg', ['-L', stem], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
          .split('\n')
          .filter((line) => line.startsWith('/'))
          .map((line) => line.slice(1)),
      );
      const files = evidence.kind === 'owned-files' ? evidence.files : [];
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((file) => !listed.has(file))).toEqual([]);
    }
  });
});

describe('dpkg info/*.md5sums', () => {
  it('reads `<md5>  <path>` lines (text or binary mode) and skips lines of another shape', () => {
    const text = 'd41d8cd98f00b204e9800998ecf8427e  usr/bin/a\r\nd41d8cd98f00b204e9800998ecf8427e *usr/bin/b c\nnot a sum line\n\n';
    expect(analyzeText('var/lib/dpkg/info/tool.md5sums', text)).toEqual({
      evidence: [{ kind: 'owned-files', manager: 'dpkg', owner: 'tool', files: ['usr/bin/a', 'usr/bin/b c'] }],
    });
  });

  it('leaves out overlong lines with a note and marks the list unreadable, as for .list', () => {
    const result = analyzeText('var/lib/dpkg/info/tool.md5sums', `d41d8cd98f00b204e9800998ecf8427e  usr/bin/a\n${'f'.repeat(5000)}  x\n`);
    expect(result).toEqual({
      evidence: [{ kind: 'owned-files', manager: 'dpkg', owner: 'tool', files: ['usr/bin/a'] }],
      notes: ['var/lib/dpkg/info/tool.md5sums: 1 line(s) longer than 4096 characters skipped'],
      unreadable: true,
    });
  });

  it('binary garbage gives an empty list, never a throw', () => {
    const garbage = Buffer.alloc(50_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    expect(() => analyzeText('var/lib/dpkg/info/x.md5sums', garbage)).not.toThrow();
  });
});

describe('dpkg status syntax', () => {
  const stanza = (lines: string[]) => lines.join('\n');

  it('reads field names case-insensitively, CRLF, several blank lines and no final newline', () => {
    const text = [
      'package: one\r\nSTATUS: install ok installed\r\nversion: 1:2.0-1+b1\r\nsource: one-src (2.0-1)\r\narchitecture: arm64\r\n',
      '\r\n\r\n  \t\n',
      'Package: two\nStatus: hold ok installed\nVersion: 3\nDescription: multi\n line\n .\n more',
    ].join('');
    const result = analyzeText('var/lib/dpkg/status', text);
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([
      deb('one', '1:2.0-1+b1', 'arm64', 'one-src', '2.0-1'),
      { manager: 'dpkg', name: 'two', version: '3', sourceName: 'two', sourceVersion: '3' },
    ]);
  });

  it('reports only installed packages: half-configured, unpacked, config-files and not-installed are left out', () => {
    const states = ['half-configured', 'unpacked', 'half-installed', 'config-files', 'not-installed', 'triggers-pending', 'installed'];
    const text = states.map((state, i) => stanza([`Package: p${i}`, `Status: install ok ${state}`, 'Version: 1', ''])).join('\n');
    expect(packagesOf(analyzeText('var/lib/dpkg/status', text)).map((p) => p.name)).toEqual(['p6']);
  });

  it('a binary NMU keeps its own version while the source version comes from Source or equals it', () => {
    const text = stanza([
      'Package: a',
      'Status: install ok installed',
      'Version: 1.0-1+b2',
      'Source: a-src',
      '',
      'Package: b',
      'Status: install ok installed',
      'Version: 1.0-1+b2',
      'Source: b-src (1.0-1)',
    ]);
    const [a, b] = packagesOf(analyzeText('var/lib/dpkg/status', text));
    expect([a.sourceName, a.sourceVersion]).toEqual(['a-src', '1.0-1+b2']);
    expect([b.sourceName, b.sourceVersion]).toEqual(['b-src', '1.0-1']);
  });

  it('an empty status file is an empty database, which still hides packages of lower layers', () => {
    expect(analyzeText('var/lib/dpkg/status', '')).toEqual({ evidence: [{ kind: 'packages', packages: [] }] });
  });

  it('binary garbage yields no packages and a note, never an exception', () => {
    const garbage = Buffer.alloc(200_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    const result = analyzeText('var/lib/dpkg/status', garbage);
    expect(result.evidence).toEqual([]);
    expect(result.notes?.[0]).toMatch(/^var\/lib\/dpkg\/status: \d+ malformed line\(s\), first line 1/);
    expect(result.unreadable).toBe(true);
  });

  it('a status file that could be read only in part is marked unreadable, keeping the packages it could read', () => {
    const text = 'Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n\n';
    const result = analyzeText('var/lib/dpkg/status', text);
    expect(packagesOf(result).map((pkg) => pkg.name)).toEqual(['a']);
    expect(result.notes).toEqual(['var/lib/dpkg/status: stanza at line 5 (b) has no valid Version; skipped']);
    expect(result.unreadable).toBe(true);
  });

  it('a readable status file is not marked unreadable', () => {
    expect(analyzeText('var/lib/dpkg/status', 'Package: a\nStatus: install ok installed\nVersion: 1\n').unreadable).toBeUndefined();
  });
});

describe('dpkg file lists', () => {
  it('normalises absolute paths, skips /. and blank lines', () => {
    expect(pathsFromList('/.\n/usr\n/usr/bin/\n/usr/bin/a b\r\n\n/usr/../etc/x\n')).toEqual(['usr', 'usr/bin', 'usr/bin/a b', 'etc/x']);
  });

  it('leaves out lines longer than any path, with a note, and marks the list unreadable', () => {
    const result = analyzeText('var/lib/dpkg/info/bash.list', `/.\n/bin/bash\n/${'\0'.repeat(64 * 1024)}\n`);
    expect(result).toEqual({
      evidence: [{ kind: 'owned-files', manager: 'dpkg', owner: 'bash', files: ['bin/bash'] }],
      notes: ['var/lib/dpkg/info/bash.list: 1 line(s) longer than 4096 characters skipped'],
      unreadable: true,
    });
    expect(pathsFromList(`/${'a'.repeat(4095)}\n/${'a'.repeat(4096)}\n`)).toEqual(['a'.repeat(4095)]);
  });

  it('names the owner without :arch, and the architecture separately', () => {
    expect(analyzeText('var/lib/dpkg/info/libc6:amd64.list', '/.\n/lib\n').evidence).toEqual<Evidence[]>([
      { kind: 'owned-files', manager: 'dpkg', owner: 'libc6', architecture: 'amd64', files: ['lib'] },
    ]);
  });
});

describe('dpkgAnalyzer paths', () => {
  it.each([
    ['var/lib/dpkg/status', true],
    ['var/lib/dpkg/status-old', false],
    ['var/lib/dpkg/status.d/base-files', true],
    ['var/lib/dpkg/status.d/python3.11', true],
    ['var/lib/dpkg/status.d/base-files.md5sums', true],
    ['var/lib/dpkg/status.d/base-files.postinst', false],
    ['var/lib/dpkg/status.d/sub/x', false],
    ['var/lib/dpkg/info/bash.list', true],
    ['var/lib/dpkg/info/libc6:amd64.list', true],
    ['var/lib/dpkg/info/bash.md5sums', true],
    ['var/lib/dpkg/info/libc6:amd64.md5sums', true],
    ['var/lib/dpkg/info/.md5sums', false],
    ['var/lib/dpkg/info/bash.conffiles', false],
    ['var/lib/dpkg/info/.list', false],
    ['var/lib/dpkg/info/x/y.list', false],
    ['usr/var/lib/dpkg/status', false],
  ])('%s → %s', (path, wanted) => {
    expect(dpkgAnalyzer.wants(path)).toBe(wanted);
  });

  it('reads the status file up to 64 MiB, file lists, md5sums and distroless stanzas only up to 16 MiB', () => {
    expect(dpkgAnalyzer.maxFileSize).toBe(64 * 1024 * 1024);
    expect(dpkgAnalyzer.maxFileSizeFor?.('var/lib/dpkg/status')).toBe(64 * 1024 * 1024);
    for (const path of [
      'var/lib/dpkg/info/bash.list',
      'var/lib/dpkg/info/bash.md5sums',
      'var/lib/dpkg/status.d/base-files',
      'var/lib/dpkg/status.d/base-files.md5sums',
    ]) {
      expect(dpkgAnalyzer.maxFileSizeFor?.(path)).toBe(16 * 1024 * 1024);
    }
  });
});
