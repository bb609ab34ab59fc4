import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import type { ImageService } from '../../lib/service/image-service';
import type { StorageImage } from '../../lib/stackrox/types';
import type { Osv } from '../../lib/vulndb/osv';
import { debianRootfs, debianRootfsAvailable, debianRootfsTar } from '../support/debian-rootfs';
import { startDynalite } from '../support/dynalite';
import { buildImage, pushImage, type BuiltImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const available = registryAvailable() && debianRootfsAvailable();
if (!available) console.warn('SKIPPED Debian CVE end-to-end test: needs docker-registry and mmdebstrap as root (npm test installs them)');

/** The image's libgnutls30 as bookworm shipped it in mid-2024, before the gnutls28 fixes of 2025. */
const OLD_GNUTLS = '3.7.9-2+deb12u3';

/**
 * Per-CVE Debian records in osv.dev's shape, with facts from Debian's security tracker for bookworm.
 * `fixed` absent: the tracker lists the CVE as unfixed in bookworm.
 */
function debian(cve: string, release: string, source: string, fixed: string | undefined, urgency?: string): Osv {
  return {
    id: `DEBIAN-${cve}`,
    modified: '2026-03-01T00:00:00Z',
    published: '2024-01-01T00:00:00Z',
    upstream: [cve],
    details: `${cve} in ${source}`,
    affected: [
      {
        package: { ecosystem: `Debian:${release}`, name: source },
        ranges: [{ type: 'ECOSYSTEM', events: fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }] }],
        ...(urgency ? { ecosystem_specific: { urgency } } : {}),
      },
    ],
  };
}

const ADVISORIES: Osv[] = [
  debian('CVE-2023-45853', '12', 'zlib', undefined), // minizip, not built by Debian: unfixed
  debian('CVE-2005-2541', '12', 'tar', undefined, 'unimportant'),
  debian('CVE-2022-0563', '12', 'util-linux', undefined, 'unimportant'),
  debian('CVE-2023-4911', '12', 'glibc', '2.36-9+deb12u3', 'high'), // fixed long before the installed glibc
  debian('CVE-2024-28834', '12', 'gnutls28', '3.7.9-2+deb12u3'), // fixed exactly at the installed version
  debian('CVE-2024-12243', '12', 'gnutls28', '3.7.9-2+deb12u4'),
  debian('CVE-2025-32988', '12', 'gnutls28', '3.7.9-2+deb12u5'),
  debian('CVE-2018-25032', '11', 'zlib', '1:1.2.11.dfsg-2+deb11u1'), // another release: never matches a bookworm image
  debian('CVE-2022-37434', '11', 'zlib', undefined),
];

/** Binary packages of the tree by source package, as dpkg-query reports them. */
function binariesBySource(root: string): Map<string, string[]> {
  const out = execFileSync('dpkg-query', ['--admindir', join(root, 'var/lib/dpkg'), '-W', '-f', '${Package}\t${source:Package}\n'], { encoding: 'utf8' });
  const map = new Map<string, string[]>();
  for (const line of out.trim().split('\n')) {
    const [name, source] = line.split('\t');
    map.set(source, [...(map.get(source) ?? []), name]);
  }
  return map;
}

/** `component → [cve fixedBy]` for every vulnerable component. */
function findings(image: StorageImage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const component of image.scan!.components) {
    if (component.vulns.length > 0) out[component.name] = component.vulns.map((v) => `${v.cve} ${v.fixedBy ?? '-'}`);
  }
  return out;
}

(available ? describe : describe.skip)('CVEs of a real Debian bookworm image', () => {
  let registry: TestRegistry;
  let dynamo: EmbeddedDynamo;
  let advisories: DynamoAdvisoryStore;
  let service: ImageService;
  let image: BuiltImage;
  let root: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    dynamo = await startDynalite();
    advisories = new DynamoAdvisoryStore(dynamo.client, 'advisories');
    await advisories.ensureTables();
    await advisories.putAdvisories(ADVISORIES);

    root = await debianRootfs();
    // A second layer pins libgnutls30 to an older bookworm release, as an image built then would have it.
    const status = await readFile(join(root, 'var/lib/dpkg/status'), 'utf8');
    const pinned = status.replace(/(^Package: libgnutls30\n(?:[^\n]+\n)*?)Version: [^\n]+/m, `$1Version: ${OLD_GNUTLS}`);
    expect(pinned).not.toBe(status);
    image = await buildImage({
      format: 'docker',
      layers: [{ tarFile: await debianRootfsTar(), compression: 'gzip' }, { entries: [{ path: 'var/lib/dpkg/status', content: pinned }] }],
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:bookworm in / ' },
        { created_by: 'RUN /bin/sh -c apt-get install libgnutls30=3.7.9-2+deb12u3 # buildkit' },
      ],
    });
    await pushImage(registry, 'library/debian', 'pinned', image);
    service = createImageService({ ...configFromEnv({}), insecureRegistries: [registry.host] }, new MemoryImageStore(), { advisories });
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
    await dynamo?.stop();
  });

  it('reports exactly the CVEs that affect the installed source versions, with their fixes', async () => {
    const result = await service.scanImage({ imageName: `${registry.host}/library/debian:pinned`, force: false, includeSnoozed: false, cluster: '' });
    const sources = binariesBySource(root);
    const expected: Record<string, string[]> = {};
    for (const name of sources.get('zlib')!) expected[name] = ['CVE-2023-45853 -'];
    for (const name of sources.get('tar')!) expected[name] = ['CVE-2005-2541 -'];
    for (const name of sources.get('util-linux')!) expected[name] = ['CVE-2022-0563 -'];
    expected.libgnutls30 = ['CVE-2024-12243 3.7.9-2+deb12u4', 'CVE-2025-32988 3.7.9-2+deb12u5'];
    expect(findings(result)).toEqual(expected);
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(8);

    const gnutls = result.scan!.components.find((c) => c.name === 'libgnutls30')!;
    expect(gnutls).toMatchObject({ version: OLD_GNUTLS, layerIndex: 1, fixedBy: '3.7.9-2+deb12u5' });
    expect(gnutls.vulns[0].link).toBe('https://security-tracker.debian.org/tracker/CVE-2024-12243');
    const tar = result.scan!.components.find((c) => c.name === 'tar')!;
    expect(tar.vulns[0].severity).toBe('LOW_VULNERABILITY_SEVERITY');

    const cves = new Set(
      Object.values(expected)
        .flat()
        .map((f) => f.split(' ')[0]),
    );
    expect(result.cves).toBe(cves.size);
    expect(result.fixableCves).toBe(2);
    expect(result.scan!.notes).toEqual([]);
  }, 600_000);

  it('re-matches the stored inventory when advisories change, without touching the registry', async () => {
    const byDigest = `${registry.host}/library/debian@${image.manifestDigest}`;
    const before = await service.scanImage({ imageName: byDigest, force: false, includeSnoozed: false, cluster: '' });
    expect(findings(before).libgnutls30).toHaveLength(2);

    await advisories.putAdvisories([debian('CVE-2025-6395', '12', 'gnutls28', '3.7.9-2+deb12u5')]);
    await registry.stop();
    const after = await service.scanImage({ imageName: byDigest, force: false, includeSnoozed: false, cluster: '' });
    expect(findings(after).libgnutls30).toEqual(['CVE-2024-12243 3.7.9-2+deb12u4', 'CVE-2025-32988 3.7.9-2+deb12u5', 'CVE-2025-6395 3.7.9-2+deb12u5']);
    expect(after.fixableCves).toBe(3);
    expect(Date.parse(after.lastUpdated!)).toBeGreaterThanOrEqual(Date.parse(before.lastUpdated!));
    // CVEs already reported keep the time they were first seen in this image.
    const firstSeen = (img: StorageImage, cve: string) =>
      img.scan!.components.find((c) => c.name === 'libgnutls30')!.vulns.find((v) => v.cve === cve)!.firstImageOccurrence;
    expect(firstSeen(after, 'CVE-2024-12243')).toBe(firstSeen(before, 'CVE-2024-12243'));
  }, 600_000);
});
