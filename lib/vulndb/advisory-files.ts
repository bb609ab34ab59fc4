import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import * as yauzl from 'yauzl';
import { WindowedFileReader } from './windowed-file-reader';
import { utf8Text } from './document-text';

/**
 * One file of an advisory export: a JSON file's text, a vendor document to read by content (XML, compressed, a
 * tar), or why it could not be read.
 */
export type AdvisoryFile = { name: string; text: string } | { name: string; stream: Readable } | { name: string; error: string };

/** A single advisory file above this is not a record but something else; it is skipped, not buffered. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A document past the size a reader allows: no advisory, and asking again gives the same bytes. */
export class DocumentTooLargeError extends Error {}

/** A stream's bytes (a Node stream or any async iterable, a tar entry's), refused past `limit`. */
async function readBytes(stream: AsyncIterable<unknown>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > limit) {
      (stream as Partial<Readable>).destroy?.();
      throw new DocumentTooLargeError(`larger than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  // A document that came as one chunk is not copied.
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** A stream's text, refused past `limit` bytes. */
export async function readBounded(stream: AsyncIterable<unknown>, limit: number): Promise<string> {
  return utf8Text(await readBytes(stream, limit));
}

const isJson = (name: string) => name.toLowerCase().endsWith('.json');
/** Vendor documents found in a directory: their format is told by content. */
const isVendorDocument = (name: string) => /\.(xml|gz|bz2|zst|tar)$/i.test(name);

/** JSON files under a directory, depth first in name order, one at a time. */
async function* directoryFiles(dir: string, root = dir): AsyncGenerator<AdvisoryFile> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* directoryFiles(path, root);
    else if (entry.isFile() && isJson(entry.name)) yield* singleFile(path, path.slice(root.length + 1));
    else if (entry.isFile() && isVendorDocument(entry.name)) yield { name: path.slice(root.length + 1), stream: createReadStream(path) };
  }
}

async function* singleFile(path: string, name: string): AsyncGenerator<AdvisoryFile> {
  try {
    yield { name, text: await readBounded(createReadStream(path), MAX_FILE_BYTES) };
  } catch (err) {
    yield { name, error: (err as Error).message };
  }
}

async function openZip(path: string): Promise<{ zip: yauzl.ZipFile; reader: WindowedFileReader }> {
  const reader = await WindowedFileReader.open(path);
  const options = { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true };
  try {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromRandomAccessReader(reader, reader.size, options, (err, zip) => (err ? reject(err) : resolve(zip))),
    );
    return { zip, reader };
  } catch (err) {
    reader.close(() => {});
    throw err;
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Below this, an entry is inflated in one call: a zlib stream per small record costs more than the record. */
const INFLATE_AT_ONCE_BYTES = 1024 * 1024;

/** An entry's text: small deflated entries inflated in one call from the reader's window, the rest through yauzl's own stream. */
async function entryText(zip: yauzl.ZipFile, reader: WindowedFileReader, entry: yauzl.Entry): Promise<string> {
  if (entry.compressionMethod !== 8 || entry.compressedSize > INFLATE_AT_ONCE_BYTES || entry.isEncrypted()) {
    return readBounded(await zip.openReadStreamPromise(entry), MAX_FILE_BYTES);
  }
  const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
  const raw = await reader.bytes(fileDataStart, entry.compressedSize);
  if (raw.length !== entry.compressedSize) throw new Error('unexpected EOF');
  const text = inflateRawSync(raw, { maxOutputLength: MAX_FILE_BYTES });
  if (text.length !== entry.uncompressedSize) throw new Error(`inflated to ${text.length} bytes, the zip says ${entry.uncompressedSize}`);
  return utf8Text(text);
}

/** JSON entries of a zip read one at a time from the file: the central directory is walked lazily, never the whole archive in memory. */
async function* zipFiles(path: string): AsyncGenerator<AdvisoryFile> {
  const { zip, reader } = await openZip(path);
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      if (entry.fileName.endsWith('/') || !isJson(entry.fileName)) continue;
      if (entry.uncompressedSize > MAX_FILE_BYTES) {
        yield { name: entry.fileName, error: `larger than ${MAX_FILE_BYTES} bytes` };
        continue;
      }
      try {
        yield { name: entry.fileName, text: await entryText(zip, reader, entry) };
      } catch (err) {
        yield { name: entry.fileName, error: (err as Error).message };
      }
    }
  } finally {
    zip.close();
  }
}

/** The files of an advisory export at `path`: a directory (recursively), a .zip, a .json file, or any other file read by content. */
export async function* advisoryFiles(path: string): AsyncGenerator<AdvisoryFile> {
  const info = await stat(path);
  if (info.isDirectory()) yield* directoryFiles(path);
  else if (path.toLowerCase().endsWith('.zip')) yield* zipFiles(path);
  else if (isJson(path)) yield* singleFile(path, path);
  else yield { name: path, stream: createReadStream(path) };
}
