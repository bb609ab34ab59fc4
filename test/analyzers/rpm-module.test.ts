import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleStream, packagesFromHeaders, rpmAnalyzer, rpmdbHeaderBlobs } from '../../lib/analyzers/rpm';
import { parseRpmHeader, RpmTag } from '../../lib/analyzers/rpmdb/header';
import type { OsPackage } from '../../lib/analyzers/types';
import { packagesOf as inventoryPackagesOf } from '../../lib/index/packages';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const TYPE_INT32 = 4;
const TYPE_STRING = 6;

type HeaderValue = { tag: number; string: string } | { tag: number; int32: number };

/** An rpm header blob as databases store it: entry count, data length, 16-byte index entries, then the data store. */
function headerBlob(values: HeaderValue[]): Buffer {
  const data: Buffer[] = [];
  let offset = 0;
  const index = Buffer.alloc(values.length * 16);
  values.forEach((value, i) => {
    const isString = 'string' in value;
    // Integers are aligned to their size in the data store, as rpm aligns them.
    if (!isString && offset % 4 !== 0) {
      data.push(Buffer.alloc(4 - (offset % 4)));
      offset += 4 - (offset % 4);
    }
    const bytes = isString ? Buffer.from(`${value.string}\0`) : Buffer.alloc(4);
    if (!isString) bytes.writeInt32BE(value.int32);
    index.writeInt32BE(value.tag, i * 16);
    index.writeUInt32BE(isString ? TYPE_STRING : TYPE_INT32, i * 16 + 4);
    index.writeInt32BE(offset, i * 16 + 8);
    index.writeUInt32BE(1, i * 16 + 12);
    data.push(bytes);
    offset += bytes.length;
  });
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(values.length, 0);
  counts.writeUInt32BE(offset, 4);
  return Buffer.concat([counts, index, ...data]);
}

const NODEJS_LABEL = 'nodejs:18:8090020231019152822:a75119d5';

function nodejsHeader(extra: HeaderValue[] = []): Buffer {
  return headerBlob([
    { tag: RpmTag.name, string: 'nodejs' },
    { tag: RpmTag.version, string: '18.18.2' },
    { tag: RpmTag.release, string: '2.module+el8.9.0+20473+a3c3bc4d' },
    { tag: RpmTag.epoch, int32: 1 },
    { tag: RpmTag.license, string: 'MIT and ASL 2.0 and ISC and BSD' },
    { tag: RpmTag.arch, string: 'x86_64' },
    { tag: RpmTag.sourceRpm, string: 'nodejs-18.18.2-2.module+el8.9.0+20473+a3c3bc4d.src.rpm' },
    ...extra,
  ]);
}

describe('rpm MODULARITYLABEL', () => {
  it('is read from the header (tag 5096) and kept as name:stream on the package', () => {
    const blob = nodejsHeader([{ tag: RpmTag.modularityLabel, string: NODEJS_LABEL }]);
    expect(parseRpmHeader(blob)).toMatchObject({ name: 'nodejs', license: 'MIT and ASL 2.0 and ISC and BSD', modularityLabel: NODEJS_LABEL, epoch: 1 });
    expect(packagesFromHeaders([blob]).packages).toEqual<OsPackage[]>([
      {
        manager: 'rpm',
        name: 'nodejs',
        version: '1:18.18.2-2.module+el8.9.0+20473+a3c3bc4d',
        architecture: 'x86_64',
        sourceName: 'nodejs',
        sourceVersion: '1:18.18.2-2.module+el8.9.0+20473+a3c3bc4d',
        license: 'MIT and ASL 2.0 and ISC and BSD',
        module: 'nodejs:18',
      },
    ]);
  });

  it('a package built outside any module has none; `(none)` and malformed labels give none', () => {
    expect(packagesFromHeaders([nodejsHeader()]).packages[0].module).toBeUndefined();
    expect(packagesFromHeaders([nodejsHeader([{ tag: RpmTag.modularityLabel, string: '(none)' }])]).packages[0].module).toBeUndefined();
    expect(packagesFromHeaders([nodejsHeader([{ tag: RpmTag.modularityLabel, string: 'nodejs' }])]).packages[0].module).toBeUndefined();
  });

  it.each([
    [NODEJS_LABEL, 'nodejs:18'],
    ['perl:5.32:8090020230810093214:a75119d5', 'perl:5.32'],
    ['container-tools:rhel8:8090020231020071018:d7b6f4b7', 'container-tools:rhel8'],
    ['postgresql:15', 'postgresql:15'],
    ['nodejs', undefined],
    [':18:1:2', undefined],
    ['nodejs::1:2', undefined],
  ])('moduleStream(%j) → %j', (label, stream) => {
    expect(moduleStream(label)).toBe(stream);
  });

  it('a label whose string runs past the data store is left out, the package kept', () => {
    const blob = nodejsHeader([{ tag: RpmTag.modularityLabel, string: NODEJS_LABEL }]);
    // Overwrite the label's terminating NUL, the blob's last byte: the string no longer ends inside the store.
    blob[blob.length - 1] = 0x41;
    const [pkg] = packagesFromHeaders([blob]).packages;
    expect(pkg.name).toBe('nodejs');
    expect(pkg.module).toBeUndefined();
  });

  it('reaches the inventory package as `module`', () => {
    const [record] = packagesFromHeaders([nodejsHeader([{ tag: RpmTag.modularityLabel, string: NODEJS_LABEL }])]).packages;
    const [pkg] = inventoryPackagesOf(
      [{ pkg: record, path: 'var/lib/rpm/rpmdb.sqlite', layer: 0, analyzer: 'rpm' }],
      { id: 'rhel', versionId: '8.9' },
      [],
      [0],
    );
    expect(pkg).toMatchObject({ name: 'nodejs', manager: 'rpm', module: 'nodejs:18', licenses: ['MIT and ASL 2.0 and ISC and BSD'] });
  });
});

describeWithShared('licences and modules of the rpm databases of other scanners', () => {
  const databases: Array<[string, string]> = [
    ['rpm-bdb/go-rpmdb-libuuid', 'var/lib/rpm/Packages'],
    ['rpm-bdb/syft-dive-Packages', 'var/lib/rpm/Packages'],
    ['rpm-ndb/go-rpmdb-sle15-bci', 'usr/lib/sysimage/rpm/Packages.db'],
    ['rpm-sqlite/go-rpmdb-cbl-mariner-2.0', 'var/lib/rpm/rpmdb.sqlite'],
  ];

  it.each(databases)('%s: every package has its LICENSE; none was built in a module', (fixture, path) => {
    const { blobs } = rpmdbHeaderBlobs(readFileSync(peerFixture('pkgdb', fixture, 'rootfs', path)));
    const headers = blobs.map((blob) => parseRpmHeader(blob)).filter((header) => header.name !== 'gpg-pubkey');
    expect(headers.length).toBeGreaterThan(0);
    expect(headers.filter((header) => !header.license).map((header) => header.name)).toEqual([]);
    expect(headers.filter((header) => header.modularityLabel !== undefined).map((header) => header.name)).toEqual([]);
  });
});

const haveRpmbuild = spawnSync('rpmbuild', ['--version']).status === 0 && spawnSync('rpm', ['--version']).status === 0;
if (!haveRpmbuild) console.warn('SKIPPED "rpm database with a modular package": rpmbuild is absent (apt-get install -y rpm to run it)');

const SPEC = `Name: hello-module
Version: 1.0
Release: 1.module+el8.9.0+90200+a75119d5
Summary: A package built in a module stream
License: MIT AND (BSD-3-Clause OR GPL-2.0-or-later)
BuildArch: noarch
ModularityLabel: ${NODEJS_LABEL}

%description
A package carrying a modularity label.

%install
mkdir -p %{buildroot}/usr/share/hello-module
echo hello > %{buildroot}/usr/share/hello-module/README

%files
/usr/share/hello-module/README
`;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

(haveRpmbuild ? describe : describe.skip)('an rpm database with a modular package, built by rpmbuild and rpm', () => {
  let work: string;
  let rpmFile: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lamina-rpm-module-'));
    mkdirSync(join(work, 'SPECS'));
    writeFileSync(join(work, 'SPECS/hello-module.spec'), SPEC);
    run('rpmbuild', ['--quiet', '--define', `_topdir ${work}`, '-bb', join(work, 'SPECS/hello-module.spec')]);
    rpmFile = join(work, 'RPMS/noarch/hello-module-1.0-1.module+el8.9.0+90200+a75119d5.noarch.rpm');
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // Debian's rpm writes SQLite databases only (ndb and bdb are not built in); the header is the same in all three.
  it('SQLite: the package with its licence and module, as rpm -q reports them', () => {
    const root = join(work, 'root');
    const dbDir = 'var/lib/rpm';
    const defines = ['--define', '_db_backend sqlite', '--define', `_dbpath /${dbDir}`];
    run('rpm', ['--root', root, ...defines, '--initdb']);
    run('rpm', ['--root', root, ...defines, '-i', '--justdb', '--nodeps', '--noscripts', rpmFile]);
    const [license, label] = run('rpm', ['--root', root, ...defines, '-qa', '--qf', '%{LICENSE}\\t%{MODULARITYLABEL}\\n'])
      .trim()
      .split('\t');
    expect(label).toBe(NODEJS_LABEL);

    const path = `${dbDir}/rpmdb.sqlite`;
    expect(rpmAnalyzer.wants(path)).toBe(true);
    const content = readFileSync(join(root, path));
    const result = rpmAnalyzer.analyze({ path, content, mode: 0o644, size: content.length });
    expect(result.notes).toBeUndefined();
    expect(result.evidence[0]).toEqual({
      kind: 'packages',
      packages: [
        {
          manager: 'rpm',
          name: 'hello-module',
          version: '1.0-1.module+el8.9.0+90200+a75119d5',
          architecture: 'noarch',
          sourceName: 'hello-module',
          sourceVersion: '1.0-1.module+el8.9.0+90200+a75119d5',
          license,
          module: 'nodejs:18',
        },
      ],
    });
  });
});
