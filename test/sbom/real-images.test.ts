import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { renderCycloneDx, renderSpdx } from '../../lib/sbom';
import type { ImageService } from '../../lib/service/image-service';
import { FileImageStore } from '../../lib/service/file-image-store';
import { sbomInputOf } from '../../lib/service/sbom-service';
import { TOOL } from '../../lib/scanner';
import { debianRootfsAvailable, debianRootfsTar } from '../support/debian-rootfs';
import { buildImage, pushImage, type TarEntrySpec } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { peerFixture, sharedAvailable, warnSkipped } from '../support/shared-fixtures';
import { errorsOf, loadValidators, type Validators } from './schemas';

const available = registryAvailable() && sharedAvailable;
if (!registryAvailable()) console.warn('SKIPPED SBOMs of real images: /usr/bin/docker-registry is not installed (npm test installs it as root)');
else if (!sharedAvailable) warnSkipped('SBOMs of real images');

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Image files from the peers' fixtures: a real package database beside a real os-release. */
function fixtureLayer(files: Record<string, string>): TarEntrySpec[] {
  return Object.entries(files).map(([path, fixture]) => ({ path, content: readFileSync(peerFixture(fixture)) }));
}

(available ? describe : describe.skip)('SBOMs of real images', () => {
  let registry: TestRegistry;
  let dataDir: string;
  let service: ImageService;
  let store: FileImageStore;
  let validators: Validators;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-sbom-'));
    store = new FileImageStore(dataDir);
    service = createImageService({ ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] }, store);
    validators = loadValidators();
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function sbomsOf(repository: string, layers: Parameters<typeof buildImage>[0]['layers']) {
    const image = await buildImage({ layers });
    await pushImage(registry, repository, '1', image);
    const stored = await service.inventoryOf({ imageName: `${registry.host}/${repository}:1`, force: false, includeSnoozed: false, cluster: '' });
    const input = sbomInputOf(stored, TOOL, new Date('2026-12-01T10:00:00Z'));
    const spdx = renderSpdx(input) as Doc;
    const cyclonedx = renderCycloneDx(input) as Doc;
    expect(validators.spdx(spdx) ? [] : errorsOf(validators.spdx)).toEqual([]);
    expect(validators.cyclonedx(cyclonedx) ? [] : errorsOf(validators.cyclonedx)).toEqual([]);
    return { stored, spdx, cyclonedx, image };
  }

  /** Every package of the inventory is listed once in each document, under its purl and version. */
  function expectEveryPackage(stored: Awaited<ReturnType<typeof sbomsOf>>['stored'], spdx: Doc, cyclonedx: Doc): void {
    const spdxPurls = spdx.packages.flatMap((p: Doc) =>
      (p.externalRefs ?? []).filter((r: Doc) => r.referenceType === 'purl').map((r: Doc) => `${r.referenceLocator} ${p.versionInfo}`),
    );
    const cdxPurls = cyclonedx.components.filter((c: Doc) => c.type === 'library').map((c: Doc) => `${c.purl} ${c.version}`);
    const expected = stored.inventory.packages.map((p) => `${p.purl} ${p.version}`).sort();
    expect(cdxPurls.sort()).toEqual(expected);
    expect(spdxPurls.filter((p: string) => !p.startsWith('pkg:oci/')).sort()).toEqual(expected);
  }

  it('an Alpine image (apk database from the peers) lists every apk package with a pkg:apk/alpine purl', async () => {
    const { stored, spdx, cyclonedx } = await sbomsOf('sbom/alpine', [
      {
        entries: fixtureLayer({
          'etc/os-release': 'os-release/syft-alpine/os-release',
          'lib/apk/db/installed': 'pkgdb/apk/trivy-alpine-installed/rootfs/lib/apk/db/installed',
        }),
      },
    ]);
    expect(stored.inventory.packages.length).toBeGreaterThan(10);
    expect(stored.inventory.packages.every((p) => /^pkg:apk\/alpine\/[^@]+@[^?]+\?arch=\w+&distro=alpine-3\./.test(p.purl))).toBe(true);
    expectEveryPackage(stored, spdx, cyclonedx);
    expect(cyclonedx.metadata.component).toMatchObject({ type: 'container', purl: expect.stringMatching(/^pkg:oci\/alpine@sha256:/) });
  });

  it('an rpm image (CBL-Mariner sqlite database from the peers) lists every rpm with its epoch as a qualifier', async () => {
    const { stored, spdx, cyclonedx } = await sbomsOf('sbom/mariner', [
      {
        entries: fixtureLayer({
          'etc/os-release': 'os-release/syft-mariner/os-release',
          'var/lib/rpm/rpmdb.sqlite': 'pkgdb/rpm-sqlite/go-rpmdb-cbl-mariner-2.0/rootfs/var/lib/rpm/rpmdb.sqlite',
        }),
      },
    ]);
    expect(stored.inventory.packages.length).toBeGreaterThan(10);
    expect(stored.inventory.packages.every((p) => p.purl.startsWith('pkg:rpm/mariner/'))).toBe(true);
    for (const pkg of stored.inventory.packages.filter((p) => /^\d+:/.test(p.version))) {
      expect(pkg.purl).toContain(`epoch=${pkg.version.split(':')[0]}`);
    }
    expectEveryPackage(stored, spdx, cyclonedx);
  });

  (debianRootfsAvailable() ? it : it.skip)(
    'the mmdebstrap bookworm root filesystem lists every dpkg package with a pkg:deb/debian purl',
    async () => {
      const { stored, spdx, cyclonedx, image } = await sbomsOf('sbom/debian', [{ tarFile: await debianRootfsTar(), compression: 'gzip' }]);
      expect(stored.inventory.packages.length).toBeGreaterThan(80);
      const libc = stored.inventory.packages.find((p) => p.name === 'libc6')!;
      expect(libc.purl).toMatch(/^pkg:deb\/debian\/libc6@2\.36-[^?]+\?arch=amd64&distro=debian-12$/);
      expect(libc.source?.name).toBe('glibc');
      expect(libc.layer).toEqual({ digest: image.layers[0].digest, index: 0 });
      expectEveryPackage(stored, spdx, cyclonedx);
      const described = spdx.packages.find((p: Doc) => p.SPDXID === spdx.documentDescribes[0]);
      expect(described.primaryPackagePurpose).toBe('CONTAINER');
    },
    600_000,
  );
});
