import { parseImageName } from '../../lib/image/reference';
import { RegistryClient, type RegistryClientOptions } from '../../lib/image/registry';
import { drain, failure } from '../support/outcomes';
import { FakeRegistry, json, sha256, startLoopback, type LoopbackServer } from './fake-registry';

// Attacks from the hardening issue (defects 2 and 3), each played by a hostile server on loopback.
describe('registry credentials stay with their registry', () => {
  let registry: FakeRegistry;
  let storage: LoopbackServer;
  const env = { DOCKER_CONFIG: '/nonexistent-lamina-docker-config' };
  const basicAuth = `Basic ${Buffer.from('user:pass').toString('base64')}`;
  const storageHost = () => `localhost:${storage.port}`;
  const ref = (name: string) => parseImageName(`${registry.host}/${name}`);
  const client = (options: RegistryClientOptions = {}) =>
    new RegistryClient({
      insecureRegistries: [registry.host, storageHost()],
      registryCredentials: { [registry.host]: { username: 'user', password: 'pass' } },
      env,
      retries: 0,
      ...options,
    });

  beforeEach(async () => {
    registry = await new FakeRegistry().start();
    registry.auth = 'basic';
    // Host B: answers every request, its token endpoint included, with a Bearer challenge naming its own realm.
    storage = await startLoopback((req, res) => {
      if (req.url?.startsWith('/token')) return json(res, 200, { token: 'stolen', expires_in: 300 });
      res.setHeader('WWW-Authenticate', `Bearer realm="http://localhost:${storage.port}/token",service="evil",scope="x"`);
      json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    });
  });

  afterEach(async () => {
    await registry.close();
    await storage.close();
  });

  const layer = { mediaType: 'x', digest: sha256('x'), size: 1 };
  /** The registry redirects the layer blob to B; a pull of the image before it made the client remember Basic. */
  const redirectLayerToStorage = (digest = layer.digest) => {
    registry.intercept = (req, res) => {
      if (!req.url?.endsWith(`/blobs/${digest}`) || req.headers.authorization !== basicAuth) return false;
      res.writeHead(307, { Location: `http://${storageHost()}/bucket/object` });
      res.end();
      return true;
    };
  };

  test("a redirect target's Bearer challenge never receives the registry's Basic credentials", async () => {
    redirectLayerToStorage();
    const c = client();
    registry.putImage('team/app', ['v1']);
    await c.resolve(ref('team/app:v1'));
    const err = await failure(c.openBlob(ref('team/app:v1'), layer));
    expect(err.code).toBe(16);
    expect(err.message).toContain(`redirected to ${storageHost()}`);
    expect(storage.requests.filter((r) => r.path.startsWith('/token'))).toHaveLength(0);
    expect(storage.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  test("a redirect target's challenge is not remembered as the registry's", async () => {
    redirectLayerToStorage();
    const c = client();
    registry.putImage('team/app', ['v1']);
    await c.resolve(ref('team/app:v1'));
    await failure(c.openBlob(ref('team/app:v1'), layer));
    // An unrelated pull from the registry afterwards: it answers the registry's own Basic challenge, and
    // nothing of B's challenge is sent anywhere.
    registry.intercept = undefined;
    const image = registry.putImage('other/app', ['v1']);
    expect((await c.resolve(ref('other/app:v1'))).manifestDigest).toBe(image.digest);
    await c.resolve(ref('team/app:v1'));
    expect(storage.requests.filter((r) => r.path.startsWith('/token'))).toHaveLength(0);
    expect(registry.requests.every((r) => r.headers.authorization === undefined || r.headers.authorization === basicAuth)).toBe(true);
  });

  test('a blob served by the redirect target without a challenge still streams, without credentials there', async () => {
    const bytes = Buffer.from('layer bytes in blob storage');
    await storage.close();
    storage = await startLoopback((_req, res) => {
      res.writeHead(200, { 'Content-Length': bytes.length });
      res.end(bytes);
    });
    redirectLayerToStorage(sha256(bytes));
    const c = client();
    registry.putImage('team/app', ['v1']);
    await c.resolve(ref('team/app:v1'));
    const stream = await c.openBlob(ref('team/app:v1'), { mediaType: 'x', digest: sha256(bytes), size: bytes.length });
    expect((await drain(stream)).equals(bytes)).toBe(true);
    expect(storage.requests[0].headers.authorization).toBeUndefined();
  });
});

describe('a challenge that cannot be answered is not cached for the registry', () => {
  let registry: FakeRegistry;
  const env = { DOCKER_CONFIG: '/nonexistent-lamina-docker-config' };
  const ref = (name: string) => parseImageName(`${registry.host}/${name}`);

  beforeEach(async () => {
    registry = await new FakeRegistry().start();
    registry.auth = 'bearer';
    // One repository names a token realm on a metadata address, which the host policy refuses.
    registry.intercept = (req, res) => {
      if (!req.url?.startsWith('/v2/evil/')) return false;
      res.setHeader('WWW-Authenticate', 'Bearer realm="https://169.254.169.254/token",service="x"');
      json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      return true;
    };
  });

  afterEach(async () => {
    await registry.close();
  });

  test('a refused realm fails that pull only: other repositories, and the same one later, are still asked', async () => {
    const c = new RegistryClient({ insecureRegistries: [registry.host], env, retries: 0 });
    const image = registry.putImage('good/app', ['v1']);

    const refused = await failure(c.resolve(ref('evil/app:v1')));
    expect(refused.code).toBe(7);
    expect(refused.message).toContain('169.254.169.254');

    const resolved = await c.resolve(ref('good/app:v1'));
    expect(resolved.manifestDigest).toBe(image.digest);

    const before = registry.requests.length;
    await failure(c.resolve(ref('evil/app:v1')));
    expect(registry.requests.length).toBeGreaterThan(before);

    // The good repository's accepted challenge is remembered for it: no 401 round trip the second time.
    const beforeGood = registry.requests.length;
    await c.resolve(ref('good/app:v1'));
    expect(registry.requests.slice(beforeGood).every((r) => r.headers.authorization?.startsWith('Bearer '))).toBe(true);
  });

  test("one repository's challenge is not applied to another repository", async () => {
    const c = new RegistryClient({ insecureRegistries: [registry.host], env, retries: 0 });
    registry.putImage('good/app', ['v1']);
    registry.putImage('good/other', ['v1']);
    await c.resolve(ref('good/app:v1'));
    const before = registry.tokenRequests.length;
    await c.resolve(ref('good/other:v1'));
    const scopes = registry.tokenRequests.slice(before).map((r) => new URL(r.path, 'http://x').searchParams.get('scope'));
    expect(scopes).toEqual(['repository:good/other:pull']);
  });
});
