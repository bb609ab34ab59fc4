/**
 * Signing images the way `cosign sign --key` does (sigstore/cosign specs/SIGNATURE_SPEC.md), with node:crypto: a
 * simple-signing payload, its signature, and the `sha256-<hex>.sig` manifest whose layers are the payloads.
 */
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { pushBlob, pushRawManifest } from './image-builder';
import type { TestRegistry } from './registry';

export type KeyKind = 'ec-p256' | 'ec-p384' | 'rsa' | 'rsa-pss' | 'ed25519' | 'ec-secp256k1' | 'rsa-1024';

export interface TestKey {
  kind: KeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as `cosign public-key` prints it: a PEM `PUBLIC KEY` block. */
  publicPem: string;
}

export function generateKey(kind: KeyKind): TestKey {
  const pair = (() => {
    switch (kind) {
      case 'ec-p256':
        return generateKeyPairSync('ec', { namedCurve: 'P-256' });
      case 'ec-p384':
        return generateKeyPairSync('ec', { namedCurve: 'P-384' });
      case 'ec-secp256k1':
        return generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
      case 'rsa':
        return generateKeyPairSync('rsa', { modulusLength: 2048 });
      case 'rsa-1024':
        return generateKeyPairSync('rsa', { modulusLength: 1024 });
      case 'rsa-pss':
        return generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256' });
      case 'ed25519':
        return generateKeyPairSync('ed25519');
    }
  })();
  return { kind, ...pair, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The simple-signing payload cosign signs: the signed repository and the manifest digest. */
export function simpleSigningPayload(dockerReference: string, digest: string, type = 'cosign container image signature'): Buffer {
  return Buffer.from(
    JSON.stringify({ critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type }, optional: null }),
  );
}

/** The signature cosign puts in the annotation, base64: ECDSA (DER) with the curve's hash, RSA PKCS#1 v1.5 / PSS with SHA-256, Ed25519. */
export function signPayload(key: TestKey, payload: Buffer, options: { rsaPadding?: 'pkcs1' | 'pss' } = {}): string {
  switch (key.kind) {
    case 'ed25519':
      return sign(null, payload, key.privateKey).toString('base64');
    case 'ec-p384':
      return sign('sha384', payload, { key: key.privateKey, dsaEncoding: 'der' }).toString('base64');
    case 'rsa':
    case 'rsa-1024':
      if (options.rsaPadding === 'pss')
        return sign('sha256', payload, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
      return sign('sha256', payload, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
    default:
      return sign('sha256', payload, { key: key.privateKey, dsaEncoding: 'der' }).toString('base64');
  }
}

export interface SignatureLayer {
  payload: Buffer;
  /** The `dev.cosignproject.cosign/signature` annotation; omitted when undefined. */
  signature?: string;
  /** Further annotations (certificate, chain, bundle). */
  annotations?: Record<string, string>;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Pushes the payload blobs, cosign's config and the `.sig` manifest under `sha256-<hex>.sig`; returns the tag. */
export async function pushSignatures(registry: TestRegistry, repository: string, imageDigest: string, layers: SignatureLayer[]): Promise<string> {
  const tag = `${imageDigest.replace(':', '-')}.sig`;
  for (const layer of layers) await pushBlob(registry, repository, layer.payload);
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => sha256(layer.payload)) },
      config: {},
    }),
  );
  await pushBlob(registry, repository, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: layers.map((layer) => ({
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      size: layer.payload.length,
      digest: sha256(layer.payload),
      annotations: { ...(layer.signature === undefined ? {} : { 'dev.cosignproject.cosign/signature': layer.signature }), ...layer.annotations },
    })),
  };
  await pushRawManifest(registry, repository, tag, manifest.mediaType, Buffer.from(JSON.stringify(manifest)));
  return tag;
}

/** A signature layer signed by `key` for `dockerReference` at `digest`. */
export function signed(key: TestKey, dockerReference: string, digest: string, options: { rsaPadding?: 'pkcs1' | 'pss' } = {}): SignatureLayer {
  const payload = simpleSigningPayload(dockerReference, digest);
  return { payload, signature: signPayload(key, payload, options) };
}
