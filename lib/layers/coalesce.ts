import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes on in chunks of at least `minBytes` (the last one excepted): a decompressor fed 64 KiB network reads
 * one by one pays a threadpool round trip for each, on the thread that also parses the layer.
 */
export class Coalesce extends Transform {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly minBytes: number) {
    super({ readableHighWaterMark: minBytes, writableHighWaterMark: minBytes });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.length === 0 && chunk.length >= this.minBytes) return callback(null, chunk);
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.length >= this.minBytes) this.push(this.joined());
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.length > 0) this.push(this.joined());
    callback();
  }

  private joined(): Buffer {
    const out = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    this.length = 0;
    return out;
  }
}
