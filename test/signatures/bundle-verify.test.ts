import { createPublicKey } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { type TrustMaterial, toSignedEntity, Verifier, type VerificationPolicy } from '@sigstore/verify';
import { storageSignatureOfBundle } from '../../lib/signatures/bundle-fetch';
import { compileIdentityPattern } from '../../lib/signatures/certificates';
import type { SignatureIntegration } from '../../lib/signatures/types';
import { verifyWithIntegration, type VerificationSubject } from '../../lib/signatures/verify';
import type { StorageSignature } from '../../lib/stackrox/types';
import { generateKey, signed } from './cosign';
import { createPki, opensslAvailable, type TestPki } from './pki';
import { cosignRekorBundle, cosignStatement, createRekor, dsseBundle, hashedRekordBody, pae, type TestRekor } from './sigstore';

const DIGEST = `sha256:${'1'.repeat(64)}`;
const INDEX_DIGEST = `sha256:${'2'.repeat(64)}`;
const REPO = 'registry.example.com/team/app';
const NAME = `${REPO}:v1`;
const SUBJECT: VerificationSubject = { digest: DIGEST, names: [NAME, 'mirror.example.com/team/app:v1'], readFrom: NAME };
const FOREVER = { start: new Date(0), end: new Date(8_640_000_000_000_000) };

const alice = generateKey('ec-p256');
const bob = generateKey('ec-p256');
const rekor = createRekor();
const otherRekor = createRekor();

const keyIntegration = (extra: Partial<SignatureIntegration> = {}): SignatureIntegration => ({
  id: 'keys',
  name: 'keys',
  cosign: { publicKeys: [{ name: 'alice.pub', publicKeyPemEnc: alice.publicPem }] },
  ...extra,
});
const offlineLog = (log: TestRekor = rekor) => ({ enabled: true, validateOffline: true, url: rekor.url, publicKeyPemEnc: log.publicPem });
const stored = (bundle: Buffer): StorageSignature => ({ cosign: storageSignatureOfBundle(bundle) });
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** sigstore-js's verdict on the same bundle, with trust material built from the same integration data. */
function sigstoreJsVerdict(
  bundle: Buffer,
  trust: { key?: typeof alice; pki?: TestPki; log?: TestRekor },
  policy?: VerificationPolicy,
): 'VERIFIED' | 'FAILED_VERIFICATION' {
  const material: TrustMaterial = {
    certificateAuthorities: trust.pki
      ? [{ certChain: [SigstoreX509.parse(trust.pki.root.pem), SigstoreX509.parse(trust.pki.intermediate.pem)], validFor: FOREVER }]
      : [],
    timestampAuthorities: [],
    ctlogs: [],
    tlogs: trust.log ? [{ logID: trust.log.logId, baseURL: rekor.url, publicKey: createPublicKey(trust.log.publicPem), validFor: FOREVER }] : [],
    publicKey: () => ({ publicKey: (trust.key ?? alice).publicKey, validFor: () => true }),
  };
  const thresholds = trust.log ? { ctlogThreshold: 0 } : { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };
  try {
    new Verifier(material, thresholds).verify(toSignedEntity(bundleFromJSON(JSON.parse(bundle.toString('utf8')))), policy);
    return 'VERIFIED';
  } catch {
    return 'FAILED_VERIFICATION';
  }
}

describe('sigstore bundles (DSSE over an in-toto statement) with public keys', () => {
  const bundle = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(DIGEST), verifierPem: alice.publicPem });

  it('VERIFIED with the names in the repository the bundle was read from; sigstore-js agrees', () => {
    const { result, verifiedBy } = verifyWithIntegration(keyIntegration(), [stored(bundle)], SUBJECT, new Date());
    expect(result).toMatchObject({ status: 'VERIFIED', description: '', verifiedImageReferences: [NAME] });
    expect(verifiedBy).toEqual(['alice.pub']);
    expect(sigstoreJsVerdict(bundle, { key: alice })).toBe('VERIFIED');
  });

  it('is stored as StackRox stores it: DEAD_SIMPLE_SIGNING_ENVELOPE, the bundle whole, the simple-signing fields filled from it', () => {
    const cosign = storageSignatureOfBundle(bundle);
    const envelope = JSON.parse(bundle.toString()).dsseEnvelope;
    expect(cosign).toEqual({
      rawSignature: envelope.signatures[0].sig,
      signaturePayload: envelope.payload,
      certPem: '',
      certChainPem: '',
      rekorBundle: '',
      signatureFormat: 'DEAD_SIMPLE_SIGNING_ENVELOPE',
      sigstoreBundle: bundle.toString('base64'),
    });
    expect(Buffer.from(cosign.signaturePayload, 'base64')).toEqual(cosignStatement(DIGEST));
  });

  it('a statement about another digest: FAILED_VERIFICATION naming both; sigstore-js checks the signature only', () => {
    const other = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(`sha256:${'e'.repeat(64)}`), verifierPem: alice.publicPem });
    const { result } = verifyWithIntegration(keyIntegration(), [stored(other)], SUBJECT, new Date());
    expect(result).toMatchObject({
      status: 'FAILED_VERIFICATION',
      description: `signature 1: invalid or missing digest in claim: sha256:${'e'.repeat(64)} is not the image's digest ${DIGEST}`,
    });
    expect(sigstoreJsVerdict(other, { key: alice })).toBe('VERIFIED');
  });

  it("another key's bundle or a tampered envelope: FAILED_VERIFICATION, as sigstore-js says", () => {
    const bobs = dsseBundle({ privateKey: bob.privateKey, statement: cosignStatement(DIGEST), verifierPem: bob.publicPem });
    const tampered = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(DIGEST), verifierPem: alice.publicPem, tamper: true });
    for (const candidate of [bobs, tampered]) {
      const { result } = verifyWithIntegration(keyIntegration(), [stored(candidate)], SUBJECT, new Date());
      expect(result).toMatchObject({
        status: 'FAILED_VERIFICATION',
        description: 'signature 1: invalid signature: it does not verify with the public key "alice.pub"',
      });
      expect(sigstoreJsVerdict(candidate, { key: alice })).toBe('FAILED_VERIFICATION');
    }
  });

  it('the signed bytes are the DSSE pre-authentication encoding of the statement', () => {
    const statement = cosignStatement(DIGEST);
    expect(pae('application/vnd.in-toto+json', statement).toString()).toBe(`DSSEv1 28 application/vnd.in-toto+json ${statement.length} ${statement}`);
  });

  it('a multi-platform image: a statement about its index digest verifies when the index is one of its digests', () => {
    const indexSigned = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(INDEX_DIGEST), verifierPem: alice.publicPem });
    expect(verifyWithIntegration(keyIntegration(), [stored(indexSigned)], SUBJECT, new Date()).result.status).toBe('FAILED_VERIFICATION');
    const { result } = verifyWithIntegration(keyIntegration(), [stored(indexSigned)], { ...SUBJECT, alternateDigests: [INDEX_DIGEST] }, new Date());
    expect(result).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [NAME] });
  });

  it('a statement naming its subject verifies the names in that repository, not where it was read', () => {
    const named = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(DIGEST, 'mirror.example.com/team/app'), verifierPem: alice.publicPem });
    const { result } = verifyWithIntegration(keyIntegration(), [stored(named)], SUBJECT, new Date());
    expect(result).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: ['mirror.example.com/team/app:v1'] });
    const unplaced = verifyWithIntegration(keyIntegration(), [stored(bundle)], { ...SUBJECT, readFrom: undefined }, new Date()).result;
    expect(unplaced.description).toContain('no verified references');
  });

  it('a bundle that is not one: CORRUPTED_SIGNATURE', () => {
    const { result } = verifyWithIntegration(keyIntegration(), [stored(Buffer.from('{"mediaType": "nonsense"}'))], SUBJECT, new Date());
    expect(result.status).toBe('CORRUPTED_SIGNATURE');
    expect(result.description).toMatch(/^signature 1: corrupted signature: not a valid sigstore bundle/);
  });
});

describe('transparency log, offline', () => {
  const now = new Date();
  const logged = dsseBundle({
    privateKey: alice.privateKey,
    statement: cosignStatement(DIGEST),
    verifierPem: alice.publicPem,
    tlog: { rekor, integratedTime: seconds(now) },
  });
  const unlogged = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(DIGEST), verifierPem: alice.publicPem });

  it("a bundle's Rekor entry (SET and inclusion proof) verifies with the integration's Rekor key; sigstore-js agrees", () => {
    const { result } = verifyWithIntegration(keyIntegration({ transparencyLog: offlineLog() }), [stored(logged)], SUBJECT, now);
    expect(result).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [NAME] });
    expect(sigstoreJsVerdict(logged, { key: alice, log: rekor })).toBe('VERIFIED');
  });

  it("another log's key: FAILED_VERIFICATION, as sigstore-js says", () => {
    const { result } = verifyWithIntegration(keyIntegration({ transparencyLog: offlineLog(otherRekor) }), [stored(logged)], SUBJECT, now);
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toMatch(/^signature 1: transparency log: /);
    expect(sigstoreJsVerdict(logged, { key: alice, log: otherRekor })).toBe('FAILED_VERIFICATION');
  });

  it('no log entry: FAILED_VERIFICATION offline; GENERIC_ERROR at once when only an online lookup could tell', () => {
    const offline = verifyWithIntegration(keyIntegration({ transparencyLog: offlineLog() }), [stored(unlogged)], SUBJECT, now).result;
    expect(offline).toMatchObject({ status: 'FAILED_VERIFICATION' });
    expect(offline.description).toContain('the signature carries no log entry to verify offline');
    const started = Date.now();
    const online = verifyWithIntegration(
      keyIntegration({ transparencyLog: { enabled: true, validateOffline: false, url: 'https://rekor.sigstore.dev', publicKeyPemEnc: rekor.publicPem } }),
      [stored(unlogged)],
      SUBJECT,
      now,
    ).result;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(online.status).toBe('GENERIC_ERROR');
    expect(online.description).toContain('needs an online lookup at https://rekor.sigstore.dev, which lamina does not make');
  });

  it("no Rekor key given: the public Rekor keys of the trusted root are used, and another log's entry fails, naming that root", () => {
    const started = Date.now();
    const { result } = verifyWithIntegration(keyIntegration({ transparencyLog: { enabled: true } }), [stored(logged)], SUBJECT, now);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toMatch(
      /^signature 1: transparency log: .*; trusted root: the Sigstore public-good trusted root shipped with @sigstore\/tuf \d+\.\d+\.\d+$/,
    );
    const elsewhere = verifyWithIntegration(
      keyIntegration({ transparencyLog: { enabled: true, url: 'https://rekor.example.com' } }),
      [stored(logged)],
      SUBJECT,
      now,
    );
    expect(elsewhere.result).toMatchObject({ status: 'GENERIC_ERROR' });
    expect(elsewhere.result.description).toMatch(
      /transparency log: no public key is configured \(transparencyLog.publicKeyPemEnc\), and .* has no key for https:\/\/rekor.example.com/,
    );
  });

  it("a simple-signing signature's Rekor bundle annotation (SET) verifies offline; a forged one does not", () => {
    const layer = signed(alice, REPO, DIGEST);
    const signature = Buffer.from(String(layer.signature), 'base64');
    const annotation = cosignRekorBundle(rekor, hashedRekordBody(layer.payload, signature, alice.publicPem), seconds(now));
    const simple = (rekorBundle: string): StorageSignature => ({
      cosign: {
        rawSignature: String(layer.signature),
        signaturePayload: layer.payload.toString('base64'),
        certPem: '',
        certChainPem: '',
        rekorBundle: Buffer.from(rekorBundle).toString('base64'),
        signatureFormat: 'SIMPLE_SIGNING',
      },
    });
    expect(verifyWithIntegration(keyIntegration({ transparencyLog: offlineLog() }), [simple(annotation)], SUBJECT, now).result.status).toBe('VERIFIED');
    const forged = cosignRekorBundle(otherRekor, hashedRekordBody(layer.payload, signature, alice.publicPem), seconds(now));
    const result = verifyWithIntegration(keyIntegration({ transparencyLog: offlineLog() }), [simple(forged)], SUBJECT, now).result;
    expect(result).toMatchObject({ status: 'FAILED_VERIFICATION' });
    expect(result.description).toContain('transparency log: inclusion promise could not be verified');
    const otherPayload = cosignRekorBundle(rekor, hashedRekordBody(Buffer.from('other'), signature, alice.publicPem), seconds(now));
    expect(verifyWithIntegration(keyIntegration({ transparencyLog: offlineLog() }), [simple(otherPayload)], SUBJECT, now).result.description).toContain(
      'digest mismatch',
    );
  });
});

const describeWithOpenssl = opensslAvailable() ? describe : describe.skip;
if (!opensslAvailable()) console.warn('SKIPPED certificate tests: /usr/bin/openssl is not installed (apt-get install openssl)');

describeWithOpenssl('certificates: chain to the integration, identity and issuer', () => {
  let pki: TestPki;
  let strangers: TestPki;
  const rule = (extra: Record<string, unknown> = {}) => ({
    certificateChainPemEnc: pki.chainPem,
    certificateIdentity: '^alice@example\\.com$',
    certificateOidcIssuer: '^https://issuer\\.example\\.com$',
    ...extra,
  });
  const certIntegration = (...rules: Array<ReturnType<typeof rule>>): SignatureIntegration => ({ id: 'certs', name: 'certs', cosignCertificates: rules });

  beforeAll(() => {
    pki = createPki();
    strangers = createPki('strangers');
  });
  afterAll(() => {
    pki?.dispose();
    strangers?.dispose();
  });

  function certBundle(leaf: ReturnType<TestPki['issueLeaf']>, integratedTime = seconds(new Date()) + 1) {
    return dsseBundle({
      privateKey: leaf.privateKey,
      statement: cosignStatement(DIGEST),
      certificateDer: leaf.der,
      verifierPem: leaf.pem,
      tlog: { rekor, integratedTime },
    });
  }

  it('a bundle whose certificate chains to the integration and matches its identity: VERIFIED; sigstore-js agrees', () => {
    const leaf = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const bundle = certBundle(leaf);
    const { result, verifiedBy } = verifyWithIntegration(certIntegration(rule()), [stored(bundle)], SUBJECT, new Date());
    expect(result).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [NAME] });
    expect(verifiedBy).toEqual(['cosignCertificates[0]']);
    const policy = { subjectAlternativeName: '^alice@example\\.com$', extensions: { issuer: 'https://issuer.example.com' } };
    expect(sigstoreJsVerdict(bundle, { pki, log: rekor }, policy)).toBe('VERIFIED');
    expect(Buffer.from(storageSignatureOfBundle(bundle).certPem, 'base64').toString()).toBe(leaf.pem);
    // With the log required too, the signing time it vouches for is the one the certificate must be valid at.
    const logged = verifyWithIntegration({ ...certIntegration(rule()), transparencyLog: offlineLog() }, [stored(bundle)], SUBJECT, new Date());
    expect(logged.result.status).toBe('VERIFIED');
  });

  it('identity or issuer mismatch: FAILED_VERIFICATION saying which; sigstore-js agrees on the identity', () => {
    const leaf = pki.issueLeaf({ san: 'email:mallory@example.com', oidcIssuer: 'https://issuer.example.com' });
    const bundle = certBundle(leaf);
    const identity = verifyWithIntegration(certIntegration(rule()), [stored(bundle)], SUBJECT, new Date()).result;
    expect(identity).toMatchObject({
      status: 'FAILED_VERIFICATION',
      description: `signature 1: certificate identity: none of the certificate's identities [mallory@example.com] matches "^alice@example\\\\.com$"`,
    });
    expect(sigstoreJsVerdict(bundle, { pki, log: rekor }, { subjectAlternativeName: '^alice@example\\.com$' })).toBe('FAILED_VERIFICATION');
    const issuer = verifyWithIntegration(
      certIntegration(rule({ certificateIdentity: '.*', certificateOidcIssuer: '^https://accounts\\.google\\.com$' })),
      [stored(bundle)],
      SUBJECT,
      new Date(),
    ).result;
    expect(issuer.description).toContain(`the certificate's OIDC issuer "https://issuer.example.com" does not match "^https://accounts\\\\.google\\\\.com$"`);
  });

  it("patterns match anywhere, as cosign's MatchString does: anchor them to match a whole identity", () => {
    const leaf = pki.issueLeaf({ san: 'email:malice@example.com.evil', oidcIssuer: 'https://issuer.example.com' });
    const bundle = certBundle(leaf);
    const loose = verifyWithIntegration(certIntegration(rule({ certificateIdentity: 'alice@example\\.com' })), [stored(bundle)], SUBJECT, new Date());
    expect(loose.result.status).toBe('VERIFIED');
    expect(verifyWithIntegration(certIntegration(rule()), [stored(bundle)], SUBJECT, new Date()).result.status).toBe('FAILED_VERIFICATION');
  });

  it("Fulcio's v1 issuer extension and URI identities (GitHub workflows) are read too", () => {
    const workflow = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
    const leaf = pki.issueLeaf({ san: `URI:${workflow}`, oidcIssuer: 'https://token.actions.githubusercontent.com', issuerExtension: 'v1' });
    const github = rule({ certificateIdentity: '^https://github\\.com/acme/', certificateOidcIssuer: '^https://token\\.actions\\.githubusercontent\\.com$' });
    expect(verifyWithIntegration(certIntegration(github), [stored(certBundle(leaf))], SUBJECT, new Date()).result.status).toBe('VERIFIED');
  });

  it("a certificate from another CA, or no longer valid at the log's time: FAILED_VERIFICATION, as sigstore-js says", () => {
    const stranger = strangers.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const foreign = certBundle(stranger);
    const chain = verifyWithIntegration(certIntegration(rule()), [stored(foreign)], SUBJECT, new Date()).result;
    expect(chain.description).toBe("signature 1: certificate alice@example.com does not chain to the integration's trusted certificates");
    expect(sigstoreJsVerdict(foreign, { pki, log: rekor })).toBe('FAILED_VERIFICATION');

    const leaf = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const late = certBundle(leaf, seconds(new Date()) + 3 * 86_400);
    const expired = verifyWithIntegration({ ...certIntegration(rule()), transparencyLog: offlineLog() }, [stored(late)], SUBJECT, new Date()).result;
    expect(expired.status).toBe('FAILED_VERIFICATION');
    expect(expired.description).toMatch(/certificate alice@example.com is not valid at .* \(valid from .* to .*\)/);
    expect(sigstoreJsVerdict(late, { pki, log: rekor })).toBe('FAILED_VERIFICATION');
  });

  it('a certificate not for code signing: FAILED_VERIFICATION', () => {
    const leaf = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com', extendedKeyUsage: 'serverAuth' });
    expect(verifyWithIntegration(certIntegration(rule()), [stored(certBundle(leaf))], SUBJECT, new Date()).result.description).toContain(
      'not a code-signing certificate',
    );
  });

  it("the integration's own certificate pins the signer: another certificate's signature does not verify", () => {
    const pinned = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const other = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const integration = certIntegration(rule({ certificatePemEnc: pinned.pem }));
    expect(verifyWithIntegration(integration, [stored(certBundle(pinned))], SUBJECT, new Date()).result.status).toBe('VERIFIED');
    expect(verifyWithIntegration(integration, [stored(certBundle(other))], SUBJECT, new Date()).result.description).toBe(
      "signature 1: invalid signature: it does not verify with the integration's certificate",
    );
  });

  it('a cosign simple-signing signature with certificate and chain annotations; the integration trusting the root only', () => {
    const leaf = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const layer = signed({ kind: 'ec-p256', privateKey: leaf.privateKey, publicKey: leaf.publicKey, publicPem: '' }, REPO, DIGEST);
    const signature: StorageSignature = {
      cosign: {
        rawSignature: String(layer.signature),
        signaturePayload: layer.payload.toString('base64'),
        certPem: Buffer.from(leaf.pem).toString('base64'),
        certChainPem: Buffer.from(pki.chainPem).toString('base64'),
        signatureFormat: 'SIMPLE_SIGNING',
      },
    };
    const rootOnly = certIntegration(rule({ certificateChainPemEnc: pki.root.pem }));
    expect(verifyWithIntegration(rootOnly, [signature], SUBJECT, new Date()).result).toMatchObject({ status: 'VERIFIED', verifiedImageReferences: [NAME] });
    const withoutChain = { cosign: { ...signature.cosign!, certChainPem: '' } };
    expect(verifyWithIntegration(rootOnly, [withoutChain], SUBJECT, new Date()).result.description).toContain(
      "does not chain to the integration's trusted certificates",
    );
    const keyOnly = { cosign: { ...signature.cosign!, certPem: '', certChainPem: '' } };
    expect(verifyWithIntegration(rootOnly, [keyOnly], SUBJECT, new Date()).result.description).toContain('the signature carries no certificate');
  });

  it('a rule without a chain is checked against the public Fulcio CAs, an SCT against the CT logs; keys beside still verify', () => {
    const leaf = pki.issueLeaf({ san: 'email:alice@example.com', oidcIssuer: 'https://issuer.example.com' });
    const bundle = certBundle(leaf);
    const started = Date.now();
    const noTime = verifyWithIntegration(certIntegration(rule({ certificateChainPemEnc: '' })), [stored(bundle)], SUBJECT, new Date()).result;
    const fulcio = verifyWithIntegration(
      { ...certIntegration(rule({ certificateChainPemEnc: '' })), transparencyLog: offlineLog() },
      [stored(bundle)],
      SUBJECT,
      new Date(),
    ).result;
    const ctlog = verifyWithIntegration(certIntegration(rule({ certificateTransparencyLog: { enabled: true } })), [stored(bundle)], SUBJECT, new Date()).result;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(noTime).toMatchObject({ status: 'GENERIC_ERROR' });
    expect(noTime.description).toContain(
      "keyless verification needs a trusted signing time to check the short-lived Fulcio certificate at: enable the integration's transparencyLog",
    );
    expect(fulcio).toMatchObject({ status: 'FAILED_VERIFICATION' });
    expect(fulcio.description).toMatch(
      /certificate alice@example.com does not chain to a Fulcio certificate authority valid at its signing time .*; trusted root: the Sigstore public-good/,
    );
    expect(ctlog).toMatchObject({
      status: 'FAILED_VERIFICATION',
      description: 'signature 1: certificate transparency: certificate alice@example.com carries no SCT (certificateTransparencyLog is enabled)',
    });
    const mixed = {
      ...certIntegration(rule({ certificateChainPemEnc: '' })),
      cosign: { publicKeys: [{ name: 'alice.pub', publicKeyPemEnc: alice.publicPem }] },
    };
    const keyBundle = dsseBundle({ privateKey: alice.privateKey, statement: cosignStatement(DIGEST), verifierPem: alice.publicPem });
    expect(verifyWithIntegration(mixed, [stored(keyBundle)], SUBJECT, new Date()).result.status).toBe('VERIFIED');
  });
});

describe('identity patterns: RE2 as StackRox documents it, read by JavaScript', () => {
  it.each([
    ['(?i)^ALICE@example\\.com$', 'alice@EXAMPLE.com', true],
    ['\\Ahttps://github\\.com/acme/\\z', 'https://github.com/acme/', true],
    ['^[[:alpha:]]+@example\\.com$', 'alice@example.com', true],
    ['^[[:alpha:]]+@example\\.com$', 'al1ce@example.com', false],
    ['(?P<org>acme)', 'https://github.com/acme/app', true],
    ['.*', '', true],
  ])('%s on %s: %s', (pattern, value, matches) => {
    expect(compileIdentityPattern(pattern).test(value)).toBe(matches);
  });

  it('refuses what it cannot translate', () => {
    expect(() => compileIdentityPattern('(?U)a+')).toThrow('the flag (?U) is not supported');
    expect(() => compileIdentityPattern('[[:^alpha:]]')).toThrow('is not supported');
    expect(() => compileIdentityPattern('(')).toThrow();
  });
});
