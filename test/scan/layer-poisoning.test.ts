import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { createImageService } from '../../lib/compose';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { MemoryLayerCache } from '../../lib/index/layer-cache';
import { FileImageStore } from '../../lib/service/file-image-store';
import { FakeRegistry, OCI_MANIFEST } from '../image/fake-registry';
import { drain, failure } from '../support/outcomes';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED layer-poisoning tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const stanza = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`;

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  return drain(tar as unknown as NodeJS.ReadableStream);
}

// Defect 1 of the hardening issue: a hostile registry names an honest image's layer digest and serves
// gzip(fake tar) followed by zero bytes. The gzip stream ends before the blob does; the digest is wrong.
describeWithRegistry('a hostile registry cannot poison the layer cache', () => {
  let honest: TestRegistry;
  let hostile: FakeRegistry;
  let dataDir: string;

  beforeAll(async () => {
    honest = await startRegistry({ auth: 'none' });
    hostile = await new FakeRegistry().start();
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-poison-'));
  });

  afterAll(async () => {
    await honest?.stop();
    await hostile?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a layer whose bytes do not hash to its digest is never cached, stored or answered', async () => {
    const image = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/os-release', content: OS_RELEASE },
            { path: 'var/lib/dpkg/status', content: [stanza('base-files', '12.4'), stanza('libc6', '2.36-9'), stanza('zlib1g', '1.2.13')].join('\n') },
          ],
        },
      ],
    });
    await pushImage(honest, 'team/honest', '1', image);
    const honestLayer = image.layers[0];

    const fake = gzipSync(await tarOf({ 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': stanza('poisoned-package', '1.0') }));
    const trailer = Buffer.alloc(Math.max(256 * 1024, honestLayer.size - fake.length));
    const config = hostile.putBlob(image.configBytes);
    hostile.putManifest(
      'evil/app',
      ['1'],
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: honestLayer.digest, size: fake.length + trailer.length }],
      },
      OCI_MANIFEST,
    );
    hostile.intercept = (req, res) => {
      if (!req.url?.endsWith(`/blobs/${honestLayer.digest}`)) return false;
      res.writeHead(200, { 'Content-Length': fake.length + trailer.length });
      // The compressed stream first; the zeros that spoil the digest only once the tar has been read.
      res.write(fake);
      setTimeout(() => res.end(trailer), 300);
      return true;
    };

    const settings: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [honest.host, hostile.host] };
    const layerCache = new MemoryLayerCache();
    const store = new FileImageStore(dataDir);
    const service = createImageService(settings, store, { layerCache });
    const request = (imageName: string, force = false) => ({ imageName, force, includeSnoozed: false, cluster: '' });

    const attack = await failure(service.scanImage(request(`${hostile.host}/evil/app:1`)));
    expect(attack.code).toBe(15);
    expect(attack.message).toContain('digest mismatch');

    const names = (result: Awaited<ReturnType<typeof service.scanImage>>) => result.scan?.components.map((c) => c.name).sort();
    expect(names(await service.scanImage(request(`${honest.host}/team/honest:1`)))).toEqual(['base-files', 'libc6', 'zlib1g']);
    expect(names(await service.scanImage(request(`${honest.host}/team/honest:1`, true)))).toEqual(['base-files', 'libc6', 'zlib1g']);
    // A restarted process on the same stored results and layer cache.
    const restarted = createImageService(settings, new FileImageStore(dataDir), { layerCache });
    expect(names(await restarted.scanImage(request(`${honest.host}/team/honest:1`, true)))).toEqual(['base-files', 'libc6', 'zlib1g']);
  });
});
