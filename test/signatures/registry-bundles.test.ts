import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { scanCommand } from '../../lib/cli/scan-command';
import { createImageService } from '../../lib/compose';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import type { SignatureIntegration } from '../../lib/signatures/types';
import type { StorageImage } from '../../lib/stackrox/types';
import { startFaultProxy } from '../support/fault-proxy';
import { type BuiltImage, buildImage, pushImage, pushIndex } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { generateKey, pushSignatures, signed } from './cosign';
import { createPki, opensslAvailable, type TestPki } from './pki';
import { startReferrersProxy } from './referrers-proxy';
import { cosignStatement, createRekor, dsseBundle, pushBundle } from './sigstore';

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED sigstore bundle tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');
const itWithOpenssl = opensslAvailable() ? it : it.skip;
if (!opensslAvailable()) console.warn('SKIPPED certificate-signed image tests: /usr/bin/openssl is not installed');

const subjectOf = (image: BuiltImage) => ({ digest: image.manifestDigest, mediaType: image.manifestMediaType, size: image.manifestBytes.length });

describeWithRegistry('sigstore bundles, certificates and multi-platform signatures in a real registry', () => {
  let registry: TestRegistry;
  let dataDir: string;
  let pki: TestPki | undefined;
  let counter = 0;
  const alice = generateKey('ec-p256');
  const rekor = createRekor();
  const aliceKeys: SignatureIntegration = { id: 'alice', name: 'alice', cosign: { publicKeys: [{ name: 'alice.pub', publicKeyPemEnc: alice.publicPem }] } };

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'none' });
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-bundles-'));
    if (opensslAvailable()) pki = createPki();
  });

  afterAll(async () => {
    await registry?.stop();
    pki?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function pushed(repository: string, target: TestRegistry = registry): Promise<{ image: BuiltImage; name: string }> {
    counter += 1;
    const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: `3.19.${counter}\n` }] }] });
    await pushImage(target, repository, 'v1', image);
    return { image, name: `${target.host}/${repository}:v1` };
  }

  const scan = (integrations: SignatureIntegration[], imageName: string, target: TestRegistry = registry): Promise<StorageImage> => {
    const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [target.host], signatureIntegrations: integrations };
    return createImageService(config, new MemoryImageStore()).scanImage({ imageName, force: false, includeSnoozed: false, cluster: '' });
  };

  it('docker-registry 2.8 has no referrers API: a bundle behind the fallback tag is found and VERIFIED; sigstore-js agrees', async () => {
    const { image, name } = await pushed('bundles/fallback');
    const bundle = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(image.manifestDigest), verifierPem: alice.publicPem });
    await pushBundle(registry, 'bundles/fallback', subjectOf(image), bundle);
    const direct = await fetch(`${registry.url}/v2/bundles/fallback/referrers/${image.manifestDigest}`);
    expect(direct.status).toBe(404);

    const result = await scan([aliceKeys], name);
    expect(result.signature?.signatures).toEqual([
      {
        cosign: expect.objectContaining({
          signatureFormat: 'DEAD_SIMPLE_SIGNING_ENVELOPE',
          sigstoreBundle: bundle.toString('base64'),
          signaturePayload: cosignStatement(image.manifestDigest).toString('base64'),
        }),
      },
    ]);
    expect(result.signatureVerificationData?.results).toEqual([
      expect.objectContaining({ verifierId: 'alice', status: 'VERIFIED', verifiedImageReferences: [name] }),
    ]);
    expect(result.notes).toEqual([]);

    const fetched = Buffer.from(result.signature!.signatures[0].cosign!.sigstoreBundle!, 'base64');
    const trust = {
      certificateAuthorities: [],
      timestampAuthorities: [],
      tlogs: [],
      ctlogs: [],
      publicKey: () => ({ publicKey: alice.publicKey, validFor: () => true }),
    };
    expect(() =>
      new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
        toSignedEntity(bundleFromJSON(JSON.parse(fetched.toString()))),
      ),
    ).not.toThrow();
  });

  it('a bundle whose statement is about another digest: FAILED_VERIFICATION', async () => {
    const { image, name } = await pushed('bundles/other-digest');
    const elsewhere = `sha256:${'d'.repeat(64)}`;
    await pushBundle(
      registry,
      'bundles/other-digest',
      subjectOf(image),
      dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(elsewhere), verifierPem: alice.publicPem }),
    );
    const result = await scan([aliceKeys], name);
    expect(result.signatureVerificationData?.results[0]).toMatchObject({
      status: 'FAILED_VERIFICATION',
      description: `signature 1: invalid or missing digest in claim: ${elsewhere} is not the image's digest ${image.manifestDigest}`,
    });
  });

  it('a registry with the referrers API: bundles are listed there (no fallback tag), beside the .sig signatures', async () => {
    const proxy = await startReferrersProxy(registry);
    try {
      const { image, name } = await pushed('bundles/api', proxy);
      const bundle = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(image.manifestDigest), verifierPem: alice.publicPem });
      const referrer = await pushBundle(proxy, 'bundles/api', subjectOf(image), bundle, { fallbackTag: false });
      proxy.addReferrer('bundles/api', image.manifestDigest, { ...referrer.descriptor });
      proxy.addReferrer('bundles/api', image.manifestDigest, {
        ...referrer.descriptor,
        digest: `sha256:${'0'.repeat(64)}`,
        artifactType: 'application/spdx+json',
      });
      await pushSignatures(proxy, 'bundles/api', image.manifestDigest, [signed(alice, `${proxy.host}/bundles/api`, image.manifestDigest)]);

      const result = await scan([aliceKeys], name, proxy);
      expect(proxy.referrersRequests).toEqual([`/v2/bundles/api/referrers/${image.manifestDigest}`]);
      expect(result.signature?.signatures.map((signature) => signature.cosign?.signatureFormat)).toEqual(['SIMPLE_SIGNING', 'DEAD_SIMPLE_SIGNING_ENVELOPE']);
      expect(result.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [name] });
    } finally {
      await proxy.stop();
    }
  });

  it('answers a registry gives for an unknown endpoint (400, 406, a page that is not an index) mean: read the fallback tag', async () => {
    const { image, name: direct } = await pushed('bundles/quirky');
    const bundle = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(image.manifestDigest), verifierPem: alice.publicPem });
    await pushBundle(registry, 'bundles/quirky', subjectOf(image), bundle);
    for (const rule of [
      { match: /\/referrers\//, action: 'status' as const, status: 400 },
      { match: /\/referrers\//, action: 'status' as const, status: 406 },
      { match: /\/referrers\//, action: 'status' as const, status: 200, headers: { 'content-type': 'text/html' } },
    ]) {
      const proxy = await startFaultProxy(registry, [rule]);
      try {
        const result = await scan([aliceKeys], direct.replace(registry.host, proxy.host), proxy);
        expect(result.signature?.signatures.map((signature) => signature.cosign?.signatureFormat)).toEqual(['DEAD_SIMPLE_SIGNING_ENVELOPE']);
        expect(proxy.hits(/\/referrers\//)).toBe(1);
      } finally {
        await proxy.stop();
      }
    }
  });

  it("a failing referrers listing does not hide the .sig signatures; both failing is each integration's GENERIC_ERROR", async () => {
    const referrersDown = await startFaultProxy(registry, [{ match: /\/referrers\//, action: 'status', status: 403 }]);
    const allDown = await startFaultProxy(registry, [{ match: /\/(referrers\/|manifests\/sha256-)/, action: 'status', status: 403 }]);
    try {
      const { image } = await pushed('bundles/faulty');
      await pushSignatures(registry, 'bundles/faulty', image.manifestDigest, [signed(alice, `${referrersDown.host}/bundles/faulty`, image.manifestDigest)]);
      const other = await pushed('bundles/faulty-unsigned');
      const unsigned = await scan([aliceKeys], `${referrersDown.host}/bundles/faulty-unsigned:v1`, referrersDown);
      expect(other.image.manifestDigest).toBe(unsigned.id);
      expect(unsigned.signatureVerificationData?.results[0].status).toBe('GENERIC_ERROR');
      expect(unsigned.signatureVerificationData?.results[0].description).toContain('reading the sigstore bundles among the referrers: ');

      const result = await scan([aliceKeys], `${referrersDown.host}/bundles/faulty:v1`, referrersDown);
      expect(result.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED', description: '' });

      const down = await scan([aliceKeys], `${allDown.host}/bundles/faulty:v1`, allDown);
      expect(down.signature).toBeNull();
      expect(down.signatureVerificationData?.results[0]).toMatchObject({ status: 'GENERIC_ERROR' });
      expect(down.signatureVerificationData?.results[0].description).toMatch(/^fetching signatures: /);
    } finally {
      await referrersDown.stop();
      await allDown.stop();
    }
  });

  it('a multi-platform image signed by its index digest (simple signing and a bundle): VERIFIED by tag, by index digest', async () => {
    const amd64 = await buildImage({
      layers: [{ entries: [{ path: 'etc/os-release', content: 'ID=amd64\n' }] }],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const arm64 = await buildImage({
      layers: [{ entries: [{ path: 'etc/os-release', content: 'ID=arm64\n' }] }],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = await pushIndex(registry, 'bundles/multi', 'v1', [amd64, arm64]);
    const repo = `${registry.host}/bundles/multi`;
    await pushSignatures(registry, 'bundles/multi', index.digest, [signed(alice, repo, index.digest)]);

    const byTag = await scan([aliceKeys], `${repo}:v1`);
    expect(byTag.id).toBe(amd64.manifestDigest);
    expect(byTag.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [`${repo}:v1`] });

    const byIndex = await scan([aliceKeys], `${repo}@${index.digest}`);
    expect(byIndex.id).toBe(index.digest);
    expect(byIndex.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED' });

    const bundled = await pushIndex(registry, 'bundles/multi-bundle', 'v1', [amd64, arm64]);
    const indexSubject = { digest: bundled.digest, mediaType: 'application/vnd.oci.image.index.v1+json', size: bundled.bytes.length };
    await pushBundle(
      registry,
      'bundles/multi-bundle',
      indexSubject,
      dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(bundled.digest), verifierPem: alice.publicPem }),
    );
    const bundledResult = await scan([aliceKeys], `${registry.host}/bundles/multi-bundle:v1`);
    expect(bundledResult.signature?.signatures).toHaveLength(1);
    expect(bundledResult.signatureVerificationData?.results[0]).toMatchObject({ status: 'VERIFIED' });
  });

  it('lamina scan --verify-key names the key that verified an index-signed image', async () => {
    const amd64 = await buildImage({
      layers: [{ entries: [{ path: 'etc/os-release', content: 'ID=cli-amd64\n' }] }],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const arm64 = await buildImage({
      layers: [{ entries: [{ path: 'etc/os-release', content: 'ID=cli-arm64\n' }] }],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = await pushIndex(registry, 'bundles/cli-multi', 'v1', [amd64, arm64]);
    const name = `${registry.host}/bundles/cli-multi:v1`;
    await pushBundle(
      registry,
      'bundles/cli-multi',
      { digest: index.digest, mediaType: 'application/vnd.oci.image.index.v1+json', size: index.bytes.length },
      dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(index.digest), verifierPem: alice.publicPem }),
    );
    const keyFile = join(dataDir, 'alice.pub');
    await writeFile(keyFile, alice.publicPem);
    let err = '';
    const config: LaminaConfig = { ...configFromEnv({}), dataDir: join(dataDir, 'cli-data'), insecureRegistries: [registry.host] };
    const code = await scanCommand([name, '--verify-key', keyFile, '-f', 'json'], config, {
      out: () => undefined,
      err: (text) => (err += text),
      interactive: false,
      stdoutIsTty: false,
      stdin: process.stdin,
    });
    expect(code).toBe(0);
    expect(err).toContain(`lamina: signature: VERIFIED by ${keyFile} for ${name}\n`);
  });

  itWithOpenssl('a certificate-signed cosign signature (certificate and chain annotations): identity match VERIFIED, mismatch FAILED', async () => {
    const { image, name } = await pushed('bundles/keyless');
    const leaf = pki!.issueLeaf({ san: 'email:ci@example.com', oidcIssuer: 'https://issuer.example.com' });
    const layer = signed(
      { kind: 'ec-p256', privateKey: leaf.privateKey, publicKey: leaf.publicKey, publicPem: '' },
      `${registry.host}/bundles/keyless`,
      image.manifestDigest,
    );
    await pushSignatures(registry, 'bundles/keyless', image.manifestDigest, [
      { ...layer, annotations: { 'dev.sigstore.cosign/certificate': leaf.pem, 'dev.sigstore.cosign/chain': pki!.intermediate.pem } },
    ]);
    const rule = (identity: string): SignatureIntegration => ({
      id: `ci-${identity}`,
      name: 'ci',
      cosignCertificates: [{ certificateChainPemEnc: pki!.root.pem, certificateIdentity: identity, certificateOidcIssuer: '^https://issuer\\.example\\.com$' }],
    });
    const result = await scan([rule('^ci@example\\.com$'), rule('^release@example\\.com$')], name);
    expect(result.signature?.signatures[0].cosign).toMatchObject({
      certPem: Buffer.from(leaf.pem).toString('base64'),
      certChainPem: Buffer.from(pki!.intermediate.pem).toString('base64'),
      signatureFormat: 'SIMPLE_SIGNING',
    });
    expect(result.signatureVerificationData?.results.map((r) => [r.status, r.verifiedImageReferences])).toEqual([
      ['VERIFIED', [name]],
      ['FAILED_VERIFICATION', []],
    ]);
    expect(result.signatureVerificationData?.results[1].description).toContain(
      'none of the certificate\'s identities [ci@example.com] matches "^release@example\\\\.com$"',
    );
  });

  it("a log lookup online: GENERIC_ERROR, quickly, saying why; a keyless rule refuses a key's bundle offline", async () => {
    const { image, name } = await pushed('bundles/offline');
    await pushBundle(
      registry,
      'bundles/offline',
      subjectOf(image),
      dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(image.manifestDigest), verifierPem: alice.publicPem }),
    );
    const keyless: SignatureIntegration = {
      id: 'keyless',
      name: 'keyless',
      cosignCertificates: [{ certificateIdentity: '^ci@example\\.com$', certificateOidcIssuer: '^https://token\\.actions\\.githubusercontent\\.com$' }],
      transparencyLog: { enabled: true, validateOffline: false },
    };
    const withLogKey: SignatureIntegration = {
      ...aliceKeys,
      id: 'logged',
      transparencyLog: { enabled: true, validateOffline: false, publicKeyPemEnc: rekor.publicPem },
    };
    const started = Date.now();
    const result = await scan([keyless, withLogKey], name);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.signatureVerificationData?.results.map((r) => r.status)).toEqual(['FAILED_VERIFICATION', 'GENERIC_ERROR']);
    // The public Fulcio CAs come from the Sigstore trusted root lamina holds: no network, and no certificate here to check.
    expect(result.signatureVerificationData?.results[0].description).toContain('the signature carries no certificate to verify against the certificate rule');
    expect(result.signatureVerificationData?.results[1].description).toContain(
      'needs an online lookup at https://rekor.sigstore.dev, which lamina does not make',
    );
  });
});
