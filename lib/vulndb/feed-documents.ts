/**
 * Vendor feed documents recognised by content, for `lamina db import`: compressed or not (gzip, zstd, bzip2), a
 * tar of many, or one document of a known format (ALAS updateinfo, Red Hat CSAF VEX, OVAL, and the JSON kinds
 * parseAdvisoryFile reads).
 */
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { readBounded } from './advisory-files';
import { decompressedDocument, peekHead } from './document-stream';
import { utf8Text } from './document-text';
import type { Osv } from './osv';
import { FEED_FORMATS } from './sources/formats';
import type { FeedFormat } from './sources/types';

/** Enough of a document to tell its format: XML root elements and JSON keys come early. */
const HEAD_BYTES = 64 * 1024;
/** What is decoded first to tell the format; the whole head only when that is not enough. */
const SNIFF_FIRST_BYTES = 8 * 1024;
/** A JSON document of no streaming format is parsed whole, up to this size. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** A tar's documents up to this size are read whole and parsed from memory: most of an archive's cost was per-entry streams. */
const IN_MEMORY_ENTRY_BYTES = 8 * 1024 * 1024;

const isTar = (head: Buffer) => head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';

export function formatOf(head: string): FeedFormat | undefined {
  return FEED_FORMATS.find((format) => format.sniff(head));
}

/** The format of a document by its first bytes: the first few KiB decoded, the whole head only when that is not enough. */
function sniffed(head: Buffer): FeedFormat | undefined {
  // Markers come in the first few KiB: decoding the whole head of every document of a tar would double its cost.
  return formatOf(utf8Text(head, 0, Math.min(head.length, SNIFF_FIRST_BYTES))) ?? (head.length > SNIFF_FIRST_BYTES ? formatOf(utf8Text(head)) : undefined);
}

const isCompressed = (head: Buffer) => (head[0] === 0x1f && head[1] === 0x8b) || head.readUInt32LE(0) === 0xfd2fb528 || head.toString('latin1', 0, 3) === 'BZh';

/** JSON kinds without a streaming format (OSV, secdb): parsed whole by the import's own reader. */
export type JsonDocumentParser = (name: string, text: string) => { osv: Osv[]; malformed: string[] };

/**
 * The records of one document, or of every document in a tar. A document of no known format is one malformed note;
 * a broken stream ends the document with one.
 */
export async function* feedRecords(
  name: string,
  input: NodeJS.ReadableStream,
  malformed: (reason: string) => void,
  parseJson?: JsonDocumentParser,
): AsyncGenerator<Osv> {
  let stream: Readable;
  try {
    stream = await decompressedDocument(input);
  } catch (err) {
    malformed(`cannot decompress: ${(err as Error).message}`);
    return;
  }
  try {
    const peeked = await peekHead(stream, HEAD_BYTES);
    const head = peeked.head;
    stream = peeked.stream;
    if (isTar(head)) {
      yield* tarRecords(stream, malformed, parseJson);
      return;
    }
    const format = sniffed(head);
    if (format) {
      yield* format.parse(stream, { fileName: name, malformed });
      return;
    }
    if (parseJson && /^\s*[[{]/.test(head.toString('utf8', 0, 64))) {
      const parsed = parseJson(name, await readBounded(stream, MAX_JSON_BYTES));
      for (const reason of parsed.malformed) malformed(reason);
      yield* parsed.osv;
      return;
    }
    stream.destroy();
    malformed('not a known advisory format');
  } catch (err) {
    stream.destroy();
    malformed((err as Error).message);
  }
}

/** What vendors' archives carry beside the documents (SUSE's: a signature and a checksum per file, the listings): no advisories. */
const COMPANION_FILE = /(?:^|\/)(?:[^/]+\.(?:asc|sig|sha256|sha512|md5)|changes\.csv|deletions\.csv|index\.txt|archive_latest\.txt)$/;

const isCompanionFile = (name: string) => COMPANION_FILE.test(name);

/** Each regular file of a tar as a document of its own, in archive order; companion files are read past. */
async function* tarRecords(stream: Readable, malformed: (reason: string) => void, parseJson?: JsonDocumentParser): AsyncGenerator<Osv> {
  const tar = extract();
  stream.pipe(tar);
  stream.once('error', (err) => tar.destroy(err));
  for await (const entry of tar) {
    if (entry.header.type !== 'file' || isCompanionFile(entry.header.name)) {
      entry.resume();
      continue;
    }
    const entryName = entry.header.name;
    const entryMalformed = (reason: string) => malformed(`${entryName}: ${reason}`);
    // tar-stream entries are streamx streams: a node Readable over their chunks is what the readers expect.
    const body = Readable.from(entry as AsyncIterable<Buffer>, { objectMode: false });
    if ((entry.header.size ?? Number.POSITIVE_INFINITY) <= IN_MEMORY_ENTRY_BYTES) {
      yield* wholeDocumentRecords(entryName, await readEntry(body), entryMalformed, parseJson);
    } else {
      yield* feedRecords(entryName, body, entryMalformed, parseJson);
    }
    entry.resume();
  }
}

async function readEntry(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/**
 * The records of a document held whole in memory: formats that read a whole text take it at once; compressed
 * documents, tars and streaming formats go the way of any other stream.
 */
async function* wholeDocumentRecords(name: string, bytes: Buffer, malformed: (reason: string) => void, parseJson?: JsonDocumentParser): AsyncGenerator<Osv> {
  if (bytes.length >= 4 && (isCompressed(bytes) || isTar(bytes))) {
    yield* feedRecords(name, Readable.from([bytes], { objectMode: false }), malformed, parseJson);
    return;
  }
  const format = sniffed(bytes.subarray(0, HEAD_BYTES));
  if (format?.parseText) {
    yield* format.parseText(utf8Text(bytes), { fileName: name, malformed });
    return;
  }
  if (format) {
    yield* format.parse(Readable.from([bytes], { objectMode: false }), { fileName: name, malformed });
    return;
  }
  // Within MAX_JSON_BYTES: entries read whole are at most IN_MEMORY_ENTRY_BYTES.
  if (parseJson && /^\s*[[{]/.test(bytes.toString('utf8', 0, 64))) {
    const parsed = parseJson(name, utf8Text(bytes));
    for (const reason of parsed.malformed) malformed(reason);
    yield* parsed.osv;
    return;
  }
  malformed('not a known advisory format');
}
