/**
 * Verifying an image's cosign signatures against signature integrations, as StackRox's cosign verifier does: each
 * signature (simple signing, or a sigstore bundle's DSSE envelope) against each signer of the integration (public
 * keys, certificate rules), in the transparency log when the integration asks for it, claiming this image's digest;
 * the verified references are the image's names in the repository the signature is for. One result per
 * integration: VERIFIED when any signer verifies any signature, else the reason every attempt failed. What an
 * integration leaves to the public Sigstore instance (Fulcio's CAs, Rekor's and the CT logs' keys) is taken from a
 * Sigstore trusted root held locally, @sigstore/tuf's seed unless a fresher one is given.
 */
import type { KeyObject } from 'node:crypto';
import type {
  StorageCosignSignature,
  StorageImageSignatureVerificationResult,
  StorageImageSignatureVerificationResultStatus,
  StorageSignature,
} from '../stackrox/types';
import { verifyEmbeddedScts } from './certificate-transparency';
import { checkIdentity, identityOf, verifyCertificateChain } from './certificates';
import { repositoryOf, verifiedReferences } from './claims';
import { Failure } from './failure';
import { verifyKeyless } from './keyless';
import { materialOf, type SignatureMaterial } from './material';
import { type CertificateSigner, type IntegrationTrust, type TrustedSigner, trustOf } from './signers';
import { verifyInclusion } from './tlog';
import { type SigstoreTrustRoot, seedTrustRoot } from './trust-root';
import type { SignatureIntegration } from './types';

export { decodeStrictBase64 } from './algorithms';

/** The image a verification is about. */
export interface VerificationSubject {
  /** The image's id, its manifest digest. */
  digest: string;
  /** Every full name of the image (`registry/remote:tag` or `…@digest`). */
  names: readonly string[];
  /**
   * Other digests the image goes by, which a signature may name instead: the index it was resolved from, or the
   * platform manifest picked from the index it was named by (cosign signs whichever digest it was given).
   */
  alternateDigests?: readonly string[];
  /** The name the signatures were read under: a bundle naming no repository verifies the names in this one's. */
  readFrom?: string;
}

/** A result with what StorageImage has no field for: the names of the keys (or certificate rules) that verified. */
export interface DetailedVerificationResult {
  integration: SignatureIntegration;
  result: StorageImageSignatureVerificationResult;
  verifiedBy: string[];
}

export interface VerificationOptions {
  /** The Sigstore trusted root for what the integrations leave to the public instance; @sigstore/tuf's seed by default. */
  trustRoot?: SigstoreTrustRoot;
}

interface Verified {
  references: string[];
}

/** The signer's key once the signer is established, and the certificate it comes from, if any. */
function signingKey(signer: TrustedSigner, material: SignatureMaterial): { key: KeyObject; describe: string } {
  if (signer.kind === 'key') return { key: signer.key, describe: `the public key "${signer.name}"` };
  const certificate = signer.pinned ?? material.certificates()[0];
  if (!certificate) throw new Failure('FAILED_VERIFICATION', 'the signature carries no certificate to verify against the certificate rule');
  return { key: certificate.x509.publicKey, describe: `the ${signer.pinned ? "integration's" : "signature's"} certificate` };
}

/** A certificate rule with its own chain: the chain at the signing time, the SCT when required, the identity. */
function checkCertificate(signer: CertificateSigner, material: SignatureMaterial, at: Date): void {
  const carried = material.certificates();
  const leaf = signer.pinned ?? carried[0];
  const path = verifyCertificateChain(leaf, signer.pinned ? [] : carried.slice(1), signer.anchors, at);
  if (signer.certificateTransparency) verifyEmbeddedScts(leaf, path[1], signer.certificateTransparency.logs, signer.certificateTransparency.describe);
  checkIdentity(identityOf(leaf), { identity: signer.identity, issuer: signer.issuer }, 'certificate identity');
}

/** Without log entries there is nothing to verify offline: say why, before the log and certificate checks. */
function requireLogEntries(trust: IntegrationTrust, material: SignatureMaterial): void {
  const policy = trust.transparencyLog;
  if (!policy || material.tlogEntries().length > 0) return;
  if (policy.validateOffline) {
    throw new Failure('FAILED_VERIFICATION', 'transparency log: the signature carries no log entry to verify offline (transparencyLog.validateOffline)');
  }
  throw new Failure(
    'GENERIC_ERROR',
    `transparency log: the signature carries no log entry, and confirming its inclusion needs an online lookup at ${policy.url}, which lamina does not make: it verifies inclusion offline, from the entry a signature or bundle carries`,
  );
}

/** The signing time the log vouches for, or undefined when the integration asks for no log. */
function checkTransparencyLog(trust: IntegrationTrust, material: SignatureMaterial, key: KeyObject): Date | undefined {
  const policy = trust.transparencyLog;
  if (!policy) return undefined;
  try {
    return verifyInclusion(material.tlogEntries(), material.content, key, policy.logs);
  } catch (err) {
    throw policy.fromTrustRoot ? namingTrustRoot(err, trust) : err;
  }
}

/** A failure of a check made with the trusted root says which trusted root it was. */
function namingTrustRoot(err: unknown, trust: IntegrationTrust): unknown {
  if (!(err instanceof Failure) || err.message.includes(trust.trustRoot.source)) return err;
  return new Failure(err.status, `${err.message}; trusted root: ${trust.trustRoot.source}`);
}

function verifyOne(trust: IntegrationTrust, signer: TrustedSigner, material: SignatureMaterial, subject: VerificationSubject, now: Date): Verified {
  const { key, describe } = signingKey(signer, material);
  if (!material.content.verify(key)) throw new Failure('FAILED_VERIFICATION', `invalid signature: it does not verify with ${describe}`);
  requireLogEntries(trust, material);
  if (signer.kind === 'certificate' && signer.anchors.length === 0) {
    const leaf = signer.pinned ?? material.certificates()[0];
    try {
      verifyKeyless(signer, leaf, material, trust.transparencyLog, trust.trustRoot);
      checkIdentity(identityOf(leaf), { identity: signer.identity, issuer: signer.issuer }, 'certificate identity');
    } catch (err) {
      throw namingTrustRoot(err, trust);
    }
  } else {
    const signedAt = checkTransparencyLog(trust, material, key);
    if (signer.kind === 'certificate') checkCertificate(signer, material, signedAt ?? now);
  }
  const readFrom = subject.readFrom ? repositoryOf(subject.readFrom) : undefined;
  const claims = material.claims(readFrom ? [readFrom] : []);
  const digests = [subject.digest, ...(subject.alternateDigests ?? [])];
  if (!claims.digests.some((digest) => digests.includes(digest))) {
    throw new Failure(
      'FAILED_VERIFICATION',
      `invalid or missing digest in claim: ${claims.digests.join(', ') || '(none)'} is not the image's digest ${digests.join(' or ')}`,
    );
  }
  const references = verifiedReferences(claims.repositories, subject.names);
  if (references.length === 0) {
    throw new Failure('FAILED_VERIFICATION', `no verified references: the signature is for ${claims.signedFor}, which names no name of this image`);
  }
  return { references };
}

function defaultTrustRoot(): SigstoreTrustRoot {
  try {
    return seedTrustRoot();
  } catch (err) {
    throw new Failure('GENERIC_ERROR', (err as Error).message);
  }
}

/** One integration's verdict on the image's signatures. */
export function verifyWithIntegration(
  integration: SignatureIntegration,
  signatures: readonly StorageSignature[],
  subject: VerificationSubject,
  now: Date,
  options: VerificationOptions = {},
): DetailedVerificationResult {
  const result = (status: StorageImageSignatureVerificationResultStatus, description = '', references: string[] = []) => ({
    verificationTime: now.toISOString(),
    verifierId: integration.id,
    status,
    description,
    verifiedImageReferences: references,
  });
  const failed = (failure: Failure) => ({ integration, result: result(failure.status, failure.message), verifiedBy: [] });
  let trust: IntegrationTrust;
  try {
    trust = trustOf(integration, options.trustRoot ?? defaultTrustRoot());
  } catch (err) {
    if (err instanceof Failure) return failed(err);
    throw err;
  }
  if (trust.signers.length === 0) return failed(new Failure('FAILED_VERIFICATION', 'verification data not found'));
  if (!/^sha256:[a-f0-9]{64}$/.test(subject.digest)) {
    const algorithm = subject.digest.split(':')[0];
    const status = /^sha256:/.test(subject.digest) ? 'GENERIC_ERROR' : 'INVALID_SIGNATURE_ALGO';
    return failed(new Failure(status, `invalid hashing algorithm ${algorithm} used, only SHA256 is supported`));
  }

  const references = new Set<string>();
  const verifiedBy = new Set<string>();
  const failures: Failure[] = [];
  const cosignSignatures = signatures.map((signature) => signature.cosign).filter((cosign): cosign is StorageCosignSignature => cosign !== undefined);
  for (const [index, cosign] of cosignSignatures.entries()) {
    const label = `signature ${index + 1}`;
    let material: SignatureMaterial;
    try {
      material = materialOf(cosign);
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      failures.push(new Failure(err.status, `${label}: ${err.message}`));
      continue;
    }
    for (const signer of trust.signers) {
      const signerLabel = trust.signers.length > 1 ? `${label}, ${signer.label}` : label;
      try {
        for (const reference of verifyOne(trust, signer, material, subject, now).references) references.add(reference);
        verifiedBy.add(signer.name);
      } catch (err) {
        if (!(err instanceof Failure)) throw err;
        failures.push(new Failure(err.status, `${signerLabel}: ${err.message}`));
      }
    }
  }
  if (references.size > 0) return { integration, result: result('VERIFIED', '', [...references].sort()), verifiedBy: [...verifiedBy] };
  if (failures.length === 0) return failed(new Failure('FAILED_VERIFICATION', 'no cosign signature to verify'));
  // One kind of failure names its status; a mix is a failed verification.
  const statuses = new Set(failures.map((failure) => failure.status));
  const status = statuses.size === 1 ? failures[0].status : 'FAILED_VERIFICATION';
  return { integration, result: result(status, [...new Set(failures.map((failure) => failure.message))].join('; ')), verifiedBy: [] };
}

/** Every digest the signatures claim to be for, whether or not they verify. */
export function claimedDigests(signatures: readonly StorageSignature[]): string[] {
  const digests = new Set<string>();
  for (const signature of signatures) {
    try {
      if (signature.cosign) for (const digest of materialOf(signature.cosign).claims([]).digests) digests.add(digest);
    } catch {
      // A signature that cannot be read claims nothing.
    }
  }
  return [...digests];
}

/** One result per integration, in the integrations' order. */
export function verifyWithIntegrations(
  integrations: readonly SignatureIntegration[],
  signatures: readonly StorageSignature[],
  subject: VerificationSubject,
  now: Date,
  options: VerificationOptions = {},
): DetailedVerificationResult[] {
  return integrations.map((integration) => verifyWithIntegration(integration, signatures, subject, now, options));
}
