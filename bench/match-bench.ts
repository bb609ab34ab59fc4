// Part of `npm run bench`: advisory import throughput into local mode's store (LMDB), against the embedded DynamoDB
// it replaced on a sample, and matching a 2,000-package inventory against ≥ 300,000 advisories, with the store's own
// lookup of the same packages as the floor; and RHEL 9 and Amazon Linux 2023 images of 500 rpm packages, each match in
// a process of its own (./match-once.ts). Sizes: BENCH_ADVISORIES, BENCH_INVENTORY, BENCH_DYNAMO_SAMPLE (0: skip);
// BENCH_MATCH_STORE=<lmdb path> runs only the matches against a store the bench wrote before.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoAdvisoryStore } from '../lib/aws/dynamo-advisory-store';
import { startEmbeddedDynamo } from '../lib/local/embedded-dynamo';
import { LmdbAdvisoryStore } from '../lib/local/lmdb-advisory-store';
import { importAdvisories } from '../lib/vulndb/import';
import { REDHAT_REPOSITORIES_SOURCE } from '../lib/vulndb/sources/redhat-repositories';
import { type AdvisoryStore, cursorKey } from '../lib/vulndb/store';
import { RHEL_REPOSITORIES, RPM, timed, writeExport, writeExports } from './match-data';

const run = promisify(execFile);
const ADVISORIES = Number(process.env.BENCH_ADVISORIES ?? 300_000);
const DYNAMO_SAMPLE = Number(process.env.BENCH_DYNAMO_SAMPLE ?? 2_000);

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

/** One inventory's match rounds in a fresh process: what it prints is the bench's report for that inventory. */
async function matchInFreshProcess(storePath: string, which: string): Promise<void> {
  const { stdout } = await run(process.execPath, [join(__dirname, 'match-once.js'), storePath, which], { maxBuffer: 1024 * 1024 });
  process.stdout.write(stdout);
}

async function matchAll(storePath: string): Promise<void> {
  for (const which of ['mixed', 'rhel', 'al']) await matchInFreshProcess(storePath, which);
}

async function main(): Promise<void> {
  // A store this bench wrote before: the matches alone, without the minutes of writing and importing the export.
  const kept = process.env.BENCH_MATCH_STORE;
  if (kept) return matchAll(kept);
  const dir = await mkdtemp(join(tmpdir(), 'lamina-match-bench-'));
  const storePath = join(dir, 'advisories.lmdb');
  try {
    const exported = await timed(() => writeExports(dir, ADVISORIES));
    console.log(
      `export: ${ADVISORIES} generated OSV records (Debian, npm, PyPI, Maven, Go), and ${RPM.redhatRecords} Red Hat and ${RPM.alasRecords} ALAS 2023 records, in ${exported.value.length} zips, written in ${(exported.ms / 1000).toFixed(1)} s`,
    );

    const store = LmdbAdvisoryStore.open(storePath);
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

    await store.setCursor(cursorKey(REDHAT_REPOSITORIES_SOURCE), JSON.stringify({ repositories: RHEL_REPOSITORIES }));
    await store.close();
    await matchAll(storePath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
