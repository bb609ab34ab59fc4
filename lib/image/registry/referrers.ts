/**
 * The artifacts that refer to a manifest (OCI distribution spec 1.1): the registry's referrers API, or, where it has
 * none, the referrers fallback tag `<alg>-<hex>` whose image index the pushing client keeps up to date.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { GrpcCode } from '../../errors';
import { digestProblem } from '../reference';
import type { ImageReference } from '../types';
import { registryFailure } from './errors';
import type { ParsedManifest } from './manifest';

/** A referrer as its index lists it: the manifest's descriptor with the `artifactType` saying what it is. */
export interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersRegistry {
  fetchReferrersIfSupported(reference: ImageReference, digest: string, options?: { signal?: AbortSignal }): Promise<Buffer | undefined>;
  fetchManifestIfPresent(
    reference: ImageReference,
    tag: string,
    options?: { signal?: AbortSignal },
  ): Promise<{ parsed: ParsedManifest; digest: string; body: Buffer } | undefined>;
}

export interface ReferrersListing {
  /** `api` when the registry answered the referrers API, `tag` when the fallback tag was read, `none` when neither had any. */
  source: 'api' | 'tag' | 'none';
  referrers: Referrer[];
}

const referrerSchema = z.object({
  mediaType: z._default(z.string(), ''),
  digest: z.string().check(z.refine((value: string) => digestProblem(value) === undefined, { message: 'not a valid digest' })),
  size: z.number().check(z.int(), z.nonnegative()),
  artifactType: z.optional(z.string()),
  annotations: z.optional(z.record(z.string(), z.string())),
});

const indexSchema = z.object({ schemaVersion: z.literal(2), manifests: z.array(referrerSchema) });

/** The referrers fallback tag of a digest: `sha256-<hex>` for `sha256:<hex>`; undefined past the 128 characters a tag may have. */
export function referrersTag(digest: string): string | undefined {
  if (digestProblem(digest)) return undefined;
  const tag = digest.replace(':', '-');
  return tag.length <= 128 ? tag : undefined;
}

/** The entries of a referrers index (an OCI image index), with their artifact types. */
export function parseReferrersIndex(body: Buffer, what: string): Referrer[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw registryFailure(GrpcCode.FailedPrecondition, what, 'the referrers index is not JSON');
  }
  const parsed = indexSchema.safeParse(json, { error: en().localeError });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw registryFailure(
      GrpcCode.FailedPrecondition,
      what,
      `invalid referrers index (${issue ? `${issue.path.join('.') || 'root'}: ${issue.message}` : 'malformed'})`,
    );
  }
  return parsed.data.manifests.map((entry) => {
    const referrer: Referrer = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    if (entry.artifactType) referrer.artifactType = entry.artifactType;
    if (entry.annotations) referrer.annotations = entry.annotations;
    return referrer;
  });
}

/** The referrers of `digest` in the reference's repository: the API's answer, else the fallback tag's index, else none. */
export async function listReferrers(registry: ReferrersRegistry, reference: ImageReference, digest: string, signal?: AbortSignal): Promise<ReferrersListing> {
  const what = `failed to list the referrers of ${digest} in ${reference.registry}/${reference.remote}`;
  const fromApi = await registry.fetchReferrersIfSupported(reference, digest, { signal });
  if (fromApi) return { source: 'api', referrers: parseReferrersIndex(fromApi, what) };
  const tag = referrersTag(digest);
  const tagged = tag ? await registry.fetchManifestIfPresent(reference, tag, { signal }) : undefined;
  if (!tagged) return { source: 'none', referrers: [] };
  if (tagged.parsed.kind !== 'index')
    throw registryFailure(GrpcCode.FailedPrecondition, what, `the referrers tag ${tag} holds an image manifest, not an index`);
  return { source: 'tag', referrers: parseReferrersIndex(tagged.body, what) };
}
