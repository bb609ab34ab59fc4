import { Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { LayerCorruptError, messageOf } from './errors';
import { ZstdFrameGuard } from './zstd-frames';

/**
 * Compressed bytes handed to fzstd at a time. fzstd decodes synchronously, and a hostile RLE block turns 4 bytes
 * into up to 2 MiB, so small slices keep what one step can produce bounded before backpressure applies again.
 */
const SLICE_BYTES = 256;

type NativeZstd = (options?: zlib.ZlibOptions) => Transform;

/** Node 22.15+/23.8+ ships zstd in zlib: native, faster, and with zstd's own window-size guard. */
export function nativeZstdDecompressor(): NativeZstd | undefined {
  const create = (zlib as unknown as { createZstdDecompress?: NativeZstd }).createZstdDecompress;
  return typeof create === 'function' ? create : undefined;
}

function asBuffer(block: Uint8Array): Buffer {
  return Buffer.from(block.buffer, block.byteOffset, block.byteLength);
}

function corrupt(err: unknown): LayerCorruptError {
  const message = messageOf(err);
  if (/unexpected EOF/i.test(message)) {
    return new LayerCorruptError('truncated', 'unexpected end of layer data (truncated zstd stream)', err);
  }
  return new LayerCorruptError('compression', `corrupt zstd data in layer: ${message}`, err);
}

async function* zstdBlocks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const blocks: Uint8Array[] = [];
  const decoder = new Decompress((block) => {
    if (block.byteLength > 0) blocks.push(block);
  });
  const guard = new ZstdFrameGuard();
  const decode = (slice: Uint8Array, final: boolean) => {
    guard.check(slice);
    try {
      decoder.push(slice, final);
    } catch (err) {
      throw corrupt(err);
    }
  };
  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.byteLength; offset += SLICE_BYTES) {
      decode(chunk.subarray(offset, offset + SLICE_BYTES), false);
      if (blocks.length === 0) continue;
      const ready = blocks.splice(0);
      for (const block of ready) yield asBuffer(block);
    }
  }
  decode(new Uint8Array(0), true);
  for (const block of blocks.splice(0)) yield asBuffer(block);
}

/** Streaming zstd decompression in pure JavaScript (fzstd), pulled block by block so that backpressure holds. */
export function fzstdDecompress(source: Readable): Readable {
  return Readable.from(zstdBlocks(source), { objectMode: false });
}
