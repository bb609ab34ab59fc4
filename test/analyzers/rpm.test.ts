import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { packagesFromHeaders, packagesFromManifest, parseSourceRpm, rpmAnalyzer, rpmdbHeaderBlobs } from '../../lib/analyzers/rpm';
import { sqliteTableBlobs } from '../../lib/analyzers/rpmdb/sqlite';
import type { AnalysisResult, OsPackage } from '../../lib/analyzers/types';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const BDB_LIBUUID = ['rpm-bdb/go-rpmdb-libuuid', 'var/lib/rpm/Packages'] as const;
const BDB_DIVE = ['rpm-bdb/syft-dive-Packages', 'var/lib/rpm/Packages'] as const;
const NDB_SLE15 = ['rpm-ndb/go-rpmdb-sle15-bci', 'usr/lib/sysimage/rpm/Packages.db'] as const;
const SQLITE_MARINER = ['rpm-sqlite/go-rpmdb-cbl-mariner-2.0', 'var/lib/rpm/rpmdb.sqlite'] as const;
const MANIFEST = ['rpm-manifest/syft-cbl-mariner-distroless-container-manifest-2', 'var/lib/rpmmanifest/container-manifest-2'] as const;

function fixtureBytes([fixture, imagePath]: readonly [string, string]): Buffer {
  return readFileSync(peerFixture('pkgdb', fixture, 'rootfs', imagePath));
}

function analyze(path: string, content: Buffer): AnalysisResult {
  return rpmAnalyzer.analyze({ path, content, mode: 0o644, size: content.length });
}

function analyzeFixture(fixture: readonly [string, string]): AnalysisResult {
  expect(rpmAnalyzer.wants(fixture[1])).toBe(true);
  return analyze(fixture[1], fixtureBytes(fixture));
}

function packagesOf(result: AnalysisResult): OsPackage[] {
  const evidence = result.evidence.find((item) => item.kind === 'packages');
  expect(evidence).toBeDefined();
  return evidence?.kind === 'packages' ? (evidence.packages as OsPackage[]) : [];
}

function ownedOf(result: AnalysisResult): Map<string, string[]> {
  const owned = new Map<string, string[]>();
  for (const item of result.evidence) if (item.kind === 'owned-files') owned.set(item.owner, item.files);
  return owned;
}

const byName = (a: OsPackage, b: OsPackage): number => a.name.localeCompare(b.name) || a.version.localeCompare(b.version);

interface RpmRow {
  name: string;
  epoch?: string;
  versionRelease: string;
  arch?: string;
  sourceRpm?: string;
  license?: string;
}

/** The package an rpm row stands for, by the rules the analyser documents (epoch on both versions when set). */
function expected({ name, epoch, versionRelease, arch, sourceRpm, license }: RpmRow): OsPackage {
  const version = epoch ? `${epoch}:${versionRelease}` : versionRelease;
  const source = sourceRpm ? /^(.+)-([^-]+-[^-]+)\.src\.rpm$/.exec(sourceRpm) : null;
  const pkg: OsPackage = {
    manager: 'rpm',
    name,
    version,
    sourceName: source ? source[1] : name,
    sourceVersion: source ? (epoch ? `${epoch}:${source[2]}` : source[2]) : version,
  };
  if (arch) pkg.architecture = arch;
  if (license) pkg.license = license;
  return pkg;
}

describe('rpm analyser paths', () => {
  it('wants the three database formats in both rpm directories and the Mariner manifest', () => {
    for (const dir of ['var/lib/rpm', 'usr/lib/sysimage/rpm']) {
      for (const name of ['Packages', 'Packages.db', 'rpmdb.sqlite']) expect(rpmAnalyzer.wants(`${dir}/${name}`)).toBe(true);
      expect(rpmAnalyzer.wants(`${dir}/Name`)).toBe(false);
      expect(rpmAnalyzer.wants(`${dir}/rpmdb.sqlite-wal`)).toBe(false);
    }
    expect(rpmAnalyzer.wants('var/lib/rpmmanifest/container-manifest-2')).toBe(true);
    expect(rpmAnalyzer.wants('var/lib/rpmmanifest/container-manifest-1')).toBe(false);
    expect(rpmAnalyzer.maxFileSize).toBe(256 * 1024 * 1024);
  });

  it('source rpm names split into name and version-release', () => {
    expect(parseSourceRpm('util-linux-2.32.1-42.el8_8.src.rpm')).toEqual({ name: 'util-linux', version: '2.32.1-42.el8_8' });
    expect(parseSourceRpm('gcc11-11.2.1+git610-1.3.9.src.rpm')).toEqual({ name: 'gcc11', version: '11.2.1+git610-1.3.9' });
    expect(parseSourceRpm('nosource-1-2.nosrc.rpm')).toEqual({ name: 'nosource', version: '1-2' });
    expect(parseSourceRpm('no-version.src.rpm')).toBeUndefined();
    expect(parseSourceRpm('(none)')).toBeUndefined();
  });
});

describeWithShared('rpm databases from other scanners', () => {
  it('Berkeley DB (go-rpmdb libuuid): one package, source from SOURCERPM, files from dir names and base names', () => {
    const result = analyzeFixture(BDB_LIBUUID);
    expect(result.notes).toBeUndefined();
    expect(result.evidence).toEqual([
      {
        kind: 'packages',
        packages: [
          expected({ name: 'libuuid', versionRelease: '2.32.1-42.el8_8', arch: 'x86_64', sourceRpm: 'util-linux-2.32.1-42.el8_8.src.rpm', license: 'BSD' }),
        ],
      },
      {
        kind: 'owned-files',
        manager: 'rpm',
        owner: 'libuuid',
        architecture: 'x86_64',
        files: [
          'usr/lib/.build-id',
          'usr/lib/.build-id/df/ef6a880adac817216ab9866779a0725e017647',
          'usr/lib64/libuuid.so.1',
          'usr/lib64/libuuid.so.1.3.0',
          'usr/share/licenses/libuuid',
          'usr/share/licenses/libuuid/COPYING',
          'usr/share/licenses/libuuid/COPYING.BSD-3',
        ],
      },
    ]);
    expect(packagesOf(result)[0]).toEqual({
      manager: 'rpm',
      name: 'libuuid',
      version: '2.32.1-42.el8_8',
      architecture: 'x86_64',
      sourceName: 'util-linux',
      sourceVersion: '2.32.1-42.el8_8',
      license: 'BSD',
    });
  });

  it('Berkeley DB (syft dive): the package syft expects, with its one file', () => {
    const result = analyzeFixture(BDB_DIVE);
    expect(result.notes).toBeUndefined();
    expect(result.evidence).toEqual([
      {
        kind: 'packages',
        packages: [{ manager: 'rpm', name: 'dive', version: '0.9.2-1', architecture: 'x86_64', sourceName: 'dive', sourceVersion: '0.9.2-1', license: 'MIT' }],
      },
      { kind: 'owned-files', manager: 'rpm', owner: 'dive', architecture: 'x86_64', files: ['usr/local/bin/dive'] },
    ]);
  });

  it('ndb (SLE 15 BCI): the 35 packages rpm -qa listed for go-rpmdb', () => {
    // go-rpmdb pkg/rpmdb_testcase.go SLE15WithNDB: name, version, release, arch, source rpm, licence (no epochs).
    const listed: Array<[string, string, string, string, string, string]> = [
      ['system-user-root', '20190513', '3.3.1', 'noarch', 'system-user-root-20190513-3.3.1.src.rpm', 'MIT'],
      ['filesystem', '15.0', '11.3.2', 'x86_64', 'filesystem-15.0-11.3.2.src.rpm', 'MIT'],
      ['glibc', '2.31', '9.3.2', 'x86_64', 'glibc-2.31-9.3.2.src.rpm', 'LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later'],
      ['libpcre1', '8.45', '20.10.1', 'x86_64', 'pcre-8.45-20.10.1.src.rpm', 'BSD-3-Clause'],
      ['libgmp10', '6.1.2', '4.6.1', 'x86_64', 'gmp-6.1.2-4.6.1.src.rpm', 'LGPL-3.0-or-later OR GPL-2.0-or-later'],
      ['libgcc_s1', '11.2.1+git610', '1.3.9', 'x86_64', 'gcc11-11.2.1+git610-1.3.9.src.rpm', 'GPL-3.0-or-later WITH GCC-exception-3.1'],
      ['libcap2', '2.26', '4.6.1', 'x86_64', 'libcap-2.26-4.6.1.src.rpm', 'BSD-3-Clause or GPL-2.0'],
      ['libstdc++6', '11.2.1+git610', '1.3.9', 'x86_64', 'gcc11-11.2.1+git610-1.3.9.src.rpm', 'GPL-3.0-or-later WITH GCC-exception-3.1'],
      ['libncurses6', '6.1', '5.9.1', 'x86_64', 'ncurses-6.1-5.9.1.src.rpm', 'MIT'],
      ['terminfo-base', '6.1', '5.9.1', 'x86_64', 'ncurses-6.1-5.9.1.src.rpm', 'MIT'],
      ['libattr1', '2.4.47', '2.19', 'x86_64', 'attr-2.4.47-2.19.src.rpm', 'GPL-2.0-or-later AND LGPL-2.1-or-later'],
      ['libselinux1', '3.0', '1.31', 'x86_64', 'libselinux-3.0-1.31.src.rpm', 'SUSE-Public-Domain'],
      ['libreadline7', '7.0', '19.6.1', 'x86_64', 'bash-4.4-19.6.1.src.rpm', 'GPL-3.0-or-later'],
      ['bash', '4.4', '19.6.1', 'x86_64', 'bash-4.4-19.6.1.src.rpm', 'GPL-3.0-or-later'],
      ['libacl1', '2.2.52', '4.3.1', 'x86_64', 'acl-2.2.52-4.3.1.src.rpm', 'GPL-2.0+ and LGPL-2.1+'],
      ['coreutils', '8.32', '3.2.1', 'x86_64', 'coreutils-8.32-3.2.1.src.rpm', 'GPL-3.0-or-later'],
      ['sles-release', '15.3', '55.4.1', 'x86_64', 'sles-release-15.3-55.4.1.src.rpm', 'MIT'],
      ['ca-certificates-mozilla-prebuilt', '2.44', '21.1', 'noarch', 'ca-certificates-mozilla-prebuilt-2.44-21.1.src.rpm', 'MPL-2.0'],
      ['libgpg-error0', '1.29', '1.8', 'x86_64', 'libgpg-error-1.29-1.8.src.rpm', 'GPL-2.0-or-later AND LGPL-2.1-or-later'],
      ['libpopt0', '1.16', '3.22', 'x86_64', 'popt-1.16-3.22.src.rpm', 'MIT'],
      ['file-magic', '5.32', '7.14.1', 'noarch', 'file-5.32-7.14.1.src.rpm', 'BSD-2-Clause'],
      ['libbz2-1', '1.0.6', '5.11.1', 'x86_64', 'bzip2-1.0.6-5.11.1.src.rpm', 'BSD-3-Clause'],
      ['liblua5_3-5', '5.3.6', '3.6.1', 'x86_64', 'lua53-5.3.6-3.6.1.src.rpm', 'MIT'],
      ['liblzma5', '5.2.3', '4.3.1', 'x86_64', 'xz-5.2.3-4.3.1.src.rpm', 'SUSE-Public-Domain'],
      ['libz1', '1.2.11', '3.21.1', 'x86_64', 'zlib-1.2.11-3.21.1.src.rpm', 'Zlib'],
      ['libzstd1', '1.4.4', '1.6.1', 'x86_64', 'zstd-1.4.4-1.6.1.src.rpm', 'BSD-3-Clause AND GPL-2.0-only'],
      ['libmagic1', '5.32', '7.14.1', 'x86_64', 'file-5.32-7.14.1.src.rpm', 'BSD-2-Clause'],
      ['libdw1', '0.168', '4.5.3', 'x86_64', 'elfutils-0.168-4.5.3.src.rpm', 'SUSE-GPL-2.0-with-OSI-exception'],
      ['libebl-plugins', '0.168', '4.5.3', 'x86_64', 'elfutils-0.168-4.5.3.src.rpm', 'SUSE-GPL-2.0-with-OSI-exception'],
      ['libelf1', '0.168', '4.5.3', 'x86_64', 'elfutils-0.168-4.5.3.src.rpm', 'SUSE-GPL-2.0-with-OSI-exception'],
      ['libcrypt1', '4.4.15', '2.51', 'x86_64', 'libxcrypt-4.4.15-2.51.src.rpm', 'LGPL-2.1-or-later AND BSD-2-Clause AND BSD-3-Clause AND SUSE-Public-Domain'],
      ['perl-base', '5.26.1', '15.87', 'x86_64', 'perl-5.26.1-15.87.src.rpm', 'Artistic-1.0 or GPL-2.0+'],
      ['libgcrypt20', '1.8.2', '8.39.1', 'x86_64', 'libgcrypt-1.8.2-8.39.1.src.rpm', 'GPL-2.0+ AND LGPL-2.1+'],
      ['rpm-config-SUSE', '1', '5.6.1', 'noarch', 'rpm-config-SUSE-1-5.6.1.src.rpm', 'GPL-2.0-or-later'],
      ['rpm-ndb', '4.14.3', '40.1', 'x86_64', 'rpm-ndb-4.14.3-40.1.src.rpm', 'GPL-2.0-or-later'],
    ];
    const result = analyzeFixture(NDB_SLE15);
    expect(result.notes).toBeUndefined();
    const want = listed.map(([name, version, release, arch, sourceRpm, license]) =>
      expected({ name, versionRelease: `${version}-${release}`, arch, sourceRpm, license }),
    );
    expect([...packagesOf(result)].sort(byName)).toEqual(want.sort(byName));
    expect(packagesOf(result).find((pkg) => pkg.name === 'libgcc_s1')).toEqual({
      manager: 'rpm',
      name: 'libgcc_s1',
      version: '11.2.1+git610-1.3.9',
      architecture: 'x86_64',
      sourceName: 'gcc11',
      sourceVersion: '11.2.1+git610-1.3.9',
      license: 'GPL-3.0-or-later WITH GCC-exception-3.1',
    });
    expect(ownedOf(result).get('system-user-root')).toEqual(['usr/lib/sysusers.d/system-user-root.conf']);
  });

  it('SQLite (CBL-Mariner 2.0): 129 packages; epochs prefix both the version and the source version', () => {
    const result = analyzeFixture(SQLITE_MARINER);
    expect(result.notes).toBeUndefined();
    const packages = packagesOf(result);
    expect(packages).toHaveLength(129);
    expect(packages[0]).toEqual(
      expected({ name: 'mariner-release', versionRelease: '2.0-4.cm2', arch: 'noarch', sourceRpm: 'mariner-release-2.0-4.cm2.src.rpm', license: 'MIT' }),
    );
    expect(packages).toContainEqual({
      manager: 'rpm',
      name: 'ca-certificates-base',
      version: '1:2.0.0-1.cm2',
      architecture: 'noarch',
      sourceName: 'ca-certificates',
      sourceVersion: '1:2.0.0-1.cm2',
      license: 'MPLv2.0',
    });
    expect(packages).toContainEqual({
      manager: 'rpm',
      name: 'curl-libs',
      version: '7.76.0-6.cm2',
      architecture: 'x86_64',
      sourceName: 'curl',
      sourceVersion: '7.76.0-6.cm2',
      license: 'MIT',
    });
    expect(
      packages
        .filter((pkg) => pkg.version.includes(':'))
        .map((pkg) => pkg.name)
        .sort(),
    ).toEqual(['ca-certificates-base', 'ca-certificates-shared', 'ca-certificates-tools']);
    // A meta-package with no files owns nothing.
    expect(ownedOf(result).has('core-packages-container')).toBe(false);
    expect(ownedOf(result).size).toBe(128);
  });

  it('SQLite reader returns the same blobs, in rowid order, as SQLite itself (sql.js)', async () => {
    const bytes = fixtureBytes(SQLITE_MARINER);
    const SQL = await initSqlJs();
    const db = new SQL.Database(new Uint8Array(bytes));
    try {
      const [rows] = db.exec('SELECT blob FROM Packages ORDER BY hnum');
      const oracle = rows.values.map(([blob]) => Buffer.from(blob as Uint8Array));
      const ours = sqliteTableBlobs(bytes, 'Packages', 1);
      expect(ours.notes).toEqual([]);
      expect(ours.blobs.length).toBe(oracle.length);
      ours.blobs.forEach((blob, index) => {
        expect(blob.equals(oracle[index])).toBe(true);
      });
    } finally {
      db.close();
    }
  });

  it('container-manifest-2 (CBL-Mariner distroless): name, version-release, epoch column, arch, source rpm', () => {
    const result = analyzeFixture(MANIFEST);
    expect(result.notes).toBeUndefined();
    expect(result.evidence).toEqual([
      {
        kind: 'packages',
        packages: [
          expected({ name: 'mariner-release', versionRelease: '2.0-12.cm2', arch: 'noarch', sourceRpm: 'mariner-release-2.0-12.cm2.src.rpm' }),
          expected({ name: 'filesystem', versionRelease: '1.1-9.cm2', arch: 'x86_64', sourceRpm: 'filesystem-1.1-9.cm2.src.rpm' }),
          expected({ name: 'glibc', versionRelease: '2.35-2.cm2', arch: 'x86_64', sourceRpm: 'glibc-2.35-2.cm2.src.rpm' }),
          expected({ name: 'openssl-libs', versionRelease: '1.1.1k-15.cm2', arch: 'x86_64', sourceRpm: 'openssl-1.1.1k-15.cm2.src.rpm' }),
          { manager: 'rpm', name: 'vim', version: '2:9.0-1.cm2', architecture: 'x86_64', sourceName: 'vim', sourceVersion: '2:9.0-1.cm2' },
        ],
      },
    ]);
  });
});

const rpmCli = spawnSync('rpm', ['--version'], { encoding: 'utf8' });
const haveRpm = rpmCli.status === 0;
if (!haveRpm) {
  // eslint-disable-next-line no-console
  console.warn('SKIPPED "rpm CLI cross-check": the rpm command is absent (apt-get install -y rpm to run it)');
}
const describeWithRpm = haveRpm ? describeWithShared : (name: string, body: () => void) => describe.skip(name, body);

const QUERY_FORMAT = '%{NAME}\\t%{EPOCH}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n';

/** Runs `rpm -qa` on a copy of the database in a directory of its own, as rpm wants `--dbpath`. */
function rpmQuery(fixture: readonly [string, string], fileName: string, backend: string, queryFormat: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lamina-rpmdb-'));
  try {
    copyFileSync(peerFixture('pkgdb', fixture[0], 'rootfs', fixture[1]), join(dir, fileName));
    const run = spawnSync('rpm', ['--define', `_db_backend ${backend}`, '--dbpath', dir, '-qa', '--qf', queryFormat], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.status).toBe(0);
    return run.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const none = (value: string): string | undefined => (value === '(none)' || value === '' ? undefined : value);

describeWithRpm('rpm CLI cross-check: every package and file rpm itself reads from the database', () => {
  const cases: Array<[string, readonly [string, string], string, string]> = [
    ['Berkeley DB libuuid', BDB_LIBUUID, 'Packages', 'bdb_ro'],
    ['Berkeley DB dive', BDB_DIVE, 'Packages', 'bdb_ro'],
    ['SQLite CBL-Mariner', SQLITE_MARINER, 'rpmdb.sqlite', 'sqlite'],
  ];
  it.each(cases)('%s', (_label, fixture, fileName, backend) => {
    const rows = rpmQuery(fixture, fileName, backend, QUERY_FORMAT)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'))
      .filter(([name]) => name !== 'gpg-pubkey');
    const want = rows.map(([name, epoch, versionRelease, arch, sourceRpm, license]) =>
      expected({ name, epoch: none(epoch), versionRelease, arch: none(arch), sourceRpm: none(sourceRpm), license: none(license) }),
    );
    const result = analyzeFixture(fixture);
    expect(result.notes).toBeUndefined();
    expect([...packagesOf(result)].sort(byName)).toEqual(want.sort(byName));

    const files = new Map<string, string[]>();
    for (const line of rpmQuery(fixture, fileName, backend, '[%{=NAME}\\t%{FILENAMES}\\n]').split('\n')) {
      const [name, path] = line.split('\t');
      if (!name || !path || name === 'gpg-pubkey') continue;
      const list = files.get(name) ?? [];
      list.push(path.slice(1));
      files.set(name, list);
    }
    expect(ownedOf(result)).toEqual(files);
  });
});

/** A deterministic byte generator, so that a failing damaged input can be reproduced. */
function damaged(source: Buffer, seed: number, flips: number): Buffer {
  const copy = Buffer.from(source);
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state;
  };
  for (let index = 0; index < flips; index++) copy[next() % copy.length] = next() % 256;
  return copy;
}

function expectNoteNotThrow(path: string, content: Buffer): AnalysisResult {
  let result: AnalysisResult | undefined;
  expect(() => {
    result = analyze(path, content);
  }).not.toThrow();
  return result!;
}

describeWithShared('damaged rpm databases end in notes, never a throw or a hang', () => {
  const databases: Array<[string, readonly [string, string]]> = [
    ['Berkeley DB', BDB_LIBUUID],
    ['ndb', NDB_SLE15],
    ['SQLite', SQLITE_MARINER],
  ];

  it.each(databases)('%s cut short keeps what is whole and says the file is damaged', (_label, fixture) => {
    const bytes = fixtureBytes(fixture);
    for (const keep of [0, 1, 15, 100, 511, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 1]) {
      const result = expectNoteNotThrow(fixture[1], bytes.subarray(0, keep));
      expect(result.notes?.length).toBeGreaterThan(0);
      // What survives may be evidence, but never evidence that passes for the whole database.
      expect(result.unreadable).toBe(true);
    }
    const empty = expectNoteNotThrow(fixture[1], Buffer.alloc(0));
    expect(empty).toEqual({ evidence: [], notes: [`${fixture[1]}: not an rpm database: neither SQLite, ndb nor Berkeley DB hash`], unreadable: true });
  });

  it.each(databases)('%s with random bytes written over it does not throw', (_label, fixture) => {
    const bytes = fixtureBytes(fixture);
    for (let seed = 1; seed <= 40; seed++) {
      const result = expectNoteNotThrow(fixture[1], damaged(bytes, seed, 1 + (seed % 7) * 25));
      // Damage that was seen is always both said and marked; damage that was not seen left a whole list.
      expect(result.unreadable === true).toBe((result.notes?.length ?? 0) > 0);
    }
  });

  it('a Berkeley DB whose metadata page lists no page after itself is damaged, not an empty database', () => {
    const bytes = Buffer.from(fixtureBytes(BDB_LIBUUID));
    bytes.writeUInt32LE(0, 32); // last_pgno
    const result = analyze(BDB_LIBUUID[1], bytes);
    expect(result).toEqual({ evidence: [], notes: [`${BDB_LIBUUID[1]}: Berkeley DB file has no hash pages among its 1 pages`], unreadable: true });
  });

  it('a Berkeley DB cut in the middle reports the truncation and the headers it could not follow', () => {
    const bytes = fixtureBytes(BDB_LIBUUID);
    const result = analyze(BDB_LIBUUID[1], bytes.subarray(0, 16384));
    expect(result.evidence).toEqual([]);
    expect(result.notes?.[0]).toMatch(/^var\/lib\/rpm\/Packages: Berkeley DB file is truncated: last page \d+, 4 pages present$/);
  });

  it('an ndb whose slot pages run past the file says so', () => {
    const bytes = fixtureBytes(NDB_SLE15);
    const result = analyze(NDB_SLE15[1], bytes.subarray(0, 2048));
    expect(result).toEqual({ evidence: [], notes: [`${NDB_SLE15[1]}: ndb file is truncated: 1 slot pages need 4096 bytes, file has 2048`], unreadable: true });
  });

  it('an SQLite file cut short reports damage rather than a partial list', () => {
    const bytes = fixtureBytes(SQLITE_MARINER);
    const result = analyze(SQLITE_MARINER[1], bytes.subarray(0, 8192));
    expect(result.evidence).toEqual([]);
    expect(result.notes?.[0]).toMatch(/^var\/lib\/rpm\/rpmdb\.sqlite: SQLite database is damaged: /);
  });

  it('wrong magic: each format is told apart by content, not by name', () => {
    const sqlite = fixtureBytes(SQLITE_MARINER);
    // An SQLite database at the Berkeley DB path is still read as SQLite.
    expect(packagesOf(analyze('var/lib/rpm/Packages', sqlite))).toHaveLength(129);
    const text = Buffer.from('this is not a database\n'.repeat(100));
    for (const path of ['var/lib/rpm/Packages', 'var/lib/rpm/Packages.db', 'var/lib/rpm/rpmdb.sqlite']) {
      expect(analyze(path, text)).toEqual({
        evidence: [],
        notes: [`${path}: not an rpm database: neither SQLite, ndb nor Berkeley DB hash`],
        unreadable: true,
      });
    }
  });

  it('an SQLite database without a Packages table says so', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE Other (id INTEGER PRIMARY KEY, blob BLOB)');
    const bytes = Buffer.from(db.export());
    db.close();
    expect(analyze('var/lib/rpm/rpmdb.sqlite', bytes)).toEqual({
      evidence: [],
      notes: ['var/lib/rpm/rpmdb.sqlite: SQLite database has no Packages table'],
      unreadable: true,
    });
  });

  it('an SQLite Packages table with no rows is evidence of no packages; rows that are not blobs are noted', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const empty = Buffer.from(db.export());
    db.run("INSERT INTO Packages (blob) VALUES ('text, not a header')");
    const textRow = Buffer.from(db.export());
    db.close();
    expect(analyze('var/lib/rpm/rpmdb.sqlite', empty)).toEqual({ evidence: [{ kind: 'packages', packages: [] }] });
    expect(analyze('var/lib/rpm/rpmdb.sqlite', textRow)).toEqual({
      evidence: [],
      notes: ['var/lib/rpm/rpmdb.sqlite: 1 Packages row(s) without a blob in column 1'],
      unreadable: true,
    });
  });
});

describe('rpm header blobs written for the test', () => {
  /** A header with string and int32 entries, laid out as rpm stores them. */
  function header(entries: Array<{ tag: number; type: number; count: number; data: Buffer }>): Buffer {
    const index = Buffer.alloc(entries.length * 16);
    const store: Buffer[] = [];
    let offset = 0;
    entries.forEach((entry, position) => {
      index.writeInt32BE(entry.tag, position * 16);
      index.writeUInt32BE(entry.type, position * 16 + 4);
      index.writeInt32BE(offset, position * 16 + 8);
      index.writeUInt32BE(entry.count, position * 16 + 12);
      store.push(entry.data);
      offset += entry.data.length;
    });
    const head = Buffer.alloc(8);
    head.writeUInt32BE(entries.length, 0);
    head.writeUInt32BE(offset, 4);
    return Buffer.concat([head, index, ...store]);
  }
  const text = (tag: number, value: string) => ({ tag, type: 6, count: 1, data: Buffer.from(`${value}\0`) });
  const int32 = (tag: number, value: number) => {
    const data = Buffer.alloc(4);
    data.writeInt32BE(value);
    return { tag, type: 4, count: 1, data };
  };

  it('epoch 0 is set and printed; (none) licence and source rpm are absent; gpg-pubkey is left out', () => {
    const blobs = [
      header([int32(1003, 0), text(1000, 'zero'), text(1001, '1.0'), text(1002, '1'), text(1014, '(none)'), text(1044, '(none)')]),
      header([text(1000, 'gpg-pubkey'), text(1001, 'fd431d51'), text(1002, '4ae0493b')]),
    ];
    const { packages, owned, notes } = packagesFromHeaders(blobs);
    expect(notes).toEqual([]);
    expect(owned).toEqual([]);
    expect(packages).toEqual([{ manager: 'rpm', name: 'zero', version: '0:1.0-1', sourceName: 'zero', sourceVersion: '0:1.0-1' }]);
  });

  it('headers that lie about their sizes are counted, not trusted', () => {
    const good = header([text(1000, 'good'), text(1001, '1'), text(1002, '1')]);
    const hugeCount = Buffer.from(good);
    hugeCount.writeUInt32BE(0xffffffff, 0);
    const hugeData = Buffer.from(good);
    hugeData.writeUInt32BE(0x7fffffff, 4);
    const offsetOutside = Buffer.from(good);
    offsetOutside.writeInt32BE(1 << 20, 8 + 8);
    const unterminated = header([{ tag: 1000, type: 6, count: 1, data: Buffer.from('no-nul') }, text(1001, '1'), text(1002, '1')]).subarray(0, -4);
    unterminated.writeUInt32BE(6, 4);
    const arrayCount = header([text(1000, 'files'), text(1001, '1'), text(1002, '1'), { tag: 1117, type: 8, count: 0x7fffffff, data: Buffer.from('a\0') }]);
    const { packages, notes } = packagesFromHeaders([good, hugeCount, hugeData, offsetOutside, unterminated, Buffer.alloc(3), arrayCount]);
    expect(packages.map((pkg) => pkg.name)).toEqual(['good', 'files']);
    expect(notes).toEqual(['5 unreadable package header(s) skipped, first header 2: header has an implausible 4294967295 index entries']);
  });

  it('a Berkeley DB overflow chain that loops back on itself is refused', () => {
    const pageSize = 512;
    const db = Buffer.alloc(pageSize * 3);
    db.writeUInt32LE(0x061561, 12);
    db.writeUInt32LE(pageSize, 20);
    db[25] = 8;
    db.writeUInt32LE(2, 32);
    // Page 1: a hash page with one key/value pair whose value is off-page at page 2.
    const hash = pageSize;
    db[hash + 25] = 13;
    db.writeUInt16LE(2, hash + 20);
    db.writeUInt16LE(400, hash + 26);
    db.writeUInt16LE(450, hash + 28);
    db[hash + 450] = 3;
    db.writeUInt32LE(2, hash + 454);
    db.writeUInt32LE(1_000_000, hash + 458);
    // Page 2: an overflow page whose next page is itself.
    const overflow = pageSize * 2;
    db[overflow + 25] = 7;
    db.writeUInt32LE(2, overflow + 16);
    db.writeUInt16LE(100, overflow + 22);
    const { blobs, notes } = rpmdbHeaderBlobs(db);
    expect(blobs).toEqual([]);
    expect(notes).toEqual(['hash page 1 entry 1: overflow chain reaches bad page 2']);
  });
});

describe('container-manifest-2 lines', () => {
  it('short or unshaped lines are skipped with a note; CRLF is accepted', () => {
    const line = ['bash', '5.1.8-1.cm2', '1', '1', 'Microsoft Corporation', '(none)', '10', 'x86_64', '0', 'bash-5.1.8-1.cm2.src.rpm'].join('\t');
    const { packages, notes } = packagesFromManifest(`${line}\r\nnot\ta\tmanifest\n\n${line.replace('5.1.8-1.cm2', 'noversion')}\n`);
    expect(packages).toEqual([
      { manager: 'rpm', name: 'bash', version: '5.1.8-1.cm2', architecture: 'x86_64', sourceName: 'bash', sourceVersion: '5.1.8-1.cm2' },
    ]);
    expect(notes).toEqual(['line 2 is not a manifest entry; skipped', 'line 4 is not a manifest entry; skipped']);
  });

  it('a manifest of random bytes yields a note and no evidence', () => {
    const result = analyze('var/lib/rpmmanifest/container-manifest-2', damaged(Buffer.alloc(2048, 0x41), 7, 2048));
    expect(result.evidence).toEqual([]);
    expect(result.notes?.length).toBeGreaterThan(0);
  });
});
