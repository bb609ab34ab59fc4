import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import type { BuildPlatform, BuiltImage } from '../../support/image-builder';

/** One member of a tar written by writeTar: bytes, or a file on disk streamed in (big layers). */
export interface TarMemberSpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  /** Streams this file as the member's content. */
  file?: string;
  linkname?: string;
}

const EPOCH = new Date('2024-01-01T00:00:00Z');

/** Writes a tar with tar-stream's pack (pax headers for long names), streaming file members from disk. */
export async function writeTar(path: string, members: TarMemberSpec[]): Promise<void> {
  const archive = pack();
  const written = pipeline(Readable.from(archive), createWriteStream(path));
  for (const member of members) {
    const type = member.type ?? 'file';
    const header = { name: member.name, mtime: EPOCH, uid: 0, gid: 0 };
    if (type === 'directory') {
      archive.entry({ ...header, type: 'directory', mode: 0o755 });
    } else if (type === 'symlink' || type === 'link') {
      archive.entry({ ...header, type, linkname: member.linkname ?? '', mode: 0o777 });
    } else if (member.file) {
      const size = (await stat(member.file)).size;
      let settle!: (err?: Error | null) => void;
      const entryDone = new Promise<void>((resolve, reject) => {
        settle = (err) => (err ? reject(err) : resolve());
      });
      const entry = archive.entry({ ...header, type: 'file', mode: 0o644, size }, (err) => settle(err));
      for await (const chunk of createReadStream(member.file)) {
        if (!entry.write(chunk as Buffer)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
      }
      entry.end(undefined);
      await entryDone;
    } else {
      const content = typeof member.content === 'string' ? Buffer.from(member.content) : (member.content ?? Buffer.alloc(0));
      await new Promise<void>((resolve, reject) => {
        archive.entry({ ...header, type: 'file', mode: 0o644, size: content.length }, content, (err) => (err ? reject(err) : resolve()));
      });
    }
  }
  archive.finalize();
  await written;
}

function hex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface DockerArchiveImage {
  image: BuiltImage;
  tags?: string[];
}

/**
 * Members of a `docker save` archive. `legacy`: Docker before 25 (`<config hex>.json`, `<v1 id>/layer.tar` with
 * VERSION and json beside it, a repositories file); `modern`: Docker 25+ (`blobs/sha256/<hex>` for configs and
 * layers, and an OCI layout beside manifest.json naming the built manifests). Layers are stored as built (build them
 * uncompressed for a faithful legacy archive). `symlinkDuplicates`: a layer already written is linked, as Docker does.
 */
export function dockerArchiveMembers(images: DockerArchiveImage[], style: 'legacy' | 'modern', options: { symlinkDuplicates?: boolean } = {}): TarMemberSpec[] {
  const members: TarMemberSpec[] = [];
  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const written = new Map<string, string>();
  const ociEntries: unknown[] = [];
  for (const { image, tags } of images) {
    const layers: string[] = [];
    let parent = '';
    for (const [i, layer] of image.layers.entries()) {
      if (style === 'modern') {
        const name = `blobs/sha256/${hex(layer.digest)}`;
        if (!written.has(layer.digest)) members.push({ name, file: layer.file });
        written.set(layer.digest, name);
        layers.push(name);
        continue;
      }
      // A v1 id per chain position (Docker derives it from the chain and parent); the top one from the config too.
      const id = sha256(`${parent}|${layer.diffId}|${i === image.layers.length - 1 ? image.configDigest : ''}`);
      parent = id;
      const name = `${id}/layer.tar`;
      members.push({ name: `${id}/`, type: 'directory' }, { name: `${id}/VERSION`, content: '1.0' }, { name: `${id}/json`, content: JSON.stringify({ id }) });
      const previous = written.get(layer.digest);
      if (previous && options.symlinkDuplicates) members.push({ name, type: 'symlink', linkname: `../${previous}` });
      else {
        members.push({ name, file: layer.file });
        written.set(layer.digest, name);
      }
      layers.push(name);
    }
    const config = style === 'modern' ? `blobs/sha256/${hex(image.configDigest)}` : `${hex(image.configDigest)}.json`;
    members.push({ name: config, content: image.configBytes });
    manifest.push({ Config: config, RepoTags: tags ?? null, Layers: layers });
    if (style === 'modern') {
      members.push({ name: `blobs/sha256/${hex(image.manifestDigest)}`, content: image.manifestBytes });
      for (const tag of tags ?? []) {
        ociEntries.push({
          mediaType: image.manifestMediaType,
          digest: image.manifestDigest,
          size: image.manifestBytes.length,
          annotations: { 'io.containerd.image.name': `docker.io/library/${tag}`, 'org.opencontainers.image.ref.name': tag.split(':')[1] },
        });
      }
    }
  }
  members.push({ name: 'manifest.json', content: `${JSON.stringify(manifest)}\n` });
  if (style === 'modern') {
    members.push({
      name: 'index.json',
      content: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: ociEntries }),
    });
    members.push({ name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' });
  } else {
    members.push({ name: 'repositories', content: '{}\n' });
  }
  return members;
}

export interface OciLayoutImage {
  image: BuiltImage;
  refName?: string;
  containerdName?: string;
}

export interface OciLayoutOptions {
  /** Put the images in one image index blob (with their platforms), named by index.json's single entry. */
  asIndex?: { refName?: string };
  /** Leave out the blobs of these digests. */
  omit?: string[];
}

/** Members of an OCI image layout holding the built images (manifests as built, so their digests are kept). */
export function ociLayoutMembers(images: OciLayoutImage[], options: OciLayoutOptions = {}): TarMemberSpec[] {
  const blobs = new Map<string, TarMemberSpec>();
  const addBlob = (digest: string, spec: Omit<TarMemberSpec, 'name'>) => {
    if (!options.omit?.includes(digest)) blobs.set(digest, { ...spec, name: `blobs/sha256/${hex(digest)}` });
  };
  const entries = images.map(({ image, refName, containerdName }) => {
    for (const layer of image.layers) addBlob(layer.digest, { file: layer.file });
    addBlob(image.configDigest, { content: image.configBytes });
    addBlob(image.manifestDigest, { content: image.manifestBytes });
    const annotations: Record<string, string> = {};
    if (refName) annotations['org.opencontainers.image.ref.name'] = refName;
    if (containerdName) annotations['io.containerd.image.name'] = containerdName;
    return {
      mediaType: image.manifestMediaType,
      digest: image.manifestDigest,
      size: image.manifestBytes.length,
      platform: image.platform as BuildPlatform,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
  });
  let manifests: unknown[] = entries;
  if (options.asIndex) {
    const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }));
    const digest = `sha256:${sha256(indexBytes)}`;
    addBlob(digest, { content: indexBytes });
    manifests = [
      {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest,
        size: indexBytes.length,
        ...(options.asIndex.refName ? { annotations: { 'org.opencontainers.image.ref.name': options.asIndex.refName } } : {}),
      },
    ];
  }
  return [
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }) },
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...blobs.values(),
  ];
}

/** Writes members as files under a directory (an OCI layout directory, an unpacked docker save). */
export async function writeDirectory(root: string, members: TarMemberSpec[]): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const member of members) {
    const path = join(root, member.name);
    if (member.type === 'directory') {
      await mkdir(path, { recursive: true });
      continue;
    }
    if (member.type === 'symlink' || member.type === 'link') throw new Error('writeDirectory writes no links');
    await mkdir(dirname(path), { recursive: true });
    if (member.file) await pipeline(createReadStream(member.file), createWriteStream(path));
    else await writeFile(path, member.content ?? '');
  }
}

/** A temporary directory for one test file, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-archive-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
