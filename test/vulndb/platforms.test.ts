import { cpeMatches, imagePlatforms, platformApplies } from '../../lib/vulndb/platforms';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import { cursorKey } from '../../lib/vulndb/store';
import { inventoryOf } from '../support/packages';

/** CPEs as Red Hat writes them: VEX products (the patterns) and its repository mapping (the images' CPEs). */
describe('cpeMatches', () => {
  it('a product without a variant names every variant of its release, whatever the part', () => {
    expect(cpeMatches('cpe:/o:redhat:enterprise_linux:9', 'cpe:/o:redhat:enterprise_linux:9::baseos')).toBe(true);
    expect(cpeMatches('cpe:/o:redhat:enterprise_linux:9', 'cpe:/a:redhat:enterprise_linux:9::appstream')).toBe(true);
    expect(cpeMatches('cpe:/a:redhat:enterprise_linux:8', 'cpe:/o:redhat:enterprise_linux:8::baseos')).toBe(true);
  });

  it('a variant names only itself', () => {
    expect(cpeMatches('cpe:/a:redhat:enterprise_linux:9::appstream', 'cpe:/a:redhat:enterprise_linux:9::appstream')).toBe(true);
    expect(cpeMatches('cpe:/a:redhat:enterprise_linux:9::appstream', 'cpe:/o:redhat:enterprise_linux:9::baseos')).toBe(false);
    expect(cpeMatches('cpe:/a:redhat:enterprise_linux:9::appstream', 'cpe:/a:redhat:enterprise_linux:9')).toBe(false);
  });

  it('a release names its minors (RHEL 10), not other releases or streams', () => {
    expect(cpeMatches('cpe:/o:redhat:enterprise_linux:10', 'cpe:/o:redhat:enterprise_linux:10.1::appstream')).toBe(true);
    expect(cpeMatches('cpe:/o:redhat:enterprise_linux:10.1', 'cpe:/o:redhat:enterprise_linux:10.1::baseos')).toBe(true);
    expect(cpeMatches('cpe:/o:redhat:enterprise_linux:10.1', 'cpe:/o:redhat:enterprise_linux:10.0::baseos')).toBe(false);
    expect(cpeMatches('cpe:/o:redhat:enterprise_linux:1', 'cpe:/o:redhat:enterprise_linux:10.0::baseos')).toBe(false);
    expect(cpeMatches('cpe:/a:redhat:enterprise_linux:9::appstream', 'cpe:/a:redhat:rhel_eus:9.4::appstream')).toBe(false);
    expect(cpeMatches('cpe:/a:redhat:rhel_eus:9.4', 'cpe:/a:redhat:rhel_eus:9.4::appstream')).toBe(true);
    expect(cpeMatches('cpe:/a:redhat:rhel_eus:9.4', 'cpe:/a:redhat:rhel_eus:9.6::appstream')).toBe(false);
    expect(cpeMatches('not a cpe', 'cpe:/a:redhat:rhel_eus:9.4::appstream')).toBe(false);
  });
});

describe('platformApplies', () => {
  const main = { cpes: ['cpe:/a:redhat:enterprise_linux:9::appstream'] };
  const extended = { cpes: ['cpe:/a:redhat:rhel_eus:9.4::appstream'], extended_stream: true };

  it('an image of unknown platforms gets the default streams, never an extended one', () => {
    expect(platformApplies(main, {})).toBe(true);
    expect(platformApplies(extended, {})).toBe(false);
  });

  it('an image of known platforms gets the entries naming one of them', () => {
    const eus = { platforms: ['cpe:/a:redhat:rhel_eus:9.4::appstream', 'cpe:/o:redhat:rhel_eus:9.4::baseos'] };
    expect(platformApplies(main, eus)).toBe(false);
    expect(platformApplies(extended, eus)).toBe(true);
    expect(platformApplies(main, { platforms: ['cpe:/o:redhat:enterprise_linux:9::baseos'] })).toBe(false);
  });

  it('an entry naming no CPE is about every image (other distributions, records stored before)', () => {
    expect(platformApplies(undefined, { platforms: ['cpe:/o:redhat:enterprise_linux:9::baseos'] })).toBe(true);
    expect(platformApplies({ severity: 'Low' }, {})).toBe(true);
  });
});

describe('imagePlatforms', () => {
  const RHEL9 = { id: 'rhel', versionId: '9.4' };

  it("unites the CPEs of the image's repositories, from the mapping its distribution's source keeps", async () => {
    const store = new MemoryAdvisoryStore();
    const repositories = {
      'rhel-9-for-x86_64-baseos-rpms': ['cpe:/o:redhat:enterprise_linux:9::baseos'],
      'rhel-9-for-x86_64-appstream-rpms': ['cpe:/a:redhat:enterprise_linux:9::appstream'],
    };
    await store.setCursor(cursorKey('redhat-repositories'), JSON.stringify({ repositories }));
    const warnings: string[] = [];
    const contentSets = ['rhel-9-for-x86_64-baseos-rpms', 'rhel-9-for-x86_64-appstream-rpms', 'unknown-rpms'];
    expect(await imagePlatforms(inventoryOf(RHEL9, [], { contentSets }), store, warnings)).toEqual([
      'cpe:/a:redhat:enterprise_linux:9::appstream',
      'cpe:/o:redhat:enterprise_linux:9::baseos',
    ]);
    expect(warnings).toEqual([]);
    // Repositories say nothing for a distribution without a mapping, nor does an image without them.
    expect(await imagePlatforms(inventoryOf({ id: 'centos', versionId: '8' }, [], { contentSets }), store, warnings)).toBeUndefined();
    expect(await imagePlatforms(inventoryOf(RHEL9, []), store, warnings)).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
