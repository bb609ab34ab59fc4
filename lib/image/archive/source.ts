import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve as resolvePath } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { GrpcCode } from '../../errors';
import { digestProblem } from '../reference';
import { digestMismatch, VerifyingStream } from '../registry/digest';
import { registryFailure } from '../registry/errors';
import type { Descriptor, ImageReference, ImageSource, Platform, ResolvedImage } from '../types';
import { blobPath, DEFAULT_PLATFORM, parseSelector, type PreparedImage, type Selector } from './common';
import { DockerArchive } from './docker-archive';
import { OciLayout } from './oci-layout';
import { type ArchiveStore, DirectoryStore, fileError, type StoreOptions, TarStore } from './store';
import { indexTarSync, type TarIndex, TarFormatError } from './tar-index';

export type ArchiveTransport = 'docker-archive' | 'oci-archive' | 'oci-dir';

/** A parsed `TRANSPORT:PATH[:SELECTOR]`. */
export interface ArchiveSpec {
  transport: ArchiveTransport;
  path: string;
  /** The text after the path: `REPO:TAG`, `TAG` (a ref name), `@N`; undefined when none was given. */
  selector?: string;
}

export interface ArchiveSourceOptions {
  /** Platform picked from an OCI image index; linux/amd64 by default (as for registries). */
  platform?: Platform;
  /** Bounds of the tar walk (members, name length, pax header size). */
  limits?: StoreOptions['tar'];
}

const TRANSPORTS: Record<string, ArchiveTransport> = {
  'docker-archive': 'docker-archive',
  'oci-archive': 'oci-archive',
  'oci-dir': 'oci-dir',
  // containers/image (skopeo, podman) calls the directory layout `oci:`.
  oci: 'oci-dir',
};

/** Whether a name has a transport prefix this module reads (`docker-archive:`, `oci-archive:`, `oci-dir:`, `oci:`). */
export function isArchiveSpec(spec: string): boolean {
  const colon = spec.indexOf(':');
  return colon > 0 && TRANSPORTS[spec.slice(0, colon)] !== undefined;
}

/**
 * Splits `TRANSPORT:PATH[:SELECTOR]`. PATH may itself contain colons: it is the longest prefix of the text, cut at a
 * colon (or the whole text), that exists on disk; when none does, the text up to the first colon is the path (and
 * NotFound follows). InvalidArgument for an unknown transport.
 */
export function parseArchiveSpec(spec: string): ArchiveSpec {
  const colon = spec.indexOf(':');
  const transport = colon > 0 ? TRANSPORTS[spec.slice(0, colon)] : undefined;
  if (!transport) {
    throw registryFailure(
      GrpcCode.InvalidArgument,
      `image archive ${spec}`,
      'want docker-archive:PATH[:REPO:TAG], oci-archive:PATH[:NAME] or oci-dir:PATH[:NAME]',
    );
  }
  const rest = spec.slice(colon + 1);
  if (rest === '') throw registryFailure(GrpcCode.InvalidArgument, `image archive ${spec}`, 'the archive path is empty');
  const cuts = [rest.length];
  for (let i = rest.length - 1; i > 0; i--) if (rest[i] === ':') cuts.push(i);
  const found = cuts.find((cut) => existsSync(rest.slice(0, cut)));
  const cut = found ?? (rest.indexOf(':') > 0 ? rest.indexOf(':') : rest.length);
  const selector = rest.slice(cut + 1);
  return { transport, path: rest.slice(0, cut), ...(cut < rest.length && selector !== '' ? { selector } : {}) };
}

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2 = [0x42, 0x5a, 0x68];

function compressionOf(head: Buffer): string | undefined {
  const has = (magic: number[]) => head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
  if (has(GZIP)) return 'gzip';
  if (has(ZSTD)) return 'zstd';
  if (has(XZ)) return 'xz';
  if (has(BZIP2)) return 'bzip2';
  return undefined;
}

function readHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The member names that tell the formats apart, for detection (a corrupt tar is still told by what came before). */
function kindOfNames(has: (name: string) => boolean, tar: boolean): ArchiveTransport | undefined {
  // A Docker 25+ save holds both: manifest.json is read, as Docker itself reads it on load (and some 25.0 releases
  // wrote OCI manifests without their layers).
  if (has('manifest.json')) return 'docker-archive';
  if (has('oci-layout')) return tar ? 'oci-archive' : 'oci-dir';
  return undefined;
}

/**
 * What kind of image archive a path is, for `--input PATH`: a directory with manifest.json (an unpacked docker save)
 * or with an oci-layout file, a tar holding either. Undefined for anything else: a missing path, a compressed tar
 * (which cannot be read by offset: decompress it first), another file. Reads the tar's headers only.
 */
export function detectArchive(path: string): ArchiveTransport | undefined {
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path);
  } catch {
    return undefined;
  }
  if (info.isDirectory()) return kindOfNames((name) => existsSync(`${path}/${name}`), false);
  if (!info.isFile()) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let index: TarIndex;
    try {
      index = indexTarSync(fd, fstatSync(fd).size);
    } catch (err) {
      if (!(err instanceof TarFormatError) || err.partial === undefined) return undefined;
      index = err.partial;
    }
    return kindOfNames((name) => index.members.has(name), true);
  } finally {
    closeSync(fd);
  }
}

async function openStore(spec: ArchiveSpec, what: string, options: ArchiveSourceOptions): Promise<ArchiveStore> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(spec.path)).isDirectory();
  } catch (err) {
    throw fileError(err, what);
  }
  if (spec.transport === 'oci-dir') {
    if (!isDirectory) throw registryFailure(GrpcCode.InvalidArgument, what, 'is a file, not a directory (for a tar of an OCI layout use oci-archive:)');
    return DirectoryStore.open(spec.path);
  }
  if (isDirectory) {
    if (spec.transport === 'docker-archive') return DirectoryStore.open(spec.path);
    throw registryFailure(GrpcCode.InvalidArgument, what, 'is a directory, not a tar file (for an OCI layout directory use oci-dir:)');
  }
  const compression = compressionOf(readHead(spec.path, 6));
  if (compression) {
    throw registryFailure(
      GrpcCode.InvalidArgument,
      what,
      `the archive is ${compression}-compressed: lamina reads image archives by offset, so decompress it first (e.g. ${compression === 'gzip' ? 'gunzip' : compression === 'zstd' ? 'unzstd' : compression === 'xz' ? 'unxz' : 'bunzip2'})`,
    );
  }
  return TarStore.open(spec.path, { tar: options.limits });
}

/**
 * The ImageReference an archive's image is scanned under. `registry` is "" (nothing is fetched from a registry);
 * `remote:tag` is the name the archive gives the image (a docker RepoTag as written, e.g. `nginx:1.25`; an OCI
 * `io.containerd.image.name`; an OCI ref name that is a bare tag goes under the archive's file name, e.g.
 * `layout:latest`), else the archive's file name with tag "". `digest` is the image's manifest digest, and
 * `fullName` is `remote:tag`, or `remote@digest` without a tag.
 */
export function archiveReference(image: PreparedImage, path: string): ImageReference {
  const remote = image.name?.remote || basename(resolvePath(path));
  const tag = image.name?.tag ?? '';
  const digest = image.manifestDigest;
  return { registry: '', remote, tag, digest, fullName: tag ? `${remote}:${tag}` : `${remote}@${digest}` };
}

type Format = { kind: 'docker'; archive: DockerArchive } | { kind: 'oci'; layout: OciLayout };

/**
 * An ImageSource over one local image archive. `resolve` answers with the image the reference's digest names (any
 * image of the archive), else the one the spec selected; `openBlob` streams a blob's byte range of the archive through
 * a VerifyingStream (DataLoss at its end when the bytes differ), never reading the archive whole.
 */
export class ArchiveImageSource implements ImageSource {
  private readonly images = new Map<string, PreparedImage>();
  private readonly blobs = new Map<string, string>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly format: Format,
    private readonly selector: Selector | undefined,
    private readonly platform: Platform,
    /** `docker-archive:img.tar`, for messages. */
    readonly what: string,
  ) {}

  /** Remembers a prepared image: resolvable by digest, its blobs openable. */
  remember(image: PreparedImage): PreparedImage {
    this.images.set(image.manifestDigest, image);
    for (const [digest, name] of image.blobs) this.blobs.set(digest, name);
    return image;
  }

  /** The image the spec's selector picks for a platform. */
  async selected(platform: Platform = this.platform): Promise<PreparedImage> {
    const image = this.format.kind === 'docker' ? await this.format.archive.select(this.selector) : await this.format.layout.select(this.selector, platform);
    return this.remember(image);
  }

  async resolve(reference: ImageReference, options: { platform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    options.signal?.throwIfAborted();
    const platform = options.platform ?? this.platform;
    let image: PreparedImage | undefined;
    if (reference.digest) {
      image = this.images.get(reference.digest);
      if (!image) {
        const problem = digestProblem(reference.digest);
        if (problem) throw registryFailure(GrpcCode.InvalidArgument, this.what, `${problem}: ${reference.digest}`);
        image =
          this.format.kind === 'docker' ? await this.format.archive.byDigest(reference.digest) : await this.format.layout.byDigest(reference.digest, platform);
        if (!image) throw registryFailure(GrpcCode.NotFound, this.what, `no image with manifest digest ${reference.digest} in the archive`);
        this.remember(image);
      }
    } else {
      image = await this.selected(platform);
    }
    return {
      reference,
      manifestDigest: reference.digest ?? image.manifestDigest,
      manifest: image.manifest,
      config: image.config,
      configDigest: image.configDigest,
    };
  }

  async openBlob(_reference: ImageReference, descriptor: Descriptor, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const what = `failed to read blob ${descriptor.digest} from ${this.what}`;
    const problem = digestProblem(descriptor.digest);
    if (problem) throw registryFailure(GrpcCode.FailedPrecondition, what, `the descriptor's digest is invalid: ${problem}`);
    options.signal?.throwIfAborted();
    const name = this.blobs.get(descriptor.digest) ?? (this.format.kind === 'oci' ? blobPath(descriptor.digest) : undefined);
    const file = name === undefined ? undefined : await this.store.file(name);
    if (!file) throw registryFailure(GrpcCode.NotFound, what, 'the blob is not in the archive');
    if (descriptor.size >= 0 && file.size !== descriptor.size) {
      throw digestMismatch(what, descriptor.digest, `the archive holds ${file.size} bytes instead of ${descriptor.size}`);
    }
    const stream = await file.open();
    const verifier = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size }, what);
    pipeline(stream, verifier, () => undefined);
    const signal = options.signal;
    if (signal) {
      const onAbort = () => verifier.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      signal.addEventListener('abort', onAbort, { once: true });
      verifier.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return verifier;
  }
}

/**
 * Opens `docker-archive:PATH[:REPO:TAG|:@N]`, `oci-archive:PATH[:NAME|:@N]` or `oci-dir:PATH[:NAME|:@N]`: indexes
 * the archive (headers only), reads its metadata, selects the image and checks that its config and layers are there.
 * Returns the source and the reference to scan it under (see archiveReference).
 *
 * Errors (CodedError): NotFound for a missing path, tag or index (the message lists the names the archive has);
 * InvalidArgument for a path that is not an archive of the format, a compressed tar, or several images and no
 * selector; FailedPrecondition for malformed metadata (manifest.json, index.json, configs), missing members, links out
 * of the archive, bounds; DataLoss for truncated or corrupt tars and digest or size mismatches.
 */
export async function openArchiveSource(spec: string, options: ArchiveSourceOptions = {}): Promise<{ source: ArchiveImageSource; reference: ImageReference }> {
  const parsed = parseArchiveSpec(spec);
  const what = `${parsed.transport} ${parsed.path}`;
  const store = await openStore(parsed, what, options);
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const format: Format =
    parsed.transport === 'docker-archive'
      ? { kind: 'docker', archive: await DockerArchive.open(store, what) }
      : { kind: 'oci', layout: await OciLayout.open(store, what, basename(resolvePath(parsed.path))) };
  const source = new ArchiveImageSource(store, format, parseSelector(parsed.selector), platform, what);
  const image = await source.selected();
  return { source, reference: archiveReference(image, parsed.path) };
}
