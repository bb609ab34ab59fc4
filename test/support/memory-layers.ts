import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Descriptor, ImageReference, ImageSource, ResolvedImage } from '../../lib/image/types';
import type { LayerCache } from '../../lib/index/layer-cache';

/** A layer cache that keeps only JSON, as DynamoDB or a file would: what is cached must survive serialisation. */
export class JsonLayerCache implements LayerCache {
  readonly entries = new Map<string, string>();
  async get<T>(key: string): Promise<T | undefined> {
    const value = this.entries.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }
  async put<T>(key: string, value: T): Promise<void> {
    this.entries.set(key, JSON.stringify(value));
  }
}

/** Layer blobs served from memory in 64 KiB chunks, for indexer tests that need no registry; counts the blobs opened. */
export class MemorySource implements ImageSource {
  private readonly blobs = new Map<string, Buffer>();
  opened = 0;
  add(blob: Buffer): Descriptor {
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    this.blobs.set(digest, blob);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: blob.length };
  }
  async resolve(): Promise<ResolvedImage> {
    throw new Error('not used');
  }
  async openBlob(_reference: ImageReference, descriptor: Descriptor): Promise<NodeJS.ReadableStream> {
    this.opened++;
    const blob = this.blobs.get(descriptor.digest)!;
    const chunks: Buffer[] = [];
    for (let at = 0; at < blob.length; at += 64 * 1024) chunks.push(blob.subarray(at, at + 64 * 1024));
    return Readable.from(chunks, { objectMode: false });
  }
}

/** An image of these layers, served by `source`, with an empty config: what the indexer tests scan. */
export function resolvedFrom(source: { add(blob: Buffer): Descriptor }, layers: Descriptor[], reference: ImageReference): ResolvedImage {
  return {
    reference,
    manifestDigest: `sha256:${'0'.repeat(64)}`,
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', config: source.add(Buffer.from('{}')), layers },
    config: {},
    configDigest: `sha256:${'1'.repeat(64)}`,
  };
}
