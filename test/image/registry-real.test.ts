import { parseImageName } from '../../lib/image/reference';
import { RegistryClient, type RegistryClientOptions } from '../../lib/image/registry';
import type { ResolvedImage } from '../../lib/image/types';
import { drain, failure } from '../support/outcomes';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { buildImage, pushImage, pushIndex, pushRawManifest, readLayerBlob, type BuiltImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) {
  console.warn('SKIPPED registry client tests against a real registry: /usr/bin/docker-registry is not installed (apt-get install docker-registry)');
}

const NO_DOCKER_CONFIG = { DOCKER_CONFIG: '/nonexistent-lamina-docker-config' };

function smallImage(format: 'oci' | 'docker', architecture = 'amd64', variant?: string): Promise<BuiltImage> {
  return buildImage({
    format,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
    layers: [
      { compression: 'gzip', entries: [{ path: 'etc/os-release', content: `ID=debian\nARCH=${architecture}\n` }] },
      { compression: format === 'oci' ? 'zstd' : 'none', entries: [{ path: 'usr/bin/tool', content: `tool for ${architecture}` }] },
    ],
    config: { config: { Cmd: ['sh'], User: 'app' } },
  });
}

function clientFor(
  registry: { host: string; username?: string; password?: string },
  options: RegistryClientOptions = {},
  withCredentials = true,
): RegistryClient {
  return new RegistryClient({
    insecureRegistries: [registry.host],
    env: NO_DOCKER_CONFIG,
    retryBaseMs: 10,
    maxRetryDelayMs: 100,
    ...(withCredentials && registry.username
      ? { registryCredentials: { [registry.host]: { username: registry.username, password: registry.password ?? '' } } }
      : {}),
    ...options,
  });
}

async function expectPulled(client: RegistryClient, name: string, image: BuiltImage): Promise<ResolvedImage> {
  const reference = parseImageName(name);
  const resolved = await client.resolve(reference);
  expect(resolved.manifestDigest).toBe(image.manifestDigest);
  expect(resolved.configDigest).toBe(image.configDigest);
  expect(resolved.manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
  expect(resolved.config.config?.User).toBe('app');
  for (const [i, layer] of resolved.manifest.layers.entries()) {
    const bytes = await drain(await client.openBlob(reference, layer));
    expect(bytes.equals(await readLayerBlob(image.layers[i]))).toBe(true);
  }
  return resolved;
}

describeWithRegistry('RegistryClient against a real registry without auth', () => {
  let registry: TestRegistry;
  let oci: BuiltImage;
  let docker: BuiltImage;
  let arm64: BuiltImage;
  let dockerArm64: BuiltImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    [oci, docker, arm64, dockerArm64] = await Promise.all([
      smallImage('oci'),
      smallImage('docker'),
      smallImage('oci', 'arm64', 'v8'),
      smallImage('docker', 'arm64', 'v8'),
    ]);
    await pushImage(registry, 'team/oci', 'v1', oci);
    await pushImage(registry, 'team/docker', 'v1', docker);
    await pushIndex(registry, 'team/multi', 'oci', [oci, arm64], 'oci');
    await pushIndex(registry, 'team/multi', 'list', [docker, dockerArm64], 'docker');
  });
  afterAll(() => registry?.stop());

  test('pulls an OCI image anonymously, layers verified', async () => {
    const resolved = await expectPulled(clientFor(registry), `${registry.host}/team/oci:v1`, oci);
    expect(resolved.manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  test('pulls a Docker schema 2 image', async () => {
    const resolved = await expectPulled(clientFor(registry), `${registry.host}/team/docker:v1`, docker);
    expect(resolved.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
  });

  test('an OCI index with two platforms resolves amd64 by default and arm64 when asked', async () => {
    await expectPulled(clientFor(registry), `${registry.host}/team/multi:oci`, oci);
    const arm = await expectPulled(clientFor(registry, { platform: { os: 'linux', architecture: 'arm64' } }), `${registry.host}/team/multi:oci`, arm64);
    expect(arm.config.architecture).toBe('arm64');
  });

  test('a Docker manifest list resolves per platform too', async () => {
    await expectPulled(clientFor(registry), `${registry.host}/team/multi:list`, docker);
    const client = clientFor(registry);
    const resolved = await client.resolve(parseImageName(`${registry.host}/team/multi:list`), {
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(resolved.manifestDigest).toBe(dockerArm64.manifestDigest);
  });

  test('an index without the platform is NotFound listing the platforms', async () => {
    const err = await failure(
      clientFor(registry, { platform: { os: 'linux', architecture: 'ppc64le' } }).resolve(parseImageName(`${registry.host}/team/multi:oci`)),
    );
    expect(err.code).toBe(5);
    expect(err.message).toContain('linux/amd64, linux/arm64/v8');
  });

  test('a name pinned by digest keeps the requested digest', async () => {
    const resolved = await clientFor(registry).resolve(parseImageName(`${registry.host}/team/oci@${oci.manifestDigest}`));
    expect(resolved.manifestDigest).toBe(oci.manifestDigest);
  });

  test('a missing tag is NotFound naming the image and the registry reason', async () => {
    const err = await failure(clientFor(registry).resolve(parseImageName(`${registry.host}/team/oci:missing`)));
    expect(err.code).toBe(5);
    expect(err.message).toContain(`failed to fetch manifest for ${registry.host}/team/oci:missing: manifest unknown`);
  });

  test('a missing repository is NotFound', async () => {
    const err = await failure(clientFor(registry).resolve(parseImageName(`${registry.host}/nobody/here:v1`)));
    expect(err.code).toBe(5);
  });

  test('a manifest that names a layer with the wrong size fails the blob stream with a digest mismatch', async () => {
    const bad = await buildImage({ format: 'docker', layers: [{ corruptDigest: true, entries: [{ path: 'a', content: 'a' }] }] });
    await pushImage(registry, 'team/bad', 'v1', bad);
    const client = clientFor(registry);
    const reference = parseImageName(`${registry.host}/team/bad:v1`);
    const resolved = await client.resolve(reference);
    const err = await failure(client.openBlob(reference, resolved.manifest.layers[0]).then(drain));
    expect(err.code).toBe(15);
    expect(err.message).toContain(resolved.manifest.layers[0].digest);
  });

  test('an index that points at another index is refused as unsupported', async () => {
    const inner = await pushIndex(registry, 'team/nested', 'inner', [oci], 'oci');
    const outer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            digest: inner.digest,
            size: inner.bytes.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    await pushRawManifest(registry, 'team/nested', 'outer', 'application/vnd.oci.image.index.v1+json', outer);
    const err = await failure(clientFor(registry).resolve(parseImageName(`${registry.host}/team/nested:outer`)));
    expect(err.code).toBe(9);
    expect(err.message).toContain('unsupported manifest');
  });
});

describeWithRegistry('RegistryClient against a real registry with basic auth', () => {
  let registry: TestRegistry;
  let image: BuiltImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic' });
    image = await smallImage('docker');
    await pushImage(registry, 'private/app', 'v1', image);
  });
  afterAll(() => registry?.stop());

  test('pulls with the configured credentials', async () => {
    await expectPulled(clientFor(registry), `${registry.host}/private/app:v1`, image);
  });

  test('credentials from LAMINA_REGISTRY_CREDENTIALS work too', async () => {
    const env = {
      ...NO_DOCKER_CONFIG,
      LAMINA_REGISTRY_CREDENTIALS: JSON.stringify({ [registry.host]: { username: registry.username, password: registry.password } }),
    };
    await expectPulled(new RegistryClient({ insecureRegistries: [registry.host], env }), `${registry.host}/private/app:v1`, image);
  });

  test('without credentials the registry answer is Unauthenticated', async () => {
    const err = await failure(clientFor(registry, {}, false).resolve(parseImageName(`${registry.host}/private/app:v1`)));
    expect(err.code).toBe(16);
    expect(err.message).toContain(`${registry.host}/private/app:v1`);
  });

  test('a wrong password is Unauthenticated', async () => {
    const client = clientFor({ host: registry.host, username: registry.username, password: 'wrong' });
    const err = await failure(client.resolve(parseImageName(`${registry.host}/private/app:v1`)));
    expect([16, 7]).toContain(err.code);
  });
});

describeWithRegistry('RegistryClient against a real registry with token auth', () => {
  let registry: TestRegistry;
  let image: BuiltImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', publicPrefix: 'public/' });
    image = await smallImage('oci');
    await pushImage(registry, 'public/app', 'v1', image);
    await pushImage(registry, 'private/app', 'v1', image);
  });
  afterAll(() => registry?.stop());

  test('pulls a public repository with an anonymous token, reused for every request', async () => {
    const client = clientFor(registry, {}, false);
    await client.resolve(parseImageName(`${registry.host}/public/app:v1`));
    const afterFirst = registry.tokenRequests ?? 0;
    await expectPulled(client, `${registry.host}/public/app:v1`, image);
    await client.resolve(parseImageName(`${registry.host}/public/app:v1`));
    expect(registry.tokenRequests).toBe(afterFirst);
  });

  test('pulls a private repository with credentials sent to the token realm; the token is cached', async () => {
    const client = clientFor(registry);
    await expectPulled(client, `${registry.host}/private/app:v1`, image);
    const afterFirst = registry.tokenRequests ?? 0;
    await expectPulled(client, `${registry.host}/private/app:v1`, image);
    expect(registry.tokenRequests).toBe(afterFirst);
  });

  test('a private repository without credentials is refused', async () => {
    const err = await failure(clientFor(registry, {}, false).resolve(parseImageName(`${registry.host}/private/app:v1`)));
    expect([16, 7]).toContain(err.code);
    expect(err.message).toContain(`${registry.host}/private/app:v1`);
  });

  test('a wrong password is refused by the token service: Unauthenticated', async () => {
    const client = clientFor({ host: registry.host, username: registry.username, password: 'wrong' });
    const err = await failure(client.resolve(parseImageName(`${registry.host}/private/app:v1`)));
    expect(err.code).toBe(16);
    expect(err.message).toContain('invalid username or password');
  });
});

describeWithRegistry('RegistryClient through a fault-injecting proxy', () => {
  let registry: TestRegistry;
  let image: BuiltImage;
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    image = await smallImage('oci');
    await pushImage(registry, 'team/app', 'v1', image);
  });
  afterAll(async () => {
    for (const proxy of proxies) await proxy.stop();
    await registry?.stop();
  });

  async function proxy(rules: Parameters<typeof startFaultProxy>[1]): Promise<FaultProxy> {
    const started = await startFaultProxy(registry, rules);
    proxies.push(started);
    return started;
  }

  test('500 then 200 succeeds', async () => {
    const faulty = await proxy([{ match: /GET .*\/manifests\//, action: 'status', status: 500, times: 1 }]);
    await expectPulled(clientFor(faulty), `${faulty.host}/team/app:v1`, image);
    expect(faulty.hits(/GET .*\/manifests\/v1/)).toBe(2);
  });

  test('429 with Retry-After then 200 succeeds', async () => {
    const faulty = await proxy([{ match: /GET .*\/blobs\//, action: 'status', status: 429, times: 1, headers: { 'Retry-After': '1' } }]);
    await expectPulled(clientFor(faulty), `${faulty.host}/team/app:v1`, image);
  });

  test('a connection reset is retried', async () => {
    const faulty = await proxy([{ match: /GET .*\/manifests\//, action: 'reset', times: 1 }]);
    await expectPulled(clientFor(faulty), `${faulty.host}/team/app:v1`, image);
  });

  test('a hanging blob is Unavailable within the timeout', async () => {
    const faulty = await proxy([{ match: /GET .*\/blobs\//, action: 'hang' }]);
    const client = clientFor(faulty, { timeoutMs: 300, retries: 1 });
    const reference = parseImageName(`${faulty.host}/team/app:v1`);
    const err = await failure(client.resolve(reference));
    expect(err.code).toBe(14);
    expect(err.message).toContain(`for ${faulty.host}/team/app:v1`);
  });

  test('a corrupted blob is a digest mismatch', async () => {
    const faulty = await proxy([{ match: /GET .*\/blobs\//, action: 'corrupt' }]);
    const client = clientFor(faulty);
    const reference = parseImageName(`${faulty.host}/team/app:v1`);
    const layer = { mediaType: image.layers[0].mediaType, digest: image.layers[0].digest, size: image.layers[0].size };
    const err = await failure(client.openBlob(reference, layer).then(drain));
    expect(err.code).toBe(15);
    expect(err.message).toContain(`failed to fetch blob ${layer.digest} for ${faulty.host}/team/app:v1: digest mismatch`);
  });

  test('a registry that keeps answering 503 is Unavailable after bounded retries', async () => {
    const faulty = await proxy([{ match: /GET .*\/manifests\//, action: 'status', status: 503 }]);
    const err = await failure(clientFor(faulty, { retries: 2 }).resolve(parseImageName(`${faulty.host}/team/app:v1`)));
    expect(err.code).toBe(14);
    expect(faulty.hits(/GET .*\/manifests\//)).toBe(3);
  });
});
