/**
 * Signed certificate timestamps (RFC 6962) embedded in a certificate an integration's own chain vouches for: each
 * must be signed by a trusted CT log over the precertificate, the certificate's TBS without the SCT extension,
 * bound to its issuer's key. Parsing and the signature check are @sigstore/core's. (Keyless certificates have
 * theirs checked by @sigstore/verify's verifier, see keyless.ts.)
 */
import { createHash } from 'node:crypto';
import { ByteStream, EXTENSION_OID_SCT } from '@sigstore/core';
import { type Certificate, describeCertificate, hasExtensions } from './certificates';
import { Failure } from './failure';
import type { LogAuthority } from './tlog';

/** The bytes an SCT for `leaf` is signed over: SHA-256 of the issuer's key, then the TBS without SCTs (24-bit length). */
function precertificateOf(leaf: Certificate, issuer: Certificate): Buffer {
  const copy = leaf.parsed.clone();
  const at = copy.extensions.findIndex((extension) => extension.subs[0]?.toOID() === EXTENSION_OID_SCT);
  if (at >= 0) copy.extensions.splice(at, 1);
  const tbs = copy.tbsCertificate.toDER();
  const stream = new ByteStream();
  stream.appendView(createHash('sha256').update(issuer.parsed.publicKey).digest());
  stream.appendUint24(tbs.length);
  stream.appendView(tbs);
  return stream.buffer;
}

/**
 * Throws FAILED_VERIFICATION unless `leaf` (issued by `issuer`) embeds at least one SCT, and every SCT it embeds
 * verifies with a log of `logs` valid at the SCT's time.
 */
export function verifyEmbeddedScts(leaf: Certificate, issuer: Certificate | undefined, logs: readonly LogAuthority[], describeLogs: string): void {
  const label = `certificate transparency: certificate ${describeCertificate(leaf)}`;
  const timestamps = hasExtensions(leaf) ? (leaf.parsed.extSCT?.signedCertificateTimestamps ?? []) : [];
  if (timestamps.length === 0) throw new Failure('FAILED_VERIFICATION', `${label} carries no SCT (certificateTransparencyLog is enabled)`);
  if (!issuer) throw new Failure('FAILED_VERIFICATION', `${label} is itself a trusted certificate: without its issuer its SCTs cannot be checked`);
  const bytes = precertificateOf(leaf, issuer);
  for (const sct of timestamps) {
    const candidates = logs.filter((log) => log.logID.equals(sct.logID) && log.validFor.start <= sct.datetime && sct.datetime <= log.validFor.end);
    const verified = candidates.some((log) => {
      try {
        return sct.verify(bytes, log.publicKey);
      } catch {
        return false;
      }
    });
    if (!verified) {
      const why = candidates.length === 0 ? `its log ${sct.logID.toString('base64')} is not among ${describeLogs}` : `it does not verify with ${describeLogs}`;
      throw new Failure('FAILED_VERIFICATION', `${label}: the SCT of ${sct.datetime.toISOString()} is not valid: ${why}`);
    }
  }
}
