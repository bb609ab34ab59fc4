import { join } from 'node:path';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import type { Package } from '../../../lib/index/types';
import { importAdvisories } from '../../../lib/vulndb/import';
import { matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { inventoryOf, osPackage } from '../../support/packages';

const DATA = join(__dirname, '../sources/data');
const AZURE3: OsRelease = { id: 'azurelinux', versionId: '3.0' };
const MARINER2: OsRelease = { id: 'mariner', versionId: '2.0' };
const OL5: OsRelease = { id: 'ol', versionId: '5.11' };
const OL8: OsRelease = { id: 'ol', versionId: '8.9' };
const OL9: OsRelease = { id: 'ol', versionId: '9.3' };

function rpm(name: string, version: string, os: OsRelease, sourceName = name, module?: string): Package {
  const record: OsPackage = { manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version, ...(module ? { module } : {}) };
  return osPackage(record, os);
}

/** Microsoft's and Oracle's OVAL files (Oracle's bzip2-compressed as served), imported as `lamina db import` reads them. */
async function storeOf(...paths: string[]): Promise<MemoryAdvisoryStore> {
  const store = new MemoryAdvisoryStore();
  for (const path of paths) expect((await importAdvisories(join(DATA, path), store)).malformed).toBe(0);
  return store;
}

describe('Azure Linux and CBL-Mariner images matched with Microsoft OVAL', () => {
  let store: MemoryAdvisoryStore;
  beforeAll(async () => {
    store = await storeOf('azure');
  });

  it('matches binaries by source package below the fix, per release, with Microsoft severity', async () => {
    const azure = await matchInventory(
      inventoryOf(AZURE3, [rpm('openssh-clients', '9.6p1-1.azl3', AZURE3, 'openssh'), rpm('openssh-server', '9.7p1-1.azl3', AZURE3, 'openssh')]),
      store,
    );
    expect(azure.findings.map((f) => [f.packageIndex, f.id, f.fixedVersion, f.vendorRating])).toEqual([[0, 'CVE-2023-51385', '9.7p1-1.azl3', 'MODERATE']]);
    // The same CVE on Mariner 2.0 has Mariner's own fix; Azure Linux's 9.7p1 is not it.
    const mariner = await matchInventory(inventoryOf(MARINER2, [rpm('openssh', '8.9p1-2.cm2', MARINER2)]), store);
    expect(mariner.findings.map((f) => [f.id, f.fixedVersion])).toEqual([['CVE-2023-51385', '8.9p1-3.cm2']]);
  });

  it('applies an unpatched definition up to its last affected version only, and a Not Applicable one never', async () => {
    const match = await matchInventory(
      inventoryOf(MARINER2, [rpm('syslinux', '6.04-10.cm2', MARINER2), rpm('syslinux-devel', '6.04-11.cm2', MARINER2, 'syslinux')]),
      store,
    );
    expect(match.findings.map((f) => [f.packageIndex, f.id, f.fixedVersion])).toEqual([[0, 'CVE-2022-3857', undefined]]);
    const notApplicable = await matchInventory(inventoryOf(AZURE3, [rpm('cloud-hypervisor', '32.0-1.azl3', AZURE3)]), store);
    expect(notApplicable.findings).toEqual([]);
  });
});

describe('Oracle Linux images matched with ELSA OVAL', () => {
  let store: MemoryAdvisoryStore;
  beforeAll(async () => {
    store = await storeOf('oracle/com.oracle.elsa-excerpt.xml.bz2', 'oracle/elsa-2024-1828.xml');
  });

  it('matches binary packages below the ELSA fix, with epochs', async () => {
    const match = await matchInventory(inventoryOf(OL5, [rpm('bind-libs', '30:9.3.3-7.el5', OL5, 'bind'), rpm('bind', '30:9.3.3-8.el5', OL5)]), store);
    expect(new Set(match.findings.map((f) => f.packageIndex))).toEqual(new Set([0]));
    expect(match.findings.map((f) => f.id).sort()).toEqual(['CVE-2007-0493', 'CVE-2007-0494']);
    for (const finding of match.findings)
      expect(finding).toMatchObject({ advisoryIds: ['ELSA-2007-0057'], fixedVersion: '30:9.3.3-8.el5', vendorRating: 'MODERATE' });
  });

  it('keeps Oracle Linux 8 and 9 apart', async () => {
    const ol8 = await matchInventory(inventoryOf(OL8, [rpm('java-21-openjdk-headless', '1:21.0.2.0.13-1.0.1.el8', OL8, 'java-21-openjdk')]), store);
    expect(new Set(ol8.findings.map((f) => f.fixedVersion))).toEqual(new Set(['1:21.0.3.0.9-1.0.1.el8']));
    const ol9 = await matchInventory(inventoryOf(OL9, [rpm('java-21-openjdk-headless', '1:21.0.2.0.13-1.0.1.el9', OL9, 'java-21-openjdk')]), store);
    expect(ol9.findings.length).toBeGreaterThan(0);
    for (const finding of ol9.findings) expect(finding.fixedVersion).toMatch(/\.el9$/);
  });

  it('matches a modular fix only for packages of that module stream', async () => {
    const [modular, plain] = [rpm('hivex', '1.3.18-20.module+el8.7.0+1+aaaa', OL8, 'hivex', 'virt:kvm_utils'), rpm('hivex', '1.3.18-20.el8', OL8)];
    const match = await matchInventory(inventoryOf(OL8, [modular, plain]), store);
    expect(new Set(match.findings.map((f) => f.packageIndex))).toEqual(new Set([0]));
  });
});
