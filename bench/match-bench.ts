// Part of `npm run bench`: advisory import throughput, and matching a 500-package inventory against a warm store
// of ≥ 100,000 advisories, with the store's own lookup of the same packages as the floor.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ZipFile } from 'yazl';
import type { OsPackage } from '../lib/analyzers/types';
import { packagesOf } from '../lib/index/packages';
import type { Inventory } from '../lib/index/types';
import { componentsOf } from '../lib/stackrox/components';
import { DynamoAdvisoryStore } from '../lib/aws/dynamo-advisory-store';
import { CachedAdvisoryStore } from '../lib/vulndb/cached-store';
import { startEmbeddedDynamo } from '../lib/local/embedded-dynamo';
import { importAdvisories } from '../lib/vulndb/import';
import { matchInventory } from '../lib/vulndb/matcher';
import type { Osv } from '../lib/vulndb/osv';
import { queryFor } from '../lib/vulndb/package-keys';
import type { AdvisoryReader } from '../lib/vulndb/store';

const ADVISORIES = Number(process.env.BENCH_ADVISORIES ?? 100_000);
const SOURCES = Number(process.env.BENCH_SOURCES ?? 5_000);
const INVENTORY = 500;
const ROUNDS = 7;
const DEBIAN_12 = { id: 'debian', versionId: '12' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Advisory `n`: source package n % SOURCES, fixed in revision `n / SOURCES` of 1.0, one in ten unfixed. */
function advisory(n: number): Osv {
  const pkg = `src${n % SOURCES}`;
  const revision = Math.floor(n / SOURCES);
  const cve = `CVE-2025-${String(10_000 + n)}`;
  const events = n % 10 === 0 ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed: `1.0-${revision + 1}` }];
  return {
    id: `DEBIAN-${cve}`,
    modified: '2026-01-01T00:00:00Z',
    published: '2025-06-01T00:00:00Z',
    upstream: [cve],
    details: `Generated advisory ${n} for ${pkg}: a buffer overflow in the parser allows remote attackers to cause a denial of service.`,
    severity: n % 3 === 0 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] : undefined,
    affected: [{ package: { ecosystem: 'Debian:12', name: pkg }, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: { urgency: 'medium' } }],
  };
}

async function writeExport(path: string): Promise<void> {
  const zip = new ZipFile();
  for (let n = 0; n < ADVISORIES; n++) {
    const record = advisory(n);
    zip.addBuffer(Buffer.from(JSON.stringify(record)), `${record.id}.json`);
  }
  zip.end();
  await new Promise<void>((done, fail) => zip.outputStream.pipe(createWriteStream(path)).on('close', done).on('error', fail));
}

function inventory(): Inventory {
  const records: OsPackage[] = [];
  for (let i = 0; i < INVENTORY; i++) {
    const source = `src${(i * 7) % SOURCES}`;
    const version = `1.0-${(i % 25) + 1}`;
    records.push({ manager: 'dpkg', name: `lib${source}`, version, sourceName: source, sourceVersion: version });
  }
  const packages = packagesOf(
    records.map((pkg) => ({ pkg, path: 'var/lib/dpkg/status', layer: 0, analyzer: 'dpkg' })),
    DEBIAN_12,
    [],
    [0],
  );
  return { os: DEBIAN_12, packages, partial: false, warnings: [] };
}

/** What a scan does after indexing: match, then render the StackRox components. */
async function matchAndRender(inv: Inventory, store: AdvisoryReader, now: Date) {
  const match = await matchInventory(inv, store);
  return { ...match, components: componentsOf(inv, match.findings, { now }) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-match-bench-'));
  const dynamo = await startEmbeddedDynamo();
  try {
    const zipPath = join(dir, 'all.zip');
    const exportStarted = performance.now();
    await writeExport(zipPath);
    console.log(`export: ${ADVISORIES} generated OSV records zipped in ${((performance.now() - exportStarted) / 1000).toFixed(1)} s`);
    const store = new DynamoAdvisoryStore(dynamo.client, 'advisories');
    await store.ensureTables();

    const imported = await importAdvisories(zipPath, store);
    console.log(
      `import: ${imported.records} OSV records in ${imported.seconds.toFixed(1)} s = ${Math.round(imported.records / imported.seconds)} records/s (embedded DynamoDB)`,
    );

    const inv = inventory();
    const refs = inv.packages.map((p) => queryFor(p, inv)!).map((q) => ({ ecosystem: q.ecosystem, name: q.name }));
    const now = new Date();
    await matchAndRender(inv, store, now); // warm-up: connections, JIT
    const lookups: number[] = [];
    const matches: number[] = [];
    let vulns = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      await store.findByPackages(refs);
      lookups.push(performance.now() - started);
      started = performance.now();
      const result = await matchAndRender(inv, store, now);
      matches.push(performance.now() - started);
      vulns = result.components.reduce((sum, c) => sum + c.vulns.length, 0);
    }
    // As the service runs it: lookups cached per data version for the life of the process (a warm Lambda container).
    const cached = new CachedAdvisoryStore(store);
    await matchAndRender(inv, cached, now);
    const warm: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      await matchAndRender(inv, cached, now);
      warm.push(performance.now() - started);
    }
    const floor = median(lookups);
    const match = median(matches);
    console.log(`match: ${INVENTORY} packages against ${ADVISORIES} advisories, ${vulns} vulnerabilities found`);
    console.log(`floor (the store's lookup of the same packages): ${floor.toFixed(0)} ms (median of ${ROUNDS})`);
    console.log(`match (lookup, version ranges, CVSS, fields):    ${match.toFixed(0)} ms (median of ${ROUNDS}; target < 200 ms)`);
    console.log(`ratio match/floor:                               ${(match / floor).toFixed(2)}`);
    console.log(
      `match with the service's per-version cache warm: ${median(warm).toFixed(0)} ms (median of ${ROUNDS}; the data version is still read each time)`,
    );
  } finally {
    await dynamo.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
