import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ZipFile } from 'yazl';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import { importAdvisories, type ImportCounts } from '../../lib/vulndb/import';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import { advisoryFixture, describeWithShared } from '../support/shared-fixtures';
import { startDynalite } from '../support/dynalite';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A zip of `entries` (name → content) written with yazl, as OSV's all.zip is laid out. */
export async function writeZip(path: string, entries: Array<[string, string | Buffer]>): Promise<void> {
  const zip = new ZipFile();
  for (const [name, content] of entries) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    zip.outputStream.pipe(out).on('finish', resolve).on('error', reject);
  });
}

const OSV_FIXTURES = 46;
const NVD_FIXTURES = 4;

describeWithShared('importing real advisory exports', () => {
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  let work: string;
  let tableNo = 0;
  let store: DynamoAdvisoryStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    work = await mkdtemp(join(tmpdir(), `lamina-import-${process.pid}-`));
  });
  afterAll(async () => {
    await dynamo.stop();
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    store = new DynamoAdvisoryStore(dynamo.client, `advisories-${++tableNo}`);
    await store.ensureTables();
  });

  it('imports the fixtures directory and answers lookups by package', async () => {
    const progress: ImportCounts[] = [];
    const result = await importAdvisories(advisoryFixture('osv'), store, { onProgress: (c) => progress.push(c), progressEvery: 10 });
    expect(result).toMatchObject({ records: OSV_FIXTURES, written: OSV_FIXTURES, skipped: 0, malformed: 0, cvss: 0 });
    expect(progress.map((p) => p.records)).toEqual([10, 20, 30, 40, OSV_FIXTURES]);

    const found = await store.findByPackages([
      { ecosystem: 'PyPI', name: 'Jinja2' },
      { ecosystem: 'Debian:9', name: 'openssl' },
      { ecosystem: 'Go', name: 'stdlib' },
      { ecosystem: 'Alpine:v3.21', name: 'musl' },
    ]);
    expect(found.get('PyPI|jinja2')!.map((o) => o.id)).toEqual(['PYSEC-2014-8', 'PYSEC-2014-82', 'PYSEC-2019-217', 'PYSEC-2019-220', 'PYSEC-2021-66']);
    expect(found.get('Debian:9|openssl')!.map((o) => o.id)).toContain('DLA-3008-1');
    expect(found.get('Go|stdlib')!.map((o) => o.id)).toContain('GO-2022-0969');
    expect(found.get('Alpine:v3.21|musl')!.map((o) => o.id)).toEqual(['ALPINE-CVE-2025-26519']);
    const dla = found.get('Debian:9|openssl')!.find((o) => o.id === 'DLA-3008-1')!;
    expect(dla.affected![0].ranges![0].events).toEqual([{ introduced: '0' }, { fixed: '1.1.0l-1~deb9u6' }]);
  });

  it('re-importing the same export changes nothing and keeps the data version; a changed record bumps it', async () => {
    await importAdvisories(advisoryFixture('osv'), store);
    const version = await store.getDataVersion();
    const again = await importAdvisories(advisoryFixture('osv'), store);
    expect(again).toMatchObject({ records: OSV_FIXTURES, written: 0, skipped: OSV_FIXTURES, malformed: 0 });
    expect(await store.getDataVersion()).toBe(version);

    const dir = join(work, 'changed');
    await mkdir(dir, { recursive: true });
    const record = JSON.parse(await readFile(advisoryFixture('osv/PyPI/PYSEC-2014-13.json'), 'utf8'));
    await writeFile(join(dir, 'PYSEC-2014-13.json'), JSON.stringify({ ...record, modified: '2030-01-01T00:00:00Z', summary: 'revised' }));
    expect(await importAdvisories(dir, store)).toMatchObject({ records: 1, written: 1 });
    expect(await store.getDataVersion()).not.toBe(version);
    expect((await store.findByPackages([{ ecosystem: 'PyPI', name: 'requests' }])).get('PyPI|requests')!.find((o) => o.id === 'PYSEC-2014-13')!.summary).toBe(
      'revised',
    );
  });

  it('imports a zip of the fixtures with malformed entries counted and skipped', async () => {
    const root = advisoryFixture();
    const entries: Array<[string, string | Buffer]> = [];
    for (const file of await filesUnder(root)) {
      if (file.includes('/schema/')) continue;
      entries.push([relative(root, file), await readFile(file)]);
    }
    entries.push(
      ['broken/not-json.json', '{"id": "X-1", "modified": '],
      ['broken/no-modified.json', '{"id": "X-2"}'],
      ['broken/garbage.json', '[1, 2]'],
      ['README.txt', 'not an advisory'],
    );
    const zipPath = join(work, 'all.zip');
    await writeZip(zipPath, entries);

    const malformed: string[] = [];
    const result = await importAdvisories(zipPath, store, { onMalformed: (n) => malformed.push(n.file) });
    const secdb = (await store.findByPackages([{ ecosystem: 'Alpine:v3.18', name: 'openssl' }])).get('Alpine:v3.18|openssl')!;
    expect(secdb.length).toBeGreaterThan(30);
    expect(result.malformed).toBe(4);
    expect(malformed.sort()).toEqual(['broken/garbage.json', 'broken/garbage.json', 'broken/no-modified.json', 'broken/not-json.json']);
    expect(result.cvss).toBe(NVD_FIXTURES);
    expect(result.written).toBe(result.records);
    expect(result.records).toBeGreaterThan(OSV_FIXTURES + secdb.length);

    const cvss = await store.getCvss(['CVE-2024-3094', 'CVE-2017-6507']);
    expect(cvss.get('CVE-2024-3094')).toMatchObject({ v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', v31: true });
    expect(cvss.get('CVE-2017-6507')).toMatchObject({ v31: false, v2Vector: expect.stringMatching(/^AV:/) });
  });

  it('turns Alpine secdb into fixed-version advisories, leaving out the never-affected "0" list', async () => {
    await importAdvisories(advisoryFixture('alpine-secdb'), store);
    const found = (await store.findByPackages([{ ecosystem: 'Alpine:v3.18', name: 'openssl' }])).get('Alpine:v3.18|openssl')!;
    const byCve = new Map(found.map((o) => [o.aliases![0], o]));
    expect(byCve.get('CVE-2023-0464')!.affected![0].ranges![0].events).toEqual([{ introduced: '0' }, { fixed: '3.1.0-r1' }]);
    expect(byCve.has('CVE-2022-1292')).toBe(false);
  });
});

describe('importing files that are not advisories', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `lamina-import-bad-${process.pid}-`));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('counts a corrupt zip entry and an Alpine secdb without a release as malformed and carries on', async () => {
    const good = { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'x' }, versions: ['1.0.0'] }] };
    const zipPath = join(work, 'mixed.zip');
    await writeZip(zipPath, [
      ['a.json', JSON.stringify(good)],
      ['3.18/main/busybox.json', JSON.stringify({ name: 'busybox', secfixes: { '1.0-r0': ['CVE-2020-1', 'CVE-2020-2', 'CVE-2020-3'] } })],
      ['b.json', JSON.stringify({ ...good, id: 'GHSA-2' })],
    ]);
    // Flip bytes inside the second entry's compressed data so its inflate or CRC check fails.
    const bytes = await readFile(zipPath);
    const at = bytes.indexOf(Buffer.from('3.18/main/busybox.json')) + '3.18/main/busybox.json'.length;
    bytes.fill(0xff, at + 8, at + 24);
    await writeFile(zipPath, bytes);

    const store = new MemoryAdvisoryStore();
    const result = await importAdvisories(zipPath, store);
    expect(result).toMatchObject({ records: 2, written: 2, malformed: 1 });

    await writeFile(join(work, 'secdb-no-release.json'), JSON.stringify({ name: 'busybox', secfixes: { '1.0-r0': ['CVE-2020-1'] } }));
    expect(await importAdvisories(join(work, 'secdb-no-release.json'), store)).toMatchObject({ records: 0, malformed: 1 });
  });

  it('rejects a path that is not there with the file system error', async () => {
    await expect(importAdvisories(join(work, 'missing'), new MemoryAdvisoryStore())).rejects.toThrow(/ENOENT/);
  });
});
