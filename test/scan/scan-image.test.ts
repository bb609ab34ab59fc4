import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageService } from '../../lib/compose';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { FileImageStore } from '../../lib/service/file-image-store';
import type { ImageService } from '../../lib/service/image-service';
import { RuntimeError } from '../../lib/stackrox/errors';
import { encodeStorageImage } from '../../lib/stackrox/encode';
import { buildImage, pushImage, pushIndex, type TarEntrySpec } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED scan-image tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';

function stanza(name: string, version: string, extra = '', status = 'install ok installed'): string {
  return `Package: ${name}\nStatus: ${status}\nPriority: required\nArchitecture: amd64\nVersion: ${version}\n${extra}Description: ${name}\n`;
}

const BASE_STATUS = [
  stanza('base-files', '12.4+deb12u5'),
  stanza('libc6', '2.36-9+deb12u4', 'Source: glibc\n'),
  stanza('zlib1g', '1:1.2.13.dfsg-1', 'Source: zlib\n'),
].join('\n');
const CURL_STATUS = [BASE_STATUS, stanza('curl', '7.88.1-10+deb12u5'), stanza('gone', '1.0', '', 'deinstall ok config-files')].join('\n');

function baseLayer(): TarEntrySpec[] {
  return [
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', content: OS_RELEASE },
    { path: 'var/lib/dpkg/status', content: BASE_STATUS },
    { path: 'var/lib/dpkg/info/libc6:amd64.list', content: '/.\n/lib/x86_64-linux-gnu/libc.so.6\n' },
    { path: 'opt/app/config', content: 'x' },
  ];
}

describeWithRegistry('scanning images from a real registry', () => {
  let registry: TestRegistry;
  let dataDir: string;
  let service: ImageService;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-scan-'));
    const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] };
    service = createImageService(config, new FileImageStore(dataDir));
  });

  afterAll(async () => {
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const scan = (imageName: string, force = false) => service.scanImage({ imageName, force, includeSnoozed: false, cluster: '' });

  it('replays layers with whiteouts and opaque directories, attributing packages to history entries', async () => {
    const image = await buildImage({
      format: 'oci',
      layers: [
        { compression: 'gzip', entries: baseLayer() },
        {
          compression: 'zstd',
          entries: [
            { path: 'var/lib/dpkg/status', content: CURL_STATUS },
            { path: 'opt/app/.wh.config', content: '' },
          ],
        },
        {
          compression: 'none',
          entries: [
            { path: 'var/lib/dpkg/.wh..wh..opq', content: '' },
            { path: 'var/lib/dpkg/status', content: BASE_STATUS },
          ],
        },
        { compression: 'gzip', entries: [{ path: 'var/lib/dpkg/status', content: CURL_STATUS }] },
      ],
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:1234 in / ' },
        { created_by: '/bin/sh -c apt-get install -y curl' },
        { created_by: '/bin/sh -c #(nop)  ENV LANG=C.UTF-8', empty_layer: true },
        { created_by: 'RUN /bin/sh -c apt-get remove -y curl # buildkit' },
        { created_by: 'RUN /bin/sh -c apt-get install -y curl # buildkit' },
      ],
      config: { config: { Cmd: ['bash'], User: '' } },
    });
    await pushImage(registry, 'team/layered', 'v1', image);

    const result = await scan(`${registry.host}/team/layered:v1`);

    expect(result.id).toBe(image.manifestDigest);
    expect(result.name).toEqual({ registry: registry.host, remote: 'team/layered', tag: 'v1', fullName: `${registry.host}/team/layered:v1` });
    expect(result.scan?.operatingSystem).toBe('debian:12');
    const components = result.scan!.components.map((c) => `${c.name} ${c.version} @${c.layerIndex}`).sort();
    expect(components).toEqual(['base-files 12.4+deb12u5 @0', 'curl 7.88.1-10+deb12u5 @4', 'libc6 2.36-9+deb12u4 @0', 'zlib1g 1:1.2.13.dfsg-1 @0']);
    expect(result.metadata?.v1?.layers.map((l) => [l.instruction, l.empty])).toEqual([
      ['ADD', false],
      ['RUN', false],
      ['ENV', true],
      ['RUN', false],
      ['RUN', false],
    ]);
    expect(result.metadata?.layerShas).toEqual(image.layers.map((l) => l.digest));
    expect(result.scan?.notes).toContain('OS_CVES_UNAVAILABLE');
    expect(result.components).toBe(4);

    const json = encodeStorageImage(result) as Record<string, any>;
    expect(json.priority).toBe('0');
    expect(json.scan.components[0].vulns).toEqual([]);
  });

  it('answers a stored digest from the store, accumulating names, and re-indexes with force', async () => {
    const image = await buildImage({ layers: [{ compression: 'gzip', entries: baseLayer() }] });
    await pushImage(registry, 'team/names', 'a', image);
    await pushImage(registry, 'team/names', 'b', image);

    const first = await scan(`${registry.host}/team/names:a`);
    const second = await scan(`${registry.host}/team/names:b`);
    expect(second.scan?.scanTime).toBe(first.scan?.scanTime);
    expect(second.names.map((n) => n.fullName)).toEqual([`${registry.host}/team/names:a`, `${registry.host}/team/names:b`]);

    const byDigest = await scan(`${registry.host}/team/names@${image.manifestDigest}`);
    expect(byDigest.id).toBe(image.manifestDigest);
    expect(byDigest.names).toHaveLength(3);

    const forced = await scan(`${registry.host}/team/names:a`, true);
    expect(forced.scan?.scanTime).not.toBe(first.scan?.scanTime);
    expect(forced.names).toHaveLength(3);
    expect((await service.getImage(image.manifestDigest.slice('sha256:'.length), false)).id).toBe(image.manifestDigest);
  });

  it('picks linux/amd64 from an index, or the configured platform', async () => {
    const amd64 = await buildImage({ layers: [{ entries: baseLayer() }], platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = await buildImage({
      layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.18.4\n' }] }],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const index = await pushIndex(registry, 'team/multi', 'latest', [arm64, amd64], 'oci');

    const result = await scan(`${registry.host}/team/multi`);
    expect(result.id).toBe(amd64.manifestDigest);
    expect(result.scan?.operatingSystem).toBe('debian:12');

    const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host], platform: { os: 'linux', architecture: 'arm64' } };
    const armService = createImageService(config, new FileImageStore(join(dataDir, 'arm')));
    const armResult = await armService.scanImage({ imageName: `${registry.host}/team/multi:latest`, force: false, includeSnoozed: false, cluster: '' });
    expect(armResult.id).toBe(arm64.manifestDigest);
    expect(armResult.scan?.operatingSystem).toBe('alpine:v3.18');

    const pinned = await scan(`${registry.host}/team/multi@${index.digest}`);
    expect(pinned.id).toBe(index.digest);
  });

  it('reports an image without OS evidence with OS_UNAVAILABLE and no components', async () => {
    const image = await buildImage({ format: 'docker', layers: [{ entries: [{ path: 'app/bin', content: 'binary' }] }] });
    await pushImage(registry, 'team/scratch', '1', image);
    const result = await scan(`${registry.host}/team/scratch:1`);
    expect(result.scan?.operatingSystem).toBe('unknown');
    expect(result.scan?.notes).toEqual(expect.arrayContaining(['OS_UNAVAILABLE', 'PARTIAL_SCAN_DATA']));
    expect(result.scan?.components).toEqual([]);
  });

  it('survives hostile layers: escaping paths are ignored and a gzip bomb leaves a partial scan', async () => {
    const image = await buildImage({
      layers: [
        { entries: [...baseLayer(), { path: '../../etc/os-release', content: 'ID=evil\nVERSION_ID=1\n' }] },
        // 256 MiB of zeros compress to about 250 KiB: a gzip bomb against a 64 MiB ceiling.
        { entries: [{ path: 'big/zeros', content: Buffer.alloc(256 * 1024 * 1024) }], compression: 'gzip' },
      ],
    });
    await pushImage(registry, 'team/hostile', '1', image);
    const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] };
    const strict = createImageService(config, new FileImageStore(join(dataDir, 'hostile')), { readOptions: { maxUncompressedBytes: 64 * 1024 * 1024 } });
    const result = await strict.scanImage({ imageName: `${registry.host}/team/hostile:1`, force: false, includeSnoozed: false, cluster: '' });
    expect(result.scan?.operatingSystem).toBe('debian:12');
    expect(result.scan?.notes).toContain('PARTIAL_SCAN_DATA');
    expect(result.scan?.components.length).toBe(3);
  });

  it('answers a missing tag with NotFound naming the image', async () => {
    await expect(scan(`${registry.host}/team/layered:nope`)).rejects.toMatchObject({ code: 5 });
    await expect(scan(`${registry.host}/team/layered:nope`)).rejects.toThrow(/team\/layered:nope/);
    await expect(scan('Upper/Case')).rejects.toBeInstanceOf(RuntimeError);
  });
});
