import { createHash } from 'node:crypto';
import { CodedError, GrpcCode } from '../../errors';
import { digestProblem, parseImageName } from '../reference';
import { digestMismatch, digestOf } from '../registry/digest';
import { registryFailure } from '../registry/errors';
import { MAX_MANIFEST_LAYERS, parseManifest, type ParsedManifest } from '../registry/manifest';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from '../types';
import { type ArchiveStore, readStored, type StoredFile } from './store';

export const MIB = 1024 * 1024;
/** Largest manifest (or index.json, or manifest.json) read, as the registry client bounds them. */
export const MAX_MANIFEST_BYTES = 4 * MIB;
/** Largest image config read. */
export const MAX_CONFIG_BYTES = 16 * MIB;

export const OCI_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** A name an image carries in its archive, split as `remote` and `tag` (tag "" when the name has none). */
export interface ArchiveName {
  remote: string;
  tag: string;
}

/** One image of an archive, ready to be scanned: what `resolve` returns, and where its blobs are. */
export interface PreparedImage {
  manifest: ImageManifest;
  manifestDigest: string;
  config: ImageConfig;
  configDigest: string;
  /** Archive file names of the image's blobs (config and layers), by digest. */
  blobs: Map<string, string>;
  /** The name the archive gives the image, if any. */
  name?: ArchiveName;
}

/** Selection of one image inside an archive: a name (tag, repo:tag, ref name) or `@N`, the N-th entry (0-based). */
export type Selector = { kind: 'name'; name: string } | { kind: 'index'; index: number };

export function parseSelector(text: string | undefined): Selector | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^@\d+$/.test(text)) return { kind: 'index', index: Number(text.slice(1)) };
  return { kind: 'name', name: text };
}

export function formatSelector(selector: Selector): string {
  return selector.kind === 'index' ? `@${selector.index}` : selector.name;
}

/** `repo:tag` split at the tag's colon (a colon before the last `/` is a port); tag "" when there is none. */
export function splitName(name: string): ArchiveName {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { remote: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { remote: name, tag: '' };
}

/** A name normalised as docker would (`nginx` = `docker.io/library/nginx:latest`), or undefined when it is not one. */
export function normalisedName(name: string): string | undefined {
  try {
    return parseImageName(name).fullName;
  } catch {
    return undefined;
  }
}

/** Whether two image names are the same once normalised (or identical as written). */
export function sameName(a: string, b: string): boolean {
  if (a === b) return true;
  const left = normalisedName(a);
  return left !== undefined && left === normalisedName(b);
}

/** `a, b, c` (at most 20 shown), or "none". */
export function listing(names: string[]): string {
  const unique = [...new Set(names)];
  if (unique.length === 0) return 'none';
  return unique.length > 20 ? `${unique.slice(0, 20).join(', ')}, … (${unique.length} in all)` : unique.join(', ');
}

/** parseManifest with wording for an archive (it speaks of a registry's answers). */
export function parseArchiveManifest(body: Buffer, mediaType: string | null, what: string): ParsedManifest {
  try {
    return parseManifest(body, mediaType, what);
  } catch (err) {
    if (err instanceof CodedError) {
      throw new CodedError(err.code, err.message.replace(/the registry answered with (an? )?/g, 'the archive holds $1'), { cause: err });
    }
    throw err;
  }
}

/** The archive file of a content-addressed blob in an OCI layout: `blobs/<algorithm>/<hex>`. */
export function blobPath(digest: string): string {
  const colon = digest.indexOf(':');
  return `blobs/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
}

/** The digest a `blobs/<algorithm>/<hex>` name stands for, or undefined for another kind of name. */
export function digestOfBlobPath(name: string): string | undefined {
  const match = /^blobs\/([a-z0-9]+)\/([0-9a-f]+)$/.exec(name);
  if (!match) return undefined;
  const digest = `${match[1]}:${match[2]}`;
  return digestProblem(digest) === undefined ? digest : undefined;
}

/** Reads a file whole and checks it against `expected` (DataLoss when it differs); returns bytes and digest. */
export async function readVerified(
  file: StoredFile,
  expected: { digest?: string; size?: number },
  limit: number,
  what: string,
): Promise<{ bytes: Buffer; digest: string }> {
  if (expected.digest && expected.size !== undefined && expected.size >= 0 && file.size !== expected.size) {
    throw digestMismatch(what, expected.digest, `the archive holds ${file.size} bytes instead of ${expected.size}`);
  }
  const bytes = await readStored(file, limit, what);
  const algorithm = expected.digest ? expected.digest.slice(0, expected.digest.indexOf(':')) : 'sha256';
  const digest = digestOf(bytes, algorithm);
  if (expected.digest && digest !== expected.digest) throw digestMismatch(what, expected.digest, `got ${digest}`);
  return { bytes, digest };
}

/** The sha256 digest of a stored file's bytes, streamed (a compressed layer of a docker-archive names none). */
export async function hashStored(file: StoredFile): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await file.open()) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Parses an image config: a JSON object (FailedPrecondition otherwise). */
export function parseConfig(bytes: Buffer, what: string): ImageConfig {
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw registryFailure(GrpcCode.FailedPrecondition, what, 'the image config is not JSON');
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw registryFailure(GrpcCode.FailedPrecondition, what, 'the image config is not a JSON object');
  }
  return config as ImageConfig;
}

/** The config's diff_ids when it lists them (validated), else undefined. */
export function diffIdsOf(config: ImageConfig, what: string): string[] | undefined {
  const ids = (config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (ids === undefined || ids === null) return undefined;
  if (!Array.isArray(ids)) throw registryFailure(GrpcCode.FailedPrecondition, what, 'the image config has a rootfs.diff_ids that is not a list');
  for (const id of ids) {
    if (typeof id !== 'string' || digestProblem(id) !== undefined) {
      throw registryFailure(GrpcCode.FailedPrecondition, what, `the image config lists an invalid diff_id ${JSON.stringify(id)}`);
    }
  }
  return ids as string[];
}

/** Checks that the manifest has as many layers as the config has diff_ids (a manifest that lost its layers). */
export function checkLayerCount(manifest: ImageManifest, config: ImageConfig, what: string): void {
  const ids = diffIdsOf(config, what);
  if (ids !== undefined && ids.length !== manifest.layers.length) {
    throw registryFailure(
      GrpcCode.FailedPrecondition,
      what,
      `the manifest lists ${manifest.layers.length} layers but the image config lists ${ids.length} diff_ids`,
    );
  }
  if (manifest.layers.length > MAX_MANIFEST_LAYERS) {
    throw registryFailure(
      GrpcCode.FailedPrecondition,
      what,
      `the image has ${manifest.layers.length} layers, more than the ${MAX_MANIFEST_LAYERS} lamina scans`,
    );
  }
}

/** A stored file by name, or FailedPrecondition naming what referred to it (with a hint when the tar looks cut short). */
export async function requireFile(store: ArchiveStore, name: string, referrer: string, what: string): Promise<StoredFile> {
  const file = await store.file(name);
  if (file) return file;
  const hint = store.complete ? '' : ' (the tar has no end-of-archive marker: it may be truncated)';
  throw registryFailure(GrpcCode.FailedPrecondition, what, `${referrer} names ${JSON.stringify(name)}, which is not in the archive${hint}`);
}

/** Checks a layer descriptor against its stored file: present, with the size the manifest declares. */
export async function checkBlob(store: ArchiveStore, descriptor: Descriptor, referrer: string, what: string): Promise<void> {
  const file = await requireFile(store, blobPath(descriptor.digest), referrer, what);
  if (descriptor.size >= 0 && file.size !== descriptor.size) {
    throw digestMismatch(what, descriptor.digest, `the archive holds ${file.size} bytes instead of the ${descriptor.size} the manifest declares`);
  }
}
