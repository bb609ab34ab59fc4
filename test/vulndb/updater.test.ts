import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipFile } from 'yazl';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import { parseOsvCursor } from '../../lib/vulndb/sources/osv-source';
import { osvSource } from '../../lib/vulndb/sources/osv-source';
import { checkedCursor, cursorKey, progressKey, runSources, updateAdvisories } from '../../lib/vulndb/updater';

const modifiedOf = async (store: MemoryAdvisoryStore, ecosystem: string) => parseOsvCursor(await store.getCursor(cursorKey(`osv:${ecosystem}`))).modified;
import { advisoryFixture, describeWithShared } from '../support/shared-fixtures';

interface Logged {
  path: string;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  status: number;
}

/** OSV's bucket layout on loopback: ETags, 304, Range with If-Range, and connections cut halfway on demand. */
class Bucket {
  readonly files = new Map<string, Buffer>();
  readonly log: Logged[] = [];
  cutNext = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(req.url ?? '');
      const body = this.files.get(path);
      const entry: Logged = {
        path,
        range: req.headers.range,
        ifRange: req.headers['if-range'] as string | undefined,
        ifNoneMatch: req.headers['if-none-match'],
        status: 0,
      };
      this.log.push(entry);
      if (!body) {
        res.writeHead((entry.status = 404)).end();
        return;
      }
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (entry.ifNoneMatch === etag) {
        res.writeHead((entry.status = 304), { etag }).end();
        return;
      }
      const range = /^bytes=(\d+)-$/.exec(entry.range ?? '');
      let start = 0;
      if (range && (!entry.ifRange || entry.ifRange === etag)) {
        start = Number(range[1]);
        if (start >= body.length) {
          res.writeHead((entry.status = 416), { 'content-range': `bytes */${body.length}` }).end();
          return;
        }
        res.writeHead((entry.status = 206), {
          etag,
          'content-length': body.length - start,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        });
      } else {
        res.writeHead((entry.status = 200), { etag, 'content-length': body.length, 'accept-ranges': 'bytes' });
      }
      const rest = body.subarray(start);
      if (this.cutNext > 0) {
        this.cutNext--;
        // The pause lets the client take in the first half before the connection drops.
        res.write(rest.subarray(0, Math.floor(rest.length / 2)), () => setTimeout(() => res.socket?.destroy(), 100));
        return;
      }
      res.end(rest);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function zipOf(records: Array<{ id: string }>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const record of records) zip.addBuffer(Buffer.from(JSON.stringify(record)), `${record.id}.json`, { compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type Record = { id: string; modified: string; summary?: string } & { [key: string]: unknown };

async function pypiRecords(): Promise<Record[]> {
  const dir = advisoryFixture('osv/PyPI');
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as Record));
}

const newest = (records: Record[]) =>
  records
    .map((r) => r.modified)
    .sort((a, b) => Date.parse(a) - Date.parse(b))
    .at(-1);

describeWithShared('OSV updater against a bucket on loopback', () => {
  let bucket: Bucket;
  let work: string;
  let records: Record[];

  beforeEach(async () => {
    bucket = new Bucket();
    await bucket.start();
    work = await mkdtemp(join(tmpdir(), `lamina-updater-${process.pid}-`));
    records = await pypiRecords();
    bucket.files.set('/PyPI/all.zip', await zipOf(records));
  });
  afterEach(async () => {
    await bucket.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('resumes a download cut midway with Range and If-Range, then imports everything and sets the cursor', async () => {
    const store = new MemoryAdvisoryStore();
    bucket.cutNext = 1;
    const result = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['PyPI'], workDir: work });
    expect(result.sources).toEqual([
      { source: 'osv:PyPI', status: 'updated', records: records.length, written: records.length, skipped: 0, malformed: 0, cursor: expect.any(String) },
    ]);
    expect(parseOsvCursor(result.sources[0].cursor)).toEqual({ modified: newest(records), etag: expect.stringMatching(/^"/) });
    expect(bucket.log.map((l) => l.status)).toEqual([200, 206]);
    const size = bucket.files.get('/PyPI/all.zip')!.length;
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(bucket.log[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(Math.floor(size / 2));
    expect(bucket.log[1].ifRange).toMatch(/^"[0-9a-f]{40}"$/);
    expect(await modifiedOf(store, 'PyPI')).toBe(newest(records));
    expect((await store.findByPackages([{ ecosystem: 'PyPI', name: 'urllib3' }])).get('PyPI|urllib3')!.length).toBeGreaterThan(5);
    expect(await readdir(work)).toEqual([]);
  });

  it('keeps the part of a run that failed and resumes it on the next run, restarting when the file changed meanwhile', async () => {
    const store = new MemoryAdvisoryStore();
    bucket.cutNext = 1;
    const failed = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['PyPI'], workDir: work, maxDownloadAttempts: 1 });
    expect(failed.sources[0]).toMatchObject({ status: 'failed', written: 0 });
    expect(failed.sources[0].error).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/PyPI\/all\.zip: connection closed by the server .*after \d+ of \d+ bytes$/);
    expect(await modifiedOf(store, 'PyPI')).toBeUndefined();
    expect(await store.getCursor(checkedCursor('PyPI'))).toBeUndefined();
    expect(existsSync(join(work, 'PyPI-all.zip.part'))).toBe(true);

    const resumed = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['PyPI'], workDir: work });
    expect(resumed.sources[0]).toMatchObject({ status: 'updated', written: records.length });
    expect(bucket.log.map((l) => [l.status, Boolean(l.range)])).toEqual([
      [200, false],
      [206, true],
    ]);

    // A part whose file changed on the server: If-Range no longer matches, the server sends it whole.
    bucket.cutNext = 1;
    bucket.files.set(
      '/Go/all.zip',
      await zipOf([
        { id: 'GO-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'Go', name: 'example.com/a' }, versions: ['v1.0.0'] }] } as Record,
      ]),
    );
    await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['Go'], workDir: work, maxDownloadAttempts: 1 });
    bucket.files.set(
      '/Go/all.zip',
      await zipOf([
        { id: 'GO-2', modified: '2024-02-01T00:00:00Z', affected: [{ package: { ecosystem: 'Go', name: 'example.com/a' }, versions: ['v1.0.0'] }] } as Record,
      ]),
    );
    const restarted = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['Go'], workDir: work });
    expect(restarted.sources[0]).toMatchObject({ status: 'updated', written: 1 });
    expect(await modifiedOf(store, 'Go')).toBe('2024-02-01T00:00:00Z');
    expect(bucket.log.slice(-1)[0]).toMatchObject({ path: '/Go/all.zip', status: 200, range: expect.stringMatching(/^bytes=/) });
    expect((await store.findByPackages([{ ecosystem: 'Go', name: 'example.com/a' }])).get('Go|example.com/a')!.map((o) => o.id)).toEqual(['GO-2']);
  });

  it('writes only records newer than the cursor on the next run, and nothing when the export is unchanged', async () => {
    const store = new MemoryAdvisoryStore();
    await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['PyPI'], workDir: work });
    const version = await store.getDataVersion();
    const firstCheck = (await store.getCursor(checkedCursor('PyPI')))!;
    expect(Date.parse(firstCheck)).not.toBeNaN();

    const after = '2031-01-01T00:00:00Z';
    const changed = records.map((r) => (r.id === 'PYSEC-2014-13' ? { ...r, modified: after, summary: 'revised' } : r));
    changed.push({ ...records[0], id: 'PYSEC-2031-1', modified: after });
    bucket.files.set('/PyPI/all.zip', await zipOf(changed));
    let written = 0;
    const spy = store.putAdvisories.bind(store);
    store.putAdvisories = async (batch) => {
      written += batch.length;
      return spy(batch);
    };
    const second = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['PyPI'], workDir: work });
    expect(second.sources[0]).toMatchObject({ status: 'updated', records: changed.length, written: 2, skipped: changed.length - 2 });
    expect(await modifiedOf(store, 'PyPI')).toBe(after);
    expect(written).toBe(2);
    expect(await store.getDataVersion()).not.toBe(version);

    const third = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['PyPI'], workDir: work });
    expect(third.sources[0]).toMatchObject({ status: 'not-modified', written: 0 });
    expect(bucket.log.at(-1)).toMatchObject({ status: 304, ifNoneMatch: expect.stringMatching(/^"/) });
    expect(written).toBe(2);
    // Unchanged is checked: what `db status` reads to know an ecosystem without new advisories is current.
    expect((await store.getCursor(checkedCursor('PyPI')))! > firstCheck).toBe(true);
  });

  it('continues an import its deadline cut short from the checkpoint on the next run, writing each record once', async () => {
    const store = new MemoryAdvisoryStore();
    const deadline = new AbortController();
    const batches: string[][] = [];
    const put = store.putAdvisories.bind(store);
    store.putAdvisories = async (batch) => {
      batches.push(batch.map((r) => r.id));
      const result = await put(batch);
      // The deadline comes once the second batch is written.
      if (batches.length === 2) deadline.abort(new Error('15 minutes are up'));
      return result;
    };
    const source = () => osvSource('PyPI', { baseUrl: bucket.url, batchSize: 3 });
    const first = await runSources(store, [source(), source()], { workDir: work, signal: deadline.signal });
    expect(first.sources.map((s) => s.status)).toEqual(['interrupted', 'interrupted']);
    expect(first.sources[0].error).toMatch(/deadline: 15 minutes are up/);
    expect(first.sources[1].error).toMatch(/not started/);
    expect(await modifiedOf(store, 'PyPI')).toBeUndefined();
    expect(JSON.parse((await store.getCursor(progressKey('osv:PyPI')))!)).toMatchObject({ files: 6 });

    const second = await runSources(store, [source()], { workDir: work });
    expect(second.sources[0]).toMatchObject({ status: 'updated', written: records.length - 6 });
    const ids = batches.flat();
    expect(ids).toHaveLength(records.length);
    expect(new Set(ids).size).toBe(records.length);
    expect(await modifiedOf(store, 'PyPI')).toBe(newest(records));
    expect(await store.getCursor(progressKey('osv:PyPI'))).toBe('');
  });

  it('reports a missing export and carries on with the other ecosystems', async () => {
    const store = new MemoryAdvisoryStore();
    const result = await updateAdvisories(store, { baseUrl: bucket.url, ecosystems: ['Nope', 'PyPI'], workDir: work });
    expect(result.sources.map((e) => [e.source, e.status])).toEqual([
      ['osv:Nope', 'failed'],
      ['osv:PyPI', 'updated'],
    ]);
    expect(result.sources[0].error).toBe(`GET ${bucket.url}/Nope/all.zip: HTTP 404 Not Found`);
  });

  it('reports the download as it goes, then the records', async () => {
    const store = new MemoryAdvisoryStore();
    const events: string[] = [];
    const size = bucket.files.get('/PyPI/all.zip')!.length;
    await updateAdvisories(store, {
      baseUrl: bucket.url,
      ecosystems: ['PyPI'],
      workDir: work,
      onDownloadProgress: (source, bytes, total) =>
        events.push(`${source.slice(4)} ${bytes === 0 ? 'start' : bytes === total ? 'downloaded' : 'bytes'} ${total}`),
      onProgress: (source, counts) => events.push(`${source.slice(4)} records ${counts.records}`),
    });
    expect(events[0]).toBe('PyPI start undefined');
    expect(events).toContain(`PyPI downloaded ${size}`);
    expect(events.at(-1)).toBe(`PyPI records ${records.length}`);
    expect(events.indexOf(`PyPI downloaded ${size}`)).toBeLessThan(events.indexOf(`PyPI records ${records.length}`));
  });
});
