import { posix } from 'node:path';
import { GrpcCode } from '../../errors';
import { digestMismatch, digestOf } from '../registry/digest';
import { registryFailure } from '../registry/errors';
import { MAX_INDEX_MANIFESTS, MAX_MANIFEST_LAYERS } from '../registry/manifest';
import type { Descriptor, ImageManifest } from '../types';
import {
  type ArchiveName,
  checkLayerCount,
  diffIdsOf,
  digestOfBlobPath,
  formatSelector,
  hashStored,
  listing,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  OCI_TYPES,
  parseArchiveManifest,
  parseConfig,
  type PreparedImage,
  readVerified,
  requireFile,
  sameName,
  type Selector,
  splitName,
} from './common';
import { type ArchiveStore, checkName, peekStored, readStored } from './store';

/**
 * `docker save` archives: manifest.json lists each image's config file, tags and layer files. Older Docker writes
 * `<id>.json` and `<id>/layer.tar` (uncompressed layer tars, identical layers as symlinks); Docker 25+ writes
 * `blobs/sha256/<hex>` for both, plus an OCI layout beside manifest.json (read through `oci-archive:` if wanted).
 *
 * A docker-archive carries no registry manifest, so one is synthesised: an OCI image manifest naming the config and
 * the layers as stored. An uncompressed layer's digest is its diff_id (the bytes are the diff); a compressed one
 * (the containerd image store keeps the registry's blobs) is named by its `blobs/<alg>/<hex>` path, or hashed.
 */

interface ManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

function startsWith(bytes: Buffer, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);
}

function invalid(what: string, reason: string) {
  return registryFailure(GrpcCode.FailedPrecondition, what, `malformed manifest.json: ${reason}`);
}

function parseEntries(bytes: Buffer, what: string): ManifestEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(what, 'not JSON');
  }
  if (!Array.isArray(json)) throw invalid(what, 'not a JSON list');
  if (json.length === 0) throw invalid(what, 'it lists no image');
  if (json.length > MAX_INDEX_MANIFESTS) throw invalid(what, `it lists ${json.length} images, more than the ${MAX_INDEX_MANIFESTS} accepted`);
  return json.map((entry: unknown, i: number) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(what, `entry ${i} is not an object`);
    const { Config, RepoTags, Layers } = entry as Record<string, unknown>;
    if (typeof Config !== 'string' || Config === '') throw invalid(what, `entry ${i} has no Config`);
    if (RepoTags !== undefined && RepoTags !== null && !(Array.isArray(RepoTags) && RepoTags.every((tag) => typeof tag === 'string'))) {
      throw invalid(what, `entry ${i} has RepoTags that are not a list of strings`);
    }
    if (!Array.isArray(Layers) || !Layers.every((layer) => typeof layer === 'string' && layer !== '')) {
      throw invalid(what, `entry ${i} has Layers that are not a list of file names`);
    }
    return { Config, RepoTags: (RepoTags as string[] | null | undefined) ?? [], Layers: Layers as string[] };
  });
}

/** The images of a docker-archive: read once from manifest.json, prepared on demand. */
export class DockerArchive {
  private readonly prepared = new Map<number, Promise<PreparedImage>>();

  private constructor(
    private readonly store: ArchiveStore,
    private readonly entries: ManifestEntry[],
    private readonly what: string,
  ) {}

  static async open(store: ArchiveStore, what: string): Promise<DockerArchive> {
    const file = await store.file('manifest.json');
    if (!file) {
      const legacy = (await store.file('repositories')) !== undefined;
      const layout = (await store.file('oci-layout')) !== undefined;
      const reason = legacy
        ? 'no manifest.json: archives written by Docker before 1.10 are not supported'
        : layout
          ? 'no manifest.json: it is an OCI image layout (use oci-archive: or oci-dir:)'
          : 'not a docker-archive (no manifest.json)';
      throw registryFailure(GrpcCode.InvalidArgument, what, reason);
    }
    const entries = parseEntries(await readStored(file, MAX_MANIFEST_BYTES, what), what);
    return new DockerArchive(store, entries, what);
  }

  get tags(): string[] {
    return this.entries.flatMap((entry) => entry.RepoTags);
  }

  /** The image a selector picks (or the only one); NotFound listing the tags when none matches. */
  async select(selector: Selector | undefined): Promise<PreparedImage> {
    if (selector?.kind === 'index') {
      if (selector.index >= this.entries.length) {
        throw registryFailure(
          GrpcCode.NotFound,
          this.what,
          `no image @${selector.index}: the archive holds ${this.entries.length} (@0 to @${this.entries.length - 1})`,
        );
      }
      return this.prepare(selector.index, this.entries[selector.index].RepoTags[0]);
    }
    if (selector) {
      for (const [i, entry] of this.entries.entries()) {
        const tag = entry.RepoTags.find((candidate) => sameName(candidate, selector.name));
        if (tag !== undefined) return this.prepare(i, tag);
      }
      throw registryFailure(GrpcCode.NotFound, this.what, `no image tagged ${formatSelector(selector)} in the archive (tags: ${listing(this.tags)})`);
    }
    if (this.entries.length > 1) {
      throw registryFailure(
        GrpcCode.InvalidArgument,
        this.what,
        `the archive holds ${this.entries.length} images: pick one with :REPO:TAG or :@N (tags: ${listing(this.tags)})`,
      );
    }
    return this.prepare(0, this.entries[0].RepoTags[0]);
  }

  /** The image whose synthesised manifest has this digest, if the archive holds it. */
  async byDigest(digest: string): Promise<PreparedImage | undefined> {
    for (const [i, entry] of this.entries.entries()) {
      const image = await this.prepare(i, entry.RepoTags[0]);
      if (image.manifestDigest === digest) return image;
    }
    return undefined;
  }

  private prepare(i: number, tag: string | undefined): Promise<PreparedImage> {
    let prepared = this.prepared.get(i);
    if (!prepared) {
      prepared = this.build(this.entries[i], `manifest.json entry ${i}`);
      this.prepared.set(i, prepared);
      // A failed preparation is not kept: it is reported to this caller, and tried again by the next.
      prepared.catch(() => this.prepared.delete(i));
    }
    const name: ArchiveName | undefined = tag ? splitName(tag) : undefined;
    return prepared.then((image) => ({ ...image, name }));
  }

  private async build(entry: ManifestEntry, referrer: string): Promise<PreparedImage> {
    const what = this.what;
    if (entry.Layers.length > MAX_MANIFEST_LAYERS) {
      throw registryFailure(
        GrpcCode.FailedPrecondition,
        what,
        `${referrer} lists ${entry.Layers.length} layers, more than the ${MAX_MANIFEST_LAYERS} lamina scans`,
      );
    }
    const configName = checkName(entry.Config, what);
    const configFile = await requireFile(this.store, configName, referrer, what);
    // The config's name is its digest: `blobs/<alg>/<hex>`, or `<hex>.json` (the image id) in older archives.
    const legacyId = /^([0-9a-f]{64})\.json$/.exec(posix.basename(configName));
    const namedDigest = digestOfBlobPath(configName) ?? (legacyId ? `sha256:${legacyId[1]}` : undefined);
    const { bytes: configBytes, digest: configDigest } = await readVerified(configFile, { digest: namedDigest }, MAX_CONFIG_BYTES, what);
    const config = parseConfig(configBytes, what);
    const diffIds = diffIdsOf(config, what) ?? [];
    if (diffIds.length !== entry.Layers.length) {
      throw registryFailure(
        GrpcCode.FailedPrecondition,
        what,
        `${referrer} lists ${entry.Layers.length} layers but the image config lists ${diffIds.length} diff_ids`,
      );
    }

    const blobs = new Map<string, string>([[configDigest, configName]]);
    const layers: Descriptor[] = [];
    for (const [i, raw] of entry.Layers.entries()) {
      const layerName = checkName(raw, what);
      const file = await requireFile(this.store, layerName, referrer, what);
      const magic = await peekStored(file, ZSTD.length);
      const named = digestOfBlobPath(layerName);
      let digest: string;
      let mediaType: string;
      if (startsWith(magic, GZIP) || startsWith(magic, ZSTD)) {
        mediaType = startsWith(magic, GZIP) ? OCI_TYPES.layerGzip : OCI_TYPES.layerZstd;
        digest = named ?? (await hashStored(file));
      } else {
        // The stored bytes are the layer's tar: their digest is the diff_id the config names.
        mediaType = OCI_TYPES.layer;
        digest = diffIds[i];
        if (named !== undefined && named !== digest) {
          throw digestMismatch(what, diffIds[i], `the uncompressed layer ${layerName} is named for ${named}, not for its diff_id`);
        }
      }
      layers.push({ mediaType, digest, size: file.size });
      blobs.set(digest, layerName);
    }

    const synthesised = {
      schemaVersion: 2,
      mediaType: OCI_TYPES.manifest,
      config: { mediaType: OCI_TYPES.config, digest: configDigest, size: configBytes.length },
      layers,
    };
    const manifestBytes = Buffer.from(JSON.stringify(synthesised));
    const parsed = parseArchiveManifest(manifestBytes, OCI_TYPES.manifest, what);
    const manifest = (parsed as { kind: 'image'; manifest: ImageManifest }).manifest;
    checkLayerCount(manifest, config, what);
    return { manifest, manifestDigest: digestOf(manifestBytes), config, configDigest, blobs };
  }
}
