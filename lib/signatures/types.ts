/**
 * Signature integrations in StackRox's JSON shape (storage.SignatureIntegration, as `/v1/signatureintegrations`
 * speaks it), and the cosign conventions lamina reads signatures by.
 */

/** One public key of an integration: `publicKeyPemEnc` is a PEM `PUBLIC KEY` block (SPKI). */
export interface CosignPublicKey {
  name: string;
  publicKeyPemEnc: string;
}

export interface CosignPublicKeyVerification {
  publicKeys: CosignPublicKey[];
}

/** A signature integration: a set of public keys an image's cosign signatures are verified against. */
export interface SignatureIntegration {
  id: string;
  name: string;
  cosign: CosignPublicKeyVerification;
}

/** Media type of a cosign simple-signing layer: one layer of a `.sig` manifest is one signature. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** Layer annotations cosign writes on a simple-signing layer. */
export const ANNOTATIONS = {
  /** The signature over the layer blob (the payload), standard base64. */
  signature: 'dev.cosignproject.cosign/signature',
  /** The signing certificate, PEM (keyless signing). */
  certificate: 'dev.sigstore.cosign/certificate',
  /** The certificate's chain, PEM. */
  chain: 'dev.sigstore.cosign/chain',
  /** The Rekor transparency-log bundle, JSON. */
  bundle: 'dev.sigstore.cosign/bundle',
} as const;

/** `critical.type` of a cosign simple-signing payload. */
export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';

/** Largest payload blob read for one signature; real ones are a few hundred bytes. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Most signatures read from one `.sig` manifest; the rest are ignored. */
export const MAX_SIGNATURES = 50;
/** Most payload bytes read for one image, all its signatures together. */
export const MAX_TOTAL_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * The tag cosign stores an image's signatures under: `sha256-<hex>.sig` for `sha256:<hex>`. Undefined when the
 * digest makes no valid tag (a tag has at most 128 characters, which rules out sha512).
 */
export function signatureTag(digest: string): string | undefined {
  const match = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  if (!match) return undefined;
  const tag = `${match[1]}-${match[2]}.sig`;
  return tag.length <= 128 ? tag : undefined;
}
