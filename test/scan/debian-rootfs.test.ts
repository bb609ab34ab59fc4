import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { FileImageStore } from '../../lib/service/file-image-store';
import { debianRootfs, debianRootfsAvailable, debianRootfsTar } from '../support/debian-rootfs';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const available = registryAvailable() && debianRootfsAvailable();
if (!available) console.warn('SKIPPED Debian root filesystem scan: needs docker-registry and mmdebstrap as root (npm test installs them)');

/** What dpkg itself says is installed in the tree: name, version, source, source version, architecture. */
function dpkgQuery(root: string): string[] {
  const out = execFileSync(
    'dpkg-query',
    [
      '--admindir',
      join(root, 'var/lib/dpkg'),
      '-W',
      '-f',
      '${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n',
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter((line) => line.startsWith('installed\t'))
    .map((line) => line.slice('installed\t'.length))
    .sort();
}

(available ? describe : describe.skip)('a real Debian bookworm root filesystem', () => {
  let registry: TestRegistry;
  let dataDir: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-debian-'));
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reports exactly the packages dpkg-query reports, with sources and the OS', async () => {
    const root = await debianRootfs();
    const image = await buildImage({ format: 'docker', layers: [{ tarFile: await debianRootfsTar(), compression: 'gzip' }] });
    await pushImage(registry, 'library/debian', 'bookworm', image);

    const service = createImageService({ ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] }, new FileImageStore(dataDir));
    const result = await service.scanImage({ imageName: `${registry.host}/library/debian:bookworm`, force: false, includeSnoozed: false, cluster: '' });

    expect(result.scan?.operatingSystem).toBe('debian:12');
    const stored = await new FileImageStore(dataDir).get(result.id);
    const scanned = stored!.inventory.packages.map((p) => [p.name, p.version, p.source!.name, p.source!.version, p.architecture].join('\t')).sort();
    const expected = dpkgQuery(root);
    expect(expected.length).toBeGreaterThan(80);
    expect(scanned).toEqual(expected);
    expect(result.scan?.components.every((c) => c.layerIndex === 0 && c.source === 'OS')).toBe(true);
  }, 600_000);
});
