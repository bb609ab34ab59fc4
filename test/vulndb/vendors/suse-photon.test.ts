import { join } from 'node:path';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import type { Package } from '../../../lib/index/types';
import { importAdvisories } from '../../../lib/vulndb/import';
import { hitsFor, matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { packageKey } from '../../../lib/vulndb/osv';
import { inventoryOf, osPackage } from '../../support/packages';

/** Real OSV records: SUSE's (SUSE-SU-403, SLE 12 GA and SP1 products) and VMware's Photon OS advisories. See data/PROVENANCE.md. */
const DATA = join(__dirname, 'data');

const SLES12: OsRelease = { id: 'sles', versionId: '12' };
const SLES12SP1: OsRelease = { id: 'sles', versionId: '12.1' };
const SLES12SP2: OsRelease = { id: 'sles', versionId: '12.2' };
const SLED12SP1: OsRelease = { id: 'sled', versionId: '12.1' };
const SLES_SAP12SP1: OsRelease = { id: 'sles_sap', versionId: '12.1' };
const SLES15SP5: OsRelease = { id: 'sles', versionId: '15.5' };
const PHOTON5: OsRelease = { id: 'photon', versionId: '5.0' };
const PHOTON4: OsRelease = { id: 'photon', versionId: '4.0' };

/** A binary rpm built from `sourceName`, as the rpm database records it. */
function rpm(name: string, version: string, os: OsRelease, sourceName = name): Package {
  const record: OsPackage = { manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version };
  return osPackage(record, os);
}

describe('SUSE Linux Enterprise and Photon OS images matched with their OSV records', () => {
  let advisories: MemoryAdvisoryStore;
  beforeAll(async () => {
    advisories = new MemoryAdvisoryStore();
    const result = await importAdvisories(DATA, advisories);
    expect(result.malformed).toBe(0);
    expect(result.records).toBe(4);
  });

  /** The findings of one package of the match (one per CVE the bulletin names), as distinct [advisory ids, fixed version]. */
  const byPackage = (findings: Awaited<ReturnType<typeof matchInventory>>['findings'], index: number) => [
    ...new Map(
      findings.filter((f) => f.packageIndex === index).map((f) => [JSON.stringify([f.advisoryIds, f.fixedVersion]), [f.advisoryIds, f.fixedVersion]]),
    ).values(),
  ];

  describe('SUSE', () => {
    it("finds a SLES 12 SP1 package below SUSE's fix, with the fix, and not the fixed build", async () => {
      const match = await matchInventory(
        inventoryOf(SLES12SP1, [
          // SUSE-SU-403 fixes libqt4 at 4.8.6-7.1 on `SUSE:Linux Enterprise Server 12 SP1`.
          rpm('libqt4', '4.8.6-6.1', SLES12SP1),
          // The fixed build itself.
          rpm('libqt4', '4.8.6-7.1', SLES12SP1),
          // libqt4-devel-doc is its own source package there, fixed at 4.8.6-7.3: 4.8.6-7.1 is still below it.
          rpm('libqt4-devel-doc', '4.8.6-7.1', SLES12SP1),
        ]),
        advisories,
      );
      expect(match.osAdvisoriesUnavailable).toBe(false);
      expect(byPackage(match.findings, 0)).toEqual([[['SUSE-SU-403'], '4.8.6-7.1']]);
      expect(byPackage(match.findings, 1)).toEqual([]);
      expect(byPackage(match.findings, 2)).toEqual([[['SUSE-SU-403'], '4.8.6-7.3']]);
      // The bulletin names its CVEs only under `related`: each is a finding of its own, with NVD's data to come.
      expect(match.findings.every((f) => /^CVE-\d{4}-\d+$/.test(f.id))).toBe(true);
      expect(match.findings[0].links).toContain('https://www.suse.com/support/update/announcement//suse-su-403/');
    });

    it("matches a binary by its source rpm: SUSE's records name the source package and list its binaries", async () => {
      // `package.name` is `libqt4`; libqt4-x11 and libqt4-qt3support are in that entry's `ecosystem_specific.binaries`,
      // each at 4.8.6-7.1. (osv.dev answers the same way: a query for `libcurl4` on openSUSE finds nothing, for `curl` the SUSE-SU.)
      const match = await matchInventory(
        inventoryOf(SLES12SP1, [rpm('libqt4-x11', '4.8.6-6.1', SLES12SP1, 'libqt4'), rpm('libqt4-qt3support', '4.8.6-7.1', SLES12SP1, 'libqt4')]),
        advisories,
      );
      expect(byPackage(match.findings, 0)).toEqual([[['SUSE-SU-403'], '4.8.6-7.1']]);
      expect(byPackage(match.findings, 1)).toEqual([]);
    });

    it('reads every Linux Enterprise product of one code base and service pack as one release', async () => {
      // The record files libqt4 for 12 SP1 under Server, Server for SAP Applications, Desktop, the Software Development
      // Kit and the Workstation Extension (the SLE 12 counterparts of SLE 15's modules): a sles 12.1 query meets all five.
      const query = { ecosystem: 'SUSE:12.1', name: 'libqt4', version: '4.8.6-6.1' };
      const stored = await advisories.findByPackages([{ ecosystem: query.ecosystem, name: query.name }]);
      const hits = hitsFor(query, stored.get(packageKey(query.ecosystem, query.name)) ?? [], []);
      expect(hits.map((h) => h.entry.package?.ecosystem).sort()).toEqual([
        'SUSE:Linux Enterprise Desktop 12 SP1',
        'SUSE:Linux Enterprise Server 12 SP1',
        'SUSE:Linux Enterprise Server for SAP Applications 12 SP1',
        'SUSE:Linux Enterprise Software Development Kit 12 SP1',
        'SUSE:Linux Enterprise Workstation Extension 12 SP1',
      ]);
      // So SLED and SLES for SAP images of 12 SP1 get the same finding as SLES.
      for (const os of [SLED12SP1, SLES_SAP12SP1]) {
        const match = await matchInventory(inventoryOf(os, [rpm('libqt4', '4.8.6-6.1', os)]), advisories);
        expect(byPackage(match.findings, 0)).toEqual([[['SUSE-SU-403'], '4.8.6-7.1']]);
      }
    });

    it('keeps service packs and code bases apart: GA and SP1 entries match only their own images', async () => {
      // SLE 12 GA (VERSION_ID 12) has its own entries (`…Server 12`).
      const ga = await matchInventory(inventoryOf(SLES12, [rpm('libqt4', '4.8.6-6.1', SLES12)]), advisories);
      expect(byPackage(ga.findings, 0)).toEqual([[['SUSE-SU-403'], '4.8.6-7.1']]);
      expect(ga.findings[0].reason).toMatch(/^SUSE:12 libqt4 /);
      // The record names no 12 SP2 product: nothing for SP2, and the store says it has no data for that release.
      const sp2 = await matchInventory(inventoryOf(SLES12SP2, [rpm('libqt4', '4.8.6-6.1', SLES12SP2)]), advisories);
      expect(sp2.findings).toEqual([]);
      expect(sp2.osAdvisoriesUnavailable).toBe(true);
      // An SLE 15 image never meets an SLE 12 record, whatever the version.
      const sle15 = await matchInventory(inventoryOf(SLES15SP5, [rpm('libqt4', '4.8.6-6.1', SLES15SP5)]), advisories);
      expect(sle15.findings).toEqual([]);
      expect(sle15.osAdvisoriesUnavailable).toBe(true);
    });
  });

  describe('Photon OS', () => {
    it("finds a Photon 5.0 package below VMware's fix, with the fix, and not the fixed build", async () => {
      const match = await matchInventory(inventoryOf(PHOTON5, [rpm('curl', '8.11.1-1.ph5', PHOTON5), rpm('curl', '8.12.0-1.ph5', PHOTON5)]), advisories);
      expect(match.osAdvisoriesUnavailable).toBe(false);
      // PHSA-2025-5.0-0479, not the Photon 4.0 advisory for the same CVEs (PHSA-2025-4.0-0774, fixed at 8.12.0-1.ph4).
      expect(byPackage(match.findings, 0)).toEqual([[['PHSA-2025-5.0-0479'], '8.12.0-1.ph5']]);
      expect(byPackage(match.findings, 1)).toEqual([]);
      expect(match.findings[0].links).toContain('https://github.com/vmware/photon/wiki/Security-Update-5.0-479');
    });

    it('keeps Photon releases apart', async () => {
      const match = await matchInventory(inventoryOf(PHOTON4, [rpm('curl', '8.11.1-1.ph4', PHOTON4), rpm('xz', '5.4.0-3.ph5', PHOTON4)]), advisories);
      expect(byPackage(match.findings, 0)).toEqual([[['PHSA-2025-4.0-0774'], '8.12.0-1.ph4']]);
      // The xz advisory is about Photon 5.0 only.
      expect(byPackage(match.findings, 1)).toEqual([]);
    });

    it('matches a binary by its source rpm: Photon advisories name the spec (curl), not the subpackage (curl-libs)', async () => {
      const match = await matchInventory(inventoryOf(PHOTON5, [rpm('curl-libs', '8.11.1-1.ph5', PHOTON5, 'curl')]), advisories);
      expect(byPackage(match.findings, 0)).toEqual([[['PHSA-2025-5.0-0479'], '8.12.0-1.ph5']]);
    });

    it('ignores an entry without ranges beside one with a fix (PHSA-2025-5.0-0496 lists xz twice)', async () => {
      const match = await matchInventory(inventoryOf(PHOTON5, [rpm('xz', '5.4.0-3.ph5', PHOTON5), rpm('xz', '5.4.0-4.ph5', PHOTON5)]), advisories);
      expect(byPackage(match.findings, 0)).toEqual([[['PHSA-2025-5.0-0496'], '5.4.0-4.ph5']]);
      expect(byPackage(match.findings, 1)).toEqual([]);
      expect(match.warnings).toEqual([]);
    });
  });
});
