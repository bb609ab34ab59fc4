import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { GrpcCode } from '../../errors';
import { digestProblem } from '../reference';
import type { Descriptor, ImageManifest, Platform } from '../types';
import { registryFailure } from './errors';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header for manifests: every format the client understands, single-platform first. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList].join(', ');

/**
 * Most layers an image manifest may list. Docker refuses to build past 125 or so (overlayfs' lower-directory limit)
 * and real images stay well below 200; a manifest of thousands of tiny layers exists only to make a scan take
 * minutes, so one beyond this bound is refused before any layer is fetched.
 */
export const MAX_MANIFEST_LAYERS = 1000;

/**
 * Most entries an image index (manifest list) may list. Real indexes name a platform or two dozen, each with an
 * attestation; thousands of entries are refused before any is read.
 */
export const MAX_INDEX_MANIFESTS = 1000;

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

/**
 * zod/mini registers no locale; parses pass English explicitly, so the reasons quoted in errors ("Invalid input:
 * expected string, received number") read as they did with full zod whatever else configured zod globally.
 */
const ENGLISH = { error: en().localeError };

const digestSchema = z.string().check(z.refine((value: string) => digestProblem(value) === undefined, { message: 'not a valid digest' }));

const platformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.optional(z.string()),
});

const descriptorSchema = z.object({
  mediaType: z._default(z.string(), ''),
  digest: digestSchema,
  size: z.number().check(z.int(), z.nonnegative()),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(z.record(z.string(), z.string())),
  platform: z.optional(platformSchema),
});

const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});

const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  manifests: z.array(descriptorSchema),
});

export type ParsedManifest = { kind: 'image'; manifest: ImageManifest } | { kind: 'index'; mediaType: string; manifests: Descriptor[] };

function stripMediaTypeParameters(contentType: string | null): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function toDescriptor(value: z.output<typeof descriptorSchema>): Descriptor {
  const descriptor: Descriptor = { mediaType: value.mediaType, digest: value.digest, size: value.size };
  if (value.urls) descriptor.urls = value.urls;
  if (value.annotations) descriptor.annotations = value.annotations;
  if (value.platform) descriptor.platform = value.platform.variant ? value.platform : { os: value.platform.os, architecture: value.platform.architecture };
  return descriptor;
}

/**
 * Parses a manifest body: OCI image manifest or index, Docker schema 2 manifest or manifest list. The body's own
 * `mediaType` wins over Content-Type; without either, the shape decides. Schema 1 is refused as unsupported.
 */
export function parseManifest(body: Buffer, contentType: string | null, what: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw registryFailure(GrpcCode.FailedPrecondition, what, 'the registry answered with a manifest that is not JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw registryFailure(GrpcCode.FailedPrecondition, what, 'the registry answered with a manifest that is not a JSON object');
  }
  const record = json as Record<string, unknown>;
  const declared = typeof record.mediaType === 'string' && record.mediaType ? record.mediaType : stripMediaTypeParameters(contentType);
  if (record.schemaVersion === 1 || declared === MEDIA_TYPES.dockerSchema1 || declared === MEDIA_TYPES.dockerSchema1Signed) {
    throw registryFailure(
      GrpcCode.FailedPrecondition,
      what,
      'unsupported manifest: Docker image manifest schema 1 is deprecated and not supported; push the image again with a current client',
    );
  }
  const isIndex = INDEX_TYPES.has(declared) || (!IMAGE_TYPES.has(declared) && Array.isArray(record.manifests));
  if (isIndex) {
    if (Array.isArray(record.manifests) && record.manifests.length > MAX_INDEX_MANIFESTS) {
      throw registryFailure(
        GrpcCode.FailedPrecondition,
        what,
        `the image index lists ${record.manifests.length} manifests, more than the ${MAX_INDEX_MANIFESTS} lamina accepts`,
      );
    }
    const parsed = indexSchema.safeParse(json, ENGLISH);
    if (!parsed.success) throw invalid(what, 'index', parsed.error);
    const mediaType = INDEX_TYPES.has(declared) ? declared : MEDIA_TYPES.ociIndex;
    return { kind: 'index', mediaType, manifests: parsed.data.manifests.map(toDescriptor) };
  }
  if (!IMAGE_TYPES.has(declared) && !(record.config && Array.isArray(record.layers))) {
    throw registryFailure(GrpcCode.FailedPrecondition, what, `unsupported manifest media type "${declared || 'none'}"`);
  }
  if (Array.isArray(record.layers) && record.layers.length > MAX_MANIFEST_LAYERS) {
    throw registryFailure(GrpcCode.FailedPrecondition, what, `the image has ${record.layers.length} layers, more than the ${MAX_MANIFEST_LAYERS} lamina scans`);
  }
  const parsed = imageManifestSchema.safeParse(json, ENGLISH);
  if (!parsed.success) throw invalid(what, 'manifest', parsed.error);
  const manifest: ImageManifest = {
    mediaType: IMAGE_TYPES.has(declared) ? declared : MEDIA_TYPES.ociManifest,
    config: toDescriptor(parsed.data.config),
    layers: parsed.data.layers.map(toDescriptor),
  };
  if (parsed.data.annotations) manifest.annotations = parsed.data.annotations;
  return { kind: 'image', manifest };
}

function invalid(what: string, kind: string, error: z.core.$ZodError) {
  const issue = error.issues[0];
  const where = issue ? `${issue.path.join('.') || 'root'}: ${issue.message}` : 'malformed';
  return registryFailure(GrpcCode.FailedPrecondition, what, `the registry answered with an invalid ${kind} (${where})`);
}

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
};

/** Normalises a platform as containerd does: architecture aliases, `arm64` → `v8`, `arm` → `v7` by default. */
export function normalisePlatform(platform: Platform): Required<Platform> {
  const os = platform.os.toLowerCase();
  const alias = ARCH_ALIASES[platform.architecture.toLowerCase()];
  const architecture = alias?.architecture ?? platform.architecture.toLowerCase();
  let variant = (platform.variant ?? alias?.variant ?? '').toLowerCase();
  if (/^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'arm64' && (variant === '' || variant === 'v8')) variant = 'v8';
  else if (architecture === 'arm' && variant === '') variant = 'v7';
  else if (architecture === 'amd64' && variant === 'v1') variant = '';
  return { os, architecture, variant };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** Picks the manifest for `platform` from an index; NotFound listing what the index offers when none fits. */
export function selectPlatform(manifests: Descriptor[], platform: Platform, what: string): Descriptor {
  const wanted = normalisePlatform(platform);
  const match = manifests.find((descriptor) => {
    if (!descriptor.platform) return false;
    const offered = normalisePlatform(descriptor.platform);
    return offered.os === wanted.os && offered.architecture === wanted.architecture && offered.variant === wanted.variant;
  });
  if (match) return match;
  const available = manifests
    .map((descriptor) => (descriptor.platform ? formatPlatform(descriptor.platform) : undefined))
    .filter((value): value is string => value !== undefined && value !== 'unknown/unknown');
  const listing = available.length > 0 ? [...new Set(available)].join(', ') : 'none';
  throw registryFailure(GrpcCode.NotFound, what, `no manifest for platform ${formatPlatform(platform)} in the image index (available: ${listing})`);
}
