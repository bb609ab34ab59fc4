/**
 * Keyless verification on real Sigstore data (see fixtures/sigstore/PROVENANCE.md): public-good cosign signatures
 * and bundles, checked against the public-good trusted root they were signed under (cosign's March 2025 copy) and
 * against the one @sigstore/tuf's seed ships, with sigstore-js's own verifier asked for its verdict on the same
 * bundles. Nothing reaches the network.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type VerificationPolicy } from '@sigstore/verify';
import { storageSignatureOfBundle } from '../../lib/signatures/bundle-fetch';
import { type SigstoreTrustRoot, seedTrustRoot, trustRootOf } from '../../lib/signatures/trust-root';
import type { CosignCertificateVerification, SignatureIntegration, TransparencyLogVerification } from '../../lib/signatures/types';
import { type VerificationSubject, verifyWithIntegration } from '../../lib/signatures/verify';
import type { StorageSignature } from '../../lib/stackrox/types';

const FIXTURES = join(__dirname, 'fixtures', 'sigstore');
const read = (...path: string[]) => readFileSync(join(FIXTURES, ...path));
const text = (...path: string[]) => read(...path).toString('utf8');
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

const PUBLIC_GOOD_2025 = trustRootOf(text('trusted-root-public-good-2025-03.json'), 'the public-good trusted root of March 2025');
const SEED = seedTrustRoot();
const OFFLINE_LOG: TransparencyLogVerification = { enabled: true, validateOffline: true };
const NOW = new Date('2026-12-01T00:00:00Z');

/** A keyless integration: one certificate rule, the transparency log offline unless `transparencyLog` is null. */
function integration(rule: Partial<CosignCertificateVerification>, transparencyLog: TransparencyLogVerification | null = OFFLINE_LOG): SignatureIntegration {
  return {
    id: 'keyless',
    name: 'keyless',
    cosignCertificates: [{ certificateIdentity: '.*', certificateOidcIssuer: '.*', ...rule }],
    ...(transparencyLog ? { transparencyLog } : {}),
  };
}

/** A trusted root derived from `json`, edited by `edit` (a CA's window cut short, a log dropped). */
function editedTrustRoot(
  json: string,
  source: string,
  edit: (root: { certificateAuthorities: any[]; ctlogs: any[]; tlogs: any[] }) => void,
): SigstoreTrustRoot {
  const root = JSON.parse(json);
  edit(root);
  return trustRootOf(root, source);
}

/** sigstore-js's verdict on a bundle: its verifier, trust material from the same trusted root, exact identity. */
function sigstoreJsVerdict(bundle: Buffer, trustedRootJson: string, policy?: VerificationPolicy, thresholds = {}): 'VERIFIED' | 'FAILED_VERIFICATION' {
  const material = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(trustedRootJson)));
  try {
    new Verifier(material, thresholds).verify(toSignedEntity(bundleFromJSON(JSON.parse(bundle.toString('utf8')))), policy);
    return 'VERIFIED';
  } catch {
    return 'FAILED_VERIFICATION';
  }
}

describe('keyless simple signing from the public-good instance (a cosign signature StackRox tests with)', () => {
  const IMAGE = 'ttl.sh/4d3eca7f-d24e-4294-ac11-fa714ce8779b';
  const SUBJECT: VerificationSubject = { digest: 'sha256:0e1ac7f12d904a5ce077d1b5c763b5750c7985e524f6083e5eaa7e7313833440', names: [`${IMAGE}:latest`] };
  const RULE = { certificateIdentity: '^shesselm@redhat\\.com$', certificateOidcIssuer: '^https://github\\.com/login/oauth$' };
  const signature = (overrides: Partial<NonNullable<StorageSignature['cosign']>> = {}): StorageSignature => ({
    cosign: {
      rawSignature: text('stackrox-keyless', 'signature.b64'),
      signaturePayload: b64(read('stackrox-keyless', 'payload.json')),
      certPem: b64(read('stackrox-keyless', 'cert.pem')),
      certChainPem: b64(read('stackrox-keyless', 'chain.pem')),
      rekorBundle: b64(read('stackrox-keyless', 'rekor-bundle.json')),
      signatureFormat: 'SIMPLE_SIGNING',
      ...overrides,
    },
  });
  const verify = (
    rule: Partial<CosignCertificateVerification>,
    options: { trustRoot?: SigstoreTrustRoot; tlog?: TransparencyLogVerification; sig?: StorageSignature } = {},
  ) =>
    verifyWithIntegration(integration(rule, options.tlog ?? OFFLINE_LOG), [options.sig ?? signature()], SUBJECT, NOW, { trustRoot: options.trustRoot }).result;

  it.each([
    ['the trusted root it was signed under', PUBLIC_GOOD_2025],
    ["the seed's trusted root", SEED],
  ])('a rule without a chain verifies against the public Fulcio CAs and Rekor keys of %s', (_, trustRoot) => {
    expect(verify(RULE, { trustRoot })).toMatchObject({ status: 'VERIFIED', description: '', verifiedImageReferences: [`${IMAGE}:latest`] });
  });

  it("without a trust root given, @sigstore/tuf's seed is the one used", () => {
    expect(verify(RULE)).toMatchObject({ status: 'VERIFIED' });
    expect(verify({ ...RULE, certificateIdentity: '^someone-else@' }).description).toContain(
      'trusted root: the Sigstore public-good trusted root shipped with @sigstore/tuf',
    );
  });

  it('SCT on: the embedded SCT verifies with the CT log keys of the trusted root, or fails with a wrong CT log key', () => {
    expect(verify({ ...RULE, certificateTransparencyLog: { enabled: true } }, { trustRoot: PUBLIC_GOOD_2025 }).status).toBe('VERIFIED');
    const strangerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const wrong = verify({ ...RULE, certificateTransparencyLog: { enabled: true, publicKeyPemEnc: strangerKey } }, { trustRoot: PUBLIC_GOOD_2025 });
    expect(wrong.status).toBe('FAILED_VERIFICATION');
    expect(wrong.description).toBe(
      "signature 1: certificate transparency: an SCT of certificate shesselm@redhat.com does not verify with the rule's CT log key; trusted root: the public-good trusted root of March 2025",
    );
  });

  it('a wrong identity or issuer pattern: FAILED_VERIFICATION saying which', () => {
    const identity = verify({ ...RULE, certificateIdentity: '^shesselm@example\\.com$' }, { trustRoot: PUBLIC_GOOD_2025 });
    expect(identity).toMatchObject({
      status: 'FAILED_VERIFICATION',
      description: `signature 1: certificate identity: none of the certificate's identities [shesselm@redhat.com] matches "^shesselm@example\\\\.com$"; trusted root: the public-good trusted root of March 2025`,
    });
    const issuer = verify({ ...RULE, certificateOidcIssuer: '^https://accounts\\.google\\.com$' }, { trustRoot: PUBLIC_GOOD_2025 });
    expect(issuer.description).toContain(`the certificate's OIDC issuer "https://github.com/login/oauth" does not match`);
  });

  it('a tampered certificate (one letter of its identity changed) does not chain to Fulcio', () => {
    const pem = text('stackrox-keyless', 'cert.pem');
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const at = der.indexOf('shesselm@redhat.com');
    expect(at).toBeGreaterThan(0);
    der[at + 7] = 'x'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const result = verify({ ...RULE, certificateIdentity: '.*' }, { trustRoot: PUBLIC_GOOD_2025, sig: signature({ certPem: b64(tampered) }) });
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toMatch(
      /^signature 1: certificate shesselx@redhat\.com does not chain to a Fulcio certificate authority valid at its signing time 2025-04-03T08:49:41\.000Z: .*; trusted root: the public-good trusted root of March 2025$/,
    );
  });

  it("a certificate issued outside the Fulcio CA's validity window fails", () => {
    const shortLived = editedTrustRoot(text('trusted-root-public-good-2025-03.json'), 'a public-good root whose CAs ended in 2024', (root) => {
      for (const ca of root.certificateAuthorities) ca.validFor = { start: ca.validFor.start, end: '2024-12-31T23:59:59Z' };
    });
    const result = verify(RULE, { trustRoot: shortLived });
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toContain('does not chain to a Fulcio certificate authority valid at its signing time 2025-04-03T08:49:41.000Z');
    expect(result.description).toContain('trusted root: a public-good root whose CAs ended in 2024');
  });

  it("a trusted root without the log's key, or a Rekor bundle from elsewhere: the transparency log fails", () => {
    const noRekor = editedTrustRoot(text('trusted-root-public-good-2025-03.json'), 'a root without Rekor', (root) => {
      root.tlogs = [{ ...root.tlogs[0], logId: { keyId: b64(Buffer.alloc(32, 1)) } }];
    });
    const result = verify(RULE, { trustRoot: noRekor });
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toMatch(/^signature 1: transparency log: inclusion promise could not be verified; trusted root: a root without Rekor$/);
    const bundle = JSON.parse(text('stackrox-keyless', 'rekor-bundle.json'));
    bundle.Payload.integratedTime += 60;
    const moved = verify(RULE, { trustRoot: PUBLIC_GOOD_2025, sig: signature({ rekorBundle: b64(JSON.stringify(bundle)) }) });
    expect(moved.description).toContain('transparency log: inclusion promise could not be verified');
  });

  it('without the transparency log there is no trusted signing time: GENERIC_ERROR, saying what to enable', () => {
    const started = Date.now();
    const result = verifyWithIntegration(integration(RULE, null), [signature()], SUBJECT, NOW).result;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ status: 'GENERIC_ERROR' });
    expect(result.description).toContain("enable the integration's transparencyLog");
  });

  it('the pinned certificate of a rule without a chain is verified against Fulcio too', () => {
    expect(verify({ ...RULE, certificatePemEnc: text('stackrox-keyless', 'cert.pem') }, { trustRoot: PUBLIC_GOOD_2025 }).status).toBe('VERIFIED');
  });

  it("the public Fulcio chain given explicitly: the chain case, SCT checked with the trusted root's CT logs", () => {
    const chain = { ...RULE, certificateChainPemEnc: text('stackrox-keyless', 'chain.pem'), certificateTransparencyLog: { enabled: true } };
    expect(verify(chain, { trustRoot: PUBLIC_GOOD_2025 }).status).toBe('VERIFIED');
    const noCtLog = editedTrustRoot(text('trusted-root-public-good-2025-03.json'), 'a root without CT logs', (root) => {
      root.ctlogs = [];
    });
    expect(verify(chain, { trustRoot: noCtLog }).description).toMatch(
      /certificate transparency: certificate shesselm@redhat.com: the SCT of 2025-04-03T08:49:40.268Z is not valid: its log 3T0wasbHETJjGR4cmWc3AqJKXrjePK3\/h4pygC8p7o4= is not among the CT log keys of a root without CT logs/,
    );
  });
});

describe('SCT required of a certificate that has none (a cosign signature over a private chain, from StackRox)', () => {
  const IMAGE = 'ttl.sh/3d2aaf19-8e64-43db-9eb0-1da66b67d6d2';
  const SUBJECT: VerificationSubject = { digest: 'sha256:e770165fef9e36b990882a4083d8ccf5e29e469a8609bb6b2e3b47d9510e2c8d', names: [`${IMAGE}:latest`] };
  const signature: StorageSignature = {
    cosign: {
      rawSignature: text('stackrox-chain', 'signature.b64'),
      signaturePayload: b64(read('stackrox-chain', 'payload.json')),
      certPem: b64(read('stackrox-chain', 'cert.pem')),
      certChainPem: b64(read('stackrox-chain', 'chain.pem')),
      signatureFormat: 'SIMPLE_SIGNING',
    },
  };
  const rule = (sct: boolean) => ({
    certificateChainPemEnc: text('stackrox-chain', 'chain.pem'),
    ...(sct ? { certificateTransparencyLog: { enabled: true } } : {}),
  });

  it('SCT off: VERIFIED with the chain; SCT on: FAILED_VERIFICATION, the certificate carries none', () => {
    expect(verifyWithIntegration(integration(rule(false), null), [signature], SUBJECT, NOW).result).toMatchObject({
      status: 'VERIFIED',
      verifiedImageReferences: [`${IMAGE}:latest`],
    });
    const result = verifyWithIntegration(integration(rule(true), null), [signature], SUBJECT, NOW).result;
    expect(result).toMatchObject({ status: 'FAILED_VERIFICATION' });
    expect(result.description).toMatch(/^signature 1: certificate transparency: certificate .* carries no SCT \(certificateTransparencyLog is enabled\)$/);
  });
});

describe('sigstore bundles from the public-good instance', () => {
  const stored = (bundle: Buffer): StorageSignature => ({ cosign: storageSignatureOfBundle(bundle) });
  const PUBLIC_GOOD_JSON = text('trusted-root-public-good-2025-03.json');

  describe('cosign attest --new-bundle-format (cosign test data)', () => {
    const bundle = read('cosign-oci-attestation.sigstore.json');
    const SUBJECT: VerificationSubject = {
      digest: 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4',
      names: ['127.0.0.1:60943/repo:tag'],
    };
    const RULE = { certificateIdentity: '^cody@soyland\\.com$', certificateOidcIssuer: '^https://github\\.com/login/oauth$' };
    const policy = { subjectAlternativeName: 'cody@soyland.com', extensions: { issuer: 'https://github.com/login/oauth' } };

    it('VERIFIED keylessly under the root it was signed under and the seed; sigstore-js agrees', () => {
      for (const trustRoot of [PUBLIC_GOOD_2025, SEED]) {
        const { result, verifiedBy } = verifyWithIntegration(integration(RULE), [stored(bundle)], SUBJECT, NOW, { trustRoot });
        expect(result).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: ['127.0.0.1:60943/repo:tag'] });
        expect(verifiedBy).toEqual(['cosignCertificates[0]']);
      }
      expect(sigstoreJsVerdict(bundle, PUBLIC_GOOD_JSON, policy)).toBe('VERIFIED');
      const sct = verifyWithIntegration(integration({ ...RULE, certificateTransparencyLog: { enabled: true } }), [stored(bundle)], SUBJECT, NOW, {
        trustRoot: PUBLIC_GOOD_2025,
      });
      expect(sct.result.status).toBe('VERIFIED');
    });

    it('another identity: FAILED_VERIFICATION, as sigstore-js says', () => {
      const { result } = verifyWithIntegration(integration({ ...RULE, certificateIdentity: '^mallory@' }), [stored(bundle)], SUBJECT, NOW, {
        trustRoot: PUBLIC_GOOD_2025,
      });
      expect(result.status).toBe('FAILED_VERIFICATION');
      expect(result.description).toContain("none of the certificate's identities [cody@soyland.com] matches");
      expect(sigstoreJsVerdict(bundle, PUBLIC_GOOD_JSON, { ...policy, subjectAlternativeName: 'mallory@soyland.com' })).toBe('FAILED_VERIFICATION');
    });

    it('a tampered certificate in the bundle: FAILED_VERIFICATION, as sigstore-js says', () => {
      const json = JSON.parse(bundle.toString('utf8'));
      const der = Buffer.from(json.verificationMaterial.certificate.rawBytes, 'base64');
      der[der.indexOf('cody@soyland.com')] = 'j'.charCodeAt(0);
      json.verificationMaterial.certificate.rawBytes = b64(der);
      const tampered = Buffer.from(JSON.stringify(json));
      const { result } = verifyWithIntegration(integration({ ...RULE, certificateIdentity: '.*' }), [stored(tampered)], SUBJECT, NOW, {
        trustRoot: PUBLIC_GOOD_2025,
      });
      expect(result.status).toBe('FAILED_VERIFICATION');
      expect(result.description).toContain(
        'certificate jody@soyland.com does not chain to a Fulcio certificate authority valid at its signing time 2025-02-28T19:18:11.000Z',
      );
      expect(sigstoreJsVerdict(tampered, PUBLIC_GOOD_JSON)).toBe('FAILED_VERIFICATION');
    });
  });

  describe('sigstore-conformance bundles', () => {
    const BEACON =
      '^https://github\\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/\\.github/workflows/extremely-dangerous-oidc-beacon\\.yml@refs/heads/main$';
    const RULE = { certificateIdentity: BEACON, certificateOidcIssuer: '^https://token\\.actions\\.githubusercontent\\.com$' };
    // The statements' subjects are files; lamina reads a subject name as an image name in docker.io/library.
    const subject = (file: string, hex: string): VerificationSubject => ({ digest: `sha256:${hex}`, names: [file] });
    const A_TXT = subject('a.txt', 'a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf');
    const D_TXT = subject('d.txt', '330a043220fa13e01d68a7db39c89e12b0c4c3b6a0346fe624b0903f1303b5b2');

    it('an in-toto statement in DSSE (v0.3): VERIFIED; its invalid-signature twin fails; sigstore-js agrees on both', () => {
      const good = read('conformance', 'happy-path-intoto-in-dsse-v3.sigstore.json');
      const bad = read('conformance', 'dsse-invalid-sig.sigstore.json');
      expect(verifyWithIntegration(integration(RULE), [stored(good)], A_TXT, NOW, { trustRoot: PUBLIC_GOOD_2025 }).result).toMatchObject({
        status: 'VERIFIED',
        verifiedImageReferences: ['a.txt'],
      });
      const result = verifyWithIntegration(integration(RULE), [stored(bad)], A_TXT, NOW, { trustRoot: PUBLIC_GOOD_2025 }).result;
      expect(result).toMatchObject({
        status: 'FAILED_VERIFICATION',
        description: "signature 1: invalid signature: it does not verify with the signature's certificate",
      });
      expect(sigstoreJsVerdict(good, PUBLIC_GOOD_JSON)).toBe('VERIFIED');
      expect(sigstoreJsVerdict(bad, PUBLIC_GOOD_JSON)).toBe('FAILED_VERIFICATION');
    });

    it('a timestamp authority gives the signing time: VERIFIED under its own trusted root, with or without the log', () => {
      const rootJson = text('conformance', 'intoto-with-custom-trust-root', 'trusted_root.json');
      const trustRoot = trustRootOf(rootJson, 'the conformance suite’s custom trusted root');
      const bundle = read('conformance', 'intoto-with-custom-trust-root', 'bundle.sigstore.json');
      expect(verifyWithIntegration(integration(RULE), [stored(bundle)], D_TXT, NOW, { trustRoot }).result.status).toBe('VERIFIED');
      expect(verifyWithIntegration(integration(RULE, null), [stored(bundle)], D_TXT, NOW, { trustRoot }).result.status).toBe('VERIFIED');
      expect(sigstoreJsVerdict(bundle, rootJson)).toBe('VERIFIED');
      // Not under the public-good root: another Fulcio.
      expect(verifyWithIntegration(integration(RULE), [stored(bundle)], D_TXT, NOW, { trustRoot: PUBLIC_GOOD_2025 }).result.status).toBe('FAILED_VERIFICATION');
    });

    it("a certificate outside its CA's validity window: FAILED_VERIFICATION, as sigstore-js says", () => {
      const rootJson = text('conformance', 'intoto-expired-certificate', 'trusted_root.json');
      const bundle = read('conformance', 'intoto-expired-certificate', 'bundle.sigstore.json');
      const { result } = verifyWithIntegration(integration(RULE), [stored(bundle)], D_TXT, NOW, { trustRoot: trustRootOf(rootJson, 'its trusted root') });
      expect(result.status).toBe('FAILED_VERIFICATION');
      expect(result.description).toContain('does not chain to a Fulcio certificate authority valid at its signing time 2023-02-01T00:00:00.000Z');
      expect(sigstoreJsVerdict(bundle, rootJson)).toBe('FAILED_VERIFICATION');
    });
  });
});
