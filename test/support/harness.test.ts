import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { debianRootfs, debianRootfsAvailable, debianRootfsTar } from './debian-rootfs';
import { startFaultProxy } from './fault-proxy';
import { authorizationFor, buildImage, pushBlob, pushImage, type BuiltImage } from './image-builder';
import { registryAvailable, startRegistry, type RegistryAuth, type TestRegistry } from './registry';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED test harness tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function twoLayerImage(format: 'oci' | 'docker' = 'oci'): Promise<BuiltImage> {
  return buildImage({
    format,
    layers: [
      {
        entries: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
        ],
      },
      { compression: 'zstd', entries: [{ path: 'etc/.wh.os-release' }, { path: 'bin/sh', type: 'symlink', linkname: 'dash' }] },
    ],
    config: { config: { Cmd: ['sh'] } },
  });
}

async function getManifest(registry: { url: string }, repository: string, reference: string, authorization?: string): Promise<Response> {
  return fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, {
    headers: {
      accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      ...(authorization ? { authorization } : {}),
    },
  });
}

async function anonymousToken(registry: TestRegistry, repository: string): Promise<string> {
  const res = await fetch(`${registry.tokenRealm}?service=lamina-test-registry&scope=repository:${repository}:pull`);
  return ((await res.json()) as { token: string }).token;
}

describe('image builder', () => {
  it('writes each compression so that the blob decompresses to the diff id, with stable digests', async () => {
    const spec = {
      layers: [
        { compression: 'gzip' as const, entries: [{ path: 'a', content: 'a' }] },
        { compression: 'zstd' as const, entries: [{ path: 'b', content: 'b' }] },
        { compression: 'none' as const, entries: [{ path: 'c', content: 'c' }] },
      ],
    };
    const image = await buildImage(spec);
    const [gzip, zstd, none] = image.layers.map((l) => readFileSync(l.file));
    expect(image.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+zstd',
      'application/vnd.oci.image.layer.v1.tar',
    ]);
    expect([sha256(gunzipSync(gzip)), sha256(Buffer.from(zstdDecompress(zstd))), sha256(none)]).toEqual(image.layers.map((l) => l.diffId));
    expect(image.layers.map((l) => l.digest)).toEqual([gzip, zstd, none].map(sha256));
    expect(JSON.parse(image.configBytes.toString()).rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffId));
    expect((await buildImage(spec)).manifestDigest).toBe(image.manifestDigest);
  });

  it('declares a wrong layer size in the manifest when corruptDigest is set', async () => {
    const image = await buildImage({ format: 'docker', layers: [{ corruptDigest: true, entries: [{ path: 'a', content: 'a' }] }] });
    const manifest = JSON.parse(image.manifestBytes.toString());
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.layers[0].size).toBe(image.layers[0].size + 1);
  });
});

describeWithRegistry.each<RegistryAuth>(['none', 'basic', 'token'])('a registry with %s auth', (auth) => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth, publicPrefix: 'public/' });
  });
  afterAll(() => registry?.stop());

  it('takes a pushed two-layer image and serves its manifest back', async () => {
    const image = await twoLayerImage(auth === 'basic' ? 'docker' : 'oci');
    await pushImage(registry, 'team/app', 'v1', image);
    const res = await getManifest(registry, 'team/app', 'v1', await authorizationFor(registry, 'team/app', 'pull'));
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.manifestDigest);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(image.manifestBytes);
  });

  if (auth === 'basic') {
    it('refuses anonymous and wrong-password requests over plain HTTP', async () => {
      expect((await fetch(`${registry.url}/v2/`)).status).toBe(401);
      expect((await getManifest(registry, 'team/app', 'v1')).status).toBe(401);
      const wrong = `Basic ${Buffer.from(`${registry.username}:not-the-password`).toString('base64')}`;
      expect((await getManifest(registry, 'team/app', 'v1', wrong)).status).toBe(401);
    });
  }

  if (auth === 'token') {
    it('gives anonymous pull tokens for the public prefix only, and counts token requests', async () => {
      await pushImage(registry, 'public/base', '1', await twoLayerImage());
      const before = registry.tokenRequests ?? 0;
      expect((await getManifest(registry, 'public/base', '1', `Bearer ${await anonymousToken(registry, 'public/base')}`)).status).toBe(200);
      const denied = await getManifest(registry, 'team/app', 'v1', `Bearer ${await anonymousToken(registry, 'team/app')}`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      expect((await getManifest(registry, 'team/app', 'v1')).status).toBe(401);
      const badLogin = await fetch(`${registry.tokenRealm}?scope=repository:team/app:pull`, {
        headers: { authorization: `Basic ${Buffer.from('lamina:wrong').toString('base64')}` },
      });
      expect(badLogin.status).toBe(401);
      expect(registry.tokenRequests).toBe(before + 3);
    });
  }
});

describeWithRegistry('the fault proxy', () => {
  let registry: TestRegistry;
  let image: BuiltImage;
  const layerPath = () => `/v2/team/app/blobs/${image.layers[0].digest}`;

  beforeAll(async () => {
    registry = await startRegistry();
    image = await twoLayerImage();
    await pushImage(registry, 'team/app', 'v1', image);
  });
  afterAll(() => registry?.stop());

  it('answers a status N times, then forwards, and counts hits', async () => {
    const proxy = await startFaultProxy(registry, [
      { match: /^GET \/v2\/team\/app\/manifests\//, action: 'status', status: 503, times: 2, headers: { 'retry-after': '1' } },
    ]);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await getManifest(proxy, 'team/app', 'v1')).status);
      expect(statuses).toEqual([503, 503, 200]);
      expect(proxy.hits(/manifests/)).toBe(3);
      expect(proxy.hits(/blobs/)).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('corrupts one byte of a blob body, keeping its length', async () => {
    const proxy = await startFaultProxy(registry, [{ match: /\/blobs\/sha256:/, action: 'corrupt' }]);
    try {
      const body = Buffer.from(await (await fetch(`${proxy.url}${layerPath()}`)).arrayBuffer());
      const original = readFileSync(image.layers[0].file);
      expect(body.length).toBe(original.length);
      expect(sha256(body)).not.toBe(image.layers[0].digest);
    } finally {
      await proxy.stop();
    }
  });

  it('resets the connection, and hangs until the client gives up', async () => {
    const proxy = await startFaultProxy(registry, [
      { match: /^GET .*\/blobs\//, action: 'reset' },
      { match: /^GET .*\/manifests\//, action: 'hang' },
    ]);
    try {
      await expect(fetch(`${proxy.url}${layerPath()}`)).rejects.toThrow();
      const hung = fetch(`${proxy.url}/v2/team/app/manifests/v1`, { signal: AbortSignal.timeout(200) });
      await expect(hung).rejects.toThrow(/abort|timeout/i);
      expect(proxy.hits()).toBe(2);
    } finally {
      await proxy.stop();
    }
  });

  it('passes pushes through, with the registry credentials', async () => {
    const basic = await startRegistry({ auth: 'basic' });
    const proxy = await startFaultProxy(basic, []);
    try {
      const digest = await pushBlob(proxy, 'team/app', Buffer.from('through the proxy'));
      const res = await fetch(`${basic.url}/v2/team/app/blobs/${digest}`, { headers: { authorization: (await authorizationFor(basic, 'team/app'))! } });
      expect(await res.text()).toBe('through the proxy');
      expect(proxy.hits(/^POST .*\/blobs\/uploads\/$/)).toBe(1);
    } finally {
      await proxy.stop();
      await basic.stop();
    }
  });
});

(debianRootfsAvailable() ? describe : describe.skip)('the Debian root filesystem', () => {
  it('is a bookworm minbase tree with a tar beside it', async () => {
    const root = await debianRootfs();
    expect(readFileSync(join(root, 'etc/debian_version'), 'utf8')).toMatch(/^12\./);
    expect(existsSync(join(root, 'var/lib/dpkg/status'))).toBe(true);
    expect(existsSync(await debianRootfsTar())).toBe(true);
  }, 900_000);
});
if (!debianRootfsAvailable()) console.warn('SKIPPED Debian root filesystem harness test: needs mmdebstrap and root');
