import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCommand } from '../../lib/cli/scan-command';
import { createImageService } from '../../lib/compose';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import type { SignatureIntegration } from '../../lib/signatures/types';
import { encodeStorageImage } from '../../lib/stackrox/encode';
import type { StorageImage } from '../../lib/stackrox/types';
import { buildImage, pushImage, registryRequest, type BuiltImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { generateKey, pushSignatures, signed, simpleSigningPayload, type TestKey } from './cosign';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED signature tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

function integrationOf(id: string, ...keys: Array<{ name: string; key: TestKey }>): SignatureIntegration {
  return { id, name: `${id} keys`, cosign: { publicKeys: keys.map(({ name, key }) => ({ name, publicKeyPemEnc: key.publicPem })) } };
}

describeWithRegistry('cosign signatures of images in a real registry', () => {
  let registry: TestRegistry;
  let dataDir: string;
  let counter = 0;
  const alice = generateKey('ec-p256');
  const bob = generateKey('ec-p384');
  const carol = generateKey('rsa');

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-signatures-'));
  });

  afterAll(async () => {
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A small image of its own (distinct content, distinct digest) pushed as `<repository>:v1`. */
  async function pushed(repository: string): Promise<{ image: BuiltImage; name: string; repo: string }> {
    counter += 1;
    const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: `3.18.${counter}\n` }] }] });
    await pushImage(registry, repository, 'v1', image);
    return { image, name: `${registry.host}/${repository}:v1`, repo: `${registry.host}/${repository}` };
  }

  function serviceWith(integrations: SignatureIntegration[], store = new MemoryImageStore()) {
    const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host], signatureIntegrations: integrations };
    return { store, service: createImageService(config, store) };
  }

  const scan = async (integrations: SignatureIntegration[], imageName: string): Promise<StorageImage> =>
    serviceWith(integrations).service.scanImage({ imageName, force: false, includeSnoozed: false, cluster: '' });

  it('one ECDSA P-256 signature: VERIFIED, the signature kept as fetched, no signature notes', async () => {
    const { image, name, repo } = await pushed('team/one');
    const layer = signed(alice, repo, image.manifestDigest);
    await pushSignatures(registry, 'team/one', image.manifestDigest, [
      { ...layer, annotations: { 'dev.sigstore.cosign/certificate': 'CERT', 'dev.sigstore.cosign/chain': 'CHAIN' } },
    ]);
    const before = Date.now();
    const result = await scan([integrationOf('io.stackrox.signatureintegration.alice', { name: 'alice.pub', key: alice })], name);

    expect(result.id).toBe(image.manifestDigest);
    expect(result.signature?.signatures).toEqual([
      {
        cosign: {
          rawSignature: layer.signature,
          signaturePayload: layer.payload.toString('base64'),
          certPem: Buffer.from('CERT').toString('base64'),
          certChainPem: Buffer.from('CHAIN').toString('base64'),
          rekorBundle: '',
          signatureFormat: 'SIMPLE_SIGNING',
        },
      },
    ]);
    expect(Date.parse(result.signature?.fetched ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(result.signatureVerificationData?.results).toEqual([
      {
        verificationTime: expect.any(String),
        verifierId: 'io.stackrox.signatureintegration.alice',
        status: 'VERIFIED',
        description: '',
        verifiedImageReferences: [name],
      },
    ]);
    expect(result.notes).toEqual([]);
    // The gateway's JSON: the same shape, bytes as base64.
    const json = encodeStorageImage(result) as { signature: unknown; signatureVerificationData: { results: Array<Record<string, unknown>> } };
    expect(json.signature).toEqual({
      signatures: [{ cosign: { ...result.signature?.signatures[0].cosign, sigstoreBundle: '' } }],
      fetched: result.signature?.fetched,
    });
    expect(Object.keys(json.signatureVerificationData.results[0])).toEqual([
      'verificationTime',
      'verifierId',
      'status',
      'description',
      'verifiedImageReferences',
    ]);
  });

  it('two signatures by different keys, two integrations: one VERIFIED result each, in order', async () => {
    const { image, name, repo } = await pushed('team/two');
    await pushSignatures(registry, 'team/two', image.manifestDigest, [signed(alice, repo, image.manifestDigest), signed(bob, repo, image.manifestDigest)]);
    const result = await scan(
      [
        integrationOf('alice', { name: 'alice.pub', key: alice }),
        integrationOf('bob', { name: 'bob.pub', key: bob }),
        integrationOf('carol', { name: 'carol.pub', key: carol }),
      ],
      name,
    );
    expect(result.signature?.signatures).toHaveLength(2);
    expect(result.signatureVerificationData?.results.map((r) => [r.verifierId, r.status, r.verifiedImageReferences])).toEqual([
      ['alice', 'VERIFIED', [name]],
      ['bob', 'VERIFIED', [name]],
      ['carol', 'FAILED_VERIFICATION', []],
    ]);
    expect(result.signatureVerificationData?.results[2].description).toBe(
      'signature 1: invalid signature: it does not verify with the public key "carol.pub"; signature 2: invalid signature: it does not verify with the public key "carol.pub"',
    );
    expect(result.notes).toEqual([]);
  });

  it('RSA: PKCS#1 v1.5 and PSS signatures verify', async () => {
    const { image, name, repo } = await pushed('team/rsa');
    const payloadOnly = signed(carol, repo, image.manifestDigest, { rsaPadding: 'pss' });
    await pushSignatures(registry, 'team/rsa', image.manifestDigest, [payloadOnly]);
    const pss = await scan([integrationOf('carol', { name: 'carol.pub', key: carol })], name);
    expect(pss.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [name] });

    const other = await pushed('team/rsa-pkcs1');
    await pushSignatures(registry, 'team/rsa-pkcs1', other.image.manifestDigest, [signed(carol, other.repo, other.image.manifestDigest)]);
    const pkcs1 = await scan([integrationOf('carol', { name: 'carol.pub', key: carol })], other.name);
    expect(pkcs1.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [other.name] });
  });

  it('a payload naming another digest: FAILED_VERIFICATION, the digests in the reason', async () => {
    const { image, name, repo } = await pushed('team/other-digest');
    const elsewhere = `sha256:${'e'.repeat(64)}`;
    await pushSignatures(registry, 'team/other-digest', image.manifestDigest, [signed(alice, repo, elsewhere)]);
    const result = await scan([integrationOf('alice', { name: 'alice.pub', key: alice })], name);
    expect(result.signature?.signatures).toHaveLength(1);
    expect(result.signatureVerificationData?.results[0]).toMatchObject({
      verifierId: 'alice',
      status: 'FAILED_VERIFICATION',
      description: `signature 1: invalid or missing digest in claim: ${elsewhere} is not the image's digest ${image.manifestDigest}`,
      verifiedImageReferences: [],
    });
    expect(result.notes).toEqual([]);
  });

  it('a signature annotation that is not base64: CORRUPTED_SIGNATURE; the signature is kept with an empty rawSignature', async () => {
    const { image, name, repo } = await pushed('team/corrupt');
    const layer = signed(alice, repo, image.manifestDigest);
    await pushSignatures(registry, 'team/corrupt', image.manifestDigest, [{ ...layer, signature: `${String(layer.signature).slice(0, -4)}*!*` }]);
    const result = await scan([integrationOf('alice', { name: 'alice.pub', key: alice })], name);
    expect(result.signature?.signatures[0].cosign).toMatchObject({ rawSignature: '', signaturePayload: layer.payload.toString('base64') });
    expect(result.signatureVerificationData?.results[0]).toMatchObject({ status: 'CORRUPTED_SIGNATURE', verifiedImageReferences: [] });
    expect(result.signatureVerificationData?.results[0].description).toContain('corrupted signature');
  });

  it('a signature for another repository verifies no name of this image: FAILED_VERIFICATION, as StackRox answers', async () => {
    const { image, name } = await pushed('team/copied');
    await pushSignatures(registry, 'team/copied', image.manifestDigest, [signed(alice, `${registry.host}/team/original`, image.manifestDigest)]);
    const result = await scan([integrationOf('alice', { name: 'alice.pub', key: alice })], name);
    expect(result.signatureVerificationData?.results[0]).toMatchObject({ status: 'FAILED_VERIFICATION', verifiedImageReferences: [] });
    expect(result.signatureVerificationData?.results[0].description).toContain(`no verified references: the signature is for ${registry.host}/team/original`);
  });

  it('the references are every name of the digest in the signed repository, tags ignored', async () => {
    const { image, name, repo } = await pushed('team/names');
    await pushImage(registry, 'team/names', 'v2', image);
    await pushSignatures(registry, 'team/names', image.manifestDigest, [signed(alice, repo, image.manifestDigest)]);
    const { service } = serviceWith([integrationOf('alice', { name: 'alice.pub', key: alice })]);
    await service.scanImage({ imageName: name, force: false, includeSnoozed: false, cluster: '' });
    const again = await service.scanImage({ imageName: `${repo}:v2`, force: true, includeSnoozed: false, cluster: '' });
    expect(again.signatureVerificationData?.results[0].verifiedImageReferences).toEqual([name, `${repo}:v2`]);
  });

  it('a mirrored registry: signatures are read from the mirror, verified for the requested names', async () => {
    const { image } = await pushed('team/mirrored');
    await pushSignatures(registry, 'team/mirrored', image.manifestDigest, [signed(alice, 'registry.example.com/team/mirrored', image.manifestDigest)]);
    const config: LaminaConfig = {
      ...configFromEnv({}),
      dataDir,
      insecureRegistries: [registry.host],
      registryMirrors: { 'registry.example.com': registry.host },
      signatureIntegrations: [integrationOf('alice', { name: 'alice.pub', key: alice })],
    };
    const result = await createImageService(config, new MemoryImageStore()).scanImage({
      imageName: 'registry.example.com/team/mirrored:v1',
      force: false,
      includeSnoozed: false,
      cluster: '',
    });
    expect(result.signatureVerificationData?.results[0]).toMatchObject({
      status: 'VERIFIED',
      verifiedImageReferences: ['registry.example.com/team/mirrored:v1'],
    });
  });

  it('an unsigned image: MISSING_SIGNATURE and MISSING_SIGNATURE_VERIFICATION_DATA, no signature, no error', async () => {
    const { name } = await pushed('team/unsigned');
    const result = await scan([integrationOf('alice', { name: 'alice.pub', key: alice })], name);
    expect(result.signature).toBeNull();
    expect(result.signatureVerificationData).toBeNull();
    expect(result.notes).toEqual(['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA']);
    expect(result.scan?.components).toBeDefined();
  });

  it('a payload past 1 MiB is not read: the scan goes on, each integration says why (GENERIC_ERROR)', async () => {
    const { image, name, repo } = await pushed('team/huge');
    const payload = Buffer.concat([simpleSigningPayload(repo, image.manifestDigest), Buffer.alloc(1024 * 1024 + 1, 0x20)]);
    await pushSignatures(registry, 'team/huge', image.manifestDigest, [{ payload, signature: 'AAAA' }]);
    const result = await scan([integrationOf('alice', { name: 'alice.pub', key: alice })], name);
    expect(result.signature).toBeNull();
    expect(result.signatureVerificationData?.results[0]).toMatchObject({ verifierId: 'alice', status: 'GENERIC_ERROR' });
    expect(result.signatureVerificationData?.results[0].description).toContain('more than the 1048576 read');
    expect(result.notes).toEqual(['MISSING_SIGNATURE']);
  });

  it('without integrations nothing is fetched: the registry sees no request for the .sig tag', async () => {
    const { image, name, repo } = await pushed('team/quiet');
    const tag = await pushSignatures(registry, 'team/quiet', image.manifestDigest, [signed(alice, repo, image.manifestDigest)]);
    const result = await scan([], name);
    expect(result.signature).toBeNull();
    expect(result.signatureVerificationData).toBeNull();
    expect(result.notes).toEqual(['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA']);

    // A marker request after the scan: once the registry has logged it, it has logged every request of the scan.
    const marker = `marker-${Date.now()}`;
    await registryRequest(registry, 'team/quiet', 'GET', `/v2/team/quiet/manifests/${marker}`);
    const log = await waitForLog(registry, marker);
    expect(log).toContain('"GET /v2/team/quiet/manifests/v1 ');
    expect(log).not.toMatch(new RegExp(`"(GET|HEAD) /v2/team/quiet/manifests/${tag} `));

    // The control: with an integration, the same scan asks for it.
    await scan([integrationOf('alice', { name: 'alice.pub', key: alice })], `${name}`);
    const marker2 = `marker2-${Date.now()}`;
    await registryRequest(registry, 'team/quiet', 'GET', `/v2/team/quiet/manifests/${marker2}`);
    expect(await waitForLog(registry, marker2)).toContain(`"GET /v2/team/quiet/manifests/${tag} `);
  });

  it('the signature and the results are stored with the scan and answered from the store', async () => {
    const { image, name, repo } = await pushed('team/stored');
    await pushSignatures(registry, 'team/stored', image.manifestDigest, [signed(alice, repo, image.manifestDigest)]);
    const { store, service } = serviceWith([integrationOf('alice', { name: 'alice.pub', key: alice })]);
    const scanned = await service.scanImage({ imageName: name, force: false, includeSnoozed: false, cluster: '' });
    const kept = await store.get(image.manifestDigest);
    expect(kept?.image.signature).toEqual(scanned.signature);
    expect(kept?.image.signatureVerificationData).toEqual(scanned.signatureVerificationData);
    const fetched = await service.getImage(image.manifestDigest, false);
    expect(fetched.signatureVerificationData?.results[0].status).toBe('VERIFIED');
    expect(fetched.notes).toEqual([]);
  });

  it('lamina scan --verify-key prints the verdict on stderr and keeps the results in the JSON', async () => {
    const { image, name, repo } = await pushed('team/cli');
    await pushSignatures(registry, 'team/cli', image.manifestDigest, [signed(alice, repo, image.manifestDigest)]);
    const aliceFile = join(dataDir, 'alice.pub');
    const bobFile = join(dataDir, 'bob.pub');
    await writeFile(aliceFile, alice.publicPem);
    await writeFile(bobFile, bob.publicPem);
    const run = async (args: string[]) => {
      let out = '';
      let err = '';
      const config: LaminaConfig = { ...configFromEnv({}), dataDir: join(dataDir, 'cli-data'), insecureRegistries: [registry.host] };
      const code = await scanCommand(args, config, {
        out: (text) => (out += text),
        err: (text) => (err += text),
        interactive: false,
        stdoutIsTty: false,
        stdin: process.stdin,
      });
      return { code, out, err };
    };

    const verified = await run([name, '--verify-key', bobFile, '--verify-key', aliceFile, '-f', 'json']);
    expect(verified.code).toBe(0);
    expect(verified.err).toContain(`lamina: signature: VERIFIED by ${aliceFile} for ${name}\n`);
    const json = JSON.parse(verified.out) as { signatureVerificationData: { results: Array<{ status: string; verifierId: string }> }; notes: string[] };
    expect(json.signatureVerificationData.results).toEqual([
      expect.objectContaining({ status: 'VERIFIED', verifierId: 'io.lamina.signatureintegration.verify-key' }),
    ]);
    expect(json.notes).toEqual([]);

    const wrong = await run([name, '--verify-key', bobFile, '-f', 'json']);
    expect(wrong.err).toContain(
      `lamina: signature: FAILED_VERIFICATION for --verify-key: signature 1: invalid signature: it does not verify with the public key "${bobFile}"`,
    );

    const unsigned = await pushed('team/cli-unsigned');
    const none = await run([unsigned.name, '--verify-key', aliceFile, '-f', 'json']);
    expect(none.code).toBe(0);
    expect(none.err).toContain(`lamina: signature: none found for ${unsigned.name}\n`);

    const plain = await run([name, '-f', 'json']);
    expect(plain.err).not.toContain('signature:');

    // The table carries the verdict itself.
    const table = await run([name, '--verify-key', aliceFile, '-f', 'table']);
    expect(table.out.replace(/\s+/g, ' ')).toContain(` Signatures: VERIFIED by ${aliceFile} for ${name} `);
    expect(table.err).not.toContain('signature:');

    const bad = await run([name, '--verify-key', join(dataDir, 'missing.pub')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--verify-key');
    await writeFile(join(dataDir, 'junk.pub'), 'junk');
    const junk = await run([name, '--verify-key', join(dataDir, 'junk.pub')]);
    expect(junk.code).toBe(2);
    expect(junk.err).toContain('not a PEM-encoded public key');
  });
});

async function waitForLog(registry: TestRegistry, needle: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const log = await readFile(registry.logFile ?? '', 'utf8');
    if (log.includes(needle) || Date.now() > deadline) return log;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
