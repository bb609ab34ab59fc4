import { GrpcCode } from '../../errors';
import { registryFailure } from '../registry/errors';
import { formatPlatform, normalisePlatform, selectPlatform } from '../registry/manifest';
import type { Descriptor, ImageManifest, Platform } from '../types';
import {
  type ArchiveName,
  blobPath,
  checkBlob,
  checkLayerCount,
  formatSelector,
  listing,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  parseArchiveManifest,
  parseConfig,
  type PreparedImage,
  readVerified,
  requireFile,
  sameName,
  type Selector,
  splitName,
} from './common';
import { type ArchiveStore, readStored } from './store';

/**
 * An OCI image layout (a directory, or a tar of one): `oci-layout`, `index.json` and content-addressed
 * `blobs/<alg>/<hex>`. index.json's entries are picked by their `org.opencontainers.image.ref.name` annotation (or
 * containerd's `io.containerd.image.name`, which Docker 25+ and nerdctl write), by position, or as the only one; an
 * entry that is an index is resolved to the configured platform's manifest, as a registry's would be.
 */

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';

const MAX_LAYOUT_FILE_BYTES = 64 * 1024;

function entryNames(entry: Descriptor): string[] {
  const names: string[] = [];
  const full = entry.annotations?.[CONTAINERD_NAME];
  const ref = entry.annotations?.[REF_NAME];
  if (full) names.push(full);
  if (ref && !full) names.push(ref);
  return names;
}

/** Entries that all name a platform, each a different one: the manifests of one multi-platform image. */
function isPlatformSet(entries: Descriptor[]): boolean {
  const platforms = entries.map((entry) => (entry.platform ? formatPlatform(normalisePlatform(entry.platform)) : undefined));
  return platforms.every((platform) => platform !== undefined) && new Set(platforms).size === platforms.length;
}

export class OciLayout {
  private constructor(
    private readonly store: ArchiveStore,
    readonly entries: Descriptor[],
    private readonly what: string,
    /** The remote an image whose ref name is a bare tag is named under (the archive's file name). */
    private readonly defaultRemote: string,
  ) {}

  static async open(store: ArchiveStore, what: string, defaultRemote: string): Promise<OciLayout> {
    const layout = await store.file('oci-layout');
    if (!layout) {
      const docker = (await store.file('manifest.json')) !== undefined;
      const reason = docker ? 'no oci-layout file: it is a docker save archive (use docker-archive:)' : 'not an OCI image layout (no oci-layout file)';
      throw registryFailure(GrpcCode.InvalidArgument, what, reason);
    }
    let version: unknown;
    try {
      version = (JSON.parse((await readStored(layout, MAX_LAYOUT_FILE_BYTES, what)).toString('utf8')) as { imageLayoutVersion?: unknown })?.imageLayoutVersion;
    } catch {
      version = undefined;
    }
    if (typeof version !== 'string') throw registryFailure(GrpcCode.FailedPrecondition, what, 'malformed oci-layout file (no imageLayoutVersion)');
    if (!/^1\./.test(version)) throw registryFailure(GrpcCode.FailedPrecondition, what, `unsupported OCI image layout version ${JSON.stringify(version)}`);

    const indexFile = await requireFile(store, 'index.json', 'the OCI layout', what);
    const parsed = parseArchiveManifest(await readStored(indexFile, MAX_MANIFEST_BYTES, `${what}: index.json`), null, `${what}: index.json`);
    if (parsed.kind !== 'index') throw registryFailure(GrpcCode.FailedPrecondition, what, 'index.json is an image manifest, not an image index');
    if (parsed.manifests.length === 0) throw registryFailure(GrpcCode.FailedPrecondition, what, 'index.json lists no image');
    return new OciLayout(store, parsed.manifests, what, defaultRemote);
  }

  get tags(): string[] {
    return this.entries.flatMap(entryNames);
  }

  /** The image a selector picks (or the only one, or the platform's): NotFound listing the names when none matches. */
  async select(selector: Selector | undefined, platform: Platform): Promise<PreparedImage> {
    let candidates: Descriptor[];
    if (selector?.kind === 'index') {
      const entry = this.entries[selector.index];
      if (!entry) {
        throw registryFailure(
          GrpcCode.NotFound,
          this.what,
          `no image @${selector.index}: index.json lists ${this.entries.length} (@0 to @${this.entries.length - 1})`,
        );
      }
      candidates = [entry];
    } else if (selector) {
      candidates = this.entries.filter((entry) => this.matches(entry, selector.name));
      if (candidates.length === 0) {
        throw registryFailure(GrpcCode.NotFound, this.what, `no image named ${formatSelector(selector)} in the archive (names: ${listing(this.tags)})`);
      }
    } else {
      candidates = this.entries;
    }
    const unique = [...new Map(candidates.map((entry) => [entry.digest, entry])).values()];
    let chosen: Descriptor;
    if (unique.length === 1) chosen = unique[0];
    else if (isPlatformSet(unique)) chosen = selectPlatform(unique, platform, this.what);
    else {
      const which = selector ? `${formatSelector(selector)} names` : 'index.json lists';
      throw registryFailure(
        GrpcCode.InvalidArgument,
        this.what,
        `${which} ${unique.length} different images: pick one with :NAME or :@N (names: ${listing(this.tags)})`,
      );
    }
    return this.prepare(chosen, platform, this.nameOf(chosen));
  }

  /** The image with this manifest (or index, resolved to the platform) digest, if the layout holds its blob. */
  async byDigest(digest: string, platform: Platform): Promise<PreparedImage | undefined> {
    if (!(await this.store.file(blobPath(digest)))) return undefined;
    const entry = this.entries.find((candidate) => candidate.digest === digest);
    return this.prepare(entry ?? { mediaType: '', digest, size: -1 }, platform, entry ? this.nameOf(entry) : undefined);
  }

  private matches(entry: Descriptor, name: string): boolean {
    const full = entry.annotations?.[CONTAINERD_NAME];
    const ref = entry.annotations?.[REF_NAME];
    if (ref === name || full === name) return true;
    if (full && sameName(full, name)) return true;
    return ref !== undefined && /[:/]/.test(ref) && sameName(ref, name);
  }

  private nameOf(entry: Descriptor): ArchiveName | undefined {
    const full = entry.annotations?.[CONTAINERD_NAME];
    if (full) return splitName(full);
    const ref = entry.annotations?.[REF_NAME];
    if (!ref) return undefined;
    return /[:/]/.test(ref) ? splitName(ref) : { remote: this.defaultRemote, tag: ref };
  }

  private async manifestAt(descriptor: Descriptor, referrer: string) {
    const file = await requireFile(this.store, blobPath(descriptor.digest), referrer, this.what);
    const { bytes } = await readVerified(file, { digest: descriptor.digest, size: descriptor.size }, MAX_MANIFEST_BYTES, this.what);
    return parseArchiveManifest(bytes, descriptor.mediaType || null, this.what);
  }

  private async prepare(entry: Descriptor, platform: Platform, name: ArchiveName | undefined): Promise<PreparedImage> {
    const what = this.what;
    const first = await this.manifestAt(entry, 'index.json');
    let manifest: ImageManifest;
    let manifestDigest: string;
    if (first.kind === 'index') {
      const chosen = selectPlatform(first.manifests, platform, what);
      const child = await this.manifestAt(chosen, `the image index ${entry.digest}`);
      if (child.kind !== 'image') {
        throw registryFailure(GrpcCode.FailedPrecondition, what, `unsupported manifest: the index entry ${chosen.digest} is itself an index`);
      }
      manifest = child.manifest;
      manifestDigest = chosen.digest;
    } else {
      manifest = first.manifest;
      manifestDigest = entry.digest;
    }

    const referrer = `the manifest ${manifestDigest}`;
    const configFile = await requireFile(this.store, blobPath(manifest.config.digest), referrer, what);
    const configWhat = `${what}: image config ${manifest.config.digest}`;
    const { bytes } = await readVerified(configFile, { digest: manifest.config.digest, size: manifest.config.size }, MAX_CONFIG_BYTES, configWhat);
    const config = parseConfig(bytes, configWhat);
    checkLayerCount(manifest, config, what);
    const blobs = new Map<string, string>([[manifest.config.digest, blobPath(manifest.config.digest)]]);
    for (const layer of manifest.layers) {
      await checkBlob(this.store, layer, referrer, what);
      blobs.set(layer.digest, blobPath(layer.digest));
    }
    return { manifest, manifestDigest, config, configDigest: manifest.config.digest, blobs, name };
  }
}
