/**
 * Fetching an image's cosign signatures, both kinds cosign writes: simple signing under the tag
 * `sha256-<hex>.sig`, and sigstore bundles among the image's OCI 1.1 referrers. Read through the registry client,
 * so the image's credentials, host policy, limits and digest checks apply. Neither present = no signatures.
 */
import type { ReferrersRegistry } from '../image/registry/referrers';
import type { Descriptor, ImageReference } from '../image/types';
import type { StorageSignature } from '../stackrox/types';
import { fetchSigstoreBundles } from './bundle-fetch';
import { fetchSimpleSignatures } from './simple-signing-fetch';

/** What the fetcher needs of a registry: RegistryClient has it all. */
export interface SignatureRegistry extends ReferrersRegistry {
  getBlobBytes(reference: ImageReference, descriptor: Descriptor, options?: { signal?: AbortSignal; maxBytes?: number }): Promise<Buffer>;
}

export interface FetchedSignature {
  signature: StorageSignature;
}

export interface FetchedSignatures {
  /** The `.sig` tag looked up; undefined when the digest makes none. */
  tag?: string;
  signatures: FetchedSignature[];
  /** What could not be read (a payload too large, a blob the registry would not serve, a listing that failed). */
  problems: string[];
}

export interface SignatureFetcher {
  fetch(reference: ImageReference, digest: string, signal?: AbortSignal): Promise<FetchedSignatures>;
}

export interface CosignSignatureFetcherOptions {
  /** Registry host → mirror host, as LAMINA_REGISTRY_MIRRORS: signatures are read where the image is. */
  mirrors?: Record<string, string>;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Signatures of `digest` in the image's own repository: the `.sig` tag's, then the bundles among its referrers. */
export class CosignSignatureFetcher implements SignatureFetcher {
  private readonly mirrors: Map<string, string>;

  constructor(
    private readonly registry: SignatureRegistry,
    options: CosignSignatureFetcherOptions = {},
  ) {
    this.mirrors = new Map(Object.entries(options.mirrors ?? {}).map(([host, mirror]) => [host.toLowerCase(), mirror]));
  }

  /** Throws only when both kinds fail to be read (or `signal` aborts); one failing is a problem beside the other's signatures. */
  async fetch(reference: ImageReference, digest: string, signal?: AbortSignal): Promise<FetchedSignatures> {
    const registry = this.mirrors.get(reference.registry.toLowerCase()) ?? reference.registry;
    const repository: ImageReference = { registry, remote: reference.remote, tag: '', digest, fullName: `${registry}/${reference.remote}@${digest}` };
    const [simple, bundles] = await Promise.allSettled([
      fetchSimpleSignatures(this.registry, repository, digest, signal),
      fetchSigstoreBundles(this.registry, repository, digest, signal),
    ]);
    if (signal?.aborted) throw signal.reason;
    if (simple.status === 'rejected' && bundles.status === 'rejected') {
      const [first, second] = [messageOf(simple.reason), messageOf(bundles.reason)];
      throw first === second ? simple.reason : new Error(`${first}; ${second}`, { cause: simple.reason });
    }
    const settled = (result: PromiseSettledResult<FetchedSignatures>, what: string): FetchedSignatures =>
      result.status === 'fulfilled' ? result.value : { signatures: [], problems: [`${what}: ${messageOf(result.reason)}`] };
    const tagged = settled(simple, 'reading the .sig tag');
    const attached = settled(bundles, 'reading the sigstore bundles among the referrers');
    return { tag: tagged.tag, signatures: [...tagged.signatures, ...attached.signatures], problems: [...tagged.problems, ...attached.problems] };
  }
}
