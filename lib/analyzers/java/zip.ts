import { constants as bufferConstants } from 'node:buffer';
import * as zlib from 'node:zlib';
import { asByteSource, bufferSource, type ByteSource } from '../byte-source';

/**
 * A synchronous reader for zip archives (jars, wars, ears), for analysers, whose `analyze` is synchronous. The archive
 * is a {@link ByteSource}: a buffer, or a spool file for one too large to hold. It reads the central directory and, on
 * request, one entry at a time: nothing is decompressed that the caller does not ask for, and nothing is ever written
 * anywhere.
 *
 * Read as the JDK's `java.util.zip.ZipFile` reads: the end of central directory record is searched for backwards
 * from the end (past a comment of at most 64 KiB); bytes prepended to the archive (a launch script before a Spring
 * Boot "fully executable" jar) are allowed, offsets being relative to where the central directory says the archive
 * starts; Zip64 end records and extra fields are understood; names are UTF-8. Multi-disk archives, encryption and
 * compression methods other than stored (0) and deflate (8) are not supported.
 *
 * Every offset and length is checked against the archive's size before it is used, and every entry read is checked against
 * the sizes and CRC-32 the central directory declares: deflate output past the declared size is never produced
 * (`inflateRawSync` with `maxOutputLength`), so an entry that lies about its size costs at most what it declares.
 * Damage is reported by throwing {@link ZipFormatError}; nothing else is thrown for any input.
 */

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_LENGTH = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_LENGTH = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_LENGTH = 56;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_LENGTH = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_LENGTH = 30;
const ZIP64_EXTRA_ID = 0x0001;
const MAX_COMMENT = 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

/** The largest central directory read from a spool file: 128 MiB holds well over a million entries. */
const MAX_SPOOLED_DIRECTORY = 128 * 1024 * 1024;

export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x0001;

/** The archive, or one of its entries, is damaged or uses a feature this reader does not support. */
export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

/** Where an archive's central directory is. */
export interface ZipDirectory {
  /** Offset in the buffer where the archive starts (after any prepended bytes); entry offsets are relative to it. */
  base: number;
  /** Start and end (exclusive) of the central directory in the buffer. */
  start: number;
  end: number;
  /** Entries the end record declares. */
  declaredEntries: number;
  /** The end record is a Zip64 one. */
  zip64: boolean;
}

/** One central directory entry. */
export interface ZipEntry {
  /** The name as stored, decoded as UTF-8 (as the JDK decodes it). */
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the entry's local header in the buffer (the archive's base applied). */
  localHeaderOffset: number;
}

function u64(buffer: Buffer, offset: number, what: string): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`${what} ${value} is out of range`);
  return Number(value);
}

/** The end record's offset in the archive; its 22 bytes and comment are in `tail`, which ends where the archive does. */
function findEndRecord(source: ByteSource): { eocd: number; record: Buffer } {
  const tailStart = Math.max(0, source.size - EOCD_LENGTH - MAX_COMMENT);
  const tail = source.read(tailStart, source.size - tailStart);
  const last = tail.length - EOCD_LENGTH;
  for (let at = last; at >= 0; at--) {
    // A record whose comment would run past the end of the archive is a stray signature (inside a comment, say).
    if (tail.readUInt32LE(at) === EOCD_SIGNATURE && at + EOCD_LENGTH + tail.readUInt16LE(at + 20) <= tail.length) {
      return { eocd: tailStart + at, record: tail.subarray(at, at + EOCD_LENGTH) };
    }
  }
  throw new ZipFormatError(source.size < EOCD_LENGTH ? `${source.size} bytes are too few for a zip archive` : 'no end of central directory record');
}

/** The Zip64 end record, or undefined when the archive has no Zip64 locator. */
function findZip64Record(source: ByteSource, eocd: number): { at: number; record: Buffer } | undefined {
  const locatorAt = eocd - ZIP64_LOCATOR_LENGTH;
  if (locatorAt < 0) return undefined;
  const locator = source.read(locatorAt, ZIP64_LOCATOR_LENGTH);
  if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) return undefined;
  if (locator.readUInt32LE(16) > 1) throw new ZipFormatError('multi-disk archives are not supported');
  const declared = u64(locator, 8, 'Zip64 end record offset');
  // The locator's offset is relative to the archive's start; with bytes prepended the record is usually right
  // before the locator instead.
  for (const at of [declared, locatorAt - ZIP64_EOCD_LENGTH]) {
    if (at < 0 || at + ZIP64_EOCD_LENGTH > locatorAt) continue;
    const record = source.read(at, ZIP64_EOCD_LENGTH);
    if (record.readUInt32LE(0) === ZIP64_EOCD_SIGNATURE) return { at, record };
  }
  throw new ZipFormatError('the Zip64 end of central directory record is missing');
}

/** Finds and checks the central directory. */
export function openZip(input: Buffer | ByteSource): ZipDirectory {
  const source = asByteSource(input);
  const { eocd, record } = findEndRecord(source);
  let disk = record.readUInt16LE(4);
  let directoryDisk = record.readUInt16LE(6);
  let declaredEntries = record.readUInt16LE(10);
  let size = record.readUInt32LE(12);
  let offset = record.readUInt32LE(16);
  let recordAt = eocd;
  const zip64 = findZip64Record(source, eocd);
  if (zip64 !== undefined) {
    disk = zip64.record.readUInt32LE(16);
    directoryDisk = zip64.record.readUInt32LE(20);
    declaredEntries = u64(zip64.record, 32, 'Zip64 entry count');
    size = u64(zip64.record, 40, 'Zip64 central directory size');
    offset = u64(zip64.record, 48, 'Zip64 central directory offset');
    recordAt = zip64.at;
  } else if (size === U32_MAX || offset === U32_MAX) {
    throw new ZipFormatError('the end record defers to a Zip64 record that is missing');
  }
  if (disk !== 0 || directoryDisk !== 0) throw new ZipFormatError('multi-disk archives are not supported');
  // As the JDK does: the central directory ends where the end record starts, and its declared offset says how many
  // bytes precede the archive.
  const start = recordAt - size;
  const base = start - offset;
  if (start < 0 || base < 0) throw new ZipFormatError(`the central directory (${size} bytes at offset ${offset}) does not fit before its end record`);
  return { base, start, end: recordAt, declaredEntries, zip64: zip64 !== undefined };
}

/** Reads the Zip64 extended information of a central directory entry for the fields that are saturated. */
function zip64Fields(buffer: Buffer, from: number, to: number, wanted: { uncompressed: boolean; compressed: boolean; offset: boolean }, index: number) {
  let at = from;
  while (at + 4 <= to) {
    const id = buffer.readUInt16LE(at);
    const length = buffer.readUInt16LE(at + 2);
    const dataStart = at + 4;
    const dataEnd = dataStart + length;
    if (dataEnd > to) break;
    if (id === ZIP64_EXTRA_ID) {
      let field = dataStart;
      const next = (what: string): number => {
        if (field + 8 > dataEnd) throw new ZipFormatError(`entry ${index}: its Zip64 extra field has no ${what}`);
        const value = u64(buffer, field, `entry ${index}: Zip64 ${what}`);
        field += 8;
        return value;
      };
      return {
        uncompressed: wanted.uncompressed ? next('uncompressed size') : undefined,
        compressed: wanted.compressed ? next('compressed size') : undefined,
        offset: wanted.offset ? next('local header offset') : undefined,
      };
    }
    at = dataEnd;
  }
  throw new ZipFormatError(`entry ${index}: sizes or offset defer to a Zip64 extra field that is missing`);
}

/**
 * The central directory's entries in order. Throws {@link ZipFormatError} at the first damaged entry (after yielding
 * the ones before it) and when the directory holds fewer entries than its end record declares.
 */
export function* zipEntries(input: Buffer | ByteSource, directory: ZipDirectory): Generator<ZipEntry> {
  const source = asByteSource(input);
  const length = directory.end - directory.start;
  // Read from a file, the directory is copied into memory: a lying end record must not make that copy a huge one.
  if (!source.inMemory && length > MAX_SPOOLED_DIRECTORY) {
    throw new ZipFormatError(`the central directory declares ${length} bytes, more than the ${MAX_SPOOLED_DIRECTORY} read of an archive this large`);
  }
  // The whole directory in one read, and offsets into it from here on.
  const buffer = source.read(directory.start, length);
  const end = buffer.length;
  let at = 0;
  for (let index = 1; index <= directory.declaredEntries; index++) {
    if (at + CENTRAL_LENGTH > end) {
      throw new ZipFormatError(`the central directory ends after ${index - 1} of the ${directory.declaredEntries} entries it declares`);
    }
    if (buffer.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new ZipFormatError(`entry ${index}: not a central directory header`);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const nameStart = at + CENTRAL_LENGTH;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > end) throw new ZipFormatError(`entry ${index}: runs past the end of the central directory`);
    let compressedSize = buffer.readUInt32LE(at + 20);
    let uncompressedSize = buffer.readUInt32LE(at + 24);
    let localOffset = buffer.readUInt32LE(at + 42);
    const startDisk = buffer.readUInt16LE(at + 34);
    const wanted = { uncompressed: uncompressedSize === U32_MAX, compressed: compressedSize === U32_MAX, offset: localOffset === U32_MAX };
    if (wanted.uncompressed || wanted.compressed || wanted.offset) {
      const fields = zip64Fields(buffer, extraStart, extraStart + extraLength, wanted, index);
      uncompressedSize = fields.uncompressed ?? uncompressedSize;
      compressedSize = fields.compressed ?? compressedSize;
      localOffset = fields.offset ?? localOffset;
    }
    if (startDisk !== 0 && startDisk !== U16_MAX) throw new ZipFormatError(`entry ${index}: on disk ${startDisk} (multi-disk archives are not supported)`);
    yield {
      name: buffer.toString('utf8', nameStart, extraStart),
      flags: buffer.readUInt16LE(at + 8),
      method: buffer.readUInt16LE(at + 10),
      crc32: buffer.readUInt32LE(at + 16),
      compressedSize,
      uncompressedSize,
      localHeaderOffset: directory.base + localOffset,
    };
    at = next;
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE) of `data`, continuing from `value` (the CRC of the bytes before it), with node:zlib's native one where this Node has it (20.15 on). */
export function crc32(data: Uint8Array, value = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof native === 'function') return native(data, value) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Where an entry's data is in the archive, after the checks every read makes; stored data is final as it is. */
function entryData(source: ByteSource, entry: ZipEntry): { dataStart: number; stored: boolean } {
  if (entry.flags & FLAG_ENCRYPTED) throw new ZipFormatError('is encrypted');
  const header = entry.localHeaderOffset;
  if (header + LOCAL_LENGTH > source.size) throw new ZipFormatError(`its local header offset ${header} is past the end of the archive`);
  const local = source.read(header, LOCAL_LENGTH);
  if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new ZipFormatError(`has no local header at offset ${header}`);
  const dataStart = header + LOCAL_LENGTH + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (dataStart + entry.compressedSize > source.size) throw new ZipFormatError(`its ${entry.compressedSize} compressed bytes run past the end of the archive`);
  if (entry.method === METHOD_STORED) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new ZipFormatError(`is stored, yet declares ${entry.compressedSize} compressed and ${entry.uncompressedSize} uncompressed bytes`);
    }
    return { dataStart, stored: true };
  }
  if (entry.method !== METHOD_DEFLATE) throw new ZipFormatError(`uses compression method ${entry.method}, which is not supported`);
  if (entry.uncompressedSize > bufferConstants.MAX_LENGTH) throw new ZipFormatError(`declares ${entry.uncompressedSize} bytes, more than a buffer holds`);
  return { dataStart, stored: false };
}

/** Inflation to at most the declared size, in one output buffer a byte larger: no 16 KiB pieces to join, and a longer output still fails. */
function inflateOptions(entry: ZipEntry): zlib.ZlibOptions {
  return { maxOutputLength: Math.max(1, entry.uncompressedSize), chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, entry.uncompressedSize + 1) };
}

function inflateFailure(err: unknown, entry: ZipEntry): ZipFormatError {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new ZipFormatError(`inflates to more than the ${entry.uncompressedSize} bytes it declares`);
  }
  return new ZipFormatError(`has damaged deflate data (${(err as Error).message})`);
}

function checkCrc(actual: number, entry: ZipEntry): void {
  if (actual !== entry.crc32) throw new ZipFormatError(`fails its CRC-32 check (${hex(actual)}, declared ${hex(entry.crc32)})`);
}

/** The inflated content, checked against the declared size and CRC-32. */
function verified(content: Buffer, entry: ZipEntry): Buffer {
  if (content.length !== entry.uncompressedSize) {
    throw new ZipFormatError(`inflates to ${content.length} bytes, not the ${entry.uncompressedSize} it declares`);
  }
  checkCrc(crc32(content), entry);
  return content;
}

/** Bytes read at a time where an entry is checked or inflated piece by piece. */
const CRC_PIECE = 1024 * 1024;

/** A stored entry as a window of the archive, its CRC-32 checked piece by piece (views of memory, reads of a file). */
function verifiedWindow(source: ByteSource, dataStart: number, entry: ZipEntry): ByteSource {
  const window = source.window(dataStart, entry.uncompressedSize);
  let crc = 0;
  for (let at = 0; at < window.size; at += CRC_PIECE) crc = crc32(window.read(at, Math.min(CRC_PIECE, window.size - at)), crc);
  checkCrc(crc, entry);
  return window;
}

/**
 * The content of one entry, checked against its declared size and CRC-32. A stored entry of an archive in memory is
 * a view of it (no copy); a deflated one is inflated to at most its declared size. Callers bound the declared size
 * before asking.
 */
export function readZipEntry(input: Buffer | ByteSource, entry: ZipEntry): Buffer {
  const { raw, stored } = entryBytes(asByteSource(input), entry);
  return stored ? verified(raw, entry) : inflatedAtOnce(raw, entry);
}

/** An entry's data as it is in the archive, after entryData's checks. */
function entryBytes(source: ByteSource, entry: ZipEntry): { raw: Buffer; stored: boolean } {
  const { dataStart, stored } = entryData(source, entry);
  return { raw: source.read(dataStart, entry.compressedSize), stored };
}

/** Deflated data inflated on this thread, checked against the declared size and CRC-32. */
function inflatedAtOnce(raw: Buffer, entry: ZipEntry): Buffer {
  let content: Buffer;
  try {
    content = zlib.inflateRawSync(raw, inflateOptions(entry));
  } catch (err) {
    throw inflateFailure(err, entry);
  }
  return verified(content, entry);
}

/** readZipEntry with the inflation on libuv's thread pool: for large entries, so this thread goes on with other work. */
export async function readZipEntryAsync(input: Buffer | ByteSource, entry: ZipEntry): Promise<Buffer> {
  const { raw, stored } = entryBytes(asByteSource(input), entry);
  if (stored) return verified(raw, entry);
  const content = await new Promise<Buffer>((resolve, reject) =>
    zlib.inflateRaw(raw, inflateOptions(entry), (err, result) => (err ? reject(inflateFailure(err, entry)) : resolve(result))),
  );
  return verified(content, entry);
}

/** Resolves when the stream takes more writes, or when it closes (destroyed, failed). */
function drainedOrClosed(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done).on('close', done);
  });
}

/**
 * A deflated entry inflated piece by piece into `sink` (a spool file), on the thread pool, never all in memory: its
 * compressed bytes are read 1 MiB at a time, output past the declared size stops the inflation, and the size and
 * CRC-32 are checked at the end. What the sink throws ends it and is thrown.
 */
export async function inflateZipEntryInto(input: Buffer | ByteSource, entry: ZipEntry, sink: (chunk: Buffer) => void): Promise<void> {
  const source = asByteSource(input);
  const { dataStart, stored } = entryData(source, entry);
  if (stored) throw new ZipFormatError('is stored, not deflated');
  const inflater = zlib.createInflateRaw({ chunkSize: CRC_PIECE });
  let produced = 0;
  let crc = 0;
  let failure: unknown;
  inflater.on('data', (chunk: Buffer) => {
    if (failure) return;
    produced += chunk.length;
    if (produced > entry.uncompressedSize) failure = new ZipFormatError(`inflates to more than the ${entry.uncompressedSize} bytes it declares`);
    else {
      crc = crc32(chunk, crc);
      try {
        sink(chunk);
      } catch (err) {
        failure = err;
      }
    }
    if (failure) inflater.destroy();
  });
  inflater.once('error', (err) => {
    failure ??= inflateFailure(err, entry);
  });
  // A zlib stream closes after its end, after destroy() and after an error alike.
  const closed = new Promise<void>((resolve) => inflater.once('close', resolve));
  for (let at = 0; at < entry.compressedSize && !failure; at += CRC_PIECE) {
    const piece = source.read(dataStart + at, Math.min(CRC_PIECE, entry.compressedSize - at));
    // Wait for the inflater to take each piece: only one compressed and one inflated piece are held.
    if (!inflater.write(piece)) await drainedOrClosed(inflater);
  }
  if (failure) inflater.destroy();
  else inflater.end();
  await closed;
  if (failure) throw failure;
  if (produced !== entry.uncompressedSize) throw new ZipFormatError(`inflates to ${produced} bytes, not the ${entry.uncompressedSize} it declares`);
  checkCrc(crc, entry);
}

/**
 * An entry that is itself an archive, as a source: a stored one is a window of its parent, wherever the parent is
 * (nothing copied, nothing held: a Spring Boot jar's BOOT-INF/lib); a deflated one is inflated into memory.
 */
export function readNestedArchive(input: Buffer | ByteSource, entry: ZipEntry): ByteSource {
  const source = asByteSource(input);
  const { dataStart, stored } = entryData(source, entry);
  if (stored) return verifiedWindow(source, dataStart, entry);
  return bufferSource(inflatedAtOnce(source.read(dataStart, entry.compressedSize), entry));
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
