// Part of `npm run bench`: import throughput of the vendor feeds (Amazon's updateinfo.xml, Red Hat's CSAF VEX, Oracle
// and Microsoft OVAL) against OSV JSON of the same records in the same run, all into the in-memory store so the
// readers, not a store, are measured. The documents are real vendor files from the test data, repeated under new ids.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importAdvisories } from '../lib/vulndb/import';
import { MemoryAdvisoryStore } from '../lib/vulndb/memory-store';
import type { Osv } from '../lib/vulndb/osv';

const COPIES = Number(process.env.BENCH_FEED_COPIES ?? 3_000);
// Compiled to dist/bench, or run from bench/ with tsx.
const DATA = [resolve(__dirname, '../../test/vulndb/sources/data'), resolve(__dirname, '../test/vulndb/sources/data')].find((dir) => existsSync(dir)) ?? '';

/** Throughput of importing `path`, with the records written (all of them, once). */
async function rate(path: string): Promise<{ records: number; perSecond: number; written: Osv[] }> {
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

/** Red Hat's per-CVE documents, renamed to fresh CVEs: one file each, as the archive holds them. */
async function repeatedCsaf(dir: string): Promise<void> {
  const text = readFileSync(join(DATA, 'redhat/cve-2024-31449.trimmed.json'), 'utf8');
  const count = Math.max(1, Math.floor(COPIES / 10));
  await Promise.all(
    Array.from({ length: count }, (_, i) => writeFile(join(dir, `cve-2099-${10_000 + i}.json`), text.replaceAll('CVE-2024-31449', `CVE-2099-${10_000 + i}`))),
  );
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'lamina-feed-bench-'));
  try {
    const updateinfo = join(work, 'updateinfo.xml.gz');
    await writeFile(updateinfo, gzipSync(repeatedUpdateinfo()));
    const alas = await rate(updateinfo);
    await writeFile(join(work, 'alas-osv.json'), JSON.stringify(alas.written));
    const alasFloor = await rate(join(work, 'alas-osv.json'));

    const csafDir = join(work, 'csaf');
    await mkdir(csafDir);
    await repeatedCsaf(csafDir);
    const csaf = await rate(csafDir);
    await writeFile(join(work, 'csaf-osv.json'), JSON.stringify(csaf.written));
    const csafFloor = await rate(join(work, 'csaf-osv.json'));

    const line = (name: string, feed: { records: number; perSecond: number }, floor: { perSecond: number }) =>
      `${name.padEnd(22)} ${String(feed.records).padStart(7)} records ${Math.round(feed.perSecond).toString().padStart(8)} records/s; OSV JSON of the same ${Math.round(floor.perSecond).toString().padStart(8)} records/s; ratio ${(feed.perSecond / floor.perSecond).toFixed(2)}`;
    console.log('feed import (in-memory store; ratio = vendor feed / OSV JSON of the same records, 1.00 = as fast)');
    console.log(line('ALAS updateinfo.xml.gz', alas, alasFloor));
    console.log(line('Red Hat CSAF VEX', csaf, csafFloor));
    console.log('(a CSAF document carries every product of its CVE: about 20 KB per record here, against 2 KB of OSV JSON)');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
