/**
 * Fetching an image's cosign signatures: the manifest under tag `sha256-<hex>.sig` in the image's repository, each
 * simple-signing layer one signature (annotation = base64 signature, blob = payload). Read through the registry
 * client, so the image's credentials, host policy, limits and digest checks apply.
 */
import type { ParsedManifest } from '../image/registry/manifest';
import type { Descriptor, ImageReference } from '../image/types';
import type { StorageSignature } from '../stackrox/types';
import { decodeStrictBase64 } from './verify';
import { ANNOTATIONS, MAX_PAYLOAD_BYTES, MAX_SIGNATURES, MAX_TOTAL_PAYLOAD_BYTES, SIMPLE_SIGNING_MEDIA_TYPE, signatureTag } from './types';

/** What the fetcher needs of a registry: RegistryClient has both. */
export interface SignatureRegistry {
  fetchManifestIfPresent(
    reference: ImageReference,
    tag: string,
    options?: { signal?: AbortSignal },
  ): Promise<{ parsed: ParsedManifest; digest: string } | undefined>;
  getBlobBytes(reference: ImageReference, descriptor: Descriptor, options?: { signal?: AbortSignal; maxBytes?: number }): Promise<Buffer>;
}

/** A fetched signature, with what StorageImage keeps no field for. */
export interface FetchedSignature {
  signature: StorageSignature;
  /** The Rekor bundle annotation, JSON, when the signer uploaded to a transparency log. */
  rekorBundle?: string;
}

export interface FetchedSignatures {
  /** The `.sig` tag looked up; undefined when the digest makes none. */
  tag?: string;
  signatures: FetchedSignature[];
  /** What could not be read (a payload too large, a blob the registry would not serve, the manifest itself). */
  problems: string[];
}

export interface SignatureFetcher {
  fetch(reference: ImageReference, digest: string, signal?: AbortSignal): Promise<FetchedSignatures>;
}

export interface CosignSignatureFetcherOptions {
  /** Registry host → mirror host, as LAMINA_REGISTRY_MIRRORS: signatures are read where the image is. */
  mirrors?: Record<string, string>;
}

function encodeText(text: string | undefined): string {
  return text ? Buffer.from(text, 'utf8').toString('base64') : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Signatures from the `.sig` tag of the image's own repository. A registry answering 404 has none. */
export class CosignSignatureFetcher implements SignatureFetcher {
  private readonly mirrors: Map<string, string>;

  constructor(
    private readonly registry: SignatureRegistry,
    options: CosignSignatureFetcherOptions = {},
  ) {
    this.mirrors = new Map(Object.entries(options.mirrors ?? {}).map(([host, mirror]) => [host.toLowerCase(), mirror]));
  }

  async fetch(reference: ImageReference, digest: string, signal?: AbortSignal): Promise<FetchedSignatures> {
    const tag = signatureTag(digest);
    if (!tag) return { signatures: [], problems: [] };
    const mirror = this.mirrors.get(reference.registry.toLowerCase());
    const repository: ImageReference = {
      registry: mirror ?? reference.registry,
      remote: reference.remote,
      tag,
      fullName: `${mirror ?? reference.registry}/${reference.remote}:${tag}`,
    };
    const found = await this.registry.fetchManifestIfPresent(repository, tag, { signal });
    if (!found) return { tag, signatures: [], problems: [] };
    if (found.parsed.kind !== 'image') return { tag, signatures: [], problems: [`${tag} is an image index, not a cosign signature manifest`] };

    const problems: string[] = [];
    const layers = found.parsed.manifest.layers.filter((layer) => layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
    if (layers.length > MAX_SIGNATURES) problems.push(`${tag} lists ${layers.length} signatures; only the first ${MAX_SIGNATURES} are read`);
    const signatures: FetchedSignature[] = [];
    const seen = new Set<string>();
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
        payload = await this.registry.getBlobBytes(repository, layer, { signal, maxBytes: MAX_PAYLOAD_BYTES });
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
        },
      };
      const key = `${signature.cosign!.rawSignature}|${signature.cosign!.signaturePayload}`;
      if (seen.has(key)) continue;
      seen.add(key);
      signatures.push(annotations[ANNOTATIONS.bundle] ? { signature, rekorBundle: annotations[ANNOTATIONS.bundle] } : { signature });
    }
    return { tag, signatures, problems };
  }
}
