/**
 * A stored cosign signature decoded for verification, whatever its format: what is signed, the signature, the
 * certificates and log entries it carries, and what it claims.
 */
import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { StorageCosignSignature } from '../stackrox/types';
import { checkSignature, decodeStrictBase64 } from './algorithms';
import { parseSigstoreBundle, preAuthEncoding, sha256, statementClaims } from './bundle';
import { type Certificate, certificateOf, parseCertificatesPem } from './certificates';
import { type Claims, repositoryOf, simpleSigningClaims } from './claims';
import { Failure } from './failure';
import { entryOfRekorBundle, type SignedContent } from './tlog';

export interface SignatureMaterial {
  format: 'SIMPLE_SIGNING' | 'DEAD_SIMPLE_SIGNING_ENVELOPE';
  content: SignedContent;
  /** The signer's certificate and the chain the signature carries, leaf first; empty when it carries none. */
  certificates(): Certificate[];
  tlogEntries(): TransparencyLogEntry[];
  /** RFC 3161 timestamps over the signature (DER) a bundle carries; none for simple signing (its annotation is not fetched). */
  signedTimestamps(): Buffer[];
  /** `repositories` stand for a statement that names none: those the signature was read from. */
  claims(repositories: readonly string[]): Claims;
}

function contentOf(signed: Buffer, signature: Buffer, payload: Buffer): SignedContent {
  return { signed, signature, payloadDigest: sha256(payload), verify: (key) => checkSignature(key, signed, signature) };
}

function text(base64: string | undefined): string {
  return base64 ? Buffer.from(base64, 'base64').toString('utf8') : '';
}

function simpleSigning(cosign: StorageCosignSignature): SignatureMaterial {
  const raw = decodeStrictBase64(cosign.rawSignature);
  if (!raw || raw.length === 0) throw new Failure('CORRUPTED_SIGNATURE', 'corrupted signature: the raw signature is missing or not valid base64');
  const payload = Buffer.from(cosign.signaturePayload ?? '', 'base64');
  return {
    format: 'SIMPLE_SIGNING',
    content: contentOf(payload, raw, payload),
    certificates: () => {
      const certificate = text(cosign.certPem);
      if (!certificate.trim()) return [];
      const chain = text(cosign.certChainPem);
      try {
        return [...parseCertificatesPem(certificate).slice(0, 1), ...(chain.trim() ? parseCertificatesPem(chain) : [])];
      } catch (err) {
        throw new Failure('FAILED_VERIFICATION', `the signature's certificate annotation is unreadable: ${(err as Error).message}`);
      }
    },
    tlogEntries: () => {
      const bundle = text(cosign.rekorBundle);
      return bundle.trim() ? [entryOfRekorBundle(bundle)] : [];
    },
    signedTimestamps: () => [],
    claims: () => simpleSigningClaims(payload),
  };
}

function envelope(cosign: StorageCosignSignature): SignatureMaterial {
  const contents = parseSigstoreBundle(Buffer.from(cosign.sigstoreBundle ?? '', 'base64'));
  return {
    format: 'DEAD_SIMPLE_SIGNING_ENVELOPE',
    content: contentOf(preAuthEncoding(contents), contents.signature, contents.payload),
    certificates: () => {
      try {
        return contents.certificates.map(certificateOf);
      } catch (err) {
        throw new Failure('FAILED_VERIFICATION', `the bundle's certificate is unreadable: ${(err as Error).message}`);
      }
    },
    tlogEntries: () => contents.tlogEntries,
    signedTimestamps: () =>
      (contents.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) => Buffer.from(t.signedTimestamp)),
    claims: (repositories) => {
      const statement = statementClaims(contents);
      const named = statement.names.map(repositoryOf).filter((repository): repository is string => repository !== undefined);
      return {
        digests: statement.digests,
        repositories: named.length > 0 ? named : [...repositories],
        signedFor: named.length > 0 ? named.join(', ') : `the repository it was read from (${repositories.join(', ') || 'none'})`,
      };
    },
  };
}

/** The material of one stored signature; CORRUPTED_SIGNATURE when it cannot be read at all. */
export function materialOf(cosign: StorageCosignSignature): SignatureMaterial {
  return cosign.signatureFormat === 'DEAD_SIMPLE_SIGNING_ENVELOPE' ? envelope(cosign) : simpleSigning(cosign);
}
