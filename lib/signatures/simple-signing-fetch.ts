/**
 * cosign's simple-signing signatures: the manifest under tag `sha256-<hex>.sig` in the image's repository, each
 * simple-signing layer one signature (annotation = base64 signature, blob = payload).
 */
import type { ImageReference } from '../image/types';
import type { StorageSignature } from '../stackrox/types';
import { decodeStrictBase64 } from './algorithms';
import type { FetchedSignature, FetchedSignatures, SignatureRegistry } from './fetch';
import { ANNOTATIONS, MAX_PAYLOAD_BYTES, MAX_SIGNATURES, MAX_TOTAL_PAYLOAD_BYTES, SIMPLE_SIGNING_MEDIA_TYPE, signatureTag } from './types';

function encodeText(text: string | undefined): string {
  return text ? Buffer.from(text, 'utf8').toString('base64') : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Signatures from the `.sig` tag of `repository`. A registry answering 404 has none; other failures throw. */
export async function fetchSimpleSignatures(
  registry: SignatureRegistry,
  repository: ImageReference,
  digest: string,
  signal?: AbortSignal,
): Promise<FetchedSignatures> {
  const tag = signatureTag(digest);
  if (!tag) return { signatures: [], problems: [] };
  const found = await registry.fetchManifestIfPresent({ ...repository, tag, fullName: `${repository.registry}/${repository.remote}:${tag}` }, tag, { signal });
  if (!found) return { tag, signatures: [], problems: [] };
  if (found.parsed.kind !== 'image') return { tag, signatures: [], problems: [`${tag} is an image index, not a cosign signature manifest`] };

  const problems: string[] = [];
  const layers = found.parsed.manifest.layers.filter((layer) => layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  if (layers.length > MAX_SIGNATURES) problems.push(`${tag} lists ${layers.length} signatures; only the first ${MAX_SIGNATURES} are read`);
  const signatures: FetchedSignature[] = [];
  let budget = MAX_TOTAL_PAYLOAD_BYTES;
  for (const [index, layer] of layers.slice(0, MAX_SIGNATURES).entries()) {
    const label = `${tag} layer ${index + 1} (${layer.digest})`;
    if (layer.size > MAX_PAYLOAD_BYTES) {
      problems.push(`${label}: the payload is ${layer.size} bytes, more than the ${MAX_PAYLOAD_BYTES} read`);
      continue;
    }
    if (layer.size > budget) {
      problems.push(`${label}: skipped, the signatures' payloads exceed ${MAX_TOTAL_PAYLOAD_BYTES} bytes in all`);
      continue;
    }
    let payload: Buffer;
    try {
      payload = await registry.getBlobBytes(repository, layer, { signal, maxBytes: MAX_PAYLOAD_BYTES });
    } catch (err) {
      if (signal?.aborted) throw err;
      problems.push(`${label}: ${messageOf(err)}`);
      continue;
    }
    budget -= payload.length;
    const annotations = layer.annotations ?? {};
    // A signature that is not base64 is kept, empty, so that verification reports it CORRUPTED_SIGNATURE.
    const raw = decodeStrictBase64(annotations[ANNOTATIONS.signature]);
    const signature: StorageSignature = {
      cosign: {
        rawSignature: raw ? raw.toString('base64') : '',
        signaturePayload: payload.toString('base64'),
        certPem: encodeText(annotations[ANNOTATIONS.certificate]),
        certChainPem: encodeText(annotations[ANNOTATIONS.chain]),
        rekorBundle: encodeText(annotations[ANNOTATIONS.bundle]),
        signatureFormat: 'SIMPLE_SIGNING',
      },
    };
    signatures.push({ signature });
  }
  return { tag, signatures, problems };
}
