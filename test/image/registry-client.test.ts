import { createHash } from 'node:crypto';
import { parseImageName } from '../../lib/image/reference';
import { RegistryClient, type RegistryClientOptions } from '../../lib/image/registry';
import { insecureRegistriesFromEnv } from '../../lib/image/registry/endpoint';
import { MAX_INDEX_MANIFESTS, MAX_MANIFEST_LAYERS } from '../../lib/image/registry/manifest';
import type { HostPolicy } from '../../lib/image/registry/host-policy';
import { httpStatusOf } from '../../lib/stackrox/errors';
import { drain, failure } from '../support/outcomes';
import { DOCKER_LIST, FakeRegistry, json, OCI_INDEX, sha256, startLoopback, type LoopbackServer } from './fake-registry';

describe('RegistryClient against a loopback registry', () => {
  let registry: FakeRegistry;
  const env = { DOCKER_CONFIG: '/nonexistent-lamina-docker-config' };
  const client = (options: RegistryClientOptions = {}) =>
    new RegistryClient({ insecureRegistries: [registry.host], env, retryBaseMs: 5, maxRetryDelayMs: 20, ...options });
  const ref = (name: string) => parseImageName(`${registry.host}/${name}`);

  beforeEach(async () => {
    registry = await new FakeRegistry().start();
  });

  afterEach(async () => {
    await registry.close();
  });

  test('resolves a Docker schema 2 image: manifest, config and digests, with an Accept header naming all four formats', async () => {
    const image = registry.putImage('team/app', ['v1'], { format: 'docker' });
    const resolved = await client().resolve(ref('team/app:v1'));
    expect(resolved.manifestDigest).toBe(image.digest);
    expect(resolved.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(resolved.manifest.layers).toEqual([expect.objectContaining({ digest: image.layer.digest, size: image.layer.size })]);
    expect(resolved.configDigest).toBe(image.config.digest);
    expect(resolved.config.architecture).toBe('amd64');
    expect(resolved.config.config?.Cmd).toEqual(['/bin/sh']);
    const accept = String(registry.requests[0].headers.accept);
    for (const type of [
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ]) {
      expect(accept).toContain(type);
    }
    expect(registry.requests[0].headers['user-agent']).toBe('lamina');
  });

  test('a reference pinned by digest is fetched by digest and keeps its digest', async () => {
    const image = registry.putImage('team/app', []);
    const resolved = await client().resolve(ref(`team/app@${image.digest}`));
    expect(resolved.manifestDigest).toBe(image.digest);
    expect(registry.requests[0].path).toBe(`/v2/team/app/manifests/${image.digest}`);
  });

  describe('an image index', () => {
    let amd64: ReturnType<FakeRegistry['putImage']>;
    let arm64: ReturnType<FakeRegistry['putImage']>;
    let armv7: ReturnType<FakeRegistry['putImage']>;

    beforeEach(() => {
      amd64 = registry.putImage('multi/app', [], { architecture: 'amd64' });
      arm64 = registry.putImage('multi/app', [], { architecture: 'arm64', variant: 'v8' });
      armv7 = registry.putImage('multi/app', [], { architecture: 'arm', variant: 'v7' });
      const entry = (image: typeof amd64, platform: object) => ({ mediaType: image.mediaType, digest: image.digest, size: image.body.length, platform });
      const manifests = [
        entry(amd64, { os: 'linux', architecture: 'amd64' }),
        entry(arm64, { os: 'linux', architecture: 'arm64' }),
        entry(armv7, { os: 'linux', architecture: 'arm', variant: 'v7' }),
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256('attestation'),
          size: 11,
          platform: { os: 'unknown', architecture: 'unknown' },
        },
      ];
      registry.putManifest('multi/app', ['oci'], { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
      registry.putManifest('multi/app', ['list'], { schemaVersion: 2, mediaType: DOCKER_LIST, manifests }, DOCKER_LIST);
    });

    test('resolves to linux/amd64 by default, in OCI and Docker form', async () => {
      expect((await client().resolve(ref('multi/app:oci'))).manifestDigest).toBe(amd64.digest);
      expect((await client().resolve(ref('multi/app:list'))).manifestDigest).toBe(amd64.digest);
    });

    test('honours the configured platform and its variant: arm64 means v8, linux/arm/v7', async () => {
      const arm = await client({ platform: { os: 'linux', architecture: 'arm64' } }).resolve(ref('multi/app:oci'));
      expect(arm.manifestDigest).toBe(arm64.digest);
      expect(arm.config.architecture).toBe('arm64');
      const v7 = await client().resolve(ref('multi/app:list'), { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
      expect(v7.manifestDigest).toBe(armv7.digest);
    });

    test('no manifest for the platform is NotFound listing the platforms on offer', async () => {
      const err = await failure(client({ platform: { os: 'linux', architecture: 's390x' } }).resolve(ref('multi/app:oci')));
      expect(err.code).toBe(5);
      expect(err.message).toContain(`failed to fetch manifest for ${registry.host}/multi/app:oci`);
      expect(err.message).toContain('available: linux/amd64, linux/arm64, linux/arm/v7');
    });
  });

  test('a schema 1 manifest is refused as unsupported (FailedPrecondition)', async () => {
    registry.putManifest(
      'old/app',
      ['v1'],
      { schemaVersion: 1, name: 'old/app', tag: 'v1', fsLayers: [], history: [] },
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    );
    const err = await failure(client().resolve(ref('old/app:v1')));
    expect(err.code).toBe(9);
    expect(err.message).toMatch(/failed to fetch manifest for .*old\/app:v1: unsupported manifest/);
  });

  test('a missing tag is NotFound with the registry reason and the image name', async () => {
    registry.putImage('team/app', ['v1']);
    const err = await failure(client().resolve(ref('team/app:missing')));
    expect(err.code).toBe(5);
    expect(httpStatusOf(err)).toBe(404);
    expect(err.message).toBe(
      `image enrichment error: failed to fetch manifest for ${registry.host}/team/app:missing: manifest unknown (HTTP 404 Not Found): not found`,
    );
  });

  describe('bounds on what a manifest may list', () => {
    /** An OCI manifest over a real config blob with `count` distinct (unfetched) tiny layers. */
    function manyLayers(repo: string, count: number) {
      const image = registry.putImage(repo, []);
      const layers = Array.from({ length: count }, (_, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(`layer ${i}`), size: 10 }));
      return registry.putManifest(repo, ['v1'], { ...image.manifest, layers }, image.mediaType);
    }

    test('the bounds are 1,000 layers and 1,000 index entries', () => {
      expect(MAX_MANIFEST_LAYERS).toBe(1000);
      expect(MAX_INDEX_MANIFESTS).toBe(1000);
    });

    test('a manifest of 15,000 tiny layers is refused at once (FailedPrecondition naming the count and the bound), no blob fetched', async () => {
      manyLayers('huge/app', 15_000);
      const started = Date.now();
      const err = await failure(client().resolve(ref('huge/app:v1')));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err.code).toBe(9);
      expect(httpStatusOf(err)).toBe(400);
      expect(err.message).toBe(
        `image enrichment error: failed to fetch manifest for ${registry.host}/huge/app:v1: the image has 15000 layers, more than the 1000 lamina scans`,
      );
      expect(registry.requests.filter((r) => r.path.includes('/blobs/'))).toEqual([]);
    });

    test('1,001 layers is refused and 1,000 layers is not', async () => {
      manyLayers('edge/over', MAX_MANIFEST_LAYERS + 1);
      expect((await failure(client().resolve(ref('edge/over:v1')))).message).toContain('the image has 1001 layers, more than the 1000 lamina scans');
      manyLayers('edge/at', MAX_MANIFEST_LAYERS);
      expect((await client().resolve(ref('edge/at:v1'))).manifest.layers).toHaveLength(MAX_MANIFEST_LAYERS);
    });

    test('an index of more than 1,000 entries is refused before any entry is read', async () => {
      const image = registry.putImage('wide/app', []);
      const entry = { mediaType: image.mediaType, digest: image.digest, size: image.body.length, platform: { os: 'linux', architecture: 'amd64' } };
      registry.putManifest('wide/app', ['v1'], { schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array(5000).fill(entry) }, OCI_INDEX);
      const err = await failure(client().resolve(ref('wide/app:v1')));
      expect(err.code).toBe(9);
      expect(err.message).toContain('the image index lists 5000 manifests, more than the 1000 lamina accepts');
      expect(registry.requests).toHaveLength(1);
    });
  });

  test('a manifest whose bytes do not match Docker-Content-Digest is a digest mismatch (DataLoss) naming image and digest', async () => {
    const image = registry.putImage('team/app', ['v1']);
    const wrong = sha256('something else');
    registry.intercept = (req, res) => {
      if (!req.url?.includes('/manifests/')) return false;
      res.writeHead(200, { 'Content-Type': image.mediaType, 'Docker-Content-Digest': wrong });
      res.end(image.body);
      return true;
    };
    const err = await failure(client().resolve(ref('team/app:v1')));
    expect(err.code).toBe(15);
    expect(err.message).toContain(`${registry.host}/team/app:v1`);
    expect(err.message).toContain(`digest mismatch: expected ${wrong}, got ${image.digest}`);
  });

  test('a config blob that does not match its digest fails resolve with a digest mismatch', async () => {
    const image = registry.putImage('team/app', ['v1']);
    registry.blobs.set(image.config.digest, Buffer.from(image.config.bytes.toString().replace('amd64', 'arm64')));
    const err = await failure(client().resolve(ref('team/app:v1')));
    expect(err.code).toBe(15);
    expect(err.message).toContain(image.config.digest);
  });

  describe('openBlob', () => {
    test('streams a blob and verifies it', async () => {
      const blob = registry.putBlob(Buffer.alloc(300_000, 7));
      const stream = await client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest: blob.digest, size: blob.size });
      expect((await drain(stream)).equals(blob.bytes)).toBe(true);
    });

    test('verifies sha512 digests too', async () => {
      const bytes = Buffer.from('sha512 content');
      const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
      registry.blobs.set(digest, bytes);
      const stream = await client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest, size: bytes.length });
      expect((await drain(stream)).toString()).toBe('sha512 content');
    });

    test('corrupted bytes make the stream error at its end with a digest mismatch', async () => {
      const blob = registry.putBlob('the real layer bytes');
      registry.blobs.set(blob.digest, Buffer.from('the fake layer bytes'));
      const stream = await client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest: blob.digest, size: blob.size });
      const err = await failure(drain(stream));
      expect(err.code).toBe(15);
      expect(err.message).toContain(`failed to fetch blob ${blob.digest} for ${registry.host}/team/app:v1: digest mismatch`);
    });

    test('more bytes than the descriptor names is an error as soon as they arrive', async () => {
      const big = Buffer.alloc(200_000, 1);
      const digest = sha256(big);
      registry.intercept = (req, res) => {
        if (!req.url?.includes('/blobs/')) return false;
        res.writeHead(200); // no Content-Length: chunked, so only the stream can notice
        res.end(big);
        return true;
      };
      const stream = await client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest, size: 1000 });
      const err = await failure(drain(stream));
      expect(err.code).toBe(15);
      expect(err.message).toContain('more than the 1000 bytes');
    });

    test('a missing blob is NotFound', async () => {
      const err = await failure(client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest: sha256('nothing'), size: 7 }));
      expect(err.code).toBe(5);
      expect(err.message).toContain('blob unknown to registry');
    });

    test('getBlobBytes refuses blobs over its size cap', async () => {
      const blob = registry.putBlob(Buffer.alloc(5000));
      const err = await failure(client().getBlobBytes(ref('team/app:v1'), { mediaType: 'x', digest: blob.digest, size: blob.size }, { maxBytes: 1024 }));
      expect(err.message).toContain('more than the 1024 allowed');
      expect(registry.requests).toHaveLength(0);
    });
  });

  describe('retries', () => {
    test('500 then 200 succeeds', async () => {
      registry.putImage('team/app', ['v1']);
      let failures = 1;
      registry.intercept = (req, res) => {
        if (!req.url?.includes('/manifests/') || failures-- <= 0) return false;
        json(res, 500, { errors: [{ code: 'UNKNOWN', message: 'boom' }] });
        return true;
      };
      await client().resolve(ref('team/app:v1'));
      expect(registry.requests.filter((r) => r.path.includes('/manifests/'))).toHaveLength(2);
    });

    test('429 with Retry-After is retried', async () => {
      registry.putImage('team/app', ['v1']);
      let failures = 1;
      registry.intercept = (_req, res) => {
        if (failures-- <= 0) return false;
        res.setHeader('Retry-After', '1');
        json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] });
        return true;
      };
      await client().resolve(ref('team/app:v1'));
      expect(registry.requests.filter((r) => r.path.includes('/manifests/'))).toHaveLength(2);
    });

    test('a registry that keeps failing with 503 is Unavailable after a bounded number of attempts', async () => {
      registry.intercept = (_req, res) => {
        json(res, 503, { errors: [{ code: 'UNAVAILABLE', message: 'maintenance' }] });
        return true;
      };
      const err = await failure(client({ retries: 2 }).resolve(ref('team/app:v1')));
      expect(err.code).toBe(14);
      expect(err.message).toContain('maintenance (HTTP 503');
      expect(registry.requests).toHaveLength(3);
    });

    test('a connection reset is retried', async () => {
      registry.putImage('team/app', ['v1']);
      let resets = 1;
      registry.intercept = (req) => {
        if (resets-- <= 0) return false;
        req.socket.destroy();
        return true;
      };
      await client().resolve(ref('team/app:v1'));
    });

    test('a registry that never answers is Unavailable once the timeout passes, retries included', async () => {
      registry.intercept = () => true; // never answers
      const err = await failure(client({ timeoutMs: 150, retries: 1 }).resolve(ref('team/app:v1')));
      expect(err.code).toBe(14);
      expect(err.message).toContain('no response within 150 ms');
      expect(registry.requests).toHaveLength(2);
    });

    test.each([
      ['the pinned fetch', {}],
      // A fetch given by the caller answers web streams, which the transport adapts.
      ["Node's own fetch", { fetch: globalThis.fetch }],
    ])('a blob body that stalls fails the stream as Unavailable instead of hanging, through %s', async (_what, options: RegistryClientOptions) => {
      const blob = registry.putBlob(Buffer.alloc(10_000, 3));
      registry.intercept = (req, res) => {
        if (!req.url?.includes('/blobs/')) return false;
        res.writeHead(200, { 'Content-Length': blob.size });
        res.write(blob.bytes.subarray(0, 100));
        return true; // and never the rest
      };
      const stream = await client({ timeoutMs: 2000, idleTimeoutMs: 150, ...options }).openBlob(ref('team/app:v1'), {
        mediaType: 'x',
        digest: blob.digest,
        size: blob.size,
      });
      const err = await failure(drain(stream));
      expect(err.code).toBe(14);
      expect(err.message).toContain('sent no data for 150 ms');
    });

    test('404 is not retried', async () => {
      await failure(client().resolve(ref('team/app:nope')));
      expect(registry.requests).toHaveLength(1);
    });
  });

  describe('auth', () => {
    test('basic: without credentials 401 is Unauthenticated, with them the pull works', async () => {
      registry.auth = 'basic';
      registry.putImage('private/app', ['v1']);
      const anonymous = await failure(client().resolve(ref('private/app:v1')));
      expect(anonymous.code).toBe(16);
      expect(anonymous.message).toContain('authentication required');

      const credentials = { credentialsFor: async (host: string) => (host === registry.host ? { username: 'user', password: 'pass' } : undefined) };
      const authed = client({ credentials });
      await authed.resolve(ref('private/app:v1'));
      // The challenge is remembered: the second resolve sends credentials straight away.
      const before = registry.requests.length;
      await authed.resolve(ref('private/app:v1'));
      expect(registry.requests.slice(before).every((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
      expect(registry.requests.length - before).toBe(2);
    });

    test('basic: a wrong password is Unauthenticated', async () => {
      registry.auth = 'basic';
      registry.putImage('private/app', ['v1']);
      const err = await failure(client({ registryCredentials: { [registry.host]: { username: 'user', password: 'wrong' } } }).resolve(ref('private/app:v1')));
      expect(err.code).toBe(16);
      expect(err.message).toContain(`the registry refused the credentials of user configured for ${registry.host}`);
      const anonymous = await failure(client().resolve(ref('private/app:v1')));
      expect(anonymous.message).toContain(`no credentials are configured for ${registry.host}`);
    });

    test('bearer: anonymous token, cached across requests until it expires', async () => {
      registry.auth = 'bearer';
      registry.putImage('public/app', ['v1']);
      const c = client();
      await c.resolve(ref('public/app:v1'));
      await c.resolve(ref('public/app:v1'));
      expect(registry.tokenRequests).toHaveLength(1);
      expect(registry.tokenRequests[0].path).toBe('/token?service=fake-registry&scope=repository%3Apublic%2Fapp%3Apull');
      expect(registry.tokenRequests[0].headers.authorization).toBeUndefined();
    });

    test('bearer: access_token is accepted and credentials go to the realm as basic auth', async () => {
      registry.auth = 'bearer';
      registry.tokenField = 'access_token';
      registry.putImage('private/app', ['v1']);
      await client({ registryCredentials: { [registry.host]: { username: 'user', password: 'pass' } } }).resolve(ref('private/app:v1'));
      expect(registry.tokenRequests[0].headers.authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
    });

    test('bearer: the token service refusing the password is Unauthenticated with its reason', async () => {
      registry.auth = 'bearer';
      registry.putImage('private/app', ['v1']);
      const err = await failure(client({ registryCredentials: { [registry.host]: { username: 'user', password: 'nope' } } }).resolve(ref('private/app:v1')));
      expect(err.code).toBe(16);
      expect(err.message).toContain('invalid username or password');
      expect(err.message).toContain(`${registry.host}/private/app:v1`);
    });

    test('403 is PermissionDenied', async () => {
      registry.intercept = (_req, res) => {
        json(res, 403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
        return true;
      };
      const err = await failure(client().resolve(ref('team/app:v1')));
      expect(err.code).toBe(7);
      expect(err.message).toContain('requested access to the resource is denied');
    });
  });

  describe('redirects', () => {
    let storage: LoopbackServer;
    const blobBytes = Buffer.from('bytes kept in blob storage');

    beforeEach(async () => {
      storage = await startLoopback((_req, res) => {
        res.writeHead(200, { 'Content-Length': blobBytes.length });
        res.end(blobBytes);
      });
    });

    afterEach(async () => {
      await storage.close();
    });

    test('a blob redirect to another host is followed without the registry Authorization header', async () => {
      registry.auth = 'basic';
      const digest = sha256(blobBytes);
      // localhost and 127.0.0.1 are different hosts to the client, though the same socket.
      const storageHost = `localhost:${storage.port}`;
      registry.intercept = (req, res) => {
        if (!req.url?.includes('/blobs/') || !req.headers.authorization) return false;
        res.writeHead(307, { Location: `http://${storageHost}/bucket/object?sig=abc` });
        res.end();
        return true;
      };
      const c = client({
        insecureRegistries: [registry.host, storageHost],
        registryCredentials: { [registry.host]: { username: 'user', password: 'pass' } },
      });
      const stream = await c.openBlob(ref('team/app:v1'), { mediaType: 'x', digest, size: blobBytes.length });
      expect((await drain(stream)).equals(blobBytes)).toBe(true);
      expect(registry.requests.at(-1)?.headers.authorization).toMatch(/^Basic /);
      expect(storage.requests).toHaveLength(1);
      expect(storage.requests[0].path).toBe('/bucket/object?sig=abc');
      expect(storage.requests[0].headers.authorization).toBeUndefined();
    });

    test('a redirect to plain HTTP on a host that is not insecure is refused', async () => {
      registry.intercept = (_req, res) => {
        res.writeHead(302, { Location: `http://localhost:${storage.port}/x` });
        res.end();
        return true;
      };
      // Loopback hosts count as insecure by default; without that, localhost stands for any host not named insecure.
      const err = await failure(client({ loopbackPlainHttp: false }).openBlob(ref('team/app:v1'), { mediaType: 'x', digest: sha256('x'), size: 1 }));
      expect(err.code).toBe(7);
      expect(err.message).toContain(`plain HTTP to localhost:${storage.port} is refused`);
      expect(storage.requests).toHaveLength(0);
    });

    test('a redirect to a metadata address is refused by the host policy', async () => {
      registry.intercept = (_req, res) => {
        res.writeHead(303, { Location: 'https://169.254.169.254/latest/meta-data/' });
        res.end();
        return true;
      };
      const err = await failure(client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest: sha256('x'), size: 1 }));
      expect(err.code).toBe(7);
      expect(err.message).toContain('169.254.169.254');
    });

    test('more than five redirects is an error', async () => {
      registry.intercept = (req, res) => {
        res.writeHead(307, { Location: req.url });
        res.end();
        return true;
      };
      const err = await failure(client().openBlob(ref('team/app:v1'), { mediaType: 'x', digest: sha256('x'), size: 1 }));
      expect(err.message).toContain('more than 5 redirects');
      expect(registry.requests).toHaveLength(6);
    });
  });

  describe('policy', () => {
    test('a registry on loopback is reached over plain HTTP without being named insecure, as Docker does', async () => {
      const image = registry.putImage('team/app', ['v1']);
      const plain = new RegistryClient({ env, retries: 0 });
      expect((await plain.resolve(ref('team/app:v1'))).manifestDigest).toBe(image.digest);
      expect((await plain.resolve(parseImageName(`localhost:${registry.server.port}/team/app:v1`))).manifestDigest).toBe(image.digest);
      // Without it, HTTPS meets plain HTTP: the error names the registry and the setting, not a raw OpenSSL text alone.
      const strict = await failure(new RegistryClient({ env, retries: 3, retryBaseMs: 5, loopbackPlainHttp: false }).resolve(ref('team/app:v1')));
      expect(strict.code).toBe(14);
      expect(strict.message).toContain(`TLS with ${registry.host} failed`);
      expect(strict.message).toContain('--insecure-registry');
      expect(registry.requests.filter((r) => r.path.includes('/manifests/'))).toHaveLength(2);
    });

    test('a registry outside the allow-list is refused before any request', async () => {
      const err = await failure(client({ allowedRegistries: ['docker.io'] }).resolve(ref('team/app:v1')));
      expect(err.code).toBe(7);
      expect(err.message).toContain(`registry ${registry.host} is not in the list of allowed registries`);
      expect(registry.requests).toHaveLength(0);
    });

    test('registries not named insecure are reached over HTTPS; docker.io at registry-1.docker.io', async () => {
      const urls: string[] = [];
      const allowAll: HostPolicy = { checkRegistry: () => undefined, checkConnect: async () => undefined };
      const fakeFetch = (async (input: string | URL | Request) => {
        urls.push(String(input));
        return new Response(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }), { status: 404 });
      }) as typeof fetch;
      const c = new RegistryClient({ fetch: fakeFetch, hostPolicy: allowAll, env });
      await failure(c.resolve(parseImageName('nginx')));
      await failure(c.resolve(parseImageName('ghcr.io/owner/app:1')));
      expect(urls).toEqual(['https://registry-1.docker.io/v2/library/nginx/manifests/latest', 'https://ghcr.io/v2/owner/app/manifests/1']);
    });

    test('LAMINA_INSECURE_REGISTRIES lists host:port entries', () => {
      expect(insecureRegistriesFromEnv({ LAMINA_INSECURE_REGISTRIES: '127.0.0.1:5000, localhost:5001,' })).toEqual(['127.0.0.1:5000', 'localhost:5001']);
      expect(insecureRegistriesFromEnv({})).toEqual([]);
    });
  });

  test('an aborted signal stops the request', async () => {
    registry.intercept = () => true;
    const controller = new AbortController();
    const pending = client({ timeoutMs: 10_000 }).resolve(ref('team/app:v1'), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('deadline reached')), 50);
    const err = await failure(pending);
    expect(err.message).toContain('deadline reached');
  });

  test("an aborted signal stops a blob stream part-way with the caller's reason", async () => {
    const blob = registry.putBlob(Buffer.alloc(10_000, 3));
    registry.intercept = (_req, res) => {
      res.writeHead(200, { 'Content-Length': blob.size });
      res.write(blob.bytes.subarray(0, 100));
      return true;
    };
    const controller = new AbortController();
    const stream = await client({ idleTimeoutMs: 10_000 }).openBlob(
      ref('team/app:v1'),
      { mediaType: 'x', digest: blob.digest, size: blob.size },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('deadline reached')), 50);
    const err = await failure(drain(stream));
    expect(err.message).toContain('deadline reached');
  });
});
