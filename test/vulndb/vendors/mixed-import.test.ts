import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { importAdvisories, type MalformedNote } from '../../../lib/vulndb/import';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';

const DATA = join(__dirname, '../sources/data');

async function tarOf(files: Record<string, Buffer>): Promise<Buffer> {
  const archive = pack();
  for (const [name, body] of Object.entries(files)) archive.entry({ name }, body);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('db import of vendor documents told apart by content', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lamina-mixed-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads a gzipped tar of an updateinfo, a CSAF VEX file, an OVAL file and a stray file, noting only the stray one', async () => {
    const tar = await tarOf({
      // First, so the documents after it show one unread entry does not stop the archive.
      'notes.txt': Buffer.from('not an advisory'),
      'alas/updateinfo.xml': await readFile(join(DATA, 'alas/al2023-core-updateinfo.xml')),
      'redhat/2024/cve-2024-31449.json': await readFile(join(DATA, 'redhat/cve-2024-31449.trimmed.json')),
      'azure/cbl-mariner-2.0-oval.xml': await readFile(join(DATA, 'azure/cbl-mariner-2.0-oval.xml')),
    });
    const path = join(dir, 'feeds.tar.gz');
    await writeFile(path, gzipSync(tar));
    const store = new MemoryAdvisoryStore();
    const notes: MalformedNote[] = [];
    const result = await importAdvisories(path, store, { onMalformed: (note) => notes.push(note) });
    expect(notes).toEqual([{ file: path, reason: 'notes.txt: not a known advisory format' }]);
    const stored = await store.getAdvisories(['ALAS2023-2023-001', 'REDHAT-CVE-2024-31449', 'AZL-2.0-32203']);
    expect([...stored.keys()].sort()).toEqual(['ALAS2023-2023-001', 'AZL-2.0-32203', 'REDHAT-CVE-2024-31449']);
    expect(result.records).toBe(5);
  });

  it('reads each kind of tar entry as it reads the same document on its own: compressed, nested, OSV, large, broken', async () => {
    const csaf = await readFile(join(DATA, 'redhat/cve-2024-7348.trimmed.json'));
    const oval = await readFile(join(DATA, 'azure/cbl-mariner-2.0-oval.xml'));
    const osv = await readFile(join(__dirname, '../../scan/data/osv/Maven/GHSA-6mjq-h674-j845.json'));
    // Past the size read whole into memory (8 MiB): this one is streamed, as a document outside a tar is.
    const updateinfo = (await readFile(join(DATA, 'alas/al2-core-updateinfo.xml'), 'utf8')).replace('</updates>', `<!-- ${'x'.repeat(9 << 20)} --></updates>`);
    const tar = await tarOf({
      'redhat/cve-2024-7348.json.gz': gzipSync(csaf),
      'nested.tar': await tarOf({ 'mariner.xml': oval }),
      'osv/GHSA-6mjq-h674-j845.json': osv,
      'alas/updateinfo.xml': Buffer.from(updateinfo),
      'redhat/broken.json': Buffer.from(csaf.toString('utf8').slice(0, 4000)),
    });
    const path = join(dir, 'kinds.tar');
    await writeFile(path, tar);
    const store = new MemoryAdvisoryStore();
    const notes: MalformedNote[] = [];
    await importAdvisories(path, store, { onMalformed: (note) => notes.push(note) });
    expect(notes.map((n) => n.reason)).toEqual([expect.stringMatching(/^redhat\/broken\.json: /)]);

    // The same documents one file each, outside any tar.
    const alone = new MemoryAdvisoryStore();
    for (const [name, body] of [
      ['csaf.json', csaf],
      ['mariner.xml', oval],
      ['osv.json', osv],
      ['updateinfo.xml', Buffer.from(updateinfo)],
    ] as const) {
      await writeFile(join(dir, name), body);
      await importAdvisories(join(dir, name), alone);
    }
    const ids = ['REDHAT-CVE-2024-7348', 'AZL-2.0-32203', 'GHSA-6mjq-h674-j845', 'ALAS2-2018-942', 'ALAS2-2018-949'];
    const fromTar = await store.getAdvisories(ids);
    expect([...fromTar.keys()].sort()).toEqual([...ids].sort());
    expect(fromTar).toEqual(await alone.getAdvisories(ids));
  });

  it('notes a truncated compressed document and imports nothing from it, without hanging', async () => {
    const whole = gzipSync(await readFile(join(DATA, 'alas/al2-core-updateinfo.xml')));
    const path = join(dir, 'updateinfo.xml.gz');
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const notes: MalformedNote[] = [];
    const result = await importAdvisories(path, new MemoryAdvisoryStore(), { onMalformed: (note) => notes.push(note) });
    expect(notes.length).toBeGreaterThan(0);
    expect(result.written).toBeLessThanOrEqual(2);
  });
});
