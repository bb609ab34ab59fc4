/**
 * Sigstore bundles as `cosign sign --new-bundle-format` attaches them to an image (bundle spec v0.3): a DSSE envelope
 * over an in-toto statement whose subject is the image's digest, the signer's certificate or a key hint, and the
 * transparency-log entries. Parsed with @sigstore/bundle, which checks the bundle's shape.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { type Bundle, bundleFromJSON, type TransparencyLogEntry } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { Failure } from './failure';
import { IN_TOTO_PAYLOAD_TYPE } from './types';

/** What a bundle's signature is over and who made it. */
export interface BundleContents {
  bundle: Bundle;
  payloadType: string;
  /** The DSSE payload: the in-toto statement, JSON. */
  payload: Buffer;
  /** The DSSE signature, over the pre-authentication encoding of type and payload. */
  signature: Buffer;
  /** The signer's certificate and the chain the bundle carries with it, DER, leaf first; empty with a key hint. */
  certificates: Buffer[];
  tlogEntries: TransparencyLogEntry[];
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The bundle's DSSE envelope and verification material; CORRUPTED_SIGNATURE when it is not a sigstore bundle. */
export function parseSigstoreBundle(json: Buffer): BundleContents {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(json.toString('utf8')));
  } catch (err) {
    throw new Failure('CORRUPTED_SIGNATURE', `corrupted signature: not a valid sigstore bundle (${messageOf(err)})`);
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new Failure('FAILED_VERIFICATION', 'the sigstore bundle holds a message signature, not a DSSE envelope over an image');
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.signatures.length !== 1) {
    throw new Failure('CORRUPTED_SIGNATURE', `corrupted signature: the DSSE envelope has ${envelope.signatures.length} signatures, not one`);
  }
  const material = bundle.verificationMaterial.content;
  const certificates =
    material.$case === 'x509CertificateChain'
      ? material.x509CertificateChain.certificates.map((certificate) => Buffer.from(certificate.rawBytes))
      : material.$case === 'certificate'
        ? [Buffer.from(material.certificate.rawBytes)]
        : [];
  return {
    bundle,
    payloadType: envelope.payloadType,
    payload: Buffer.from(envelope.payload),
    signature: Buffer.from(envelope.signatures[0].sig),
    certificates,
    tlogEntries: bundle.verificationMaterial.tlogEntries,
  };
}

/** The bytes a DSSE signature is over: `DSSEv1 <len> <type> <len> <payload>`. */
export function preAuthEncoding(contents: BundleContents): Buffer {
  return dsse.preAuthEncoding(contents.payloadType, contents.payload);
}

export interface StatementClaims {
  /** `sha256:<hex>` of every subject of the statement. */
  digests: string[];
  /** The subjects' names, where they have one (cosign's own statements have none). */
  names: string[];
  predicateType: string;
}

/** The subjects of the envelope's in-toto statement (v0.1 or v1). */
export function statementClaims(contents: BundleContents): StatementClaims {
  if (contents.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new Failure('FAILED_VERIFICATION', `invalid payload: the envelope's payload type is "${contents.payloadType}", not "${IN_TOTO_PAYLOAD_TYPE}"`);
  }
  let statement: { _type?: unknown; subject?: unknown; predicateType?: unknown };
  try {
    statement = JSON.parse(contents.payload.toString('utf8'));
  } catch {
    throw new Failure('FAILED_VERIFICATION', 'invalid payload: the in-toto statement is not JSON');
  }
  if (typeof statement?._type !== 'string' || !statement._type.startsWith('https://in-toto.io/Statement/')) {
    throw new Failure('FAILED_VERIFICATION', `invalid payload: _type is ${JSON.stringify(statement?._type ?? null)}, not an in-toto statement`);
  }
  const subjects = Array.isArray(statement.subject) ? (statement.subject as Array<{ name?: unknown; digest?: { sha256?: unknown } }>) : [];
  const digests = subjects.map((subject) => subject?.digest?.sha256).filter((hex): hex is string => typeof hex === 'string' && /^[a-f0-9]{64}$/.test(hex));
  const names = subjects.map((subject) => subject?.name).filter((name): name is string => typeof name === 'string' && name !== '');
  return { digests: digests.map((hex) => `sha256:${hex}`), names, predicateType: typeof statement.predicateType === 'string' ? statement.predicateType : '' };
}

/** PEM of DER certificates, one block each. */
export function certificatesPem(certificates: readonly Buffer[]): string {
  return certificates.map((der) => new X509Certificate(der).toString()).join('');
}

/** A digest of the signed content, as transparency-log bodies record it. */
export function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}
