import type { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { LayerCollector } from './collector';
import { asReadable, decompressStream, type Compression } from './decompress';
import { decompressionError, isZlibError, LayerCorruptError, LayerTooLargeError, messageOf } from './errors';
import type { FileSelector, LayerContents, ReadLayerOptions } from './types';

export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 8 * 1024 * 1024 * 1024;
/** What one layer's wanted files may take in memory, at most (see ReadLayerOptions.maxWantedBytes). */
export const DEFAULT_MAX_WANTED_BYTES = 256 * 1024 * 1024;

/** tar-stream buffers this much before asking for a pause: fewer pause/resume round trips per layer. */
const TAR_HIGH_WATER_MARK = 256 * 1024;

function tarError(err: unknown): LayerCorruptError {
  const message = messageOf(err);
  if (/unexpected end of data/i.test(message)) {
    return new LayerCorruptError('truncated', 'unexpected end of layer data (the tar stream stops inside an entry)', err);
  }
  return new LayerCorruptError('tar', `corrupt tar stream in layer: ${message}`, err);
}

function ignore(): void {}

/** Feeds the uncompressed bytes to tar-stream under the size ceiling and collects the entries. */
function extractLayer(output: Readable, compression: Compression, selector: FileSelector, maxBytes: number, maxWantedBytes: number): Promise<LayerContents> {
  return new Promise((resolve, reject) => {
    const collector = new LayerCollector(selector, maxWantedBytes);
    const extract = tarExtract({ highWaterMark: TAR_HIGH_WATER_MARK });
    let bytes = 0;
    let paused = false;
    let settled = false;
    let ended = false;

    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      output.off('data', onData);
      if (err === undefined) {
        resolve(collector.contents(bytes));
        return;
      }
      output.destroy();
      extract.destroy();
      reject(isZlibError(err) ? decompressionError(err, compression) : err);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) return settle(new LayerTooLargeError(maxBytes));
      if (!extract.write(chunk) && !paused) {
        paused = true;
        output.pause();
      }
    };

    extract.on('drain', () => {
      if (!paused || settled) return;
      paused = false;
      output.resume();
    });
    extract.on('entry', (header, entry, next) => {
      // Destroying the extract destroys the current entry with an error: it must have a listener.
      entry.on('error', ignore);
      try {
        collector.onEntry(header, entry, next);
      } catch (err) {
        settle(err);
      }
    });
    extract.on('error', (err) => settle(tarError(err)));
    // The last entries' consumers may still be at work: the layer's contents are known once they are done.
    extract.on('finish', () => void collector.settled().then(() => settle(), settle));
    output.on('error', (err: unknown) => settle(err));
    output.once('close', () => {
      if (!ended) settle(output.errored ?? new Error('the layer stream closed before its end'));
    });
    output.once('end', () => {
      ended = true;
      if (!settled) extract.end(undefined);
    });
    if (output.destroyed) {
      // It failed between detection and now (its 'error' may already have been emitted).
      settle(output.errored ?? new Error('the layer stream closed before its end'));
      return;
    }
    output.on('data', onData);
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Reads one layer blob in a single streaming pass: detects its compression by magic bytes, walks the tar and
 * returns the files the selector wants, the symlinks at wanted paths, whiteouts and opaque directories.
 * The layer is never held whole in memory nor written to disk, and its wanted files take at most `maxWantedBytes`.
 *
 * Rejects with LayerTooLargeError past `maxUncompressedBytes`, LayerCorruptError for truncated or corrupt data,
 * the signal's reason on abort, and the source stream's own error when the source fails.
 */
export async function readLayer(stream: NodeJS.ReadableStream, selector: FileSelector, options: ReadLayerOptions = {}): Promise<LayerContents> {
  const maxBytes = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const maxWantedBytes = options.maxWantedBytes ?? DEFAULT_MAX_WANTED_BYTES;
  const signal = options.signal;
  const source = asReadable(stream);
  if (signal?.aborted) {
    source.destroy();
    throw abortReason(signal);
  }
  const onAbort = () => source.destroy(abortReason(signal!) as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  // The source may fail while nobody else listens (between detection and extraction): that failure is read
  // back from `errored`, and must not become an unhandled 'error' event.
  source.on('error', ignore);
  try {
    const { compression, output, consumed } = await decompressStream(source);
    const contents = await extractLayer(output, compression, selector, maxBytes, maxWantedBytes);
    // The compressed stream may end before the blob does: its digest is checked only once every byte is read.
    await consumed;
    return contents;
  } catch (err) {
    source.destroy();
    throw signal?.aborted ? abortReason(signal) : err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
