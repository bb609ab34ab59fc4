import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import { importAdvisories } from '../../../lib/vulndb/import';
import { matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { inventoryOf, osPackage } from '../../support/packages';

const DATA = join(__dirname, '../sources/data/alas');
const AL2: OsRelease = { id: 'amzn', versionId: '2' };
const AL2023: OsRelease = { id: 'amzn', versionId: '2023' };

const rpm = (name: string, version: string, os: OsRelease, sourceName = name) =>
  osPackage({ manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version } satisfies OsPackage, os);

/** Amazon's updateinfo.xml, gzipped as the repositories serve it, imported the way `lamina db import` does. */
async function storeWith(...files: string[]): Promise<MemoryAdvisoryStore> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-alas-'));
  try {
    for (const file of files) await writeFile(join(dir, `${file}.gz`), gzipSync(await readFile(join(DATA, file))));
    const store = new MemoryAdvisoryStore();
    const result = await importAdvisories(dir, store);
    expect(result.malformed).toBe(0);
    return store;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Amazon Linux images matched with ALAS', () => {
  it('finds an AL2 package below the ALAS fix by rpm order with epochs, with the vendor rating and fixedBy', async () => {
    const store = await storeWith('al2-core-updateinfo.xml', 'al2023-core-updateinfo.xml');
    const match = await matchInventory(
      inventoryOf(AL2, [
        // Below 1:1.8.0.161-0.b14.amzn2: affected.
        rpm('java-1.8.0-openjdk-headless', '1:1.8.0.151-1.b12.amzn2', AL2, 'java-1.8.0-openjdk'),
        // The fixed EVR itself: not affected.
        rpm('java-1.8.0-openjdk', '1:1.8.0.161-0.b14.amzn2', AL2),
        // No epoch is epoch 0, below the fix's epoch 10 whatever the version.
        rpm('qemu-img', '9.9.9-1.amzn2', AL2),
      ]),
      store,
    );
    expect(match.osAdvisoriesUnavailable).toBe(false);
    const byPackage = (index: number) => match.findings.filter((f) => f.packageIndex === index);
    // One finding per CVE the advisory names, each with Amazon's fix and rating.
    expect(byPackage(0).length).toBeGreaterThan(1);
    for (const finding of byPackage(0)) {
      expect(finding).toMatchObject({ advisoryIds: ['ALAS2-2018-949'], fixedVersion: '1:1.8.0.161-0.b14.amzn2', vendorRating: 'IMPORTANT' });
      expect(finding.id).toMatch(/^CVE-\d{4}-\d+$/);
    }
    expect(byPackage(1)).toEqual([]);
    expect(byPackage(2).length).toBeGreaterThan(0);
    for (const finding of byPackage(2)) expect(finding).toMatchObject({ advisoryIds: ['ALAS2-2018-942'], fixedVersion: '10:1.5.3-141.amzn2.5.3' });
    expect(byPackage(0)[0].links[0]).toBe(`https://explore.alas.aws.amazon.com/${byPackage(0)[0].id}.html`);
  });

  it('never matches AL2023 records for an AL2 image, nor AL2 records for AL2023', async () => {
    const store = await storeWith('al2-core-updateinfo.xml', 'al2023-core-updateinfo.xml');
    const old = '8.2204.0-1.amzn2023.0.1';
    const al2 = await matchInventory(inventoryOf(AL2, [rpm('rsyslog', old, AL2)]), store);
    expect(al2.findings).toEqual([]);
    const al2023 = await matchInventory(inventoryOf(AL2023, [rpm('rsyslog', old, AL2023), rpm('qemu-img', '1.5.3-1', AL2023)]), store);
    expect(al2023.findings.length).toBeGreaterThan(0);
    for (const finding of al2023.findings) expect(finding).toMatchObject({ packageIndex: 0, advisoryIds: ['ALAS2023-2023-001'] });
  });

  it('says OS_CVES_UNAVAILABLE for a release the store has no ALAS data of', async () => {
    const store = await storeWith('al2023-core-updateinfo.xml');
    const match = await matchInventory(inventoryOf(AL2, [rpm('bash', '4.2.46-34.amzn2', AL2)]), store);
    expect(match.osAdvisoriesUnavailable).toBe(true);
  });
});
