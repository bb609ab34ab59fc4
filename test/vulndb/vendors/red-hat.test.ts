import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseContentManifest } from '../../../lib/analyzers/content-manifest';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import type { Package } from '../../../lib/index/types';
import { importAdvisories } from '../../../lib/vulndb/import';
import { matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { rhelRepositories } from '../../../lib/vulndb/sources/redhat-repositories';
import { cursorKey } from '../../../lib/vulndb/store';
import { inventoryOf, osPackage } from '../../support/packages';

const DATA = join(__dirname, '../sources/data/redhat');
/** Red Hat's repository-to-CPE mapping (an excerpt) and content manifests, real or derived: see their PROVENANCE.md. */
const MAPPING = join(__dirname, '../sources/data/redhat-repositories/repository-to-cpe.trimmed.json');
const MANIFESTS = join(__dirname, '../../analyzers/data/content-manifest');
const contentSetsOf = (file: string) => parseContentManifest(readFileSync(join(MANIFESTS, file), 'utf8')).contentSets;
/** A UBI 8 image's manifest: rhel-8-for-x86_64-baseos-rpms and rhel-8-for-x86_64-appstream-rpms. */
const BASEOS_APPSTREAM = contentSetsOf('ubi8-minimal-container-8.5-218.json');
/** The same manifest with its AppStream repository left out. */
const BASEOS_ONLY = contentSetsOf('ubi8-minimal-baseos-only.derived.json');
/** An image built from RHEL 8.8's Extended Update Support repositories (names as Red Hat's mapping spells them). */
const EUS_8_8 = ['rhel-8-for-x86_64-appstream-eus-rpms__8_DOT_8', 'rhel-8-for-x86_64-baseos-eus-rpms__8_DOT_8'];
const RHEL9: OsRelease = { id: 'rhel', versionId: '9.4' };
const RHEL8: OsRelease = { id: 'rhel', versionId: '8.10' };
const CENTOS8: OsRelease = { id: 'centos', versionId: '8' };

/** A binary rpm built from `sourceName`, as the rpm database records it (module: its MODULARITYLABEL's name:stream). */
function rpm(name: string, version: string, os: OsRelease, sourceName = name, module?: string): Package {
  const record: OsPackage = { manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version, ...(module ? { module } : {}) };
  return osPackage(record, os);
}

/** Red Hat's CSAF VEX files imported as `lamina db import` reads them, and the repository mapping as its source keeps it. */
async function store(options: { mapping?: boolean } = {}): Promise<MemoryAdvisoryStore> {
  const advisories = new MemoryAdvisoryStore();
  const result = await importAdvisories(DATA, advisories);
  expect(result.malformed).toBe(0);
  if (options.mapping !== false) {
    const repositories = rhelRepositories(JSON.parse(readFileSync(MAPPING, 'utf8')), (reason) => {
      throw new Error(reason);
    });
    await advisories.setCursor(cursorKey('redhat-repositories'), JSON.stringify({ repositories }));
  }
  return advisories;
}

const findingsOf = async (inventory: Parameters<typeof matchInventory>[0], advisories: MemoryAdvisoryStore) =>
  (await matchInventory(inventory, advisories)).findings.map((f) => [f.packageIndex, f.id, f.fixedVersion ?? null]);

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

describe('RHEL images matched by the repositories their content manifests name', () => {
  let advisories: MemoryAdvisoryStore;
  beforeAll(async () => {
    advisories = await store();
  });

  const packages = () => [
    // redis:6 below its fix, which Red Hat ships in RHEL 8's AppStream only.
    rpm('redis', '6.2.7-1.module+el8.8.0+17567+5bd4c2d8', RHEL8, 'redis', 'redis:6'),
    // Unfixed everywhere in RHEL 8: Red Hat's product is RHEL 8 as a whole (`cpe:/o:redhat:enterprise_linux:8`).
    rpm('subversion', '1.10.2-5.module+el8.5.0+12000+aaaaaaaa', RHEL8, 'subversion'),
    // Not affected on RHEL 8.
    rpm('vim-minimal', '2:8.0.1763-19.el8_6.4', RHEL8, 'vim'),
    // The main stream's fix; the 8.4 and 8.8 EUS streams are affected without one.
    rpm('firefox', '140.10.1-1.el8_10', RHEL8),
    // postgresql:12 at the 8.8 EUS fix, below the main stream's.
    rpm('postgresql', '12.20-1.module+el8.8.0+22245+25697bde', RHEL8, 'postgresql', 'postgresql:12'),
  ];

  it('BaseOS and AppStream: the main stream of both, as without manifests; not affected stays so; extended streams are left out', async () => {
    const withManifest = await findingsOf(inventoryOf(RHEL8, packages(), { contentSets: BASEOS_APPSTREAM }), advisories);
    expect(withManifest).toEqual([
      [0, 'CVE-2024-31449', '6.2.17-1.module+el8.10.0+22680+748527fd'],
      [1, 'CVE-2024-46901', null],
      // Below the main stream's fix: the EUS stream's fix is not this image's.
      [4, 'CVE-2024-7348', '12.20-1.module+el8.10.0+22214+9beb89d6'],
    ]);
    // Without manifests: the release's main streams, as before content manifests were read.
    expect(await findingsOf(inventoryOf(RHEL8, packages()), advisories)).toEqual(withManifest);
  });

  it('BaseOS only: an AppStream-only record does not match, one for RHEL 8 as a whole does', async () => {
    expect(await findingsOf(inventoryOf(RHEL8, packages(), { contentSets: BASEOS_ONLY }), advisories)).toEqual([[1, 'CVE-2024-46901', null]]);
  });

  it("RHEL 8.8 EUS repositories: that stream's records only, with its own fixes and its unfixed packages", async () => {
    const eus = [...packages(), rpm('postgresql', '12.19-1.module+el8.8.0+21000+aaaaaaaa', RHEL8, 'postgresql', 'postgresql:12')];
    // redis and subversion are not reported: their records name no 8.8 EUS product (Red Hat's older documents list
    // the main streams only), and the main stream's records are not about this image.
    expect(await findingsOf(inventoryOf(RHEL8, eus, { contentSets: EUS_8_8 }), advisories)).toEqual([
      // Red Hat lists firefox as affected on rhel-8.8.0.z.eus; the main stream's fix is not this image's either.
      [3, 'CVE-2026-7323', null],
      // 12.20-1.module+el8.8.0… is the EUS stream's fix: not affected; a build below it is, fixed in that stream.
      [5, 'CVE-2024-7348', '12.20-1.module+el8.8.0+22245+25697bde'],
    ]);
  });

  it('keeps the module-stream rules: a modular build matches only its stream, a non-modular one non-modular entries', async () => {
    // Repository names as Red Hat's mapping spells them.
    const contentSets = ['rhel-9-for-x86_64-appstream-rpms', 'rhel-9-for-x86_64-baseos-rpms'];
    const inventory = inventoryOf(
      RHEL9,
      [
        rpm('redis', '7.2.4-1.module+el9.4.0+21000+aaaaaaaa', RHEL9, 'redis', 'redis:7'),
        rpm('redis', '6.2.18-1.el9_5', RHEL9),
        rpm('nginx', '1:1.24.0-1.module+el9.4.0+21000+bbbbbbbb', RHEL9, 'nginx', 'nginx:1.24'),
        rpm('redis', '6.2.7-1.module+el9.0.0+20000+cccccccc', RHEL9, 'redis', 'redis:6'),
      ],
      { contentSets },
    );
    expect(await findingsOf(inventory, advisories)).toEqual([
      [0, 'CVE-2024-31449', '7.2.6-1.module+el9.5.0+22422+63e067d8'],
      [2, 'CVE-2025-23419', null],
    ]);
  });

  it('repositories the mapping does not know, or no mapping loaded: the main streams, and a warning says why', async () => {
    const openshiftOnly = await matchInventory(inventoryOf(RHEL8, packages(), { contentSets: ['rhocp-4.16-for-rhel-9-x86_64-rpms'] }), advisories);
    expect(openshiftOnly.findings.map((f) => f.id)).toEqual(['CVE-2024-31449', 'CVE-2024-46901', 'CVE-2024-7348']);
    expect(openshiftOnly.warnings).toEqual([
      "none of the image's repositories (rhocp-4.16-for-rhel-9-x86_64-rpms) is in the repository mapping: matched with the release's main streams",
    ]);
    const unmapped = await matchInventory(inventoryOf(RHEL8, packages(), { contentSets: BASEOS_ONLY }), await store({ mapping: false }));
    expect(unmapped.findings.map((f) => f.id)).toEqual(['CVE-2024-31449', 'CVE-2024-46901', 'CVE-2024-7348']);
    expect(unmapped.warnings).toEqual([
      "the image names its repositories (rhel-8-for-x86_64-baseos-rpms) but no repository mapping is loaded (source redhat-repositories): matched with the release's main streams",
    ]);
  });
});
