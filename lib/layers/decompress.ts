import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Coalesce } from './coalesce';
import { fzstdDecompress, nativeZstdDecompressor } from './zstd';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface DecompressedStream {
  compression: Compression;
  /** The uncompressed bytes; destroying it destroys the source too. */
  output: Readable;
  /**
   * Settles once the compressed source has been read to its very end, bytes after the compressed stream included,
   * so that the source's own checks (a registry blob's size and digest) have passed; rejects with the source's error.
   * The uncompressed stream can end first: nothing read from it may be trusted before this resolves.
   */
  consumed: Promise<void>;
}

/** Far above zlib's 16 KiB default: each chunk is a threadpool round trip, and a callback on the main thread. */
const CHUNK_BYTES = 1024 * 1024;
/** Compressed bytes handed to the decompressor at once (network reads are 16–64 KiB). */
const INPUT_BYTES = 512 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

/** Compression by magic bytes, whatever the media type claims. */
export function detectCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

export function asReadable(stream: NodeJS.ReadableStream): Readable {
  return stream instanceof Readable ? stream : new Readable().wrap(stream);
}

/** Reads until `bytes` bytes (or the end) are buffered, then puts them back: the stream is left unconsumed. */
function peek(source: Readable, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const done = () => {
      cleanup();
      const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
      if (head.length > 0) source.unshift(head);
      resolve(head.subarray(0, bytes));
    };
    const onReadable = () => {
      let chunk: Buffer | string | null;
      while (length < bytes && (chunk = source.read()) !== null) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        chunks.push(buffer);
        length += buffer.length;
      }
      if (length >= bytes) done();
    };
    const onEnd = () => {
      cleanup();
      // The stream is over: what was read is everything, so hand it back as a fresh stream.
      resolve(Buffer.concat(chunks, length));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('layer stream closed before its first bytes'));
    };
    source.on('readable', onReadable);
    source.once('end', onEnd);
    source.once('error', onError);
    source.once('close', onClose);
  });
}

function ignore(): void {}

/** Resolves on the source's 'end' (it was read whole), rejects when it fails or closes before its end. */
function endOf(source: Readable): Promise<void> {
  const ended = new Promise<void>((resolve, reject) => {
    if (source.readableEnded) return resolve();
    source.once('end', () => resolve());
    source.once('error', (err: Error) => reject(err));
    source.once('close', () => {
      if (!source.readableEnded) reject(source.errored ?? new Error('the layer stream closed before its end'));
    });
  });
  // Awaited only when extraction succeeds; a failure seen first must not also become an unhandled rejection.
  ended.catch(ignore);
  return ended;
}

/**
 * Detects the compression from the first bytes and returns the uncompressed stream. gzip (concatenated members
 * too) goes through node:zlib, zstd through node:zlib where the runtime has it and fzstd otherwise. Errors of the
 * source come out of `output` unchanged; zlib's own errors carry `Z_…` codes (see decompressionError).
 */
export async function decompressStream(stream: NodeJS.ReadableStream): Promise<DecompressedStream> {
  const source = asReadable(stream);
  const consumed = endOf(source);
  const head = await peek(source, ZSTD_MAGIC.length);
  // Ended during the peek: everything is in `head`.
  const input = source.readableEnded ? Readable.from(head.length > 0 ? [head] : [], { objectMode: false }) : source;
  const compression = detectCompression(head);
  if (compression === 'none') return { compression, output: input, consumed };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    pipeline(input, new Coalesce(INPUT_BYTES), gunzip, ignore);
    return { compression, output: gunzip, consumed };
  }
  const native = nativeZstdDecompressor();
  if (native) {
    const zstd = native({ chunkSize: CHUNK_BYTES });
    pipeline(input, new Coalesce(INPUT_BYTES), zstd, ignore);
    return { compression, output: zstd, consumed };
  }
  return { compression, output: fzstdDecompress(input), consumed };
}
