// Part of `npm run bench` (./match-bench.ts): the match rounds of one inventory, in a process of its own, as `lamina
// scan` and the scan function run a match: `node match-once.js <store> <mixed|rhel|al>`. The process that
// generated and imported the advisories holds their garbage, which would be collected during the rounds.
import { LmdbAdvisoryStore } from '../lib/local/lmdb-advisory-store';
import type { Inventory } from '../lib/index/types';
import { componentsOf } from '../lib/stackrox/components';
import { CachedAdvisoryStore } from '../lib/vulndb/cached-store';
import { matchInventory } from '../lib/vulndb/matcher';
import { queryFor } from '../lib/vulndb/package-keys';
import type { AdvisoryReader } from '../lib/vulndb/store';
import { AMAZON_2023, INVENTORY, RHEL_9, RPM, inventory, median, rpmInventory, timed } from './match-data';

/** Rounds of each kind; the lookups of 500 packages take a few milliseconds, so a median of many. */
const ROUNDS = 15;

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

/**
 * Matches `inv` against the store at `storePath`: the first match after opening it, then the store's lookup of the
 * same packages (the floor: findByPackages, every list held until the answer is whole), the same reads with each list
 * let go at once (visitPackages, which the match reads through, matching each package as its list arrives) and the
 * match in turns, then the match through the service's per-version cache.
 */
async function benchMatch(title: string, inv: Inventory, storePath: string): Promise<void> {
  const store = LmdbAdvisoryStore.open(storePath);
  try {
    let advisories = 0;
    for (const { records } of (await store.getCoverage()).values()) advisories += records;
    const refs = inv.packages.flatMap((p) => {
      const query = queryFor(p, inv);
      return query ? [{ ecosystem: query.ecosystem, name: query.name }] : [];
    });
    const now = new Date();
    // Cold: the first match since the store was opened (the file in the OS page cache, nothing in the heap).
    const cold = await timed(() => matchAndRender(inv, store, now));
    const expected = rendered(cold.value);
    // One round of each unmeasured, then floor and match alternate, so that neither always follows the other's garbage.
    await store.findByPackages(refs);
    await matchAndRender(inv, store, now);
    const lookups: number[] = [];
    const reads: number[] = [];
    const matches: number[] = [];
    // Compared once the rounds are done: turning a result into JSON between rounds would leave its garbage to the next.
    let last = cold;
    for (let round = 0; round < ROUNDS; round++) {
      lookups.push((await timed(() => store.findByPackages(refs))).ms);
      reads.push((await timed(() => store.visitPackages(refs, () => {}))).ms);
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
    if (vulns === 0) throw new Error(`${title}: no vulnerabilities found; the bench's records do not reach its packages`);
    console.log(
      `${title} (${refs.length} lookups) against ${advisories} advisories counted per ecosystem (one naming two releases counts twice), ${vulns} vulnerabilities found`,
    );
    console.log(`  floor (the store's lookup of the same packages): ${floor.toFixed(1)} ms (median of ${ROUNDS}; findByPackages, answered whole)`);
    console.log(
      `  the same reads, each list let go as it is read:  ${median(reads).toFixed(1)} ms (median of ${ROUNDS}; visitPackages, as the match reads; ratio of the match to it ${(median(matches) / median(reads)).toFixed(2)})`,
    );
    console.log(`  first match after opening the store:             ${cold.ms.toFixed(1)} ms (ratio to floor ${(cold.ms / floor).toFixed(2)})`);
    console.log(
      `  match (lookup, version ranges, CVSS, fields):    ${match.toFixed(1)} ms (median of ${ROUNDS}; ratio to floor ${(match / floor).toFixed(2)}, target ≤ 1.5)`,
    );
    console.log(`  match with the service's per-version cache warm: ${median(warm).toFixed(1)} ms (median of ${ROUNDS}; target ≤ 50 ms)`);
    console.log(
      `  findings and components of the last uncached and cached rounds identical to the first match's (${(expected.length / 1e6).toFixed(1)} MB of JSON)`,
    );
  } finally {
    await store.close();
  }
}

const INVENTORIES: Record<string, () => { title: string; inv: Inventory }> = {
  mixed: () => ({ title: `match: ${INVENTORY} packages`, inv: inventory() }),
  rhel: () => ({ title: `rpm: RHEL 9 image of ${RPM.inventory} packages (Red Hat's records)`, inv: rpmInventory(RHEL_9) }),
  al: () => ({ title: `rpm: Amazon Linux 2023 image of ${RPM.inventory} packages (ALAS)`, inv: rpmInventory(AMAZON_2023) }),
};

async function main(): Promise<void> {
  const [storePath, which] = process.argv.slice(2);
  const chosen = INVENTORIES[which];
  if (!storePath || !chosen) throw new Error(`usage: match-once.js <store> <${Object.keys(INVENTORIES).join('|')}>`);
  const { title, inv } = chosen();
  await benchMatch(title, inv, storePath);
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
