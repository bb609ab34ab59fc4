import { generateKeyPairSync } from 'node:crypto';
import { configFromEnv } from '../../lib/config';
import { integrationFromKeys, parsePublicKeyPem, parseSignatureIntegrations } from '../../lib/signatures/integrations';
import { signatureTag } from '../../lib/signatures/types';
import { generateKey } from './cosign';

const key = generateKey('ec-p256');
const integration = (overrides: Record<string, unknown> = {}) => ({
  id: 'io.stackrox.signatureintegration.1',
  name: 'release keys',
  cosign: { publicKeys: [{ name: 'release', publicKeyPemEnc: key.publicPem }] },
  ...overrides,
});

describe('signature integrations from LAMINA_SIGNATURE_INTEGRATIONS', () => {
  it("reads StackRox's JSON shape and keeps only the fields lamina uses", () => {
    const parsed = parseSignatureIntegrations(JSON.stringify([integration({ cosignCertificates: [], transparencyLog: {} })]));
    expect(parsed).toEqual([
      { id: 'io.stackrox.signatureintegration.1', name: 'release keys', cosign: { publicKeys: [{ name: 'release', publicKeyPemEnc: key.publicPem }] } },
    ]);
    expect(parseSignatureIntegrations(undefined)).toEqual([]);
    expect(parseSignatureIntegrations('  ')).toEqual([]);
    expect(parseSignatureIntegrations('[]')).toEqual([]);
  });

  it('configFromEnv carries them; without the variable there are none', () => {
    expect(configFromEnv({ LAMINA_SIGNATURE_INTEGRATIONS: JSON.stringify([integration()]) }).signatureIntegrations).toHaveLength(1);
    expect(configFromEnv({}).signatureIntegrations).toEqual([]);
    expect(() => configFromEnv({ LAMINA_SIGNATURE_INTEGRATIONS: '{' })).toThrow(/LAMINA_SIGNATURE_INTEGRATIONS is not valid JSON/);
  });

  it('refuses an invalid PEM with an error naming the integration and the key', () => {
    const broken = integration({
      cosign: { publicKeys: [{ name: 'release', publicKeyPemEnc: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }] },
    });
    expect(() => parseSignatureIntegrations(JSON.stringify([broken]))).toThrow(
      /^LAMINA_SIGNATURE_INTEGRATIONS\[0\] \("io.stackrox.signatureintegration.1"\): cosign.publicKeys\[0\] \("release"\): publicKeyPemEnc is not a PEM-encoded public key: the PEM block holds no readable public key/,
    );
    const notPem = integration({ cosign: { publicKeys: [{ name: 'k', publicKeyPemEnc: 'hello' }] } });
    expect(() => parseSignatureIntegrations(JSON.stringify([notPem]))).toThrow(/not a PEM block/);
    const privatePem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const privateKey = integration({ cosign: { publicKeys: [{ name: 'k', publicKeyPemEnc: privatePem }] } });
    expect(() => parseSignatureIntegrations(JSON.stringify([privateKey]))).toThrow(/"PRIVATE KEY", not "PUBLIC KEY": that is a private key/);
    const twoBlocks = integration({ cosign: { publicKeys: [{ name: 'k', publicKeyPemEnc: `${key.publicPem}${key.publicPem}` }] } });
    expect(() => parseSignatureIntegrations(JSON.stringify([twoBlocks]))).toThrow(/more than one PEM block/);
  });

  it('refuses what is not an integration: no array, no id, no keys, duplicate ids, an incomplete certificate rule', () => {
    const parse = (value: unknown) => () => parseSignatureIntegrations(JSON.stringify(value));
    expect(parse({})).toThrow('LAMINA_SIGNATURE_INTEGRATIONS must be a JSON array of signature integrations');
    expect(parse([integration({ id: '' })])).toThrow('LAMINA_SIGNATURE_INTEGRATIONS[0]: id must be a non-empty string');
    expect(parse([integration({ name: 3 })])).toThrow(/name must be a non-empty string/);
    expect(parse([integration({ cosign: { publicKeys: [] } })])).toThrow(/give at least one key \(cosign.publicKeys\) or certificate rule/);
    expect(parse([integration({ cosign: undefined })])).toThrow(/give at least one key/);
    expect(parse([integration({ cosign: 'keys' })])).toThrow(/cosign must be an object/);
    expect(parse([integration({ cosign: { publicKeys: [{ name: '', publicKeyPemEnc: key.publicPem }] } })])).toThrow(/cosign.publicKeys\[0\]: name must be/);
    expect(parse([integration(), integration()])).toThrow('the id "io.stackrox.signatureintegration.1" is used by more than one integration');
    expect(parse([integration({ cosignCertificates: [{ certificateOidcIssuer: 'x' }] })])).toThrow(
      /cosignCertificates\[0\]: certificateIdentity must be a non-empty regular expression/,
    );
  });

  it('--verify-key: one integration, one key per file, named by its path', () => {
    const built = integrationFromKeys([
      { name: 'a.pub', pem: key.publicPem },
      { name: 'b.pub', pem: generateKey('rsa').publicPem },
    ]);
    expect(built.cosign.publicKeys.map((k) => k.name)).toEqual(['a.pub', 'b.pub']);
    expect(() => integrationFromKeys([{ name: 'c.pub', pem: 'junk' }])).toThrow(/^c.pub: not a PEM-encoded public key/);
  });

  it('reads every key kind node can parse; the algorithm is judged at verification', () => {
    for (const kind of ['ec-p256', 'ec-p384', 'rsa', 'rsa-pss', 'ed25519', 'ec-secp256k1'] as const) {
      expect(parsePublicKeyPem(generateKey(kind).publicPem).type).toBe('public');
    }
  });

  it("names cosign's signature tag after the digest", () => {
    expect(signatureTag(`sha256:${'a'.repeat(64)}`)).toBe(`sha256-${'a'.repeat(64)}.sig`);
    expect(signatureTag(`sha512:${'a'.repeat(128)}`)).toBeUndefined();
    expect(signatureTag('nonsense')).toBeUndefined();
  });
});
