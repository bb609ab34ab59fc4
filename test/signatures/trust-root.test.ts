/**
 * Where the Sigstore trusted root comes from: @sigstore/tuf's seed, the copy the updater keeps in the advisory store,
 * and the refresh that puts it there through TUF, against a TUF repository of our own on loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { decodeStoredTrustedRoot, StoredTrustRootSource, TRUSTED_ROOT_KEY } from '../../lib/signatures/stored-trust-root';
import { seedTrustRoot, trustRootOf } from '../../lib/signatures/trust-root';
import { refreshTrustedRoot, tufSettingsFromEnv } from '../../lib/signatures/trust-root-refresh';
import { verifyWithIntegration } from '../../lib/signatures/verify';
import { startTufRepo, type TestTufRepo } from './tuf-repo';

const FIXTURES = join(__dirname, 'fixtures', 'sigstore');
const PUBLIC_GOOD_2025 = readFileSync(join(FIXTURES, 'trusted-root-public-good-2025-03.json'), 'utf8');

/** The advisory store's cursor items, in memory. */
function cursorStore(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  let reads = 0;
  return {
    items,
    reads: () => reads,
    getCursor: async (key: string) => {
      reads++;
      return items.get(key);
    },
    setCursor: async (key: string, value: string) => void items.set(key, value),
  };
}

describe("the seed's trusted root", () => {
  it('is the public-good one @sigstore/tuf ships: Fulcio CAs, Rekor and CT logs, a timestamp authority', () => {
    const seed = seedTrustRoot();
    expect(seed.source).toMatch(/^the Sigstore public-good trusted root shipped with @sigstore\/tuf \d+\.\d+\.\d+$/);
    expect(seed.material.certificateAuthorities.length).toBeGreaterThanOrEqual(2);
    expect(seed.material.tlogs.map((log) => log.baseURL)).toContain('https://rekor.sigstore.dev');
    expect(seed.material.ctlogs.length).toBeGreaterThanOrEqual(1);
    expect(seedTrustRoot()).toBe(seed);
  });

  it('what is not a trusted root is refused, saying what it is', () => {
    expect(() => trustRootOf('{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}', 'that file')).toThrow(
      'that file is not a usable Sigstore trusted root: its mediaType is not application/vnd.dev.sigstore.trustedroot+json',
    );
    expect(() => trustRootOf('not json', 'that file')).toThrow(/^that file is not a usable Sigstore trusted root/);
  });
});

describe('the stored trusted root, as the scan path reads it', () => {
  const record = (checked = '2026-11-30T10:00:00.000Z') =>
    JSON.stringify({ mirror: 'https://tuf-repo-cdn.sigstore.dev', checked, fetched: '2026-11-01T00:00:00.000Z', trustedRoot: JSON.parse(PUBLIC_GOOD_2025) });

  it("nothing stored: the seed's", async () => {
    const root = await new StoredTrustRootSource(cursorStore()).current();
    expect(root).toBe(seedTrustRoot());
  });

  it('a stored copy is used, its description saying where TUF got it and when; read once per cache period', async () => {
    let now = 0;
    const store = cursorStore({ [TRUSTED_ROOT_KEY]: record() });
    const source = new StoredTrustRootSource(store, { cacheMs: 1000, now: () => now });
    const root = await source.current();
    expect(root.source).toBe('the Sigstore trusted root refreshed through TUF from https://tuf-repo-cdn.sigstore.dev (checked 2026-11-30T10:00:00.000Z)');
    expect(root.material.certificateAuthorities).toHaveLength(2);
    now = 999;
    await source.current();
    expect(store.reads()).toBe(1);
    store.items.set(TRUSTED_ROOT_KEY, record('2026-11-30T11:00:00.000Z'));
    now = 1000;
    expect((await source.current()).source).toContain('(checked 2026-11-30T11:00:00.000Z)');
    expect(store.reads()).toBe(2);
  });

  it("an unreadable copy or store: the seed's, saying why", async () => {
    const corrupt = await new StoredTrustRootSource(cursorStore({ [TRUSTED_ROOT_KEY]: '{"mirror": 1}' })).current();
    expect(corrupt.source).toMatch(/shipped with @sigstore\/tuf .* \(the stored copy is not a trusted-root record\)$/);
    const failing = { getCursor: async () => Promise.reject(new Error('table not found')) };
    expect((await new StoredTrustRootSource(failing).current()).source).toMatch(/\(the stored copy could not be read: table not found\)$/);
  });
});

describe('refreshing the trusted root through TUF', () => {
  let repo: TestTufRepo;
  let dir: string;
  let rootPath: string;
  beforeEach(async () => {
    repo = await startTufRepo(PUBLIC_GOOD_2025);
    dir = await mkdtemp(join(tmpdir(), 'lamina-tuf-'));
    rootPath = join(dir, 'root.json');
    await writeFile(rootPath, repo.rootJson);
  });
  afterEach(async () => {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the verified trusted_root.json; unchanged next time; a new one replaces it; scans then verify with it', async () => {
    const store = cursorStore();
    const options = { cacheDir: join(dir, 'cache'), mirrorUrl: repo.url, rootPath, now: () => new Date('2026-12-01T10:00:00Z') };
    expect(await refreshTrustedRoot(store, options)).toEqual({ status: 'updated', mirror: repo.url });
    expect(repo.requests).toEqual(expect.arrayContaining(['/2.root.json', '/timestamp.json', '/snapshot.json', '/targets.json', '/targets/trusted_root.json']));
    const first = decodeStoredTrustedRoot(store.items.get(TRUSTED_ROOT_KEY));
    expect(first).toMatchObject({ mirror: repo.url, checked: '2026-12-01T10:00:00.000Z', fetched: '2026-12-01T10:00:00.000Z' });
    expect(first?.trustedRoot).toEqual(JSON.parse(PUBLIC_GOOD_2025));

    const later = { ...options, now: () => new Date('2026-12-01T11:00:00Z') };
    expect((await refreshTrustedRoot(store, later)).status).toBe('not-modified');
    expect(decodeStoredTrustedRoot(store.items.get(TRUSTED_ROOT_KEY))).toMatchObject({
      checked: '2026-12-01T11:00:00.000Z',
      fetched: '2026-12-01T10:00:00.000Z',
    });

    const rotated = JSON.parse(PUBLIC_GOOD_2025);
    rotated.tlogs[0].baseUrl = 'https://rekor.example.com';
    repo.publish(JSON.stringify(rotated));
    expect((await refreshTrustedRoot(store, later)).status).toBe('updated');
    const trustRoot = await new StoredTrustRootSource(store).current();
    expect(trustRoot.source).toBe(`the Sigstore trusted root refreshed through TUF from ${repo.url} (checked 2026-12-01T11:00:00.000Z)`);
    expect(trustRoot.material.tlogs[0].baseURL).toBe('https://rekor.example.com');

    // The stored root in use: a keyless signature the March 2025 public-good root verifies.
    const read = (file: string) => readFileSync(join(FIXTURES, 'stackrox-keyless', file));
    const signature = {
      cosign: {
        rawSignature: read('signature.b64').toString(),
        signaturePayload: read('payload.json').toString('base64'),
        certPem: read('cert.pem').toString('base64'),
        certChainPem: read('chain.pem').toString('base64'),
        rekorBundle: read('rekor-bundle.json').toString('base64'),
        signatureFormat: 'SIMPLE_SIGNING' as const,
      },
    };
    const integration = {
      id: 'keyless',
      name: 'keyless',
      cosignCertificates: [{ certificateIdentity: '^mallory@', certificateOidcIssuer: '.*' }],
      transparencyLog: { enabled: true, validateOffline: true },
    };
    const subject = {
      digest: 'sha256:0e1ac7f12d904a5ce077d1b5c763b5750c7985e524f6083e5eaa7e7313833440',
      names: ['ttl.sh/4d3eca7f-d24e-4294-ac11-fa714ce8779b:v1'],
    };
    const { result } = verifyWithIntegration(integration, [signature], subject, new Date(), { trustRoot });
    expect(result.description).toContain(`trusted root: the Sigstore trusted root refreshed through TUF from ${repo.url}`);
  });

  it('a repository TUF does not trust, or one that is gone or silent: failed, the stored copy left as it was', async () => {
    const store = cursorStore({ [TRUSTED_ROOT_KEY]: 'kept' });
    const other = await startTufRepo(PUBLIC_GOOD_2025);
    try {
      const untrusted = await refreshTrustedRoot(store, { cacheDir: join(dir, 'cache-1'), mirrorUrl: other.url, rootPath });
      expect(untrusted).toMatchObject({ status: 'failed' });
      expect(untrusted.error).toMatch(new RegExp(`^refreshing the Sigstore trusted root through TUF from ${other.url}: `));
    } finally {
      await other.close();
    }

    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const gone = await refreshTrustedRoot(store, { cacheDir: join(dir, 'cache-2'), mirrorUrl: `http://127.0.0.1:${port}`, rootPath });
    expect(gone.status).toBe('failed');

    const held: Socket[] = [];
    const silent = createTcpServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const hung = await refreshTrustedRoot(store, { cacheDir: join(dir, 'cache-3'), mirrorUrl: url, rootPath, timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(hung).toEqual({ status: 'failed', mirror: url, error: `refreshing the Sigstore trusted root through TUF from ${url}: no answer within 300 ms` });
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    expect(store.items.get(TRUSTED_ROOT_KEY)).toBe('kept');
  });

  it('reads its repository from the environment: the public-good one, another with its root, or off', () => {
    expect(tufSettingsFromEnv({})).toEqual({ mirrorUrl: 'https://tuf-repo-cdn.sigstore.dev', rootPath: undefined });
    expect(tufSettingsFromEnv({ LAMINA_SIGSTORE_TUF_URL: 'off' })).toBeUndefined();
    expect(tufSettingsFromEnv({ LAMINA_SIGSTORE_TUF_URL: 'https://tuf.example.com', LAMINA_SIGSTORE_TUF_ROOT: '/etc/root.json' })).toEqual({
      mirrorUrl: 'https://tuf.example.com',
      rootPath: '/etc/root.json',
    });
    expect(() => tufSettingsFromEnv({ LAMINA_SIGSTORE_TUF_URL: 'https://tuf.example.com' })).toThrow(
      /LAMINA_SIGSTORE_TUF_ROOT must give its initial root.json/,
    );
    expect(() => tufSettingsFromEnv({ LAMINA_SIGSTORE_TUF_URL: 'tuf' })).toThrow(/must be an http\(s\) URL or "off"/);
  });
});
