// Part of `npm run bench`: advisory import throughput into local mode's store (LMDB), against the embedded DynamoDB
// it replaced on a sample, and matching a 2,000-package inventory against ≥ 300,000 advisories, with the store's own
// lookup of the same packages as the floor. Sizes: BENCH_ADVISORIES, BENCH_INVENTORY, BENCH_DYNAMO_SAMPLE (0: skip).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { PackageRecord } from '../lib/analyzers/types';
import { DynamoAdvisoryStore } from '../lib/aws/dynamo-advisory-store';
import { packagesOf } from '../lib/index/packages';
import type { Inventory } from '../lib/index/types';
import { startEmbeddedDynamo } from '../lib/local/embedded-dynamo';
import { LmdbAdvisoryStore } from '../lib/local/lmdb-advisory-store';
import { componentsOf } from '../lib/stackrox/components';
import { CachedAdvisoryStore } from '../lib/vulndb/cached-store';
import { importAdvisories } from '../lib/vulndb/import';
import { matchInventory } from '../lib/vulndb/matcher';
import type { Osv } from '../lib/vulndb/osv';
import { queryFor } from '../lib/vulndb/package-keys';
import type { AdvisoryReader, AdvisoryStore } from '../lib/vulndb/store';

const ADVISORIES = Number(process.env.BENCH_ADVISORIES ?? 300_000);
const INVENTORY = Number(process.env.BENCH_INVENTORY ?? 2_000);
const DYNAMO_SAMPLE = Number(process.env.BENCH_DYNAMO_SAMPLE ?? 2_000);
const ROUNDS = 7;
const DEBIAN_12 = { id: 'debian', versionId: '12' };

/**
 * How OSV's full export splits, roughly: a fifth distribution advisories, two fifths npm (half of them malicious-package
 * reports naming one package each), the rest PyPI, Maven and Go.
 */
const KINDS = ['debian', 'debian', 'npm', 'npm', 'malicious', 'malicious', 'pypi', 'pypi', 'maven', 'go'] as const;
type Kind = (typeof KINDS)[number];
/** Distinct packages per kind (about 12 advisories per Debian source package, as Debian 12 has); the inventory takes its packages from these. */
const PACKAGES: Record<Kind, number> = { debian: 5_000, npm: 20_000, malicious: 50_000, pypi: 10_000, maven: 10_000, go: 10_000 };
/** An inventory's share of each kind, as in an application image on Debian. */
const INVENTORY_SHARE: Partial<Record<Kind, number>> = { debian: 0.6, npm: 0.25, pypi: 0.1, maven: 0.05 };
/** Records per zip: OSV publishes one per ecosystem, and one zip of several hundred thousand entries takes yazl minutes. */
const SHARD = 50_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function packageName(kind: Kind, i: number): string {
  switch (kind) {
    case 'debian':
      return `src${i}`;
    case 'npm':
      return i % 4 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`;
    case 'malicious':
      return `typo-pkg-${i}`;
    case 'pypi':
      return `py-lib-${i}`;
    case 'maven':
      return `org.example${i % 53}:artifact-${i}`;
    case 'go':
      return `github.com/example${i % 89}/module-${i}`;
  }
}

const ECOSYSTEM: Record<Kind, string> = { debian: 'Debian:12', npm: 'npm', malicious: 'npm', pypi: 'PyPI', maven: 'Maven', go: 'Go' };
const LONG_TEXT =
  'An issue in the request parser allows a remote attacker to cause a denial of service or possibly execute code via a crafted ' +
  'header. The flaw is caused by improper validation of the length field before copying into a fixed-size buffer. ';

function references(cve: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({ type: i === 0 ? 'ADVISORY' : 'WEB', url: `https://example.org/advisories/${cve}/${i}` }));
}

/** Advisory `n` of kind KINDS[n % 10], for package `k % PACKAGES[kind]`, fixed in a revision that grows with `k`. */
function advisory(n: number): Osv {
  const kind = KINDS[n % KINDS.length];
  const k = Math.floor(n / KINDS.length);
  const name = packageName(kind, k % PACKAGES[kind]);
  const revision = Math.floor(k / PACKAGES[kind]);
  const cve = `CVE-2025-${String(10_000 + n)}`;
  const unfixed = k % 10 === 3;
  const severity = n % 3 === 0 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] : undefined;
  const base = { modified: '2026-01-01T00:00:00Z', published: '2025-06-01T00:00:00Z' };
  const pkg = { ecosystem: ECOSYSTEM[kind], name };
  if (kind === 'debian') {
    const events = unfixed ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed: `1.0-${revision + 1}` }];
    return {
      ...base,
      id: `DEBIAN-${cve}`,
      upstream: [cve],
      details: `Generated advisory ${n} for ${name}: ${LONG_TEXT}`,
      severity,
      affected: [{ package: pkg, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: { urgency: 'medium' } }],
    };
  }
  if (kind === 'malicious') {
    return {
      ...base,
      id: `MAL-2025-${n}`,
      summary: `Malicious code in ${name} (npm)`,
      details: '\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\nThe package runs an install script.',
      affected: [{ package: pkg, versions: ['1.0.0', '1.0.1'], database_specific: { source: 'https://github.com/ossf/malicious-packages' } }],
      database_specific: { 'malicious-packages-origins': [{ source: 'ossf-package-analysis', sha256: 'a'.repeat(64) }] },
    };
  }
  const fixed = `${revision + 1}.${n % 7}.0`;
  const events = unfixed ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }];
  const affected =
    kind === 'pypi'
      ? { ranges: [{ type: 'ECOSYSTEM', events }], versions: Array.from({ length: 24 }, (_, v) => `${Math.floor(v / 6)}.${v % 6}.0`) }
      : {
          ranges: [{ type: kind === 'npm' || kind === 'go' ? 'SEMVER' : 'ECOSYSTEM', events }],
          database_specific: { source: 'https://github.com/advisories' },
        };
  return {
    ...base,
    id: kind === 'pypi' ? `PYSEC-2025-${n}` : kind === 'go' ? `GO-2025-${n}` : `GHSA-${n.toString(36).padStart(4, '0')}-bench-${kind}`,
    aliases: [cve],
    summary: `${name} is vulnerable to a denial of service`,
    details: `${LONG_TEXT}${LONG_TEXT}Upgrade to ${fixed} or later.`,
    severity,
    affected: [{ package: pkg, ...affected }],
    references: references(cve, 5),
    database_specific: { cwe_ids: ['CWE-787'], severity: 'HIGH', github_reviewed: true },
  };
}

/** A deflated zip of one JSON file per record, as OSV's exports are. */
async function writeExport(path: string, from: number, to: number): Promise<void> {
  const zip = new ZipFile();
  for (let n = from; n < to; n++) {
    const record = advisory(n);
    // A stream is deflated as the zip reaches it; addBuffer would start every entry's deflate at once.
    zip.addReadStream(Readable.from([Buffer.from(JSON.stringify(record))]), `${record.id}.json`);
  }
  zip.end();
  await new Promise<void>((done, fail) => zip.outputStream.pipe(createWriteStream(path)).on('close', done).on('error', fail));
}

/** The export as zips of SHARD records each. */
async function writeExports(dir: string, count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let from = 0; from < count; from += SHARD) {
    const path = join(dir, `export-${paths.length}.zip`);
    await writeExport(path, from, Math.min(count, from + SHARD));
    paths.push(path);
  }
  return paths;
}

function installed(kind: Kind, i: number): PackageRecord {
  const name = packageName(kind, (i * 7) % PACKAGES[kind]);
  if (kind === 'debian') {
    const version = `1.0-${(i % 25) + 1}`;
    return { manager: 'dpkg', name: `lib${name}`, version, sourceName: name, sourceVersion: version };
  }
  const purlType = { npm: 'npm', malicious: 'npm', pypi: 'pypi', maven: 'maven', go: 'golang' }[kind];
  return { ecosystem: ECOSYSTEM[kind], purlType, name, version: `${i % 30}.${i % 7}.1` };
}

function inventory(): Inventory {
  const records: PackageRecord[] = [];
  for (const kind of Object.keys(INVENTORY_SHARE) as Kind[]) {
    const count = Math.round(INVENTORY * (INVENTORY_SHARE[kind] ?? 0));
    for (let i = 0; i < count; i++) records.push(installed(kind, i));
  }
  const packages = packagesOf(
    records.map((pkg) => ({ pkg, path: pkg.manager ? 'var/lib/dpkg/status' : 'app/lockfile', layer: 0, analyzer: pkg.manager ? 'dpkg' : 'lockfile' })),
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

/** A match's findings, warnings and rendered components as JSON: what every round must answer byte for byte. */
function rendered(result: Awaited<ReturnType<typeof matchAndRender>>): string {
  return JSON.stringify({ findings: result.findings, warnings: result.warnings, components: result.components });
}

function sameAs(expected: string, result: Awaited<ReturnType<typeof matchAndRender>>, what: string): void {
  if (rendered(result) !== expected) throw new Error(`${what} answered other findings than the first match`);
}

async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await action();
  return { ms: performance.now() - started, value };
}

/** The store with the time its writes take summed up: what of an import is the store's, and what reading the zips. */
function timedWrites(store: AdvisoryStore): { store: AdvisoryStore; seconds: () => number } {
  let ms = 0;
  const timedStore: AdvisoryStore = Object.create(store);
  timedStore.putAdvisories = async (records) => {
    const started = performance.now();
    const result = await store.putAdvisories(records);
    ms += performance.now() - started;
    return result;
  };
  return { store: timedStore, seconds: () => ms / 1000 };
}

/** Imports the zips one after another, as `lamina db update` does per ecosystem: records and seconds in all. */
async function importAll(paths: string[], store: AdvisoryStore): Promise<{ records: number; seconds: number }> {
  const total = { records: 0, seconds: 0 };
  for (const path of paths) {
    const imported = await importAdvisories(path, store);
    total.records += imported.records;
    total.seconds += imported.seconds;
  }
  return total;
}

/** The embedded DynamoDB local mode used before, on the first records of the same export. */
async function dynamoImportRate(dir: string): Promise<number> {
  const zipPath = join(dir, 'sample.zip');
  await writeExport(zipPath, 0, DYNAMO_SAMPLE);
  const dynamo = await startEmbeddedDynamo();
  try {
    const store = new DynamoAdvisoryStore(dynamo.client, 'advisories');
    await store.ensureTables();
    const imported = await importAll([zipPath], store);
    return Math.round(imported.records / imported.seconds);
  } finally {
    await dynamo.stop();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-match-bench-'));
  const storePath = join(dir, 'advisories.lmdb');
  try {
    const exported = await timed(() => writeExports(dir, ADVISORIES));
    console.log(
      `export: ${ADVISORIES} generated OSV records (Debian, npm, PyPI, Maven, Go) in ${exported.value.length} zips, written in ${(exported.ms / 1000).toFixed(1)} s`,
    );

    let store = LmdbAdvisoryStore.open(storePath);
    const writes = timedWrites(store);
    const imported = await importAll(exported.value, writes.store);
    const rate = Math.round(imported.records / imported.seconds);
    console.log(`import: ${imported.records} OSV records in ${imported.seconds.toFixed(1)} s = ${rate} records/s (LMDB; target ≥ 5,000)`);
    console.log(
      `  of which the store's writes: ${writes.seconds().toFixed(1)} s = ${Math.round(imported.records / writes.seconds())} records/s; the rest reads, inflates and parses the zips`,
    );
    console.log(`  the store holds them in ${((await stat(storePath)).size / 1e6).toFixed(0)} MB`);
    if (DYNAMO_SAMPLE > 0) {
      const before = await dynamoImportRate(dir);
      console.log(`import into the embedded DynamoDB, first ${DYNAMO_SAMPLE} records: ${before} records/s (LMDB is ${(rate / before).toFixed(1)}× that)`);
    }

    const inv = inventory();
    const refs = inv.packages.flatMap((p) => {
      const query = queryFor(p, inv);
      return query ? [{ ecosystem: query.ecosystem, name: query.name }] : [];
    });
    const now = new Date();
    // Cold: the first match of a process that has just opened the store (the file in the OS page cache, nothing in the heap).
    await store.close();
    store = LmdbAdvisoryStore.open(storePath);
    const cold = await timed(() => matchAndRender(inv, store, now));
    const expected = rendered(cold.value);
    // One round of each unmeasured, then floor and match alternate, so that neither always follows the other's garbage.
    await store.findByPackages(refs);
    await matchAndRender(inv, store, now);
    const lookups: number[] = [];
    const matches: number[] = [];
    // Compared once the rounds are done: turning a result into JSON between rounds would leave its garbage to the next.
    let last = cold;
    for (let round = 0; round < ROUNDS; round++) {
      lookups.push((await timed(() => store.findByPackages(refs))).ms);
      last = await timed(() => matchAndRender(inv, store, now));
      matches.push(last.ms);
    }
    sameAs(expected, last.value, 'a match read anew');
    // As the service runs it: lookups cached per data version for the life of the process.
    const cached = new CachedAdvisoryStore(store);
    sameAs(expected, await matchAndRender(inv, cached, now), 'the first match through the cache');
    const warm: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      last = await timed(() => matchAndRender(inv, cached, now));
      warm.push(last.ms);
    }
    sameAs(expected, last.value, 'a match with the cache warm');
    const floor = median(lookups);
    const match = median(matches);
    const vulns = cold.value.components.reduce((sum, c) => sum + c.vulns.length, 0);
    console.log(`match: ${inv.packages.length} packages (${refs.length} lookups) against ${ADVISORIES} advisories, ${vulns} vulnerabilities found`);
    console.log(`floor (the store's lookup of the same packages): ${floor.toFixed(0)} ms (median of ${ROUNDS})`);
    console.log(`first match after opening the store:             ${cold.ms.toFixed(0)} ms (ratio to floor ${(cold.ms / floor).toFixed(2)})`);
    console.log(
      `match (lookup, version ranges, CVSS, fields):    ${match.toFixed(0)} ms (median of ${ROUNDS}; ratio to floor ${(match / floor).toFixed(2)}, target ≤ 1.5)`,
    );
    console.log(`match with the service's per-version cache warm: ${median(warm).toFixed(0)} ms (median of ${ROUNDS}; target ≤ 50 ms)`);
    console.log(
      `findings and components of the last uncached and cached rounds identical to the first match's (${(expected.length / 1e6).toFixed(1)} MB of JSON)`,
    );
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
