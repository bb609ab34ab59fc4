/**
 * Sigstore material made the way cosign 3 and Rekor make it, with node:crypto: in-toto statements in DSSE
 * envelopes, bundles (v0.3) carrying a key hint or a certificate and Rekor entries (inclusion promise and a
 * one-leaf inclusion proof with its signed checkpoint), cosign's Rekor bundle annotation, and the referrer
 * manifests that attach bundles to an image behind the referrers fallback tag.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { pushBlob, pushRawManifest, registryRequest } from '../support/image-builder';
import type { TestRegistry } from '../support/registry';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest();
const digestOf = (bytes: Buffer) => `sha256:${sha256(bytes).toString('hex')}`;
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

/** A transparency log of our own: its key, and the id and checkpoint origin entries name it by. */
export interface TestRekor {
  privateKey: KeyObject;
  publicPem: string;
  logId: Buffer;
  url: string;
  origin: string;
}

export function createRekor(host = 'rekor.lamina.test'): TestRekor {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = pair.publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey: pair.privateKey,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    logId: sha256(der),
    url: `https://${host}`,
    origin: host,
  };
}

/** The statement `cosign sign --new-bundle-format` signs: one subject, the image digest. */
export function cosignStatement(digest: string, name?: string): Buffer {
  const subject = { ...(name ? { name } : {}), digest: { sha256: digest.slice('sha256:'.length) } };
  return Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [subject], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }),
  );
}

/** DSSE's pre-authentication encoding, written out from the spec. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

export const signP256 = (privateKey: KeyObject, data: Buffer) => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });

function canonical(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** A Rekor entry for `body`, as a bundle serialises it: the SET over it and a proof of inclusion in a one-leaf tree. */
export function logEntry(rekor: TestRekor, body: object, integratedTime: number, options: { promise?: boolean; proof?: boolean } = {}) {
  const canonicalizedBody = Buffer.from(JSON.stringify(body));
  const kind = body as { kind: string; apiVersion: string };
  const set = signP256(
    rekor.privateKey,
    Buffer.from(canonical({ body: b64(canonicalizedBody), integratedTime, logID: rekor.logId.toString('hex'), logIndex: 0 })),
  );
  const root = sha256(Buffer.concat([Buffer.from([0]), canonicalizedBody]));
  const note = `${rekor.origin} - 1\n1\n${b64(root)}\n`;
  const noteSignature = Buffer.concat([rekor.logId.subarray(0, 4), signP256(rekor.privateKey, Buffer.from(note))]);
  return {
    logIndex: '0',
    logId: { keyId: b64(rekor.logId) },
    kindVersion: { kind: kind.kind, version: kind.apiVersion },
    integratedTime: String(integratedTime),
    ...(options.promise === false ? {} : { inclusionPromise: { signedEntryTimestamp: b64(set) } }),
    ...(options.proof === false
      ? {}
      : {
          inclusionProof: {
            logIndex: '0',
            rootHash: b64(root),
            treeSize: '1',
            hashes: [],
            checkpoint: { envelope: `${note}\n\u2014 ${rekor.origin} ${b64(noteSignature)}\n` },
          },
        }),
    canonicalizedBody: b64(canonicalizedBody),
  };
}

/** Rekor's dsse v0.0.1 body for an envelope signed by `verifierPem` (a public key or certificate). */
export function dsseLogBody(payload: Buffer, signature: Buffer, verifierPem: string) {
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
      signatures: [{ signature: b64(signature), verifier: b64(verifierPem) }],
    },
  };
}

/** Rekor's hashedrekord v0.0.1 body for a simple-signing signature over `payload`. */
export function hashedRekordBody(payload: Buffer, signature: Buffer, verifierPem: string) {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } },
      signature: { content: b64(signature), publicKey: { content: b64(verifierPem) } },
    },
  };
}

/** cosign's `dev.sigstore.cosign/bundle` annotation: the SET and the entry it signs. */
export function cosignRekorBundle(rekor: TestRekor, body: object, integratedTime: number): string {
  const entry = logEntry(rekor, body, integratedTime, { proof: false });
  return JSON.stringify({
    SignedEntryTimestamp: entry.inclusionPromise?.signedEntryTimestamp,
    Payload: { body: entry.canonicalizedBody, integratedTime, logIndex: 0, logID: rekor.logId.toString('hex') },
  });
}

export interface BundleOptions {
  /** The signer's key; with `certificateDer`, the certificate's. */
  privateKey: KeyObject;
  statement: Buffer;
  /** DER of the signing certificate; without one the bundle names its key by hint. */
  certificateDer?: Buffer;
  /** PEM of the public key or certificate, as the log entry records the verifier. */
  verifierPem: string;
  tlog?: { rekor: TestRekor; integratedTime: number };
  /** Signs other bytes than the statement (a tampered envelope). */
  tamper?: boolean;
}

/** A v0.3 bundle as cosign writes it: a DSSE envelope over the statement, signed with ECDSA P-256 over the PAE. */
export function dsseBundle(options: BundleOptions): Buffer {
  const signature = signP256(options.privateKey, pae(IN_TOTO, options.tamper ? Buffer.concat([options.statement, Buffer.from(' ')]) : options.statement));
  const material = options.certificateDer ? { certificate: { rawBytes: b64(options.certificateDer) } } : { publicKey: { hint: '' } };
  const tlogEntries = options.tlog
    ? [logEntry(options.tlog.rekor, dsseLogBody(options.statement, signature, options.verifierPem), options.tlog.integratedTime)]
    : [];
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { ...material, tlogEntries, timestampVerificationData: { rfc3161Timestamps: [] } },
      dsseEnvelope: { payload: b64(options.statement), payloadType: IN_TOTO, signatures: [{ sig: b64(signature), keyid: '' }] },
    }),
  );
}

export interface Subject {
  digest: string;
  mediaType: string;
  size: number;
}

export interface PushedReferrer {
  digest: string;
  descriptor: { mediaType: string; digest: string; size: number; artifactType: string; annotations: Record<string, string> };
}

/**
 * Pushes `bundle` as a referrer of `subject` (cosign's layout: empty config, one bundle layer, `subject`), and, unless
 * `fallbackTag` is false, adds it to the index under the referrers fallback tag, as clients do on a registry without
 * the referrers API.
 */
export async function pushBundle(
  registry: TestRegistry,
  repository: string,
  subject: Subject,
  bundle: Buffer,
  options: { fallbackTag?: boolean } = {},
): Promise<PushedReferrer> {
  const empty = Buffer.from('{}');
  await pushBlob(registry, repository, empty);
  await pushBlob(registry, repository, bundle);
  const annotations = { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_MEDIA_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(empty), size: empty.length },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE, digest: digestOf(bundle), size: bundle.length }],
      subject,
      annotations,
    }),
  );
  const digest = digestOf(manifest);
  await pushRawManifest(registry, repository, digest, OCI_MANIFEST, manifest);
  const descriptor = { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_MEDIA_TYPE, annotations };
  if (options.fallbackTag !== false) {
    const tag = subject.digest.replace(':', '-');
    const current = await registryRequest(registry, repository, 'GET', `/v2/${repository}/manifests/${tag}`, { headers: { accept: OCI_INDEX } });
    const manifests = current.status === 200 ? (JSON.parse(String(current.body)) as { manifests: unknown[] }).manifests : [];
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...manifests, descriptor] }));
    await pushRawManifest(registry, repository, tag, OCI_INDEX, index);
  }
  return { digest, descriptor };
}
