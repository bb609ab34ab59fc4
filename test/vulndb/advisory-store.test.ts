import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import { LmdbAdvisoryStore } from '../../lib/local/lmdb-advisory-store';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import type { Osv } from '../../lib/vulndb/osv';
import type { AdvisoryStore } from '../../lib/vulndb/store';
import { startDynalite } from '../support/dynalite';

const ITEM_LIMIT = 400 * 1024;

function advisory(id: string, modified: string, pkg: { ecosystem: string; name: string }, fixed = '1.2.3', extra: Partial<Osv> = {}): Osv {
  return {
    id,
    modified,
    aliases: [`CVE-${id}`],
    summary: `problem ${id}`,
    affected: [{ package: pkg, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
    ...extra,
  };
}

const urllib3 = { ecosystem: 'PyPI', name: 'urllib3' };

type Fixture = { store: AdvisoryStore; largestItem: () => number; pageItems: () => number; stop: () => Promise<void> };

const implementations: Array<[string, () => Promise<Fixture>]> = [
  ['in memory', async () => ({ store: new MemoryAdvisoryStore(), largestItem: () => 0, pageItems: () => -1, stop: async () => {} })],
  [
    'DynamoDB (dynalite)',
    async () => {
      const dynamo = await startDynalite();
      let largest = 0;
      let pages = 0;
      const store = new DynamoAdvisoryStore(dynamo.client, 'advisories', {
        onItemWritten: (_pk, sk, bytes) => {
          largest = Math.max(largest, bytes);
          if (sk.startsWith('PAGE|')) pages++;
        },
      });
      await store.ensureTables();
      return { store, largestItem: () => largest, pageItems: () => pages, stop: dynamo.stop };
    },
  ],
  [
    'LMDB (local mode)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'lamina-lmdb-contract-'));
      const store = LmdbAdvisoryStore.open(join(dir, 'advisories.lmdb'));
      const stop = async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      };
      return { store, largestItem: () => 0, pageItems: () => -1, stop };
    },
  ],
];

describe.each(implementations)('advisory store %s', (_name, make) => {
  let fixture: Fixture;
  beforeEach(async () => {
    fixture = await make();
  });
  afterEach(async () => {
    await fixture.stop();
  });

  it('answers every requested package, under its normalised key, with [] when nothing affects it', async () => {
    const { store } = fixture;
    await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3)]);
    const found = await store.findByPackages([
      { ecosystem: 'pypi', name: 'URLLib3' },
      { ecosystem: 'npm', name: 'left-pad' },
    ]);
    expect([...found.keys()]).toEqual(['PyPI|urllib3', 'npm|left-pad']);
    expect(found.get('PyPI|urllib3')!.map((o) => o.id)).toEqual(['A-1']);
    expect(found.get('PyPI|urllib3')![0].affected![0].ranges![0].events).toEqual([{ introduced: '0' }, { fixed: '1.2.3' }]);
    expect(found.get('npm|left-pad')).toEqual([]);
  });

  it('records which ecosystems it holds advisories of, in lookup form, with when each was last written', async () => {
    const { store } = fixture;
    expect((await store.getCoverage()).size).toBe(0);
    const before = Date.now();
    await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3)]);
    await store.putAdvisories([advisory('A-2', '2024-01-01T00:00:00Z', { ecosystem: 'Debian:12.4', name: 'zlib' })]);
    const coverage = await store.getCoverage();
    expect([...coverage.keys()].sort()).toEqual(['Debian:12', 'PyPI']);
    for (const { updated } of coverage.values()) {
      expect(Date.parse(updated)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(updated)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('counts the distinct advisories of each ecosystem as they arrive, move, change and are withdrawn', async () => {
    const { store } = fixture;
    const requests = { ecosystem: 'PyPI', name: 'requests' };
    const zlib12 = { ecosystem: 'Debian:12', name: 'zlib' };
    const records = async () => Object.fromEntries([...(await store.getCoverage())].map(([ecosystem, c]) => [ecosystem, c.records]));
    // A-3 names two PyPI packages and two Debian releases: one advisory each for PyPI, Debian:12 and Debian:11.
    const a3 = advisory('A-3', '2024-01-01T00:00:00Z', urllib3, '1', {
      affected: [urllib3, requests, zlib12, { ecosystem: 'Debian:11', name: 'zlib' }].map((pkg) => ({ package: pkg, versions: ['1.0'] })),
    });
    await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3), advisory('A-2', '2024-01-01T00:00:00Z', requests), a3]);
    expect(await records()).toEqual({ PyPI: 3, 'Debian:12': 1, 'Debian:11': 1 });

    // Rewritten in place, an older copy, an identical copy: the counts stay.
    await store.putAdvisories([advisory('A-1', '2024-02-01T00:00:00Z', urllib3, '2.0'), advisory('A-2', '2023-01-01T00:00:00Z', requests), a3]);
    expect(await records()).toEqual({ PyPI: 3, 'Debian:12': 1, 'Debian:11': 1 });

    // A-1 moves to npm; A-3 drops Debian:11; A-2 is withdrawn.
    const { updated: debian11Before } = (await store.getCoverage()).get('Debian:11')!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.putAdvisories([
      advisory('A-1', '2024-03-01T00:00:00Z', { ecosystem: 'npm', name: 'left-pad' }),
      { ...a3, modified: '2024-03-01T00:00:00Z', affected: a3.affected!.slice(0, 3) },
      advisory('A-2', '2024-03-01T00:00:00Z', requests, '1', { withdrawn: '2024-03-01T00:00:00Z' }),
    ]);
    // An ecosystem left with nothing is still one the store was given data of.
    expect(await records()).toEqual({ PyPI: 1, 'Debian:12': 1, 'Debian:11': 0, npm: 1 });
    expect((await store.getCoverage()).get('Debian:11')!.updated > debian11Before).toBe(true);

    // Withdrawn and brought back by a newer record: counted again.
    await store.putAdvisories([advisory('A-2', '2024-04-01T00:00:00Z', requests)]);
    expect(await records()).toEqual({ PyPI: 2, 'Debian:12': 1, 'Debian:11': 0, npm: 1 });
  });

  it('keeps the newer modified and skips older or identical copies, bumping the data version only on change', async () => {
    const { store } = fixture;
    const v0 = await store.getDataVersion();
    expect(await store.putAdvisories([advisory('A-1', '2024-01-02T00:00:00Z', urllib3, '2.0.0')])).toEqual({ written: 1, skipped: 0 });
    const v1 = await store.getDataVersion();
    expect(v1).not.toBe(v0);
    expect(await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3, '1.0.0')])).toEqual({ written: 0, skipped: 1 });
    expect(await store.putAdvisories([advisory('A-1', '2024-01-02T00:00:00Z', urllib3, '2.0.0')])).toEqual({ written: 0, skipped: 1 });
    expect(await store.getDataVersion()).toBe(v1);
    const fixedIn = async () => (await store.findByPackages([urllib3])).get('PyPI|urllib3')![0].affected![0].ranges![0].events[1].fixed;
    expect(await fixedIn()).toBe('2.0.0');
    await store.putAdvisories([advisory('A-1', '2024-01-02T00:00:00.000001Z', urllib3, '2.0.1')]);
    expect(await fixedIn()).toBe('2.0.1');
    expect(await store.getDataVersion()).not.toBe(v1);
  });

  it('replaces a record with the same modified when its content changed (Go repository records all say 0001-01-01)', async () => {
    const { store } = fixture;
    const go = { ecosystem: 'Go', name: 'golang.org/x/net' };
    await store.putAdvisories([advisory('GO-1', '0001-01-01T00:00:00Z', go, '0.1.0')]);
    expect((await store.putAdvisories([advisory('GO-1', '0001-01-01T00:00:00Z', go, '0.2.0')])).written).toBe(1);
    expect((await store.findByPackages([go])).get('Go|golang.org/x/net')![0].affected![0].ranges![0].events[1].fixed).toBe('0.2.0');
  });

  it('stops matching a withdrawn advisory and does not let an older copy bring it back', async () => {
    const { store } = fixture;
    await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3), advisory('A-2', '2024-01-01T00:00:00Z', urllib3)]);
    await store.putAdvisories([advisory('A-1', '2024-02-01T00:00:00Z', urllib3, '1.2.3', { withdrawn: '2024-02-01T00:00:00Z' })]);
    expect((await store.findByPackages([urllib3])).get('PyPI|urllib3')!.map((o) => o.id)).toEqual(['A-2']);
    expect((await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3)])).written).toBe(0);
    expect((await store.findByPackages([urllib3])).get('PyPI|urllib3')!.map((o) => o.id)).toEqual(['A-2']);
    expect((await store.getAdvisories(['A-1'])).get('A-1')?.withdrawn).toBe('2024-02-01T00:00:00Z');
  });

  it('moves an advisory when a newer version names another package', async () => {
    const { store } = fixture;
    const requests = { ecosystem: 'PyPI', name: 'requests' };
    await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3)]);
    await store.putAdvisories([advisory('A-1', '2024-03-01T00:00:00Z', requests)]);
    const found = await store.findByPackages([urllib3, requests]);
    expect(found.get('PyPI|urllib3')).toEqual([]);
    expect(found.get('PyPI|requests')!.map((o) => o.id)).toEqual(['A-1']);
  });

  it('keeps the full record apart from the lookup copy', async () => {
    const { store } = fixture;
    const details = 'x'.repeat(5000);
    await store.putAdvisories([advisory('A-1', '2024-01-01T00:00:00Z', urllib3, '1', { summary: undefined, details })]);
    const copy = (await store.findByPackages([urllib3])).get('PyPI|urllib3')![0];
    expect(copy.details!.length).toBeLessThan(300);
    expect((await store.getAdvisories(['A-1', 'nope'])).get('A-1')?.details).toBe(details);
    expect((await store.getAdvisories(['A-1', 'nope'])).has('nope')).toBe(false);
  });

  it('round-trips a package with 5,000 advisories, every item under 400 KB', async () => {
    const { store, largestItem, pageItems } = fixture;
    const linux = { ecosystem: 'Debian:12', name: 'linux' };
    const records = Array.from({ length: 5000 }, (_, i) =>
      advisory(`DEBIAN-CVE-2024-${String(i).padStart(5, '0')}`, '2024-05-01T00:00:00Z', linux, `6.1.${i}-1`, {
        summary: `linux: ${'a kernel flaw that lets a local user do something bad '.repeat(3)}${i}`,
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
        references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/CVE-2024-${i}` }],
        affected: [
          {
            package: linux,
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `6.1.${i}-1` }] }],
            versions: Array.from({ length: 40 }, (_, v) => `6.1.${v}-${i % 7}`),
          },
        ],
      }),
    );
    for (let start = 0; start < records.length; start += 1000) await store.putAdvisories(records.slice(start, start + 1000));
    const found = (await store.findByPackages([{ ecosystem: 'debian:12', name: 'linux' }])).get('Debian:12|linux')!;
    expect(found).toHaveLength(5000);
    expect(new Set(found.map((o) => o.id)).size).toBe(5000);
    expect(found.find((o) => o.id === 'DEBIAN-CVE-2024-04321')!.affected![0].ranges![0].events[1].fixed).toBe('6.1.4321-1');
    expect(largestItem()).toBeLessThan(ITEM_LIMIT);
    // The DynamoDB layout really spread the package over sort-key pages.
    if (pageItems() >= 0) expect(pageItems()).toBeGreaterThan(1);
  });

  it('looks up hundreds of packages at once', async () => {
    const { store } = fixture;
    const packages = Array.from({ length: 350 }, (_, i) => ({ ecosystem: 'npm', name: `pkg-${i}` }));
    await store.putAdvisories(packages.map((p, i) => advisory(`N-${i}`, '2024-01-01T00:00:00Z', p)));
    const found = await store.findByPackages([...packages, { ecosystem: 'npm', name: 'absent' }]);
    expect(found.size).toBe(351);
    expect(found.get('npm|pkg-349')!.map((o) => o.id)).toEqual(['N-349']);
  });

  it('hands each package over once as it reads it, with the answers findByPackages gives', async () => {
    const { store } = fixture;
    const packages = Array.from({ length: 120 }, (_, i) => ({ ecosystem: 'npm', name: `pkg-${i}` }));
    await store.putAdvisories(packages.map((p, i) => advisory(`V-${i}`, '2024-01-01T00:00:00Z', p)));
    // The same package twice, in two spellings of its ecosystem, and one nothing affects.
    const asked = [...packages, { ecosystem: 'NPM', name: 'pkg-7' }, { ecosystem: 'npm', name: 'absent' }];
    const visited: Array<[string, string[]]> = [];
    await store.visitPackages(asked, (key, advisories) => visited.push([key, advisories.map((o) => o.id)]));
    expect(visited).toHaveLength(121);
    expect(new Set(visited.map(([key]) => key)).size).toBe(121);
    const found = await store.findByPackages(asked);
    expect(new Map(visited)).toEqual(new Map([...found].map(([key, advisories]) => [key, advisories.map((o) => o.id)])));
    expect(new Map(visited).get('npm|absent')).toEqual([]);
  });

  it('remembers cursors and CVSS vectors, newer NVD data winning', async () => {
    const { store } = fixture;
    expect(await store.getCursor('osv:PyPI')).toBeUndefined();
    await store.setCursor('osv:PyPI', '2024-01-01T00:00:00Z');
    expect(await store.getCursor('osv:PyPI')).toBe('2024-01-01T00:00:00Z');
    const before = await store.getDataVersion();
    const v3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    expect(await store.putCvss('CVE-2024-3094', { v3Vector: v3, lastModified: '2025-01-01T00:00:00.000' })).toBe(true);
    expect(await store.putCvss('CVE-2024-3094', { v3Vector: v3, lastModified: '2025-01-01T00:00:00.000' })).toBe(false);
    expect(await store.putCvss('CVE-2024-3094', { v3Vector: 'CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', lastModified: '2024-01-01T00:00:00.000' })).toBe(
      false,
    );
    const cvss = await store.getCvss(['CVE-2024-3094', 'CVE-0000-0000']);
    expect(cvss.get('CVE-2024-3094')).toEqual({ v3Vector: v3, v31: true, lastModified: '2025-01-01T00:00:00.000' });
    expect(cvss.has('CVE-0000-0000')).toBe(false);
    expect(await store.getDataVersion()).not.toBe(before);
  });
});

describe('DynamoDB advisory store coverage counts', () => {
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  const COVERAGE_KEY = { pk: { S: 'META' }, sk: { S: 'COVERAGE' } };
  const counts = async (store: AdvisoryStore) => Object.fromEntries([...(await store.getCoverage())].map(([ecosystem, c]) => [ecosystem, c.records]));
  const npm = (i: number) => advisory(`N-${i}`, '2024-01-01T00:00:00Z', { ecosystem: 'npm', name: `pkg-${i % 7}` });

  beforeEach(async () => {
    dynamo = await startDynalite();
  });
  afterEach(async () => {
    await dynamo.stop();
  });

  it('adds up the counts of writers working at once', async () => {
    const stores = [0, 1, 2].map(() => new DynamoAdvisoryStore(dynamo.client, 'advisories'));
    await stores[0].ensureTables();
    await Promise.all(
      stores.map(async (store, w) => {
        for (let batch = 0; batch < 4; batch++) {
          await store.putAdvisories(Array.from({ length: 10 }, (_, i) => npm(w * 1000 + batch * 10 + i)));
        }
      }),
    );
    expect(await counts(stores[0])).toEqual({ npm: 120 });
  });

  it('recounts a store whose coverage was recorded before counts, or not at all', async () => {
    const store = new DynamoAdvisoryStore(dynamo.client, 'advisories');
    await store.ensureTables();
    await store.putAdvisories([...Array.from({ length: 5 }, (_, i) => npm(i)), advisory('A-1', '2024-01-01T00:00:00Z', urllib3)]);
    // How a store written before counts were kept holds its coverage: the bare time per ecosystem.
    await dynamo.client.send(
      new PutItemCommand({ TableName: 'advisories', Item: { ...COVERAGE_KEY, ecosystems: { M: { npm: { S: '2024-06-01T00:00:00.000Z' } } } } }),
    );
    expect(await store.getCoverage()).toEqual(new Map([['npm', { updated: '2024-06-01T00:00:00.000Z', records: -1 }]]));
    expect(await store.upgradeCoverage()).toBe(true);
    const upgraded = await store.getCoverage();
    expect(upgraded.get('npm')).toEqual({ updated: '2024-06-01T00:00:00.000Z', records: 5 });
    expect(upgraded.get('PyPI')!.records).toBe(1);
    expect(Date.parse(upgraded.get('PyPI')!.updated)).not.toBeNaN();
    expect(await store.upgradeCoverage()).toBe(false);

    // Before coverage was recorded at all, the next write recounts, its own batch included.
    await dynamo.client.send(new DeleteItemCommand({ TableName: 'advisories', Key: COVERAGE_KEY }));
    await store.putAdvisories([npm(5), advisory('A-1', '2024-02-01T00:00:00Z', { ecosystem: 'Go', name: 'example.com/a' })]);
    expect(await counts(store)).toEqual({ npm: 6, Go: 1, PyPI: 0 });
    await store.putAdvisories([npm(6)]);
    expect(await counts(store)).toEqual({ npm: 7, Go: 1, PyPI: 0 });
  });
});
