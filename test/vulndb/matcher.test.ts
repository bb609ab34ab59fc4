import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OsPackage, OsRelease } from '../../lib/analyzers/types';
import type { Inventory, Package } from '../../lib/index/types';
import { inventoryOf, matchAsStackRox, osPackage, packageOf } from '../support/packages';
import { importAdvisories } from '../../lib/vulndb/import';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import type { Osv } from '../../lib/vulndb/osv';
import { parseOsv } from '../../lib/vulndb/osv-parse';
import type { PackageRef, PackageVisitor } from '../../lib/vulndb/store';

const ADVISORIES = resolve(__dirname, '../../../shared/fixtures/advisories');
const haveFixtures = existsSync(ADVISORIES);
if (!haveFixtures) console.warn(`SKIPPED matcher tests on real advisories: ${ADVISORIES} is absent`);
const withFixtures = haveFixtures ? it : it.skip;

const NOW = new Date('2026-11-25T12:00:00Z');
const DEBIAN_9: OsRelease = { id: 'debian', versionId: '9', codename: 'stretch' };
const DEBIAN_11: OsRelease = { id: 'debian', versionId: '11', codename: 'bullseye' };
const DEBIAN_12: OsRelease = { id: 'debian', versionId: '12', codename: 'bookworm' };
const ALPINE_318: OsRelease = { id: 'alpine', versionId: '3.18.4' };

type Os = OsRelease | undefined;

function dpkg(name: string, version: string, sourceName = name, sourceVersion = version): (os: Os) => Package {
  const record: OsPackage = { manager: 'dpkg', name, version, architecture: 'amd64', sourceName, sourceVersion };
  return (os) => osPackage(record, os);
}

function apk(name: string, version: string, origin = name): (os: Os) => Package {
  const record: OsPackage = { manager: 'apk', name, version, architecture: 'x86_64', sourceName: origin, sourceVersion: version };
  return (os) => osPackage(record, os);
}

function inventory(os: Os, packages: Array<(os: Os) => Package>): Inventory {
  return inventoryOf(
    os,
    packages.map((make) => make(os)),
  );
}

function fixture(path: string): Osv {
  return parseOsv(JSON.parse(readFileSync(join(ADVISORIES, path), 'utf8')));
}

/** A per-CVE Debian record in the shape osv.dev publishes (DEBIAN-CVE-…), with facts from Debian's tracker. */
function debianCve(cve: string, ecosystem: string, pkg: string, events: Array<Record<string, string>>, extra: Partial<Osv> = {}): Osv {
  return {
    id: `DEBIAN-${cve}`,
    modified: '2026-01-01T00:00:00Z',
    published: '2022-08-25T00:00:00Z',
    upstream: [cve],
    details: `${cve} in ${pkg}\nsecond line`,
    affected: [{ package: { ecosystem, name: pkg }, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: { urgency: 'not yet assigned' } }],
    ...extra,
  };
}

describe('matchInventory', () => {
  withFixtures('matches a Debian bulletin through the source package and names the fixing source version', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([fixture('osv/Debian/DLA-3008-1.json')]);
    const result = await matchAsStackRox(
      inventory(DEBIAN_9, [dpkg('libssl1.1', '1.1.0l-1~deb9u5', 'openssl'), dpkg('openssl', '1.1.0l-1~deb9u6'), dpkg('zlib1g', '1:1.2.8.dfsg-5')]),
      store,
      { now: NOW },
    );
    const [libssl, openssl, zlib] = result.components;
    expect(libssl.vulns.map((v) => v.cve)).toEqual(['CVE-2022-1292']);
    expect(libssl.vulns[0]).toMatchObject({
      fixedBy: '1.1.0l-1~deb9u6',
      summary: 'openssl - security update',
      link: 'https://security-tracker.debian.org/tracker/CVE-2022-1292',
      vulnerabilityType: 'IMAGE_VULNERABILITY',
      severity: 'UNKNOWN_VULNERABILITY_SEVERITY',
      publishedOn: '2022-05-14T00:00:00.000Z',
      firstImageOccurrence: NOW.toISOString(),
      state: 'OBSERVED',
      suppressed: false,
    });
    expect(libssl.fixedBy).toBe('1.1.0l-1~deb9u6');
    expect(openssl.vulns).toEqual([]);
    expect(zlib.vulns).toEqual([]);
    expect(result.notes).toEqual([]);
  });

  withFixtures('never matches an advisory of another Debian release', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([fixture('osv/Debian/DLA-3008-1.json')]);
    const result = await matchAsStackRox(inventory(DEBIAN_11, [dpkg('libssl1.1', '1.1.0l-1~deb9u5', 'openssl')]), store, { now: NOW });
    expect(result.components[0].vulns).toEqual([]);
  });

  withFixtures("matches Alpine by major.minor release through the origin package, with the record's CVSS v3", async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([fixture('osv/Alpine/ALPINE-CVE-2025-26519.json')]);
    const affected = await matchAsStackRox(inventory(ALPINE_318, [apk('musl-utils', '1.2.4-r2', 'musl'), apk('musl', '1.2.4-r3')]), store, { now: NOW });
    const [utils, musl] = affected.components;
    expect(utils.vulns).toHaveLength(1);
    expect(utils.vulns[0]).toMatchObject({
      cve: 'CVE-2025-26519',
      fixedBy: '1.2.4-r3',
      cvss: 7,
      scoreVersion: 'V3',
      severity: 'IMPORTANT_VULNERABILITY_SEVERITY',
      link: 'https://security.alpinelinux.org/vuln/CVE-2025-26519',
    });
    expect(utils.vulns[0].summary).toMatch(/^musl libc 0\.9\.13 through 1\.2\.5/);
    expect(utils.vulns[0].cvssV3).toMatchObject({ attackVector: 'ATTACK_LOCAL', attackComplexity: 'COMPLEXITY_HIGH', score: 7, severity: 'HIGH' });
    expect(utils.vulns[0].cvssV2).toBeNull();
    expect(musl.vulns).toEqual([]);

    const older = await matchAsStackRox(inventory({ id: 'alpine', versionId: '3.17.0' }, [apk('musl', '1.2.3-r5')]), store, { now: NOW });
    expect(older.components[0].vulns[0].fixedBy).toBe('1.2.3-r6');
  });

  withFixtures('takes CVSS from NVD when the advisory carries none, and scores severity from it', async () => {
    const store = new MemoryAdvisoryStore();
    await importAdvisories(join(ADVISORIES, 'nvd/api-2.0/CVE-2022-32746.json'), store);
    await store.putAdvisories([debianCve('CVE-2022-32746', 'Debian:11', 'samba', [{ introduced: '0' }, { fixed: '2:4.13.13+dfsg-1~deb11u5' }])]);
    // Without a distro rating the NVD v3 score decides: 5.4 is MEDIUM → MODERATE.
    const result = await matchAsStackRox(inventory(DEBIAN_11, [dpkg('samba-libs', '2:4.13.13+dfsg-1~deb11u3', 'samba')]), store, { now: NOW });
    const vuln = result.components[0].vulns[0];
    expect(vuln).toMatchObject({
      cve: 'CVE-2022-32746',
      cvss: 5.4,
      scoreVersion: 'V3',
      severity: 'MODERATE_VULNERABILITY_SEVERITY',
      fixedBy: '2:4.13.13+dfsg-1~deb11u5',
    });
    expect(vuln.cvssV3?.vector).toBe('CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:L');
    expect(vuln.publishedOn).toBe('2022-08-25T00:00:00.000Z');
    expect(vuln.summary).toBe('CVE-2022-32746 in samba');
  });

  it('reports an unfixed vulnerability without fixedBy and takes the distro rating before CVSS', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([
      debianCve('CVE-2023-45853', 'Debian:12', 'zlib', [{ introduced: '0' }], {
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'zlib' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
            ecosystem_specific: { urgency: 'low' },
          },
        ],
      }),
    ]);
    const result = await matchAsStackRox(inventory(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]), store, { now: NOW });
    const [zlib] = result.components;
    expect(zlib.vulns).toHaveLength(1);
    expect(zlib.vulns[0]).not.toHaveProperty('fixedBy');
    expect(zlib.vulns[0].cvss).toBe(9.8);
    expect(zlib.vulns[0].severity).toBe('LOW_VULNERABILITY_SEVERITY');
    expect(zlib.fixedBy).toBe('');
  });

  it('reports each CVE once per component: per-CVE records speak before a bulletin naming several', async () => {
    const store = new MemoryAdvisoryStore();
    const dsa: Osv = {
      id: 'DSA-5347-1',
      modified: '2026-01-02T00:00:00Z',
      summary: 'curl - security update',
      upstream: ['CVE-2023-23914', 'CVE-2023-23915'],
      affected: [
        { package: { ecosystem: 'Debian:11', name: 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '7.74.0-1.3+deb11u7' }] }] },
      ],
    };
    await store.putAdvisories([
      dsa,
      debianCve('CVE-2023-23914', 'Debian:11', 'curl', [{ introduced: '0' }, { fixed: '7.74.0-1.3+deb11u7' }]),
      debianCve('CVE-2023-27533', 'Debian:11', 'curl', [{ introduced: '0' }, { fixed: '7.74.0-1.3+deb11u8' }]),
    ]);
    const result = await matchAsStackRox(inventory(DEBIAN_11, [dpkg('libcurl4', '7.74.0-1.3+deb11u5', 'curl')]), store, { now: NOW });
    const [curl] = result.components;
    expect(curl.vulns.map((v) => v.cve)).toEqual(['CVE-2023-23914', 'CVE-2023-23915', 'CVE-2023-27533']);
    expect(curl.vulns.map((v) => v.fixedBy)).toEqual(['7.74.0-1.3+deb11u7', '7.74.0-1.3+deb11u7', '7.74.0-1.3+deb11u8']);
    // The bulletin alone speaks for CVE-2023-23915, so its summary is used there.
    expect(curl.vulns[1].summary).toBe('curl - security update');
    expect(curl.vulns[0].summary).toBe('CVE-2023-23914 in curl');
    // The component's fixedBy fixes all of its fixable vulnerabilities.
    expect(curl.fixedBy).toBe('7.74.0-1.3+deb11u8');
  });

  it('keeps firstImageOccurrence from the previous scan of the image', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([debianCve('CVE-2023-45853', 'Debian:12', 'zlib', [{ introduced: '0' }])]);
    const inv = inventory(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]);
    const first = await matchAsStackRox(inv, store, { now: new Date('2026-01-01T00:00:00Z') });
    const previous = { scan: { components: first.components } } as never;
    const second = await matchAsStackRox(inv, store, { now: NOW, previous });
    expect(second.components[0].vulns[0].firstImageOccurrence).toBe('2026-01-01T00:00:00.000Z');
  });

  it('skips an advisory whose versions its ecosystem cannot order, with a warning, and keeps matching others', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([
      debianCve('CVE-2024-0001', 'Debian:12', 'zlib', [{ introduced: '0' }, { fixed: `${'9'.repeat(600)}` }]),
      debianCve('CVE-2024-0002', 'Debian:12', 'zlib', [{ introduced: '0' }, { fixed: '1:1.3-1' }]),
    ]);
    const result = await matchAsStackRox(inventory(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]), store, { now: NOW });
    expect(result.components[0].vulns.map((v) => v.cve)).toEqual(['CVE-2024-0002']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^advisory DEBIAN-CVE-2024-0001 for zlib 1:1\.2\.13\.dfsg-1 skipped: /);
  });

  it('ignores withdrawn advisories and GIT ranges', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([
      { ...debianCve('CVE-2024-0003', 'Debian:12', 'zlib', [{ introduced: '0' }]), withdrawn: '2026-01-01T00:00:00Z' },
      {
        id: 'CVE-2024-0004',
        modified: '2026-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'zlib' },
            ranges: [{ type: 'GIT', repo: 'https://github.com/madler/zlib', events: [{ introduced: '0' }] }],
          },
        ],
      },
    ]);
    const result = await matchAsStackRox(inventory(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]), store, { now: NOW });
    expect(result.components[0].vulns).toEqual([]);
  });

  it('notes OS_CVES_UNAVAILABLE when the store is empty or the OS has no advisory source', async () => {
    const empty = await matchAsStackRox(inventory(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]), new MemoryAdvisoryStore(), { now: NOW });
    expect(empty.notes).toEqual(['OS_CVES_UNAVAILABLE']);

    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([debianCve('CVE-2023-45853', 'Debian:12', 'zlib', [{ introduced: '0' }])]);
    const unknownOs = await matchAsStackRox(inventory({ id: 'plan9', versionId: '4' }, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]), store, { now: NOW });
    expect(unknownOs.notes).toEqual(['OS_CVES_UNAVAILABLE']);
    expect(unknownOs.components[0].vulns).toEqual([]);

    const noPackages = await matchAsStackRox(inventory(DEBIAN_12, []), store, { now: NOW });
    expect(noPackages.notes).toEqual([]);
    expect(noPackages.dataVersion).toBe(await store.getDataVersion());
  });
});

describe('which ecosystems the store covers decides the *_CVES_UNAVAILABLE notes', () => {
  const debianRecord = debianCve('CVE-2023-45853', 'Debian:12', 'zlib', [{ introduced: '0' }, { fixed: '1:1.3.dfsg-1' }]);

  it('an image of a release the imported data does not cover says OS_CVES_UNAVAILABLE instead of looking clean', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([debianRecord]);
    const alpine = await matchAsStackRox(inventory(ALPINE_318, [apk('musl', '1.2.4-r1')]), store, { now: NOW });
    expect(alpine.notes).toEqual(['OS_CVES_UNAVAILABLE']);
    const debian = await matchAsStackRox(inventory(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')]), store, { now: NOW });
    expect(debian.notes).toEqual([]);
    expect(debian.components[0].vulns.map((v) => v.cve)).toEqual(['CVE-2023-45853']);
  });

  it('language packages of an ecosystem the store lacks say LANGUAGE_CVES_UNAVAILABLE, naming it in the match', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([debianRecord]);
    const express = packageOf({ ecosystem: 'npm', purlType: 'npm', name: 'express', version: '4.17.1' }, DEBIAN_12, {
      location: 'app/node_modules/express/package.json',
    });
    const result = await matchAsStackRox(inventoryOf(DEBIAN_12, [dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib')(DEBIAN_12), express]), store, { now: NOW });
    expect(result.languageAdvisoriesUnavailable).toEqual(['npm']);
    expect(result.notes).toEqual(['LANGUAGE_CVES_UNAVAILABLE']);
  });
});

describe('language advisories as osv.dev orders their versions', () => {
  it('a SemVer fix written with missing parts (2.0) bounds the range as 2.0.0', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putAdvisories([
      {
        id: 'GHSA-test-semver-short',
        modified: '2024-01-01T00:00:00Z',
        aliases: ['CVE-2024-0001'],
        affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }],
      },
    ]);
    const pkg = (version: string) =>
      packageOf({ ecosystem: 'npm', purlType: 'npm', name: 'left-pad', version }, DEBIAN_12, { location: 'app/node_modules/left-pad/package.json' });
    const result = await matchAsStackRox(inventoryOf(DEBIAN_12, [pkg('1.9.0'), pkg('2.0.0')]), store, { now: NOW });
    expect(result.warnings).toEqual([]);
    expect(result.components.map((c) => [c.version, c.vulns.map((v) => `${v.cve} ${v.fixedBy}`)])).toEqual([
      ['1.9.0', ['CVE-2024-0001 2.0']],
      ['2.0.0', []],
    ]);
  });
});

describe('the matcher takes lists in whatever order the store hands them over', () => {
  /** A real store that hands its answers over last to first, leaving out the packages named in `silent`. */
  class ReversingStore extends MemoryAdvisoryStore {
    constructor(private readonly silent: string[] = []) {
      super();
    }
    override async visitPackages(keys: PackageRef[], visit: PackageVisitor): Promise<void> {
      const found = [...(await this.findByPackages(keys))].reverse();
      for (const [key, advisories] of found) if (!this.silent.includes(key)) visit(key, advisories);
    }
  }

  const image = inventory(DEBIAN_12, [
    dpkg('libssl3', '3.0.11-1~deb12u1', 'openssl'),
    dpkg('openssl', '3.0.11-1~deb12u1'),
    dpkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib'),
    dpkg('libc6', '2.36-9', 'glibc'),
  ]);
  const records = [
    debianCve('CVE-2024-0727', 'Debian:12', 'openssl', [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }]),
    debianCve('CVE-2023-45853', 'Debian:12', 'zlib', [{ introduced: '0' }]),
    debianCve('CVE-2023-4911', 'Debian:12', 'glibc', [{ introduced: '0' }, { fixed: '2.36-9+deb12u3' }]),
  ];
  const found = (components: Awaited<ReturnType<typeof matchAsStackRox>>['components']) =>
    components.flatMap((c) => c.vulns.map((v) => `${c.name}:${v.cve}:${v.fixedBy ?? ''}`));

  it('finds the same as when the lists come in the packages order', async () => {
    const inOrder = new MemoryAdvisoryStore();
    const reversed = new ReversingStore();
    await inOrder.putAdvisories(records);
    await reversed.putAdvisories(records);
    const expected = await matchAsStackRox(image, inOrder, { now: NOW });
    expect(found(expected.components)).toEqual([
      'libssl3:CVE-2024-0727:3.0.13-1~deb12u1',
      'openssl:CVE-2024-0727:3.0.13-1~deb12u1',
      'zlib1g:CVE-2023-45853:',
      'libc6:CVE-2023-4911:2.36-9+deb12u3',
    ]);
    const got = await matchAsStackRox(image, reversed, { now: NOW });
    expect(got.components).toEqual(expected.components);
    expect(got.findings.map((f) => f.packageIndex)).toEqual(expected.findings.map((f) => f.packageIndex));
  });

  it('a package the store says nothing about has no findings, and the others still match', async () => {
    const store = new ReversingStore(['Debian:12|zlib']);
    await store.putAdvisories(records);
    const got = await matchAsStackRox(image, store, { now: NOW });
    expect(found(got.components)).toEqual([
      'libssl3:CVE-2024-0727:3.0.13-1~deb12u1',
      'openssl:CVE-2024-0727:3.0.13-1~deb12u1',
      'libc6:CVE-2023-4911:2.36-9+deb12u3',
    ]);
  });
});
