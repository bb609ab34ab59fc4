import { readFileSync } from 'node:fs';
import { defaultAnalyzers } from '../../lib/analyzers';
import type { Descriptor, ImageReference } from '../../lib/image/types';
import { layerSelector } from '../../lib/index/indexer';
import { indexImage, type IndexedImage } from '../../lib/index/inventory';
import type { LayerCache } from '../../lib/index/layer-cache';
import { isLayerContentError, readLayer } from '../../lib/layers';
import type { ReadLayerOptions } from '../../lib/layers/types';
import { generatedLayer, peakGrowthMiB, type GeneratedEntry } from '../layers/generated-layers';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';
import { JsonLayerCache, MemorySource, resolvedFrom } from '../support/memory-layers';

const MIB = 1024 * 1024;
const reference: ImageReference = { registry: 'registry.test', remote: 'team/app', tag: 'v1', fullName: 'registry.test/team/app:v1' };

const DEBIAN = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const CENTOS = 'NAME="CentOS Stream"\nID="centos"\nVERSION_ID="8"\nID_LIKE="rhel fedora"\nPRETTY_NAME="CentOS Stream 8"\n';

function stanza(name: string, version: string): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\n`;
}
const BASE_STATUS = stanza('base-files', '12.4') + stanza('libc6', '2.36-9') + stanza('openssl', '3.0.11-1');

async function scan(layers: GeneratedEntry[][], options: { cache?: LayerCache; readOptions?: ReadLayerOptions } = {}): Promise<IndexedImage> {
  const source = new MemorySource();
  const descriptors: Descriptor[] = [];
  for (const entries of layers) descriptors.push(source.add(await generatedLayer(entries)));
  const resolved = resolvedFrom(source, descriptors, reference);
  return indexImage(
    resolved,
    {
      source,
      readLayer,
      layerCache: options.cache ?? new JsonLayerCache(),
      analyzers: defaultAnalyzers(),
      isContentError: isLayerContentError,
      readOptions: options.readOptions,
    },
    { historyIndex: descriptors.map((_, index) => index), concurrency: 1 },
  );
}

const names = (image: IndexedImage): string[] => image.inventory.packages.map((pkg) => `${pkg.name}=${pkg.version}`).sort();

describe('a package database over its size limit', () => {
  const lower: GeneratedEntry[] = [
    { name: 'etc/os-release', content: DEBIAN },
    { name: 'var/lib/dpkg/status', content: BASE_STATUS },
  ];
  // The dpkg status limit is 64 MiB; the file replaces the lower layer's status and cannot be read.
  const upper: GeneratedEntry[] = [{ name: 'var/lib/dpkg/status', size: 64 * MIB + 1 }];

  it("still replaces the lower layers' database: their packages are not reported as current, and the scan is partial", async () => {
    const image = await scan([lower, upper]);
    expect(image.inventory.os?.id).toBe('debian');
    expect(names(image)).toEqual([]);
    expect(image.inventory.partial).toBe(true);
    expect(image.inventory.warnings).toContainEqual(
      expect.stringMatching(/^dpkg: var\/lib\/dpkg\/status was not read \(67108865 bytes exceeds the 64 MiB limit for this file\)/),
    );
  });

  it('the same from the layer cache', async () => {
    const cache = new JsonLayerCache();
    await scan([lower, upper], { cache });
    const again = await scan([lower, upper], { cache });
    expect(again.layersFromCache).toBe(2);
    expect(names(again)).toEqual([]);
    expect(again.inventory.partial).toBe(true);
    expect(again.inventory.warnings).toContainEqual(expect.stringContaining('var/lib/dpkg/status was not read'));
  });

  it('a symlink at the database path to a file of the layer that was not read is not read either', async () => {
    const image = await scan([
      lower,
      [
        // A distroless stanza file is wanted up to 16 MiB.
        { name: 'var/lib/dpkg/status.d/big', size: 16 * MIB + 1 },
        { name: 'var/lib/dpkg/status', symlink: 'status.d/big' },
      ],
    ]);
    expect(names(image)).toEqual([]);
    expect(image.inventory.partial).toBe(true);
    expect(image.inventory.warnings).toContainEqual(
      expect.stringMatching(
        /^dpkg: var\/lib\/dpkg\/status was not read \(symbolic link to var\/lib\/dpkg\/status.d\/big, which was not read: 16777217 bytes exceeds/,
      ),
    );
  });

  it('a complete scan stays complete: the lower status is replaced by a readable one', async () => {
    const image = await scan([lower, [{ name: 'var/lib/dpkg/status', content: stanza('base-files', '12.5') }]]);
    expect(names(image)).toEqual(['base-files=12.5']);
    expect(image.inventory.partial).toBe(false);
    expect(image.inventory.warnings).toEqual([]);
  });
});

describe('a damaged dpkg status', () => {
  it('is reported partial with a warning naming the file', async () => {
    const garbage = Buffer.alloc(20_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    const image = await scan([
      [
        { name: 'etc/os-release', content: DEBIAN },
        { name: 'var/lib/dpkg/status', content: garbage },
      ],
    ]);
    expect(image.inventory.os?.id).toBe('debian');
    expect(names(image)).toEqual([]);
    expect(image.inventory.partial).toBe(true);
    expect(image.inventory.warnings).toContainEqual(expect.stringMatching(/^dpkg: var\/lib\/dpkg\/status: \d+ malformed line/));
  });
});

const BDB = ['rpm-bdb/go-rpmdb-libuuid', 'var/lib/rpm/Packages'] as const;
const SQLITE = ['rpm-sqlite/go-rpmdb-cbl-mariner-2.0', 'var/lib/rpm/rpmdb.sqlite'] as const;
const fixture = ([name, path]: readonly [string, string]): Buffer => readFileSync(peerFixture('pkgdb', name, 'rootfs', path));

describeWithShared('damaged rpm databases make the scan partial', () => {
  const centos = (path: string, db: Buffer): GeneratedEntry[] => [
    { name: 'etc/os-release', content: CENTOS },
    { name: path, content: db },
  ];

  it('the fixtures themselves give packages and a complete scan', async () => {
    for (const db of [BDB, SQLITE]) {
      const image = await scan([centos(db[1], fixture(db))]);
      expect(image.inventory.packages.length).toBeGreaterThan(0);
      expect(image.inventory.partial).toBe(false);
    }
  });

  it.each([
    ['a Berkeley DB cut short', BDB, (db: Buffer) => db.subarray(0, 16384), /Berkeley DB file is truncated/],
    [
      'a Berkeley DB whose metadata page lost its page count',
      BDB,
      (db: Buffer) => {
        const copy = Buffer.from(db);
        copy.writeUInt32LE(0, 32);
        return copy;
      },
      /Berkeley DB file has no hash pages/,
    ],
    ['a Berkeley DB with its package header garbled', BDB, (db: Buffer) => garbleHeaders(db), /unreadable package header|overflow|hash page/],
    ['an SQLite database cut short', SQLITE, (db: Buffer) => db.subarray(0, 8192), /SQLite database is damaged/],
    ['an SQLite database missing its last page', SQLITE, (db: Buffer) => db.subarray(0, db.length - 4096), /SQLite database is damaged/],
    [
      'an SQLite database with its schema page garbled',
      SQLITE,
      (db: Buffer) => {
        const copy = Buffer.from(db);
        copy.fill(0xa5, 100, 4096);
        return copy;
      },
      /SQLite database is damaged|no Packages table/,
    ],
  ])('%s: OS found, a warning naming the file, partial', async (_label, db, damage, why) => {
    const image = await scan([centos(db[1], damage(fixture(db)))]);
    expect(image.inventory.os?.id).toBe('centos');
    expect(image.inventory.partial).toBe(true);
    const warning = image.inventory.warnings.find((line) => line.startsWith(`rpm: ${db[1]}: `));
    expect(warning).toMatch(why);
  });

  it('a damaged database above a good one: the lower packages are not reported as current', async () => {
    const image = await scan([centos(BDB[1], fixture(BDB)), [{ name: BDB[1], content: fixture(BDB).subarray(0, 16384) }]]);
    expect(image.inventory.packages).toEqual([]);
    expect(image.inventory.partial).toBe(true);
  });
});

/** Overwrites the start of every overflow page's data (page type 7): the rpm header blobs begin there. */
function garbleHeaders(source: Buffer): Buffer {
  const copy = Buffer.from(source);
  const pageSize = copy.readUInt32LE(20);
  for (let at = pageSize; at + pageSize <= copy.length; at += pageSize) {
    if (copy[at + 25] === 7) copy.fill(0xff, at + 26, at + 42);
  }
  return copy;
}

describe('layers of huge wanted files are read within bounds', () => {
  const base: GeneratedEntry[] = [
    { name: 'etc/os-release', content: DEBIAN },
    { name: 'var/lib/dpkg/status', content: BASE_STATUS },
    { name: 'var/lib/dpkg/info/libc6:amd64.list', content: '/.\n/lib/x86_64-linux-gnu/libc.so.6\n' },
  ];

  it('four 64 MiB dpkg file lists (a layer of about a MiB) are not read, and the scan says so', async () => {
    let image: IndexedImage | undefined;
    const growth = await peakGrowthMiB(async () => {
      image = await scan([base, Array.from({ length: 4 }, (_, i) => ({ name: `var/lib/dpkg/info/fake${i}.list`, size: 64 * MIB }))]);
      // The inventory must still serialise (a scan answer, a cache entry).
      expect(JSON.stringify(image.inventory).length).toBeLessThan(MIB);
    });
    expect(names(image!)).toEqual(['base-files=12.4', 'libc6=2.36-9', 'openssl=3.0.11-1']);
    expect(image!.inventory.partial).toBe(true);
    expect(image!.inventory.warnings.filter((line) => /info\/fake\d\.list was not read \(67108864 bytes exceeds the 16 MiB limit/.test(line))).toHaveLength(4);
    // Reading them all took over 2 GiB: a coarse bound, far above what the scan needs.
    if (growth !== undefined) expect(growth).toBeLessThan(1024);
  });

  it("forty 16 MiB file lists: what is past the layer's 256 MiB budget is not read, and the scan says so", async () => {
    let image: IndexedImage | undefined;
    const growth = await peakGrowthMiB(async () => {
      image = await scan([base, Array.from({ length: 40 }, (_, i) => ({ name: `var/lib/dpkg/info/fake${String(i).padStart(2, '0')}.list`, size: 16 * MIB }))]);
      expect(JSON.stringify(image.inventory).length).toBeLessThan(MIB);
    });
    expect(names(image!)).toEqual(['base-files=12.4', 'libc6=2.36-9', 'openssl=3.0.11-1']);
    expect(image!.inventory.partial).toBe(true);
    const skipped = image!.inventory.warnings.filter((line) => line.includes("the layer's 256 MiB budget for wanted files was spent before it"));
    // 15 of them fit in 256 MiB with their 512-byte overhead; notes stop at 20 with a count of the rest.
    expect(skipped).toHaveLength(20);
    expect(skipped[0]).toMatch(/^dpkg: var\/lib\/dpkg\/info\/fake15\.list was not read/);
    expect(image!.inventory.warnings).toContain('dpkg: 5 more wanted files of this layer were not read');
    if (growth !== undefined) expect(growth).toBeLessThan(1024);
  });

  it('the budget is an option of the layer reader', async () => {
    const image = await scan([base, [{ name: 'var/lib/dpkg/status', content: stanza('curl', '7.88') }]], { readOptions: { maxWantedBytes: 1024 } });
    // The first layer's os-release fits; its status does not, nor anything after it. Each layer has a budget of its
    // own: the second one's status is read, and replaces the first one's.
    expect(image.inventory.os?.id).toBe('debian');
    expect(names(image)).toEqual(['curl=7.88']);
    expect(image.inventory.partial).toBe(true);
    expect(image.inventory.warnings).toContainEqual(expect.stringMatching(/^dpkg: var\/lib\/dpkg\/status was not read \(the layer's 1 KiB budget/));
  });
});

describe('what analysers make of a layer is bounded too', () => {
  it('file lists of one-letter lines: past 2 million owned paths in a layer the rest are left out, and the scan is partial', async () => {
    // 1.2 million lines of 3 bytes each: 3.6 MB, well within every byte limit.
    const list = Buffer.from('/a\n'.repeat(1_200_000));
    const image = await scan([
      [
        { name: 'etc/os-release', content: DEBIAN },
        { name: 'var/lib/dpkg/status', content: BASE_STATUS },
        { name: 'var/lib/dpkg/info/x.list', content: list },
        { name: 'var/lib/dpkg/info/y.list', content: list },
      ],
    ]);
    expect(names(image)).toEqual(['base-files=12.4', 'libc6=2.36-9', 'openssl=3.0.11-1']);
    expect(image.inventory.partial).toBe(true);
    expect(image.inventory.warnings).toEqual(["dpkg: var/lib/dpkg/info/y.list: the layer's file lists name more than 2000000 paths; the rest are left out"]);
  });
});

describe('per-path limits', () => {
  it('dpkg file lists and stanza files are read up to 16 MiB, the status file up to 64 MiB, other paths as before', () => {
    const selector = layerSelector(defaultAnalyzers());
    expect(selector.limitFor('var/lib/dpkg/status')).toBe(64 * MIB);
    expect(selector.limitFor('var/lib/dpkg/info/bash.list')).toBe(16 * MIB);
    expect(selector.limitFor('var/lib/dpkg/status.d/base-files.md5sums')).toBe(16 * MIB);
    expect(selector.limitFor('var/lib/rpm/Packages')).toBe(256 * MIB);
    expect(selector.limitFor('etc/os-release')).toBe(64 * 1024);
    expect(selector.limitFor('usr/bin/bash')).toBeUndefined();
  });
});
