// Part of `npm run bench`: import throughput of the vendor feeds (Amazon's updateinfo.xml, Red Hat's CSAF VEX
// archive) against OSV's own export of the same records (a zip of one JSON file per record, as osv.dev ships
// all.zip) in the same run, all into the in-memory store so the readers, not a store, are measured. The documents
// are real vendor files from the test data, repeated under new ids.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { zipOf } from '../test/support/archives';
import { importAdvisories } from '../lib/vulndb/import';
import { MemoryAdvisoryStore } from '../lib/vulndb/memory-store';
import type { Osv } from '../lib/vulndb/osv';

const COPIES = Number(process.env.BENCH_FEED_COPIES ?? 3_000);
const ROUNDS = 5;
// Compiled to dist/bench, or run from bench/ with tsx.
const DATA = [resolve(__dirname, '../../test/vulndb/sources/data'), resolve(__dirname, '../test/vulndb/sources/data')].find((dir) => existsSync(dir)) ?? '';

/** One import of `path` into a fresh store: records per second, and the records written (all of them, once). */
type Rate = { records: number; perSecond: number; written: Osv[] };

async function importOnce(path: string): Promise<Rate> {
  const store = new MemoryAdvisoryStore();
  const written: Osv[] = [];
  const put = store.putAdvisories.bind(store);
  store.putAdvisories = async (batch) => {
    written.push(...batch);
    return put(batch);
  };
  const result = await importAdvisories(path, store);
  if (result.malformed > 0) throw new Error(`${path}: ${result.malformed} malformed`);
  return { records: result.records, perSecond: result.records / result.seconds, written };
}

/**
 * The best of ROUNDS imports of the feed and of its floor, in turns: the first of each reader also pays for compiling
 * it, and this machine's speed drifts during a run, so neither side gets all the slow rounds.
 */
async function rates(feed: string, floor: string): Promise<{ feed: Rate; floor: Rate }> {
  let best = { feed: await importOnce(feed), floor: await importOnce(floor) };
  for (let round = 1; round < ROUNDS; round++) {
    const next = { feed: await importOnce(feed), floor: await importOnce(floor) };
    if (next.feed.perSecond > best.feed.perSecond) best = { ...best, feed: next.feed };
    if (next.floor.perSecond > best.floor.perSecond) best = { ...best, floor: next.floor };
  }
  return best;
}

/** The feed's own document with its `<update>` elements repeated under fresh ids. */
function repeatedUpdateinfo(): string {
  const text = readFileSync(join(DATA, 'alas/al2-core-updateinfo.xml'), 'utf8');
  const updates = text.match(/<update [\s\S]*?<\/update>/g) ?? [];
  const copies: string[] = [];
  for (let i = 0; i < COPIES; i++) {
    const update = updates[i % updates.length];
    copies.push(update.replace(/<id>ALAS2-(\d{4})-\d+<\/id>/, `<id>ALAS2-$1-${100_000 + i}</id>`));
  }
  return `<?xml version="1.0" ?>\n<updates>\n${copies.join('\n')}\n</updates>\n`;
}

/** Red Hat's per-CVE documents, renamed to fresh CVEs, in a compressed tar as Red Hat's VEX archive holds them. */
async function repeatedCsafArchive(): Promise<Buffer> {
  const text = readFileSync(join(DATA, 'redhat/cve-2024-31449.trimmed.json'), 'utf8');
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()));
  for (let i = 0; i < COPIES; i++) tar.entry({ name: `2099/cve-2099-${10_000 + i}.json` }, text.replaceAll('CVE-2024-31449', `CVE-2099-${10_000 + i}`));
  tar.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** The records as OSV exports an ecosystem: a zip of one `<id>.json` each. */
async function osvExport(path: string, records: Osv[]): Promise<void> {
  await writeFile(path, await zipOf(records.map((record, i) => ({ name: `${record.id}-${i}.json`, content: JSON.stringify(record) }))));
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'lamina-feed-bench-'));
  try {
    const updateinfo = join(work, 'updateinfo.xml.gz');
    await writeFile(updateinfo, gzipSync(repeatedUpdateinfo()));
    await osvExport(join(work, 'alas-osv.zip'), (await importOnce(updateinfo)).written);
    const alas = await rates(updateinfo, join(work, 'alas-osv.zip'));

    const csafArchive = join(work, 'csaf_vex.tar.gz');
    await writeFile(csafArchive, await repeatedCsafArchive());
    await osvExport(join(work, 'csaf-osv.zip'), (await importOnce(csafArchive)).written);
    const csaf = await rates(csafArchive, join(work, 'csaf-osv.zip'));

    const line = (name: string, feed: { records: number; perSecond: number }, floor: { perSecond: number }) =>
      `${name.padEnd(22)} ${String(feed.records).padStart(7)} records ${Math.round(feed.perSecond).toString().padStart(8)} records/s; OSV zip of the same ${Math.round(floor.perSecond).toString().padStart(8)} records/s; ratio ${(feed.perSecond / floor.perSecond).toFixed(2)}`;
    console.log(
      `feed import (in-memory store, best of ${ROUNDS} in turns with the floor; ratio = vendor feed / OSV's zip export of the same records, 1.00 = as fast; target 1.00)`,
    );
    console.log(line('ALAS updateinfo.xml.gz', alas.feed, alas.floor));
    console.log(line('Red Hat CSAF VEX', csaf.feed, csaf.floor));
    console.log('(a CSAF document carries every product of its CVE: about 20 KB per record here, against 2 KB of OSV JSON)');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
