import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { advisoryFiles, readBounded } from '../../lib/vulndb/advisory-files';
import { WindowedFileReader } from '../../lib/vulndb/windowed-file-reader';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), `lamina-windowed-${process.pid}-`));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A zip of entries (name, content, deflated or stored). */
async function writeZip(path: string, entries: Array<[string, Buffer, boolean]>): Promise<void> {
  const zip = new ZipFile();
  for (const [name, content, compress] of entries) zip.addBuffer(content, name, { compress });
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(createWriteStream(path)).on('finish', resolve).on('error', reject));
}

const json = (i: number, pad = 0) => Buffer.from(JSON.stringify({ id: `X-${i}`, modified: '2025-01-01T00:00:00Z', details: 'd'.repeat(pad) }));

describe('zip entries read through cached windows', () => {
  it('reads small deflated, stored and large entries, across many windows, in order', async () => {
    const path = join(work, 'mixed.zip');
    // Random text does not deflate: the large entry takes the streaming way, and pushes the rest past several windows.
    const large = Buffer.from(JSON.stringify({ id: 'BIG', modified: '2025-01-01T00:00:00Z', details: randomBytes(1_600_000).toString('base64') }));
    const entries: Array<[string, Buffer, boolean]> = [];
    for (let i = 0; i < 3000; i++) entries.push([`r/${i}.json`, json(i, i % 50), i % 3 !== 0]);
    entries.splice(1500, 0, ['big.json', large, true], ['big-stored.json', large, false]);
    await writeZip(path, entries);

    const read: Array<{ name: string; text: string }> = [];
    for await (const file of advisoryFiles(path)) {
      if (!('text' in file)) throw new Error(`${file.name}: ${'error' in file ? file.error : 'a stream'}`);
      read.push(file);
    }
    expect(read.map((f) => f.name)).toEqual(entries.map(([name]) => name));
    expect(read.map((f) => f.text)).toEqual(entries.map(([, content]) => content.toString('utf8')));
  });

  it('keeps the file open when a stream of an entry is destroyed half read', async () => {
    const path = join(work, 'destroyed.zip');
    const big = randomBytes(300_000);
    await writeZip(path, [
      ['a.bin', big, false],
      ['b.json', json(2), true],
    ]);
    const reader = await WindowedFileReader.open(path, { windowBytes: 4096, maxWindows: 2 });
    const zip = await yauzl.fromRandomAccessReaderPromise(reader, reader.size, { lazyEntries: true, autoClose: false });
    const entries: yauzl.Entry[] = [];
    for await (const entry of zip.eachEntry()) entries.push(entry);
    const stream = await zip.openReadStreamPromise(entries[0]);
    await new Promise((resolve) => stream.once('data', resolve));
    stream.destroy();
    expect(await readBounded(await zip.openReadStreamPromise(entries[1]), 1 << 20)).toBe(json(2).toString('utf8'));
    expect(Buffer.from(await readBounded(await zip.openReadStreamPromise(entries[0]), 1 << 20), 'utf8').length).toBeGreaterThan(0);
    zip.close();
  });

  it('answers a read at the end of the file with what is there', async () => {
    const path = join(work, 'end.zip');
    await writeZip(path, [['a.json', json(1), true]]);
    const reader = await WindowedFileReader.open(path);
    const tail = await reader.bytes(reader.size - 10, 100);
    expect(tail.length).toBe(10);
    expect((await reader.bytes(reader.size, 10)).length).toBe(0);
    await new Promise<void>((resolve, reject) => reader.close((err) => (err ? reject(err) : resolve())));
  });
});
