import { decodeStrictBase64, verifyWithIntegration, verifyWithIntegrations } from '../../lib/signatures/verify';
import type { SignatureIntegration } from '../../lib/signatures/types';
import type { StorageSignature } from '../../lib/stackrox/types';
import { generateKey, signed, signPayload, simpleSigningPayload, type KeyKind, type SignatureLayer, type TestKey } from './cosign';

const DIGEST = `sha256:${'1'.repeat(64)}`;
const REPO = 'registry.example.com/team/app';
const NAMES = [`${REPO}:v1`, `${REPO}@${DIGEST}`, 'mirror.example.com/team/app:v1'];
const NOW = new Date('2025-06-01T12:00:00Z');

function integrationOf(id: string, ...keys: Array<{ name: string; key: TestKey }>): SignatureIntegration {
  return { id, name: id, cosign: { publicKeys: keys.map(({ name, key }) => ({ name, publicKeyPemEnc: key.publicPem })) } };
}

function stored(layer: SignatureLayer): StorageSignature {
  return { cosign: { rawSignature: layer.signature ?? '', signaturePayload: layer.payload.toString('base64'), certPem: '', certChainPem: '' } };
}

const subject = { digest: DIGEST, names: NAMES };

describe('verifying cosign signatures with public keys', () => {
  it.each<[KeyKind, { rsaPadding?: 'pkcs1' | 'pss' }]>([
    ['ec-p256', {}],
    ['ec-p384', {}],
    ['rsa', { rsaPadding: 'pkcs1' }],
    ['rsa', { rsaPadding: 'pss' }],
    ['rsa-pss', {}],
    ['ed25519', {}],
  ])('%s %j: VERIFIED, with the names in the signed repository', (kind, options) => {
    const key = generateKey(kind);
    const layer =
      kind === 'rsa-pss'
        ? (() => {
            const payload = simpleSigningPayload(REPO, DIGEST);
            return { payload, signature: signPayload({ ...key, kind: 'rsa' }, payload, { rsaPadding: 'pss' }) };
          })()
        : signed(key, REPO, DIGEST, options);
    const { result, verifiedBy } = verifyWithIntegration(integrationOf('i', { name: 'k.pub', key }), [stored(layer)], subject, NOW);
    expect(result).toEqual({
      verificationTime: '2025-06-01T12:00:00.000Z',
      verifierId: 'i',
      status: 'VERIFIED',
      description: '',
      verifiedImageReferences: [`${REPO}:v1`, `${REPO}@${DIGEST}`],
    });
    expect(verifiedBy).toEqual(['k.pub']);
  });

  it("P-384 signatures made with SHA-256 (cosign's default hash) verify too", () => {
    const key = generateKey('ec-p384');
    const payload = simpleSigningPayload(REPO, DIGEST);
    const signature = signPayload({ ...key, kind: 'ec-p256' }, payload);
    expect(verifyWithIntegration(integrationOf('i', { name: 'k', key }), [stored({ payload, signature })], subject, NOW).result.status).toBe('VERIFIED');
  });

  it('another key: FAILED_VERIFICATION with the reason', () => {
    const layer = signed(generateKey('ec-p256'), REPO, DIGEST);
    const { result } = verifyWithIntegration(integrationOf('i', { name: 'other.pub', key: generateKey('ec-p256') }), [stored(layer)], subject, NOW);
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toBe('signature 1: invalid signature: it does not verify with the public key "other.pub"');
    expect(result.verifiedImageReferences).toEqual([]);
  });

  it('a tampered payload does not verify', () => {
    const key = generateKey('ed25519');
    const layer = signed(key, REPO, DIGEST);
    const tampered = { ...layer, payload: simpleSigningPayload(REPO, `sha256:${'2'.repeat(64)}`) };
    expect(verifyWithIntegration(integrationOf('i', { name: 'k', key }), [stored(tampered)], subject, NOW).result.status).toBe('FAILED_VERIFICATION');
  });

  it('a payload of another type is refused even when signed', () => {
    const key = generateKey('ec-p256');
    const payload = simpleSigningPayload(REPO, DIGEST, 'atomic container signature');
    const { result } = verifyWithIntegration(integrationOf('i', { name: 'k', key }), [stored({ payload, signature: signPayload(key, payload) })], subject, NOW);
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toContain('critical.type is "atomic container signature"');
  });

  it('keys of unsupported algorithms are INVALID_SIGNATURE_ALGO; so is an image digest other than sha256', () => {
    for (const kind of ['ec-secp256k1', 'rsa-1024'] as const) {
      const key = generateKey(kind);
      const { result } = verifyWithIntegration(integrationOf('i', { name: 'k', key }), [stored(signed(key, REPO, DIGEST))], subject, NOW);
      expect(result.status).toBe('INVALID_SIGNATURE_ALGO');
    }
    const key = generateKey('ec-p256');
    const sha512 = `sha512:${'3'.repeat(128)}`;
    const { result } = verifyWithIntegration(
      integrationOf('i', { name: 'k', key }),
      [stored(signed(key, REPO, sha512))],
      { digest: sha512, names: NAMES },
      NOW,
    );
    expect(result).toMatchObject({ status: 'INVALID_SIGNATURE_ALGO', description: 'invalid hashing algorithm sha512 used, only SHA256 is supported' });
  });

  it('a signature that is not base64 is CORRUPTED_SIGNATURE', () => {
    const key = generateKey('ec-p256');
    const layer = { ...signed(key, REPO, DIGEST), signature: 'not base64!' };
    const { result } = verifyWithIntegration(integrationOf('i', { name: 'k', key }), [stored(layer)], subject, NOW);
    expect(result.status).toBe('CORRUPTED_SIGNATURE');
    expect(result.description).toContain('corrupted signature');
  });

  it('one good signature among bad ones verifies; the union of references of every verified signature is kept', () => {
    const key = generateKey('ec-p256');
    const signatures = [
      stored({ ...signed(key, REPO, DIGEST), signature: '' }),
      stored(signed(key, 'mirror.example.com/team/app', DIGEST)),
      stored(signed(key, REPO, DIGEST)),
    ];
    const { result } = verifyWithIntegration(integrationOf('i', { name: 'k', key }), signatures, subject, NOW);
    expect(result.status).toBe('VERIFIED');
    expect(result.verifiedImageReferences).toEqual(['mirror.example.com/team/app:v1', `${REPO}:v1`, `${REPO}@${DIGEST}`]);
  });

  it('one result per integration, in order; an integration without keys has no verification data', () => {
    const a = generateKey('ec-p256');
    const b = generateKey('rsa');
    const signatures = [stored(signed(a, REPO, DIGEST))];
    const empty: SignatureIntegration = { id: 'none', name: 'none', cosign: { publicKeys: [] } };
    const results = verifyWithIntegrations(
      [integrationOf('a', { name: 'a', key: a }), integrationOf('b', { name: 'b', key: b }), empty],
      signatures,
      subject,
      NOW,
    );
    expect(results.map(({ result }) => [result.verifierId, result.status, result.description])).toEqual([
      ['a', 'VERIFIED', ''],
      ['b', 'FAILED_VERIFICATION', 'signature 1: invalid signature: it does not verify with the public key "b"'],
      ['none', 'FAILED_VERIFICATION', 'verification data not found'],
    ]);
  });

  it('reads base64 as Go does: padding required, line breaks skipped', () => {
    expect(decodeStrictBase64('aGk=')?.toString()).toBe('hi');
    expect(decodeStrictBase64('aG\nk=')?.toString()).toBe('hi');
    expect(decodeStrictBase64('aGk')).toBeUndefined();
    expect(decodeStrictBase64('a$k=')).toBeUndefined();
    expect(decodeStrictBase64('')).toBeUndefined();
    expect(decodeStrictBase64(undefined)).toBeUndefined();
  });
});
