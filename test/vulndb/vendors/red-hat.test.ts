import { join } from 'node:path';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import type { Package } from '../../../lib/index/types';
import { importAdvisories } from '../../../lib/vulndb/import';
import { matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { inventoryOf, osPackage } from '../../support/packages';

const DATA = join(__dirname, '../sources/data/redhat');
const RHEL9: OsRelease = { id: 'rhel', versionId: '9.4' };
const RHEL8: OsRelease = { id: 'rhel', versionId: '8.10' };
const CENTOS8: OsRelease = { id: 'centos', versionId: '8' };

/** A binary rpm built from `sourceName`, as the rpm database records it (module: its MODULARITYLABEL's name:stream). */
function rpm(name: string, version: string, os: OsRelease, sourceName = name, module?: string): Package {
  const record: OsPackage = { manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version, ...(module ? { module } : {}) };
  return osPackage(record, os);
}

/** Red Hat's CSAF VEX files imported as `lamina db import` reads them. */
async function store(): Promise<MemoryAdvisoryStore> {
  const advisories = new MemoryAdvisoryStore();
  const result = await importAdvisories(DATA, advisories);
  expect(result.malformed).toBe(0);
  return advisories;
}

describe('RHEL, UBI and CentOS images matched with Red Hat CSAF VEX', () => {
  let advisories: MemoryAdvisoryStore;
  beforeAll(async () => {
    advisories = await store();
  });

  it('matches a binary by its source rpm at its own EVR, with the epoch deciding, and reports the fix and rating', async () => {
    const match = await matchInventory(
      inventoryOf(RHEL9, [
        // nginx-core is built from nginx: below 2:1.20.1-22.el9.
        rpm('nginx-core', '2:1.20.1-20.el9', RHEL9, 'nginx'),
        // The fixed EVR itself.
        rpm('nginx', '2:1.20.1-22.el9', RHEL9),
        // A higher version at a lower epoch is still below the fix.
        rpm('nginx-filesystem', '1:1.99.0-1.el9', RHEL9, 'nginx'),
      ]),
      advisories,
    );
    expect(match.osAdvisoriesUnavailable).toBe(false);
    expect(match.findings.map((f) => [f.packageIndex, f.id, f.fixedVersion, f.vendorRating])).toEqual([
      [0, 'CVE-2025-23419', '2:1.20.1-22.el9', 'MODERATE'],
      [2, 'CVE-2025-23419', '2:1.20.1-22.el9', 'MODERATE'],
    ]);
    expect(match.findings[0].links[0]).toBe('https://access.redhat.com/security/cve/CVE-2025-23419');
  });

  it('matches a modular package only with its own module stream, and a non-modular one only with non-modular entries', async () => {
    const match = await matchInventory(
      inventoryOf(RHEL9, [
        // redis:7 stream, below its fix 7.2.6-1.module+el9.5.0…: affected, fixed in that stream.
        rpm('redis', '7.2.4-1.module+el9.4.0+21000+aaaaaaaa', RHEL9, 'redis', 'redis:7'),
        // Non-modular redis above the non-modular fix 6.2.17-1.el9_5: not affected, though below redis:7's fix.
        rpm('redis', '6.2.18-1.el9_5', RHEL9),
        // nginx:1.24 has no fix: affected with no fixed version; the default stream's epoch-2 fix is not its fix.
        rpm('nginx', '1:1.24.0-1.module+el9.4.0+21000+bbbbbbbb', RHEL9, 'nginx', 'nginx:1.24'),
        // A stream Red Hat lists nothing for: the non-modular build's fix 6.2.17-1.el9_5 is not about it.
        rpm('redis', '6.2.7-1.module+el9.0.0+20000+cccccccc', RHEL9, 'redis', 'redis:6'),
      ]),
      advisories,
    );
    expect(match.findings.map((f) => [f.packageIndex, f.id, f.fixedVersion])).toEqual([
      [0, 'CVE-2024-31449', '7.2.6-1.module+el9.5.0+22422+63e067d8'],
      [2, 'CVE-2025-23419', undefined],
    ]);
  });

  it('keeps releases apart and lets a not-affected statement stand: vim is unfixed on RHEL 9, not affected on 8', async () => {
    const rhel9 = await matchInventory(inventoryOf(RHEL9, [rpm('vim-minimal', '2:8.2.2637-20.el9_1', RHEL9, 'vim')]), advisories);
    expect(rhel9.findings.map((f) => [f.id, f.fixedVersion, f.vendorRating])).toEqual([['CVE-2023-0051', undefined, 'LOW']]);
    const rhel8 = await matchInventory(inventoryOf(RHEL8, [rpm('vim-minimal', '2:8.0.1763-19.el8_6.4', RHEL8, 'vim')]), advisories);
    expect(rhel8.findings.filter((f) => f.id === 'CVE-2023-0051')).toEqual([]);
  });

  it("matches CentOS with Red Hat's data of the same major, and says so", async () => {
    const match = await matchInventory(inventoryOf(CENTOS8, [rpm('redis', '6.2.7-1.module_el8.7.0+1000+aaaaaaaa', CENTOS8, 'redis', 'redis:6')]), advisories);
    expect(match.findings.map((f) => [f.id, f.fixedVersion])).toEqual([['CVE-2024-31449', '6.2.17-1.module+el8.10.0+22680+748527fd']]);
    expect(match.warnings).toEqual([expect.stringMatching(/CentOS has no advisory feed of its own/)]);
  });
});
