/**
 * Keyless signatures (a short-lived Fulcio certificate) checked with @sigstore/verify's verifier against a Sigstore
 * trusted root: a trusted signing time (the Rekor entry's integrated time under a verified inclusion promise, or an
 * RFC 3161 timestamp of a trusted timestamp authority), the certificate's chain to a Fulcio CA valid at that time,
 * its SCTs against the CT logs, the log entries against the Rekor keys, and the signature. The identity regexes are
 * the caller's, as for a certificate chain an integration gives.
 */
import { RFC3161Timestamp } from '@sigstore/core';
import { type SignedEntity, type TrustMaterial, VerificationError, Verifier } from '@sigstore/verify';
import { type Certificate, checkCodeSigning, describeCertificate, hasExtensions } from './certificates';
import { Failure } from './failure';
import type { SignatureMaterial } from './material';
import type { CertificateSigner, TransparencyLogPolicy } from './signers';
import { signatureContentOf } from './tlog';
import type { SigstoreTrustRoot } from './trust-root';

type Timestamp = SignedEntity['timestamps'][number];

function timestampsOf(material: SignatureMaterial, withLog: boolean): Timestamp[] {
  const timestamps: Timestamp[] = [];
  if (withLog) {
    for (const tlogEntry of material.tlogEntries()) {
      // Rekor v2 entries record no time: theirs comes from a timestamp authority.
      if (tlogEntry.inclusionPromise && Number(tlogEntry.integratedTime) > 0) timestamps.push({ $case: 'transparency-log', tlogEntry });
    }
  }
  for (const signed of material.signedTimestamps()) {
    try {
      timestamps.push({ $case: 'timestamp-authority', timestamp: RFC3161Timestamp.parse(Buffer.from(signed)) });
    } catch (err) {
      throw new Failure('FAILED_VERIFICATION', `timestamp: an RFC 3161 timestamp of the signature is unreadable (${(err as Error).message})`);
    }
  }
  return timestamps;
}

function signingTimes(timestamps: readonly Timestamp[]): string {
  return timestamps
    .map((timestamp) =>
      timestamp.$case === 'transparency-log'
        ? new Date(Number(timestamp.tlogEntry.integratedTime) * 1000).toISOString()
        : timestamp.timestamp.signingTime.toISOString(),
    )
    .join(', ');
}

function causeOf(err: VerificationError): string {
  const cause = err.cause;
  return cause instanceof Error && cause.message !== err.message ? `: ${cause.message}` : '';
}

/** A verifier error as a description that says what failed, in lamina's words. */
function describeFailure(
  err: VerificationError,
  leaf: Certificate,
  timestamps: readonly Timestamp[],
  log: TransparencyLogPolicy | undefined,
  scts: string,
): string {
  const message = err.message;
  if (err.code === 'CERTIFICATE_ERROR' && /certificate chain/i.test(message)) {
    return `certificate ${describeCertificate(leaf)} does not chain to a Fulcio certificate authority valid at its signing time ${signingTimes(timestamps)}${causeOf(err)}`;
  }
  if (err.code === 'CERTIFICATE_ERROR' && /SCT/.test(message)) {
    return /expected/.test(message)
      ? `certificate transparency: certificate ${describeCertificate(leaf)} carries no SCT (certificateTransparencyLog is enabled)`
      : `certificate transparency: an SCT of certificate ${describeCertificate(leaf)} does not verify with ${scts}`;
  }
  if (err.code.startsWith('TLOG')) return `transparency log: ${message}${causeOf(err)}${log && !log.fromTrustRoot ? ` (verified with ${log.describe})` : ''}`;
  if (err.code === 'TIMESTAMP_ERROR') return `timestamp: ${message}${causeOf(err)}`;
  return `${message}${causeOf(err)}`;
}

/**
 * Throws a Failure unless the signature verifies keylessly under `trustRoot`: its certificate `leaf` (the rule's
 * pinned one or the signature's own), with the log entries when `log` is set and an SCT when the rule asks for one.
 */
export function verifyKeyless(
  signer: CertificateSigner,
  leaf: Certificate,
  material: SignatureMaterial,
  log: TransparencyLogPolicy | undefined,
  trustRoot: SigstoreTrustRoot,
): void {
  checkCodeSigning(leaf);
  if (!hasExtensions(leaf)) throw new Failure('FAILED_VERIFICATION', `certificate ${describeCertificate(leaf)} is X.509 v1, which Fulcio never issues`);
  const timestamps = timestampsOf(material, log !== undefined);
  if (timestamps.length === 0) {
    if (!log) {
      throw new Failure(
        'GENERIC_ERROR',
        "keyless verification needs a trusted signing time to check the short-lived Fulcio certificate at: enable the integration's transparencyLog (the Rekor entry the signature carries gives it) or sign with a timestamp authority",
      );
    }
    throw new Failure('FAILED_VERIFICATION', 'the signature has no trusted signing time: no log entry with an inclusion promise and no RFC 3161 timestamp');
  }
  const scts = signer.certificateTransparency;
  const trust: TrustMaterial = {
    ...trustRoot.material,
    tlogs: log?.logs ?? [],
    // SCTs a certificate embeds are checked even when none is required, so the trust root's logs stay for them.
    ctlogs: scts?.logs ?? trustRoot.material.ctlogs,
  };
  const entity: SignedEntity = {
    signature: signatureContentOf(material.content),
    key: { $case: 'certificate', certificate: leaf.parsed },
    tlogEntries: log ? material.tlogEntries() : [],
    timestamps,
  };
  try {
    new Verifier(trust, { tlogThreshold: log ? 1 : 0, ctlogThreshold: scts ? 1 : 0, timestampThreshold: 1 }).verify(entity);
  } catch (err) {
    if (!(err instanceof VerificationError)) {
      throw new Failure('FAILED_VERIFICATION', `certificate ${describeCertificate(leaf)} could not be verified: ${(err as Error).message}`);
    }
    const sctKeys = scts && !scts.fromTrustRoot ? scts.describe : 'its CT log keys';
    throw new Failure('FAILED_VERIFICATION', describeFailure(err, leaf, timestamps, log, sctKeys));
  }
}
