import { CachedAdvisoryStore } from '../../lib/vulndb/cached-store';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import type { Osv } from '../../lib/vulndb/osv';
import type { PackageRef } from '../../lib/vulndb/store';
import { inventoryOf, matchAsStackRox, osPackage } from '../support/packages';

/** A real store that counts the lookups reaching it. */
class CountingStore extends MemoryAdvisoryStore {
  packageLookups = 0;
  cvssLookups = 0;
  override async findByPackages(keys: PackageRef[]) {
    this.packageLookups += keys.length;
    return super.findByPackages(keys);
  }
  override async getCvss(ids: string[]) {
    this.cvssLookups += ids.length;
    return super.getCvss(ids);
  }
}

const os = { id: 'debian', versionId: '12' };
const zlib = osPackage({ manager: 'dpkg', name: 'zlib1g', version: '1:1.2.13.dfsg-1', sourceName: 'zlib', sourceVersion: '1:1.2.13.dfsg-1' }, os);
const inventory = inventoryOf(os, [zlib]);

function record(cve: string): Osv {
  return {
    id: `DEBIAN-${cve}`,
    modified: '2026-01-01T00:00:00Z',
    upstream: [cve],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
  };
}

describe('CachedAdvisoryStore', () => {
  it('answers repeated matches from memory until the data version changes', async () => {
    const inner = new CountingStore();
    await inner.putAdvisories([record('CVE-2023-45853')]);
    await inner.putCvss('CVE-2023-45853', { v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    const store = new CachedAdvisoryStore(inner);
    const now = new Date('2026-11-25T00:00:00Z');

    const first = await matchAsStackRox(inventory, store, { now });
    const second = await matchAsStackRox(inventory, store, { now });
    expect(second.components).toEqual(first.components);
    expect(second.components[0].vulns[0].cvss).toBe(9.8);
    expect([inner.packageLookups, inner.cvssLookups]).toEqual([1, 1]);

    // New data: the next match sees it, fetched again.
    await store.putAdvisories([record('CVE-2026-0001')]);
    const third = await matchAsStackRox(inventory, store, { now });
    expect(third.components[0].vulns.map((v) => v.cve)).toEqual(['CVE-2023-45853', 'CVE-2026-0001']);
    expect(third.dataVersion).not.toBe(first.dataVersion);
    expect(inner.packageLookups).toBe(2);
  });

  it('remembers that NVD has nothing for a CVE', async () => {
    const inner = new CountingStore();
    await inner.putAdvisories([record('CVE-2023-45853')]);
    const store = new CachedAdvisoryStore(inner);
    await store.getDataVersion();
    expect((await store.getCvss(['CVE-2023-45853'])).size).toBe(0);
    expect((await store.getCvss(['CVE-2023-45853'])).size).toBe(0);
    expect(inner.cvssLookups).toBe(1);
  });

  it('hands cached lists over without asking the store, and keeps no list read while the data version moved', async () => {
    const inner = new CountingStore();
    await inner.putAdvisories([record('CVE-2023-45853')]);
    const store = new CachedAdvisoryStore(inner);
    await store.getDataVersion();
    const zlibRef = { ecosystem: 'Debian:12', name: 'zlib' };
    const absent = { ecosystem: 'Debian:12', name: 'absent' };
    const visited: string[] = [];
    const visit = (key: string, advisories: Osv[]) => visited.push(`${key}=${advisories.map((o) => o.id).join(',')}`);
    await store.visitPackages([zlibRef, absent, zlibRef], visit);
    await store.visitPackages([zlibRef, absent], visit);
    expect(visited).toEqual(['Debian:12|zlib=DEBIAN-CVE-2023-45853', 'Debian:12|absent=', 'Debian:12|zlib=DEBIAN-CVE-2023-45853', 'Debian:12|absent=']);
    expect(inner.packageLookups).toBe(2);

    // An import lands while a lookup is under way: its answer is used, not kept for the new version.
    const moving = new CachedAdvisoryStore(inner);
    await moving.getDataVersion();
    const original = inner.findByPackages.bind(inner);
    inner.findByPackages = async (keys) => {
      const found = await original(keys);
      await inner.putAdvisories([record('CVE-2026-0002')]);
      await moving.getDataVersion();
      return found;
    };
    const before = inner.packageLookups;
    await moving.visitPackages([zlibRef], () => {});
    inner.findByPackages = original;
    await moving.visitPackages([zlibRef], () => {});
    expect(inner.packageLookups - before).toBe(2);
  });
});
