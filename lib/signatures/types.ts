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

/**
 * Certificates a signature's own certificate (or the integration's) must chain to, and the identity it must carry.
 * The regular expressions match anywhere in the value, as cosign's do (Go `MatchString`): anchor them (`^…$`) to
 * match a whole identity.
 */
export interface CosignCertificateVerification {
  /** PEM: the one certificate signatures must be made with (it must chain to `certificateChainPemEnc`). */
  certificatePemEnc?: string;
  /** PEM: the trusted certificates (root, intermediates); every one is a trust anchor. */
  certificateChainPemEnc?: string;
  /** Matched against the OIDC issuer extension (1.3.6.1.4.1.57264.1.8, else .1.1); "" when absent. */
  certificateOidcIssuer: string;
  /** Matched against each subject alternative name (email, URI, DNS, IP, Fulcio's otherName); "" when there is none. */
  certificateIdentity: string;
  certificateTransparencyLog?: { enabled: boolean; publicKeyPemEnc?: string };
}

/** Proof of inclusion in a Rekor transparency log, required of every signature when enabled. */
export interface TransparencyLogVerification {
  enabled: boolean;
  url?: string;
  validateOffline?: boolean;
  /** PEM: the log's public key, which verifies inclusion promises (SETs) and checkpoints offline. */
  publicKeyPemEnc?: string;
}

/** A signature integration: the keys and certificates an image's cosign signatures are verified against. */
export interface SignatureIntegration {
  id: string;
  name: string;
  cosign?: CosignPublicKeyVerification;
  cosignCertificates?: CosignCertificateVerification[];
  transparencyLog?: TransparencyLogVerification;
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

/** Artifact types of sigstore bundles among an image's referrers (v0.3 and the older `+json;version=` forms). */
export const SIGSTORE_BUNDLE_ARTIFACT_PREFIX = 'application/vnd.dev.sigstore.bundle';

/** `payloadType` of a DSSE envelope over an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** `critical.type` of a cosign simple-signing payload. */
export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';

/** Largest payload blob read for one signature; real ones are a few hundred bytes. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Most signatures read from one `.sig` manifest, and most sigstore bundles read from one image's referrers. */
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
