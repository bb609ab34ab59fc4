import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import { distributionOf, releaseEcosystem } from '../../../lib/distros';
import { importAdvisories } from '../../../lib/vulndb/import';
import { matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { DEFAULT_SOURCES, sourcesNamed } from '../../../lib/vulndb/sources';
import { cursorKey, runSources } from '../../../lib/vulndb/updater';
import { startRoutedServer } from '../../support/feed-server';
import { inventoryOf, osPackage } from '../../support/packages';

/** Real Bodhi updates (see ../sources/data/fedora/PROVENANCE.md), imported the way `lamina db import` reads them. */
const DATA = join(__dirname, '../sources/data/fedora');
const F40: OsRelease = { id: 'fedora', versionId: '40' };
const F41: OsRelease = { id: 'fedora', versionId: '41' };
const F42: OsRelease = { id: 'fedora', versionId: '42' };

const NETATALK = 'FEDORA-2024-900475e0f7';
const ICECAT = 'FEDORA-2025-bca38111fc';
const XORG = 'FEDORA-2025-fd490bcdcd';
const LIBVPX = 'FEDORA-2025-f5bf0fb721';

/** Updates inside a page of Bodhi's `/updates/`, as its API answers. */
const bodhiPage = (updates: unknown[]) => ({
  updates,
  page: 1,
  pages: 1,
  rows_per_page: 20,
  total: updates.length,
  chrome: true,
  display_user: true,
  display_request: true,
  package: null,
});

/** A binary rpm built from `sourceName`, as the rpm database records it. */
const rpm = (name: string, version: string, os: OsRelease, sourceName = name) =>
  osPackage({ manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version } satisfies OsPackage, os);

describe('Fedora images matched with Bodhi updates', () => {
  let store: MemoryAdvisoryStore;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lamina-fedora-'));
    try {
      // Bare updates as files, and the F40 ones again as one page of Bodhi's /updates/: the same records, written once.
      const files = [
        NETATALK,
        ICECAT,
        XORG,
        LIBVPX,
        'FEDORA-2023-91e69ea326',
        'FEDORA-2023-5911638116',
        'FEDORA-EPEL-2025-0d08cf47ee',
        'FEDORA-MODULAR-2023-5b8a7bde59',
      ];
      const updates = await Promise.all(files.map(async (alias) => JSON.parse(await readFile(join(DATA, `${alias}.json`), 'utf8'))));
      for (const [i, alias] of files.entries()) await writeFile(join(dir, `${alias}.json`), JSON.stringify(updates[i], null, 2));
      await writeFile(join(dir, 'updates-F40.json'), JSON.stringify(bodhiPage(updates.slice(0, 3))));
      store = new MemoryAdvisoryStore();
      const result = await importAdvisories(dir, store);
      expect(result.malformed).toBe(0);
      // netatalk 3, icecat 1, xorg 8, libvpx 1, rails 3; the page's 12 again; libcap (testing), EPEL and modular none.
      expect(result.records).toBe(16 + 12);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const byPackage = (findings: Awaited<ReturnType<typeof matchInventory>>['findings'], index: number) => findings.filter((f) => f.packageIndex === index);

  it('files Fedora releases under Fedora:<VERSION_ID>, fetched by fedora-bodhi by default', () => {
    expect(releaseEcosystem(F41)).toBe('Fedora:41');
    expect(distributionOf(F41)?.operatingSystem(F41)).toBe('fedora:41');
    expect(DEFAULT_SOURCES).toContain('fedora-bodhi');
  });

  it("finds a package below the update's build, with Bodhi's fix and rating, and not the build itself", async () => {
    const match = await matchInventory(
      inventoryOf(F40, [
        rpm('netatalk', '5:3.2.0-3.fc40', F40),
        // The fixed build itself.
        rpm('netatalk', '5:3.2.1-1.fc40', F40),
        // No epoch is epoch 0, below the fix's 5 whatever the version.
        rpm('netatalk', '3.2.5-1.fc40', F40),
      ]),
      store,
    );
    expect(match.osAdvisoriesUnavailable).toBe(false);
    const below = byPackage(match.findings, 0);
    expect(below.map((f) => f.id)).toEqual(['CVE-2024-38439', 'CVE-2024-38440', 'CVE-2024-38441']);
    expect(below[0]).toMatchObject({
      advisoryIds: [`${NETATALK}-CVE-2024-38439`],
      fixedVersion: '5:3.2.1-1.fc40',
      vendorRating: 'MODERATE',
      summary: 'netatalk: multiple vulnerabilities',
    });
    expect(below[0].links.slice(0, 2)).toEqual([
      'https://bugzilla.redhat.com/show_bug.cgi?id=CVE-2024-38439',
      `https://bodhi.fedoraproject.org/updates/${NETATALK}`,
    ]);
    expect(byPackage(match.findings, 1)).toEqual([]);
    expect(byPackage(match.findings, 2).map((f) => f.fixedVersion)).toEqual(['5:3.2.1-1.fc40', '5:3.2.1-1.fc40', '5:3.2.1-1.fc40']);
  });

  it('matches a binary by its source rpm at its own EVR, epochs included', async () => {
    const match = await matchInventory(
      inventoryOf(F40, [
        rpm('xorg-x11-server-Xvfb', '1.20.14-36.fc40', F40, 'xorg-x11-server'),
        rpm('xorg-x11-server-common', '1.20.14-37.fc40', F40, 'xorg-x11-server'),
        rpm('icecat', '2:115.22.0-1.rh1.fc40', F40),
        rpm('icecat', '2:115.22.0-2.rh1.fc40', F40),
      ]),
      store,
    );
    const xvfb = byPackage(match.findings, 0);
    expect(xvfb).toHaveLength(8);
    expect(xvfb.every((f) => f.fixedVersion === '1.20.14-37.fc40' && f.advisoryIds[0].startsWith(`${XORG}-CVE-2025-`))).toBe(true);
    expect(byPackage(match.findings, 1)).toEqual([]);
    expect(byPackage(match.findings, 2)).toMatchObject([{ id: 'CVE-2025-3416', fixedVersion: '2:115.22.0-2.rh1.fc40' }]);
    // Bodhi rated it `unspecified`: no vendor rating, so CVSS decides when there is one.
    expect(byPackage(match.findings, 2)[0].vendorRating).toBeUndefined();
    expect(byPackage(match.findings, 3)).toEqual([]);
  });

  it("never matches one Fedora release's updates for another's image", async () => {
    const f42 = await matchInventory(inventoryOf(F42, [rpm('netatalk', '5:3.2.0-3.fc42', F42), rpm('libvpx', '1.15.0-2.fc42', F42)]), store);
    expect(byPackage(f42.findings, 0)).toEqual([]);
    expect(byPackage(f42.findings, 1)).toMatchObject([{ id: 'CVE-2025-5262', fixedVersion: '1.15.0-3.fc42', vendorRating: 'CRITICAL' }]);

    const f40 = await matchInventory(inventoryOf(F40, [rpm('libvpx', '1.14.0-1.fc40', F40)]), store);
    expect(f40.findings).toEqual([]);

    // No update of Fedora 41 was imported: the store says it has no data for it rather than calling the image clean.
    const f41 = await matchInventory(inventoryOf(F41, [rpm('netatalk', '5:3.2.0-3.fc41', F41), rpm('libvpx', '1.14.0-1.fc41', F41)]), store);
    expect(f41.findings).toEqual([]);
    expect(f41.osAdvisoriesUnavailable).toBe(true);
  });

  it('reports an update naming no CVE under its FEDORA id', async () => {
    // The real xorg update with the notes that name its CVEs removed.
    const dir = await mkdtemp(join(tmpdir(), 'lamina-fedora-'));
    try {
      const xorg = JSON.parse(await readFile(join(DATA, `${XORG}.json`), 'utf8'));
      await writeFile(join(dir, 'update.json'), JSON.stringify({ update: { ...xorg, notes: 'Rebuild' } }));
      const own = new MemoryAdvisoryStore();
      expect((await importAdvisories(dir, own)).records).toBe(1);
      const match = await matchInventory(inventoryOf(F40, [rpm('xorg-x11-server-Xvfb', '1.20.14-36.fc40', F40, 'xorg-x11-server')]), own);
      expect(match.findings).toMatchObject([{ id: XORG, advisoryIds: [XORG], fixedVersion: '1.20.14-37.fc40', vendorRating: 'MODERATE' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('lamina db update --source fedora-bodhi:40', () => {
  it('brings the release into the store through the runner, and finds nothing new the next run', async () => {
    const updates = await Promise.all([NETATALK, ICECAT].map(async (alias) => JSON.parse(await readFile(join(DATA, `${alias}.json`), 'utf8'))));
    const server = await startRoutedServer();
    const workDir = await mkdtemp(join(tmpdir(), 'lamina-fedora-'));
    try {
      // One page of Bodhi's /updates/ holding the two real F40 updates.
      const body = JSON.stringify(bodhiPage(updates));
      server.routes.set('/updates/', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
      const store = new MemoryAdvisoryStore();
      const sources = sourcesNamed(['fedora-bodhi:40'], { fedora: { baseUrl: server.origin } });
      const first = await runSources(store, sources, { workDir });
      expect(first.sources).toMatchObject([{ source: 'fedora-bodhi:40', status: 'updated', records: 4, written: 4, malformed: 0 }]);
      expect(await store.getCursor(cursorKey('fedora-bodhi:40'))).toBe(JSON.stringify({ '40': '2025-04-30T01:59:13Z' }));

      const match = await matchInventory(inventoryOf(F40, [rpm('netatalk', '5:3.2.0-3.fc40', F40)]), store);
      expect(match.osAdvisoriesUnavailable).toBe(false);
      expect(match.findings.map((f) => f.id)).toEqual(['CVE-2024-38439', 'CVE-2024-38440', 'CVE-2024-38441']);

      const second = await runSources(store, sources, { workDir });
      expect(second.sources).toMatchObject([{ status: 'not-modified', written: 0 }]);
      expect(server.requests.map((r) => r.path)).toEqual(['/updates/', '/updates/']);
    } finally {
      await server.stop();
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
