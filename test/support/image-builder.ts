import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { dirname, join } from 'node:path';
import { PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { harnessTempDir, type TestRegistry } from './registry';

export type TarEntrySpec = {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
};

export interface LayerSpec {
  entries?: TarEntrySpec[];
  /** An existing uncompressed tar on disk (big layers). */
  tarFile?: string;
  /** Default gzip. */
  compression?: 'gzip' | 'zstd' | 'none';
  mediaType?: string;
  /** The manifest's descriptor for this layer declares a size one byte larger than the blob (the registry stores the real blob). */
  corruptDigest?: boolean;
}

export interface HistorySpec {
  created_by?: string;
  created?: string;
  author?: string;
  empty_layer?: boolean;
  comment?: string;
}

export interface BuiltLayer {
  digest: string;
  diffId: string;
  /** Size of the compressed blob (the manifest may declare another one when corruptDigest is set). */
  size: number;
  mediaType: string;
  /** Compressed blob on disk. */
  file: string;
}

export type ImageFormat = 'oci' | 'docker';

export interface BuildPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface BuiltImage {
  format: ImageFormat;
  manifestBytes: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  configBytes: Buffer;
  configDigest: string;
  layers: BuiltLayer[];
  platform: BuildPlatform;
}

export interface ImageSpec {
  layers: LayerSpec[];
  /** Default: one entry per layer. */
  history?: HistorySpec[];
  /** Merged over the generated image config (top level: `config`, `created`, `author`…; `rootfs` too, to break it on purpose). */
  config?: Record<string, unknown>;
  format?: ImageFormat;
  platform?: BuildPlatform;
}

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

/** Fixed timestamps keep identical specs byte-identical, so their digests repeat. */
const EPOCH = new Date('2024-01-01T00:00:00Z');
const CREATED = EPOCH.toISOString();

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A pass-through stream that hashes and counts what flows through it. */
class Digester extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    callback();
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

function layerMediaType(format: ImageFormat, compression: 'gzip' | 'zstd' | 'none'): string {
  if (compression === 'zstd') return MEDIA_TYPES.ociLayerZstd; // Docker schema 2 has no zstd type.
  if (format === 'docker') return compression === 'gzip' ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.dockerLayer;
  return compression === 'gzip' ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer;
}

/** Writes the entries, in order, as a tar stream. */
function tarStream(entries: TarEntrySpec[]): Readable {
  const tar = pack();
  void (async () => {
    try {
      for (const entry of entries) {
        const type = entry.type ?? 'file';
        const header = { name: entry.path, mtime: EPOCH, uid: 0, gid: 0 };
        if (type === 'dir') {
          tar.entry({ ...header, type: 'directory', mode: entry.mode ?? 0o755 });
        } else if (type === 'symlink' || type === 'link') {
          tar.entry({ ...header, type, linkname: entry.linkname ?? '', mode: entry.mode ?? 0o777 });
        } else {
          const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : (entry.content ?? Buffer.alloc(0));
          await new Promise<void>((resolve, reject) => {
            tar.entry({ ...header, type: 'file', mode: entry.mode ?? 0o644, size: content.length }, content, (err) => (err ? reject(err) : resolve()));
          });
        }
      }
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  // tar-stream packs are streamx streams; node's pipeline gets a native Readable.
  return Readable.from(tar);
}

/** Runs the zstd CLI (Node 20 has no zstd in node:zlib) between two streams. */
async function zstdCompress(input: Readable, output: Writable): Promise<void> {
  const child = spawn('zstd', ['-q', '-c', '-3'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd exited with ${code}: ${stderr}`))));
  });
  await Promise.all([pipeline(input, child.stdin), pipeline(child.stdout, output), exited]);
}

async function buildLayer(dir: string, index: number, layer: LayerSpec, format: ImageFormat): Promise<BuiltLayer> {
  const compression = layer.compression ?? 'gzip';
  const source = layer.tarFile ? createReadStream(layer.tarFile) : tarStream(layer.entries ?? []);
  const uncompressed = new Digester();
  const compressed = new Digester();
  const file = join(dir, `layer-${index}.blob`);
  if (compression === 'zstd') {
    await Promise.all([
      zstdCompress(uncompressed, compressed),
      pipeline(source, uncompressed).catch((err: unknown) => {
        compressed.destroy(err as Error);
        throw err;
      }),
      pipeline(compressed, createWriteStream(file)),
    ]);
  } else {
    await pipeline(source, uncompressed, compression === 'gzip' ? createGzip() : new PassThrough(), compressed, createWriteStream(file));
  }
  return {
    digest: compressed.digest(),
    diffId: uncompressed.digest(),
    size: compressed.size,
    mediaType: layer.mediaType ?? layerMediaType(format, compression),
    file,
  };
}

/** Builds layers (as temp files), the image config and the manifest; nothing is pushed yet. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const format = spec.format ?? 'oci';
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const dir = await harnessTempDir('image');
  const layers: BuiltLayer[] = [];
  for (const [i, layer] of spec.layers.entries()) layers.push(await buildLayer(dir, i, layer, format));

  const history = spec.history ?? layers.map((_, i) => ({ created: CREATED, created_by: `/bin/sh -c #(nop) ADD file:layer${i} in / ` }));
  const imageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: CREATED,
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history,
    ...spec.config,
  };
  const configBytes = Buffer.from(JSON.stringify(imageConfig));
  const configDigest = sha256(configBytes);
  const manifestMediaType = format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: format === 'oci' ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: spec.layers[i].corruptDigest ? l.size + 1 : l.size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
  return { format, manifestBytes, manifestDigest: sha256(manifestBytes), manifestMediaType, configBytes, configDigest, layers, platform };
}

/** Removes a built image's layer files now (they go anyway when the test file or the process ends). */
export async function discardImage(image: BuiltImage): Promise<void> {
  for (const dir of new Set(image.layers.map((l) => dirname(l.file)))) await rm(dir, { recursive: true, force: true });
}

// ---- Distribution API client, just enough to push (with the Basic / Bearer challenge dance) ----

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Body = Buffer | { file: string; size: number };

function send(url: URL, method: string, headers: Record<string, string>, body?: Body): Promise<RegistryResponse> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? 0 : Buffer.isBuffer(body) ? body.length : body.size;
    const req = request(url, { method, headers: { ...headers, 'content-length': String(length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else createReadStream(body.file).on('error', reject).pipe(req);
  });
}

interface CachedAuth {
  header: string;
  expiresAt: number;
}
const authCache = new WeakMap<TestRegistry, Map<string, CachedAuth>>();

function basicHeader(registry: TestRegistry): string {
  return `Basic ${Buffer.from(`${registry.username ?? ''}:${registry.password ?? ''}`).toString('base64')}`;
}

function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) params[match[1]] = match[2];
  return params;
}

/**
 * The Authorization header for `actions` on `repository` with the registry's own credentials (undefined without auth).
 * Token mode follows the challenge of GET /v2/ to the realm, like a Docker client.
 */
export async function authorizationFor(registry: TestRegistry, repository: string, actions = 'pull,push'): Promise<string | undefined> {
  if (registry.auth === 'none') return undefined;
  if (registry.auth === 'basic') return basicHeader(registry);
  const cache = authCache.get(registry) ?? new Map<string, CachedAuth>();
  authCache.set(registry, cache);
  const key = `${repository}|${actions}`;
  const cached = cache.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.header;

  const challenge = await send(new URL('/v2/', registry.url), 'GET', {});
  const params = challengeParams(String(challenge.headers['www-authenticate'] ?? ''));
  if (!params.realm) throw new Error(`registry ${registry.host} sent no Bearer challenge (status ${challenge.status})`);
  const tokenUrl = new URL(params.realm);
  if (params.service) tokenUrl.searchParams.set('service', params.service);
  tokenUrl.searchParams.set('scope', `repository:${repository}:${actions}`);
  const answer = await send(tokenUrl, 'GET', registry.username ? { authorization: basicHeader(registry) } : {});
  if (answer.status !== 200) throw new Error(`token server answered ${answer.status}: ${answer.body.toString()}`);
  const { token, expires_in: expiresIn } = JSON.parse(answer.body.toString()) as { token: string; expires_in?: number };
  const header = `Bearer ${token}`;
  cache.set(key, { header, expiresAt: Date.now() + ((expiresIn ?? 60) - 30) * 1000 });
  return header;
}

/** One request to the registry under `repository`, authorised with the registry's credentials. */
export async function registryRequest(
  registry: TestRegistry,
  repository: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Body } = {},
): Promise<RegistryResponse> {
  const authorization = await authorizationFor(registry, repository);
  const headers = { ...options.headers, ...(authorization ? { authorization } : {}) };
  return send(new URL(path, registry.url), method, headers, options.body);
}

function expectStatus(res: RegistryResponse, expected: number[], what: string): void {
  if (!expected.includes(res.status)) throw new Error(`${what}: registry answered ${res.status}: ${res.body.toString().slice(0, 500)}`);
}

/** Uploads a blob (monolithic: POST an upload session, then PUT ?digest=) unless the repository already has it. */
export async function pushBlob(registry: TestRegistry, repository: string, file: string | Buffer): Promise<string> {
  let digest: string;
  let body: Body;
  if (Buffer.isBuffer(file)) {
    digest = sha256(file);
    body = file;
  } else {
    const hasher = new Digester();
    await pipeline(createReadStream(file), hasher, new PassThrough().resume());
    digest = hasher.digest();
    body = { file, size: (await stat(file)).size };
  }
  const head = await registryRequest(registry, repository, 'HEAD', `/v2/${repository}/blobs/${digest}`);
  if (head.status === 200) return digest;

  const session = await registryRequest(registry, repository, 'POST', `/v2/${repository}/blobs/uploads/`);
  expectStatus(session, [202], `starting an upload of ${digest} to ${repository}`);
  const location = new URL(String(session.headers.location), registry.url);
  location.searchParams.set('digest', digest);
  const put = await registryRequest(registry, repository, 'PUT', location.pathname + location.search, {
    headers: { 'content-type': 'application/octet-stream' },
    body,
  });
  expectStatus(put, [201], `uploading ${digest} to ${repository}`);
  return digest;
}

/** PUTs manifest bytes as they are; returns the digest the registry reports. */
export async function pushRawManifest(registry: TestRegistry, repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
  const res = await registryRequest(registry, repository, 'PUT', `/v2/${repository}/manifests/${reference}`, {
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  expectStatus(res, [201], `pushing manifest ${repository}:${reference}`);
  return String(res.headers['docker-content-digest'] ?? sha256(bytes));
}

/** Pushes layers, config and manifest; `reference` is a tag or the manifest digest. */
export async function pushImage(registry: TestRegistry, repository: string, reference: string, image: BuiltImage): Promise<void> {
  for (const layer of image.layers) await pushBlob(registry, repository, layer.file);
  await pushBlob(registry, repository, image.configBytes);
  await pushRawManifest(registry, repository, reference, image.manifestMediaType, image.manifestBytes);
}

/** Pushes every image by digest, then an OCI index or Docker manifest list naming them, under `tag`. */
export async function pushIndex(
  registry: TestRegistry,
  repository: string,
  tag: string,
  images: BuiltImage[],
  format?: ImageFormat,
): Promise<{ digest: string; bytes: Buffer }> {
  const indexFormat = format ?? images[0]?.format ?? 'oci';
  for (const image of images) await pushImage(registry, repository, image.manifestDigest, image);
  const mediaType = indexFormat === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerManifestList;
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: images.map((image) => ({
      mediaType: image.manifestMediaType,
      digest: image.manifestDigest,
      size: image.manifestBytes.length,
      platform: image.platform,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(index, null, 2));
  const digest = await pushRawManifest(registry, repository, tag, mediaType, bytes);
  return { digest, bytes };
}

/** Reads a built layer's blob back (small layers; tests comparing bytes). */
export function readLayerBlob(layer: BuiltLayer): Promise<Buffer> {
  return readFile(layer.file);
}
