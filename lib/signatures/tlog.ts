/**
 * Offline proof that a signature was entered in a Rekor transparency log, checked with @sigstore/verify against the
 * log keys to trust (the integration's own key, or the Rekor keys of a Sigstore trusted root): the inclusion promise
 * (SET) or the inclusion proof and its signed checkpoint, and that the entry's body records this very signature and
 * payload. Nothing here reaches the network.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { type SignedEntity, type TrustMaterial, Verifier } from '@sigstore/verify';
import { Failure } from './failure';

/** What a signature is over, as a transparency-log body records it. */
export interface SignedContent {
  /** The bytes signed: the payload, or a DSSE envelope's pre-authentication encoding. */
  signed: Buffer;
  signature: Buffer;
  /** SHA-256 of the payload (the artifact a hashedrekord entry names, the payload a dsse entry hashes). */
  payloadDigest: Buffer;
  /** Whether `signature` verifies with `key` over `signed`. */
  verify(key: KeyObject): boolean;
}

/** A log key as @sigstore/verify trusts it: the log's id (SHA-256 of its key), its URL and validity window. */
export type LogAuthority = TrustMaterial['tlogs'][number];

const BEGINNING = new Date(0);
const END = new Date(8_640_000_000_000_000);

/** An integration's log key (PEM), trusted at any time. */
export function transparencyLogOf(pem: string, url = ''): LogAuthority {
  const publicKey = createPublicKey({ key: pem, format: 'pem' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { publicKey, logID: createHash('sha256').update(der).digest(), baseURL: url, validFor: { start: BEGINNING, end: END } };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** @sigstore/verify's view of a signature: its content, compared with what log bodies record. */
export function signatureContentOf(content: SignedContent): SignedEntity['signature'] {
  return {
    signature: content.signature,
    compareSignature: (signature) => signature.equals(content.signature),
    compareDigest: (digest) => digest.equals(content.payloadDigest),
    verifySignature: (key) => content.verify(key),
  };
}

/**
 * Verifies every entry against one of `logs` and the content signed by `signer`; the earliest integrated time, the
 * moment the log vouches the signature existed (undefined from Rekor v2 entries, which record none).
 * FAILED_VERIFICATION when an entry does not verify.
 */
export function verifyInclusion(
  entries: readonly TransparencyLogEntry[],
  content: SignedContent,
  signer: KeyObject,
  logs: readonly LogAuthority[],
): Date | undefined {
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    ctlogs: [],
    tlogs: [...logs],
    // The signer was established by the caller (an integration key or a checked certificate): the entity names it by hint.
    publicKey: () => ({ publicKey: signer, validFor: () => true }),
  };
  const entity: SignedEntity = {
    signature: signatureContentOf(content),
    key: { $case: 'public-key', hint: '' },
    tlogEntries: [...entries],
    timestamps: [],
  };
  try {
    new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
  } catch (err) {
    throw new Failure('FAILED_VERIFICATION', `transparency log: ${messageOf(err)}`);
  }
  const times = entries.map((entry) => Number(entry.integratedTime)).filter((seconds) => seconds > 0);
  return times.length > 0 ? new Date(Math.min(...times) * 1000) : undefined;
}

interface CosignRekorBundle {
  SignedEntryTimestamp?: unknown;
  Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown };
}

/**
 * The log entry a simple-signing signature's `dev.sigstore.cosign/bundle` annotation holds (cosign's RekorBundle:
 * the SET and the entry it signs). FAILED_VERIFICATION when it is not one.
 */
export function entryOfRekorBundle(json: string): TransparencyLogEntry {
  let bundle: CosignRekorBundle;
  try {
    bundle = JSON.parse(json);
  } catch {
    throw new Failure('FAILED_VERIFICATION', 'transparency log: the Rekor bundle is not JSON');
  }
  const payload = bundle?.Payload;
  const { body, integratedTime, logIndex, logID } = payload ?? {};
  if (
    typeof bundle?.SignedEntryTimestamp !== 'string' ||
    typeof body !== 'string' ||
    typeof integratedTime !== 'number' ||
    typeof logIndex !== 'number' ||
    typeof logID !== 'string' ||
    !/^[a-f0-9]+$/.test(logID)
  ) {
    throw new Failure(
      'FAILED_VERIFICATION',
      'transparency log: the Rekor bundle lacks SignedEntryTimestamp or Payload {body, integratedTime, logIndex, logID}',
    );
  }
  const canonicalizedBody = Buffer.from(body, 'base64');
  let kind: { kind?: unknown; apiVersion?: unknown };
  try {
    kind = JSON.parse(canonicalizedBody.toString('utf8'));
  } catch {
    throw new Failure('FAILED_VERIFICATION', "transparency log: the Rekor bundle's entry body is not JSON");
  }
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, 'hex') },
    kindVersion: { kind: String(kind?.kind ?? ''), version: String(kind?.apiVersion ?? '') },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: Buffer.from(bundle.SignedEntryTimestamp, 'base64') },
    inclusionProof: undefined,
    canonicalizedBody,
  };
}
