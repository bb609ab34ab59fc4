import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import { LmdbAdvisoryStore } from '../../lib/local/lmdb-advisory-store';
import { localAdvisoriesPath, localTablesFromEnv, openDataDirectoryDynamo, openLocalAdvisoryStore } from '../../lib/local/data-directory';
import type { Osv } from '../../lib/vulndb/osv';

/*
 * What the contract suite (test/vulndb/advisory-store.test.ts) cannot say about local mode's LMDB store: it persists,
 * every process that opens the file sees what the others committed, a writer killed mid-import leaves whole batches,
 * and a data directory whose advisories an earlier lamina kept in the embedded DynamoDB gets them copied across once.
 */

const ROOT = resolve(__dirname, '../..');
const BATCH = 500;

function debian(i: number, modified = '2025-01-01T00:00:00Z', extra: Partial<Osv> = {}): Osv {
  return {
    id: `DEBIAN-CVE-2099-${String(i).padStart(6, '0')}`,
    modified,
    upstream: [`CVE-2099-${i}`],
    affected: [
      { package: { ecosystem: 'Debian:12', name: `pkg${i % 50}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.0-${i}` }] }] },
    ],
    ...extra,
  };
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => debian(from + i).id);

describe('LMDB advisory store', () => {
  let dir: string;
  let path: string;
  const opened: LmdbAdvisoryStore[] = [];
  const openStore = () => {
    const store = LmdbAdvisoryStore.open(path);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lamina-lmdb-'));
    path = join(dir, 'advisories.lmdb');
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps advisories, CVSS, cursors, coverage and the data version across reopening', async () => {
    const first = openStore();
    await first.putAdvisories([debian(1), debian(2, '2025-01-01T00:00:00Z', { withdrawn: '2025-02-01T00:00:00Z' })]);
    await first.putCvss('CVE-2099-1', { v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    await first.setCursor('osv:Debian:modified', '2025-01-01T00:00:00Z');
    const version = await first.getDataVersion();
    const coverage = await first.getCoverage();
    await first.close();
    opened.splice(0);

    const reopened = openStore();
    expect(await reopened.getDataVersion()).toBe(version);
    expect(await reopened.getCoverage()).toEqual(coverage);
    expect(coverage.get('Debian:12')?.records).toBe(1);
    expect((await reopened.findByPackages([{ ecosystem: 'Debian:12', name: 'pkg1' }])).get('Debian:12|pkg1')!.map((o) => o.id)).toEqual([debian(1).id]);
    expect((await reopened.getAdvisories([debian(2).id])).get(debian(2).id)?.withdrawn).toBe('2025-02-01T00:00:00Z');
    expect((await reopened.getCvss(['CVE-2099-1'])).get('CVE-2099-1')?.v31).toBe(true);
    expect(await reopened.getCursor('osv:Debian:modified')).toBe('2025-01-01T00:00:00Z');
    // An older copy is still recognised as one after reopening.
    expect(await reopened.putAdvisories([debian(1, '2024-01-01T00:00:00Z')])).toEqual({ written: 0, skipped: 1 });
  });

  it('lets two stores on one file see each other’s committed writes, the data version included', async () => {
    const a = openStore();
    const b = openStore();
    const before = await b.getDataVersion();
    await a.putAdvisories([debian(1)]);
    expect(await b.getDataVersion()).not.toBe(before);
    expect((await b.findByPackages([{ ecosystem: 'Debian:12', name: 'pkg1' }])).get('Debian:12|pkg1')).toHaveLength(1);
    // Writes are ordered against what the other committed: b's older copy loses, its newer one wins.
    expect((await b.putAdvisories([debian(1, '2024-06-01T00:00:00Z')])).written).toBe(0);
    expect((await b.putAdvisories([debian(1, '2025-06-01T00:00:00Z'), debian(2)])).written).toBe(2);
    await b.setCursor('osv:Debian:etag', '"abc"');
    expect(await a.getCursor('osv:Debian:etag')).toBe('"abc"');
    expect((await a.getCoverage()).get('Debian:12')?.records).toBe(2);
    expect((await a.getAdvisories([debian(1).id])).get(debian(1).id)?.modified).toBe('2025-06-01T00:00:00Z');
  });

  it('decodes records and copies of shapes another store wrote after this one last read (the record shapes are shared)', async () => {
    const a = openStore();
    const b = openStore();
    const pkg = { ecosystem: 'npm', name: 'left-pad' };
    const shaped = (i: number, writer: string): Osv => ({
      id: `GHSA-${writer}-${i}`,
      modified: '2025-01-01T00:00:00Z',
      ...(i % 2 ? { summary: 'a summary', aliases: [`CVE-2099-${i}`] } : { details: 'details', related: ['OTHER-1'] }),
      database_specific: { [`${writer}${i}`]: { nested: i } },
      affected: [{ package: pkg, versions: [`1.0.${i}`], ecosystem_specific: { [`${writer}-field-${i}`]: i } }],
    });
    const written: Osv[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [writer, store] of [['a', a] as const, ['b', b] as const]) {
        const osv = shaped(i, writer);
        await store.putAdvisories([osv]);
        written.push(osv);
        const reader = store === a ? b : a;
        await reader.getDataVersion();
        const copy = (await reader.findByPackages([pkg])).get('npm|left-pad')!.find((o) => o.id === osv.id);
        expect(copy?.database_specific).toEqual(osv.database_specific);
        expect(copy?.affected).toEqual(osv.affected);
        expect((await reader.getAdvisories([osv.id])).get(osv.id)).toEqual(osv);
      }
    }
    expect((await a.findByPackages([pkg])).get('npm|left-pad')!.map((o) => o.id)).toEqual(written.map((o) => o.id).sort());
  });

  it('leaves whole batches only when an importing process is killed with SIGKILL, and stays writable', async () => {
    const script = join(dir, 'import-forever.ts');
    await writeFile(
      script,
      [
        `import { LmdbAdvisoryStore } from ${JSON.stringify(join(ROOT, 'lib/local/lmdb-advisory-store'))};`,
        `const store = LmdbAdvisoryStore.open(${JSON.stringify(path)});`,
        `const debian = ${debian.toString()};`,
        'void (async () => {',
        `  for (let batch = 0; batch < 10_000; batch++) {`,
        `    await store.putAdvisories(Array.from({ length: ${BATCH} }, (_, i) => debian(batch * ${BATCH} + i)));`,
        '    process.stdout.write(`committed ${batch + 1}\\n`);',
        '  }',
        '})();',
      ].join('\n'),
    );
    const reader = openStore();
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
    let seenWhileRunning = 0;
    await new Promise<void>((done, fail) => {
      child.once('exit', () => fail(new Error(`the importer exited before it was killed: ${stderr}`)));
      createInterface({ input: child.stdout }).on('line', async (line) => {
        const committed = Number(/^committed (\d+)$/.exec(line)?.[1] ?? 0);
        if (committed < 3) return;
        // Another process's commit is visible here as soon as it is reported.
        const coverage = (await reader.getCoverage()).get('Debian:12');
        seenWhileRunning = Math.max(seenWhileRunning, coverage?.records ?? 0);
        if (committed === 5) done();
      });
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(seenWhileRunning).toBeGreaterThanOrEqual(3 * BATCH);

    const records = (await reader.getCoverage()).get('Debian:12')!.records;
    expect(records % BATCH).toBe(0);
    expect(records).toBeGreaterThanOrEqual(5 * BATCH);
    // Every advisory of a committed batch is there with its full record and its lookup copy; none of the next batch is.
    expect((await reader.getAdvisories(ids(0, records + BATCH))).size).toBe(records);
    const packages = Array.from({ length: 50 }, (_, i) => ({ ecosystem: 'Debian:12', name: `pkg${i}` }));
    const copies = [...(await reader.findByPackages(packages)).values()].reduce((sum, list) => sum + list.length, 0);
    expect(copies).toBe(records);

    const after = openStore();
    expect(await after.putAdvisories([debian(records), debian(0, '2026-01-01T00:00:00Z')])).toEqual({ written: 2, skipped: 0 });
    expect((await reader.getCoverage()).get('Debian:12')!.records).toBe(records + 1);
  }, 60_000);
});

describe('a data directory whose advisories an earlier lamina kept in the embedded DynamoDB', () => {
  let dataDir: string;
  const table = localTablesFromEnv({}).advisories;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-lmdb-migrate-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Incompressible text: the DynamoDB store trims a record whose gzip exceeds an item, dropping its version lists. */
  const huge = () => randomBytes(330 * 1024).toString('base64');

  it('copies advisories, CVSS, cursors, coverage and the data version across once', async () => {
    const dynamo = await openDataDirectoryDynamo(dataDir);
    const legacy = new DynamoAdvisoryStore(dynamo.client, table);
    await legacy.ensureTables();
    const listed = { ecosystem: 'npm', name: 'listed' };
    await legacy.putAdvisories([
      debian(1),
      debian(2),
      debian(3, '2025-01-01T00:00:00Z', { withdrawn: '2025-01-02T00:00:00Z' }),
      { id: 'GHSA-huge', modified: '2025-01-01T00:00:00Z', details: huge(), affected: [{ package: listed, versions: ['1.0.0', '1.0.1'] }] },
    ]);
    await legacy.putCvss('CVE-2099-1', { v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', lastModified: '2025-01-01T00:00:00.000' });
    await legacy.setCursor('osv:Debian:modified', '2025-01-01T00:00:00Z');
    const version = await legacy.getDataVersion();
    const coverage = await legacy.getCoverage();
    expect((await legacy.getAdvisories(['GHSA-huge'])).get('GHSA-huge')?.database_specific?.lamina_trimmed).toBe(true);
    await dynamo.stop();

    const notices: string[] = [];
    const store = await openLocalAdvisoryStore(dataDir, { notice: (line) => notices.push(line) });
    try {
      expect(notices).toEqual([expect.stringMatching(/^copying the advisories from the embedded DynamoDB/), expect.stringMatching(/^copied 4 advisories in /)]);
      expect(await store.getDataVersion()).toBe(version);
      expect(await store.getCoverage()).toEqual(
        new Map([
          ['Debian:12', { updated: coverage.get('Debian:12')!.updated, records: 2 }],
          ['npm', { updated: coverage.get('npm')!.updated, records: 1 }],
        ]),
      );
      const found = await store.findByPackages([{ ecosystem: 'Debian:12', name: 'pkg1' }, { ecosystem: 'Debian:12', name: 'pkg3' }, listed]);
      expect(found.get('Debian:12|pkg1')!.map((o) => o.id)).toEqual([debian(1).id]);
      expect(found.get('Debian:12|pkg3')).toEqual([]);
      // The trimmed record's lookup copy still lists the versions its stored record lost.
      expect(found.get('npm|listed')![0].affected![0].versions).toEqual(['1.0.0', '1.0.1']);
      expect((await store.getAdvisories([debian(3).id])).get(debian(3).id)?.withdrawn).toBe('2025-01-02T00:00:00Z');
      expect(await store.getCvss(['CVE-2099-1'])).toEqual(
        new Map([['CVE-2099-1', { v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', v31: true, lastModified: '2025-01-01T00:00:00.000' }]]),
      );
      expect(await store.getCursor('osv:Debian:modified')).toBe('2025-01-01T00:00:00Z');
      // Re-importing what was copied changes nothing.
      expect(await store.putAdvisories([debian(1), debian(2)])).toEqual({ written: 0, skipped: 2 });
    } finally {
      await store.close();
    }

    const again = await openLocalAdvisoryStore(dataDir, { notice: (line) => notices.push(line) });
    await again.close();
    expect(notices).toHaveLength(2);
  }, 60_000);

  it('copies nothing, and does not look again, when the embedded DynamoDB holds no advisories', async () => {
    const dynamo = await openDataDirectoryDynamo(dataDir);
    await new DynamoAdvisoryStore(dynamo.client, table).ensureTables();
    await dynamo.stop();
    const notices: string[] = [];
    const store = await openLocalAdvisoryStore(dataDir, { notice: (line) => notices.push(line) });
    expect(await store.getDataVersion()).toBe('0');
    expect(store.legacyCopyPending()).toBe(false);
    await store.close();
    expect(notices).toEqual([]);
    expect(localAdvisoriesPath(dataDir)).toBe(join(dataDir, 'advisories.lmdb'));
  });
});
