/**
 * `/v1/signatureintegrations` on the real local server (`lamina serve`'s local mode: dynalite under the data
 * directory), and what changing integrations does to images already scanned: their stored signatures are verified
 * again, with no registry request, while the signatures themselves are fetched once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv } from '../../lib/config';
import { startLocalMode, type LocalMode } from '../../lib/local/local-mode';
import { buildImage, pushImage } from '../support/image-builder';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { generateKey, pushSignatures, signed } from './cosign';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED signature integration API tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithRegistry('signature integrations through the API, and stored images verified again', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dataDir: string;
  let local: LocalMode;
  const alice = generateKey('ec-p256');
  const bob = generateKey('rsa');

  const start = async () => {
    const config = { ...configFromEnv({}), dataDir, insecureRegistries: [proxy.host] };
    local = await startLocalMode({ config, env: {}, port: 0, host: '127.0.0.1' });
  };

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    proxy = await startFaultProxy(registry, []);
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-integrations-api-'));
    await start();
  });

  afterAll(async () => {
    await local?.stop();
    await proxy?.stop();
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${local.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  const scan = async (imageName: string, force = false) => (await call('POST', '/v1/images/scan', { imageName, force })).json;
  const keyed = (name: string, pem: string) => ({ cosign: { publicKeys: [{ name, publicKeyPemEnc: pem }] } });
  const sigFetches = () => proxy.hits(/^GET \/v2\/.+\/manifests\/sha256-[0-9a-f]{64}\.sig$/);

  it('creates, lists, gets, replaces and deletes integrations in StackRox shape, and keeps them across restarts', async () => {
    const created = await call('POST', '/v1/signatureintegrations', { name: 'ci', ...keyed('ci.pub', alice.publicPem) });
    expect(created.status).toBe(200);
    const { id } = created.json;
    expect(id).toMatch(/^io\.stackrox\.signatureintegration\.[0-9a-f-]{36}$/);
    expect(created.json).toEqual({ id, name: 'ci', ...keyed('ci.pub', alice.publicPem), cosignCertificates: [], transparencyLog: null });

    const path = `/v1/signatureintegrations/${id}`;
    expect(await call('GET', path)).toEqual({ status: 200, json: created.json });
    expect(await call('PUT', path, { name: 'ci', ...keyed('ci-2.pub', bob.publicPem) })).toEqual({ status: 200, json: {} });
    expect((await call('GET', '/v1/signatureintegrations')).json.integrations.map((i: Json) => [i.name, i.cosign.publicKeys[0].name])).toEqual([
      ['ci', 'ci-2.pub'],
    ]);

    await local.stop();
    await start();
    expect((await call('GET', path)).json.cosign.publicKeys[0].name).toBe('ci-2.pub');

    expect(await call('DELETE', path)).toEqual({ status: 200, json: {} });
    const gone = await call('GET', path);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ code: 5, message: `signature integration id=${id} doesn't exist: not found` });
  });

  it('answers bad requests with StackRox errors and changes nothing', async () => {
    const before = (await call('GET', '/v1/signatureintegrations')).json;
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/v1/signatureintegrations', '{"name": ', 400, /^proto: syntax error/],
      [
        'POST',
        '/v1/signatureintegrations',
        { name: 'x', ...keyed('k', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----') },
        400,
        /publicKeyPemEnc is not a PEM-encoded public key/,
      ],
      [
        'POST',
        '/v1/signatureintegrations',
        { id: 'io.stackrox.signatureintegration.mine', name: 'x', ...keyed('k', alice.publicPem) },
        400,
        /^id should be empty/,
      ],
      ['PUT', '/v1/signatureintegrations/io.stackrox.signatureintegration.none', { name: 'x', ...keyed('k', alice.publicPem) }, 404, /doesn't exist/],
      ['DELETE', '/v1/signatureintegrations/%E0%A4%A', undefined, 400, /malformed percent-encoding/],
      ['PATCH', '/v1/signatureintegrations', {}, 501, /method PATCH is not allowed/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await call(method, path, body);
      expect([method, path, answer.status, answer.json.message]).toEqual([method, path, status, expect.stringMatching(message)]);
    }
    expect((await call('GET', '/v1/signatureintegrations')).json).toEqual(before);
  });

  it('a stored image is verified again when integrations change, its signatures fetched once', async () => {
    const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.20.1\n' }] }] });
    await pushImage(registry, 'team/signed', 'v1', image);
    await pushSignatures(registry, 'team/signed', image.manifestDigest, [signed(alice, `${proxy.host}/team/signed`, image.manifestDigest)]);
    const name = `${proxy.host}/team/signed:v1`;

    // No integration: nothing fetched, both notes.
    const unverified = await scan(name);
    expect([unverified.signature, unverified.signatureVerificationData, unverified.notes]).toEqual([
      null,
      null,
      ['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA'],
    ]);
    expect(sigFetches()).toBe(0);

    // An integration appears: the stored image had never had its signatures fetched, so they are, once.
    const { id } = (await call('POST', '/v1/signatureintegrations', { name: 'alice', ...keyed('alice.pub', alice.publicPem) })).json;
    const verified = await scan(name);
    expect(verified.signatureVerificationData.results.map((r: Json) => [r.verifierId, r.status, r.verifiedImageReferences])).toEqual([
      [id, 'VERIFIED', [name]],
    ]);
    expect(verified.notes).toEqual([]);
    expect(sigFetches()).toBe(1);
    expect((await scan(name)).signatureVerificationData).toEqual(verified.signatureVerificationData);
    expect(sigFetches()).toBe(1);

    // The key is replaced: the stored signature fails against it, without a registry request.
    await call('PUT', `/v1/signatureintegrations/${id}`, { name: 'alice', ...keyed('bob.pub', bob.publicPem) });
    const failed = await scan(name);
    expect(failed.signatureVerificationData.results.map((r: Json) => [r.verifierId, r.status])).toEqual([[id, 'FAILED_VERIFICATION']]);
    expect(failed.signature).toEqual(verified.signature);
    const byId = (await call('GET', `/v1/images/${image.manifestDigest}`)).json;
    expect(byId.signatureVerificationData.results[0].status).toBe('FAILED_VERIFICATION');

    // A second integration is verified against the same stored signature.
    const second = (await call('POST', '/v1/signatureintegrations', { name: 'alice-again', ...keyed('alice.pub', alice.publicPem) })).json;
    expect((await scan(name)).signatureVerificationData.results.map((r: Json) => [r.verifierId, r.status])).toEqual([
      [id, 'FAILED_VERIFICATION'],
      [second.id, 'VERIFIED'],
    ]);

    // No integration left: the signature stays, the verification data goes.
    await call('DELETE', `/v1/signatureintegrations/${id}`);
    await call('DELETE', `/v1/signatureintegrations/${second.id}`);
    const none = await scan(name);
    expect([none.signatureVerificationData, none.notes, none.signature.signatures.length]).toEqual([null, ['MISSING_SIGNATURE_VERIFICATION_DATA'], 1]);
    expect(sigFetches()).toBe(1);

    // force fetches again.
    await call('POST', '/v1/signatureintegrations', { name: 'alice', ...keyed('alice.pub', alice.publicPem) });
    expect((await scan(name, true)).signatureVerificationData.results[0].status).toBe('VERIFIED');
    expect(sigFetches()).toBe(2);
  });
});
