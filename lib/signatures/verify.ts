/**
 * Verifying an image's cosign simple-signing signatures against signature integrations, as StackRox's cosign
 * verifier does for public keys: the signature is over the payload bytes; the payload must claim this image's
 * digest; the verified references are the image's names in the payload's registry/repository. One result per
 * integration: VERIFIED when any of its keys verifies any signature, else the reason every attempt failed.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { parseImageName } from '../image/reference';
import type {
  StorageCosignSignature,
  StorageImageSignatureVerificationResult,
  StorageImageSignatureVerificationResultStatus,
  StorageSignature,
} from '../stackrox/types';
import { parsePublicKeyPem } from './integrations';
import { COSIGN_PAYLOAD_TYPE, type SignatureIntegration } from './types';

/** The image a verification is about. */
export interface VerificationSubject {
  /** The image's id, its manifest digest. */
  digest: string;
  /** Every full name of the image (`registry/remote:tag` or `…@digest`). */
  names: readonly string[];
}

/** A result with what StorageImage has no field for: the names of the keys that verified. */
export interface DetailedVerificationResult {
  integration: SignatureIntegration;
  result: StorageImageSignatureVerificationResult;
  verifiedBy: string[];
}

type FailureStatus = Exclude<StorageImageSignatureVerificationResultStatus, 'UNSET' | 'VERIFIED'>;

class Failure extends Error {
  constructor(
    readonly status: FailureStatus,
    message: string,
  ) {
    super(message);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding, as Go's StdEncoding reads it (line breaks skipped); undefined when it is not. */
export function decodeStrictBase64(text: string | undefined | null): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  const compact = text.replace(/[\r\n]/g, '');
  if (compact === '' || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} (${curve})` : String(key.asymmetricKeyType);
}

/**
 * Whether `signature` is a valid signature of `payload` by `key`: ECDSA (DER) P-256 with SHA-256, P-384 with
 * SHA-384 or SHA-256, P-521 with SHA-512 or SHA-256; RSA (2048 bits or more) PKCS#1 v1.5 or PSS with SHA-256;
 * Ed25519 over the payload itself. Any other key is INVALID_SIGNATURE_ALGO.
 */
function checkSignature(key: KeyObject, payload: Buffer, signature: Buffer): boolean {
  const attempt = (run: () => boolean) => {
    try {
      return run();
    } catch {
      return false;
    }
  };
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const hashes: Record<string, string[]> = { prime256v1: ['sha256'], secp384r1: ['sha384', 'sha256'], secp521r1: ['sha512', 'sha256'] };
      const usable = hashes[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!usable)
        throw new Failure('INVALID_SIGNATURE_ALGO', `unsupported public key algorithm ${describeKey(key)}: ECDSA keys must be P-256, P-384 or P-521`);
      return usable.some((hash) => attempt(() => cryptoVerify(hash, payload, { key, dsaEncoding: 'der' }, signature)));
    }
    case 'rsa':
    case 'rsa-pss': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 2048) throw new Failure('INVALID_SIGNATURE_ALGO', `unsupported public key: RSA keys of ${bits} bits are refused (2048 or more)`);
      const pss = () =>
        cryptoVerify('sha256', payload, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
      // An RSA-PSS key carries its own parameters (hash, minimum salt length): verify under them.
      if (key.asymmetricKeyType === 'rsa-pss') return attempt(() => cryptoVerify(key.asymmetricKeyDetails?.hashAlgorithm ?? 'sha256', payload, key, signature));
      return attempt(() => cryptoVerify('sha256', payload, { key, padding: constants.RSA_PKCS1_PADDING }, signature)) || attempt(pss);
    }
    case 'ed25519':
      return attempt(() => cryptoVerify(null, payload, key, signature));
    default:
      throw new Failure('INVALID_SIGNATURE_ALGO', `unsupported public key algorithm ${describeKey(key)}`);
  }
}

interface SimpleSigningClaims {
  dockerReference: string;
  manifestDigest: string;
}

/** The claims of a simple-signing payload: `critical.identity.docker-reference` and `critical.image.docker-manifest-digest`. */
function claimsOf(payload: Buffer): SimpleSigningClaims {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new Failure('FAILED_VERIFICATION', 'invalid payload: not JSON');
  }
  const critical = (json as { critical?: unknown } | null)?.critical as
    | { identity?: { 'docker-reference'?: unknown }; image?: { 'docker-manifest-digest'?: unknown }; type?: unknown }
    | undefined;
  if (!critical || typeof critical !== 'object') throw new Failure('FAILED_VERIFICATION', 'invalid payload: no "critical" section');
  if (critical.type !== COSIGN_PAYLOAD_TYPE) {
    throw new Failure('FAILED_VERIFICATION', `invalid payload: critical.type is ${JSON.stringify(critical.type ?? null)}, not "${COSIGN_PAYLOAD_TYPE}"`);
  }
  const manifestDigest = critical.image?.['docker-manifest-digest'];
  const dockerReference = critical.identity?.['docker-reference'];
  return {
    manifestDigest: typeof manifestDigest === 'string' ? manifestDigest : '',
    dockerReference: typeof dockerReference === 'string' ? dockerReference : '',
  };
}

function repositoryOf(name: string): string | undefined {
  try {
    const reference = parseImageName(name);
    return `${reference.registry}/${reference.remote}`;
  } catch {
    return undefined;
  }
}

/** The image's names in the registry/repository the payload names (tags and digests ignored), sorted. */
function verifiedReferences(dockerReference: string, names: readonly string[]): string[] {
  const signed = dockerReference ? repositoryOf(dockerReference) : undefined;
  if (!signed) return [];
  return [...new Set(names.filter((name) => repositoryOf(name) === signed))].sort();
}

/** A cosign signature decoded: the payload, and the raw signature unless it is not base64. */
interface Candidate {
  payload: Buffer;
  raw?: Buffer;
}

function candidateOf(cosign: StorageCosignSignature): Candidate {
  return { payload: Buffer.from(cosign.signaturePayload ?? '', 'base64'), raw: decodeStrictBase64(cosign.rawSignature) };
}

/** One integration's verdict on the image's signatures. */
export function verifyWithIntegration(
  integration: SignatureIntegration,
  signatures: readonly StorageSignature[],
  subject: VerificationSubject,
  now: Date,
): DetailedVerificationResult {
  const result = (status: StorageImageSignatureVerificationResultStatus, description = '', references: string[] = []) => ({
    verificationTime: now.toISOString(),
    verifierId: integration.id,
    status,
    description,
    verifiedImageReferences: references,
  });
  const keys: Array<{ name: string; key: KeyObject }> = [];
  for (const publicKey of integration.cosign?.publicKeys ?? []) {
    try {
      keys.push({ name: publicKey.name, key: parsePublicKeyPem(publicKey.publicKeyPemEnc) });
    } catch (err) {
      return { integration, result: result('GENERIC_ERROR', `parsing public key "${publicKey.name}": ${(err as Error).message}`), verifiedBy: [] };
    }
  }
  if (keys.length === 0) return { integration, result: result('FAILED_VERIFICATION', 'verification data not found'), verifiedBy: [] };
  if (!/^sha256:[a-f0-9]{64}$/.test(subject.digest)) {
    const algorithm = subject.digest.split(':')[0];
    const status = /^sha256:/.test(subject.digest) ? 'GENERIC_ERROR' : 'INVALID_SIGNATURE_ALGO';
    return { integration, result: result(status, `invalid hashing algorithm ${algorithm} used, only SHA256 is supported`), verifiedBy: [] };
  }

  const references = new Set<string>();
  const verifiedBy = new Set<string>();
  const failures: Failure[] = [];
  const cosignSignatures = signatures.map((signature) => signature.cosign).filter((cosign): cosign is StorageCosignSignature => cosign !== undefined);
  for (const [index, cosign] of cosignSignatures.entries()) {
    const label = `signature ${index + 1}`;
    const candidate = candidateOf(cosign);
    if (!candidate.raw || candidate.raw.length === 0) {
      failures.push(new Failure('CORRUPTED_SIGNATURE', `${label}: corrupted signature: the raw signature is missing or not valid base64`));
      continue;
    }
    for (const { name, key } of keys) {
      const keyLabel = keys.length > 1 ? `${label}, key "${name}"` : label;
      try {
        if (!checkSignature(key, candidate.payload, candidate.raw)) {
          throw new Failure('FAILED_VERIFICATION', `invalid signature: it does not verify with the public key "${name}"`);
        }
        const claims = claimsOf(candidate.payload);
        if (claims.manifestDigest !== subject.digest) {
          throw new Failure(
            'FAILED_VERIFICATION',
            `invalid or missing digest in claim: ${claims.manifestDigest || '(none)'} is not the image's digest ${subject.digest}`,
          );
        }
        const matched = verifiedReferences(claims.dockerReference, subject.names);
        if (matched.length === 0) {
          throw new Failure(
            'FAILED_VERIFICATION',
            `no verified references: the signature is for ${claims.dockerReference || '(no docker-reference)'}, which names no name of this image`,
          );
        }
        for (const reference of matched) references.add(reference);
        verifiedBy.add(name);
      } catch (err) {
        if (!(err instanceof Failure)) throw err;
        failures.push(new Failure(err.status, `${keyLabel}: ${err.message}`));
      }
    }
  }
  if (references.size > 0) return { integration, result: result('VERIFIED', '', [...references].sort()), verifiedBy: [...verifiedBy] };
  if (failures.length === 0) return { integration, result: result('FAILED_VERIFICATION', 'no cosign signature to verify'), verifiedBy: [] };
  // One kind of failure names its status; a mix is a failed verification.
  const statuses = new Set(failures.map((failure) => failure.status));
  const status = statuses.size === 1 ? failures[0].status : 'FAILED_VERIFICATION';
  return { integration, result: result(status, [...new Set(failures.map((failure) => failure.message))].join('; ')), verifiedBy: [] };
}

/** One result per integration, in the integrations' order. */
export function verifyWithIntegrations(
  integrations: readonly SignatureIntegration[],
  signatures: readonly StorageSignature[],
  subject: VerificationSubject,
  now: Date,
): DetailedVerificationResult[] {
  return integrations.map((integration) => verifyWithIntegration(integration, signatures, subject, now));
}
