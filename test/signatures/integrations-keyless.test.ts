import { parseReferrersIndex, referrersTag } from '../../lib/image/registry/referrers';
import { parseSignatureIntegrations } from '../../lib/signatures/integrations';
import { generateKey } from './cosign';
import { createPki, opensslAvailable, type TestPki } from './pki';

const key = generateKey('ec-p256');
const parse = (value: unknown) => parseSignatureIntegrations(JSON.stringify(value));
const base = { id: 'io.stackrox.signatureintegration.ci', name: 'ci' };

const describeWithOpenssl = opensslAvailable() ? describe : describe.skip;

describeWithOpenssl('signature integrations with certificates and a transparency log', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createPki();
  });
  afterAll(() => pki?.dispose());

  const rule = (extra: Record<string, unknown> = {}) => ({
    certificateChainPemEnc: pki.chainPem,
    certificateOidcIssuer: '^https://token\\.actions\\.githubusercontent\\.com$',
    certificateIdentity: '^https://github\\.com/acme/',
    ...extra,
  });

  it("reads StackRox's cosignCertificates and transparencyLog, dropping what is disabled", () => {
    const leaf = pki.issueLeaf({ san: 'email:ci@example.com' });
    const [parsed] = parse([
      {
        ...base,
        cosignCertificates: [rule({ certificatePemEnc: leaf.pem, certificateTransparencyLog: { enabled: false, publicKeyPemEnc: '' } })],
        transparencyLog: { enabled: true, url: 'https://rekor.example.com', validateOffline: true, publicKeyPemEnc: key.publicPem },
      },
    ]);
    expect(parsed).toEqual({
      ...base,
      cosignCertificates: [rule({ certificatePemEnc: leaf.pem })],
      transparencyLog: { enabled: true, url: 'https://rekor.example.com', validateOffline: true, publicKeyPemEnc: key.publicPem },
    });
    expect(parse([{ ...base, cosignCertificates: [rule()], transparencyLog: { enabled: false, url: 'x' } }])[0]).not.toHaveProperty('transparencyLog');
  });

  it('a rule without chain or certificate is accepted: it stands for the public Fulcio CAs of the Sigstore trusted root', () => {
    const [parsed] = parse([{ ...base, cosignCertificates: [rule({ certificateChainPemEnc: '' })] }]);
    expect(parsed.cosignCertificates?.[0]).toEqual({ certificateOidcIssuer: rule().certificateOidcIssuer, certificateIdentity: rule().certificateIdentity });
  });

  it('refuses unreadable certificates, keys and patterns, naming the field', () => {
    expect(() => parse([{ ...base, cosignCertificates: [rule({ certificateChainPemEnc: 'junk' })] }])).toThrow(
      /cosignCertificates\[0\]: certificateChainPemEnc is not PEM-encoded certificates: no PEM CERTIFICATE block/,
    );
    expect(() => parse([{ ...base, cosignCertificates: [rule({ certificateIdentity: '(' })] }])).toThrow(
      /certificateIdentity is not a usable regular expression/,
    );
    expect(() => parse([{ ...base, cosignCertificates: [rule({ certificateOidcIssuer: '' })] }])).toThrow(
      /certificateOidcIssuer must be a non-empty regular expression/,
    );
    expect(() => parse([{ ...base, cosignCertificates: [rule()], transparencyLog: { enabled: true, publicKeyPemEnc: 'junk' } }])).toThrow(
      /transparencyLog.publicKeyPemEnc is not a PEM-encoded public key/,
    );
    expect(() => parse([{ ...base, cosignCertificates: [rule()], transparencyLog: { enabled: true, url: 'rekor' } }])).toThrow(
      /transparencyLog.url must be an http\(s\) URL/,
    );
    expect(() => parse([{ ...base, cosignCertificates: {} }])).toThrow(/cosignCertificates must be an array/);
  });

  it('keys and certificate rules together; neither is refused', () => {
    const [both] = parse([{ ...base, cosign: { publicKeys: [{ name: 'k', publicKeyPemEnc: key.publicPem }] }, cosignCertificates: [rule()] }]);
    expect(both.cosign?.publicKeys).toHaveLength(1);
    expect(both.cosignCertificates).toHaveLength(1);
    expect(() => parse([{ ...base, cosign: { publicKeys: [] }, cosignCertificates: [] }])).toThrow(/give at least one key/);
  });
});

describe('referrers indexes (OCI 1.1)', () => {
  const digest = `sha256:${'a'.repeat(64)}`;

  it('keeps each referrer with its artifactType and annotations', () => {
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest,
            size: 10,
            artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
            annotations: { a: 'b' },
          },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 11 },
        ],
      }),
    );
    expect(parseReferrersIndex(body, 'listing')).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 10,
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        annotations: { a: 'b' },
      },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 11 },
    ]);
  });

  it('refuses what is not an index, saying where', () => {
    expect(() => parseReferrersIndex(Buffer.from('nope'), 'listing')).toThrow(/listing: the referrers index is not JSON/);
    expect(() => parseReferrersIndex(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'x', size: 1 }] })), 'listing')).toThrow(
      /invalid referrers index \(manifests.0.digest: not a valid digest\)/,
    );
  });

  it('names the fallback tag after the digest', () => {
    expect(referrersTag(digest)).toBe(`sha256-${'a'.repeat(64)}`);
    expect(referrersTag(`sha512:${'a'.repeat(128)}`)).toBeUndefined();
    expect(referrersTag('nonsense')).toBeUndefined();
  });
});
