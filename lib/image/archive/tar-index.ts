import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { GrpcCode } from '../../errors';
import { registryFailure } from '../registry/errors';

/**
 * An index of a tar file's members, built by walking its 512-byte headers and seeking past every body, so that a
 * member's bytes can later be read by offset without reading the archive whole.
 *
 * Understood: POSIX ustar (with the 155-byte prefix), old GNU and v7 headers, sizes in octal or base-256, pax
 * extended headers (`path`, `linkpath`, `size`), GNU long names and long link names (`L`, `K`). Refused: GNU sparse
 * members (`S`, never written by an image tool), headers whose checksum does not match, members that run past the
 * end of the file, more headers than `maxHeaders`, names longer than `maxNameLength`.
 */

export type MemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarMember {
  /** The cleaned name: relative, `/`-separated, no `.` segments, no trailing slash. */
  name: string;
  type: MemberType;
  /** Offset of the member's first data byte. */
  offset: number;
  /** Data bytes (0 for links, directories and other header-only types). */
  size: number;
  /** Link target as written, for symlinks and hard links. */
  linkname?: string;
  /** Position of the member in the archive (0-based, among members), which decides what a hard link may name. */
  ordinal: number;
}

export interface TarIndex {
  /** Members by cleaned name; a later member with the same name replaces an earlier one, as extraction would. */
  members: Map<string, TarMember>;
  /** Members not indexed because their names are unsafe (absolute, `..` segments, NUL bytes): a few, for errors. */
  refused: string[];
  /** Whether the archive ended with an end-of-archive block (a tar that just stops may have been truncated). */
  terminated: boolean;
  /** Size of the file indexed. */
  fileSize: number;
}

export interface TarLimits {
  /** Most headers (members, pax and GNU long-name headers alike) walked. Default 100,000. */
  maxHeaders?: number;
  /** Longest member or link name, in bytes. Default 4,096 (PATH_MAX). */
  maxNameLength?: number;
  /** Largest pax extended header read. Default 1 MiB. */
  maxPaxHeaderBytes?: number;
}

export const DEFAULT_TAR_LIMITS: Required<TarLimits> = { maxHeaders: 100_000, maxNameLength: 4096, maxPaxHeaderBytes: 1024 * 1024 };

const BLOCK = 512;
const MAX_REFUSED_LISTED = 5;
/** Types whose header carries no data whatever its size field says (as Go's archive/tar reads them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

/** A failure of the archive's tar structure; `what` names the archive. */
export class TarFormatError extends Error {
  /** What the walk had indexed when it failed (detection still tells a format by the names it saw). */
  partial?: TarIndex;

  constructor(
    readonly code: GrpcCode,
    message: string,
  ) {
    super(message);
    this.name = 'TarFormatError';
  }
}

function dataLoss(message: string): TarFormatError {
  return new TarFormatError(GrpcCode.DataLoss, message);
}

function precondition(message: string): TarFormatError {
  return new TarFormatError(GrpcCode.FailedPrecondition, message);
}

/** A TarFormatError as the CodedError clients see, `what` naming the archive. */
export function tarFailure(err: unknown, what: string): unknown {
  if (err instanceof TarFormatError) return registryFailure(err.code, what, err.message, { cause: err });
  return err;
}

/** A request for `length` bytes at `position`; the walker is sent back what was read (shorter at end of file). */
interface ReadRequest {
  position: number;
  length: number;
}

function cString(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** The stored checksum matches the header's bytes (summed unsigned, or signed as some old tars did). */
function checksumMatches(block: Buffer): boolean {
  const text = block
    .toString('latin1', 148, 156)
    .replace(/[\0 ]+$/, '')
    .replace(/^[\0 ]+/, '');
  if (!/^[0-7]+$/.test(text)) return false;
  const stored = Number.parseInt(text, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** A numeric header field: octal text (space or NUL padded) or GNU base-256 (high bit of the first byte set). */
export function parseNumeric(block: Buffer, start: number, length: number, field: string): number {
  const first = block[start];
  if (first & 0x80) {
    if (first === 0xff) throw dataLoss(`negative ${field} in a tar header`);
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + block[i];
      if (value > Number.MAX_SAFE_INTEGER) throw dataLoss(`${field} in a tar header is too large`);
    }
    return value;
  }
  const text = block
    .toString('latin1', start, start + length)
    .replace(/^[ \0]+/, '')
    .replace(/[ \0]+$/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw dataLoss(`invalid ${field} ${JSON.stringify(text)} in a tar header`);
  const value = Number.parseInt(text, 8);
  if (value > Number.MAX_SAFE_INTEGER) throw dataLoss(`${field} in a tar header is too large`);
  return value;
}

/** Parses pax extended header records (`LEN key=value\n`); later records win. */
export function parsePax(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let position = 0;
  while (position < body.length) {
    if (body[position] === 0) break; // Padding some writers leave.
    const space = body.indexOf(0x20, position);
    const lengthText = space < 0 ? '' : body.toString('latin1', position, space);
    if (!/^[1-9]\d{0,9}$/.test(lengthText)) throw dataLoss('malformed pax extended header record');
    const length = Number(lengthText);
    const end = position + length;
    if (end > body.length || body[end - 1] !== 0x0a) throw dataLoss('malformed pax extended header record');
    const record = body.toString('utf8', space + 1, end - 1);
    const equals = record.indexOf('=');
    if (equals <= 0) throw dataLoss('malformed pax extended header record');
    records.set(record.slice(0, equals), record.slice(equals + 1));
    position = end;
  }
  return records;
}

/**
 * A member name made relative and clean (`./a//b/` → `a/b`), or undefined when it is unsafe to index: absolute,
 * with a `..` segment or a NUL byte. The empty string is the archive's root (`./`).
 */
export function cleanMemberName(raw: string): string | undefined {
  if (raw.startsWith('/') || raw.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return undefined;
    parts.push(segment);
  }
  return parts.join('/');
}

function memberType(flag: string): MemberType {
  if (flag === '0' || flag === '\0' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** Walks the headers, asking its driver for the bytes it needs; returns the index. */
function* walk(fileSize: number, limits: Required<TarLimits>): Generator<ReadRequest, TarIndex, Buffer> {
  const members = new Map<string, TarMember>();
  const refused: string[] = [];
  try {
    return yield* walkInto(members, refused, fileSize, limits);
  } catch (err) {
    if (err instanceof TarFormatError) err.partial = { members, refused, terminated: false, fileSize };
    throw err;
  }
}

function* walkInto(
  members: Map<string, TarMember>,
  refused: string[],
  fileSize: number,
  limits: Required<TarLimits>,
): Generator<ReadRequest, TarIndex, Buffer> {
  let position = 0;
  let headers = 0;
  let ordinal = 0;
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;

  const readBody = function* (offset: number, size: number, limit: number, kind: string): Generator<ReadRequest, Buffer, Buffer> {
    if (size > limit) throw precondition(`a ${kind} of ${size} bytes is larger than the ${limit} bytes allowed`);
    if (offset + size > fileSize) throw dataLoss(`the tar archive is truncated: a ${kind} runs past the end of the file`);
    const body = yield { position: offset, length: size };
    if (body.length !== size) throw dataLoss(`the tar archive is truncated: a ${kind} runs past the end of the file`);
    return body;
  };

  for (;;) {
    if (position === fileSize) return { members, refused, terminated: false, fileSize };
    const block = yield { position, length: BLOCK };
    if (block.length === 0) return { members, refused, terminated: false, fileSize };
    if (block.length < BLOCK) throw dataLoss(`the tar archive is truncated: it ends inside the header at offset ${position}`);
    if (isZeroBlock(block)) return { members, refused, terminated: true, fileSize };
    if (!checksumMatches(block)) {
      if (position === 0) throw new TarFormatError(GrpcCode.InvalidArgument, 'not a tar archive (the first header is not a valid tar header)');
      throw dataLoss(`corrupt tar header at offset ${position} (checksum mismatch)`);
    }
    headers += 1;
    if (headers > limits.maxHeaders) throw precondition(`the tar archive has more than ${limits.maxHeaders} entries`);

    const flag = String.fromCharCode(block[156]);
    let size = parseNumeric(block, 124, 12, 'size');
    const dataOffset = position + BLOCK;

    if (flag === 'x' || flag === 'L' || flag === 'K') {
      const limit = flag === 'x' ? limits.maxPaxHeaderBytes : limits.maxNameLength + 1;
      const kind = flag === 'x' ? 'pax extended header' : flag === 'L' ? 'GNU long name' : 'GNU long link name';
      const body = yield* readBody(dataOffset, size, limit, kind);
      if (flag === 'x') pax = parsePax(body);
      else {
        const text = body.toString('utf8').replace(/\0+$/, '');
        if (flag === 'L') longName = text;
        else longLink = text;
      }
      position = dataOffset + roundUp(size);
      continue;
    }
    if (flag === 'g') {
      // Global pax records would apply to every later member; image tools do not write them and none is used.
      if (dataOffset + size > fileSize) throw dataLoss('the tar archive is truncated: a pax global header runs past the end of the file');
      position = dataOffset + roundUp(size);
      continue;
    }
    if (flag === 'S') throw precondition(`the tar archive has a GNU sparse member at offset ${position}, which is not supported`);

    const magic = block.toString('latin1', 257, 263);
    let name = cString(block, 0, 100);
    if (magic === 'ustar\0') {
      const prefix = cString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    let linkname = cString(block, 157, 100);
    if (longName !== undefined) name = longName;
    if (longLink !== undefined) linkname = longLink;
    if (pax) {
      const paxPath = pax.get('path');
      const paxLink = pax.get('linkpath');
      const paxSize = pax.get('size');
      if (paxPath) name = paxPath;
      if (paxLink) linkname = paxLink;
      if (paxSize) {
        if (!/^\d{1,16}$/.test(paxSize) || Number(paxSize) > Number.MAX_SAFE_INTEGER) throw dataLoss(`invalid pax size ${JSON.stringify(paxSize)}`);
        size = Number(paxSize);
      }
    }
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    if (Buffer.byteLength(name) > limits.maxNameLength || Buffer.byteLength(linkname) > limits.maxNameLength) {
      throw precondition(`a tar member name at offset ${position} is longer than ${limits.maxNameLength} bytes`);
    }

    if (HEADER_ONLY.has(flag)) size = 0;
    if (dataOffset + size > fileSize) {
      throw dataLoss(`the tar archive is truncated: member ${JSON.stringify(name)} needs ${size} bytes, the file ends before them`);
    }
    const type = memberType(flag);
    const cleaned = cleanMemberName(name);
    if (cleaned === undefined) {
      if (refused.length < MAX_REFUSED_LISTED) refused.push(name);
    } else if (cleaned !== '') {
      const member: TarMember = { name: cleaned, type, offset: dataOffset, size, ordinal };
      if (type === 'symlink' || type === 'hardlink') member.linkname = linkname;
      members.set(cleaned, member);
    }
    ordinal += 1;
    position = dataOffset + roundUp(size);
  }
}

function limitsOf(limits: TarLimits | undefined): Required<TarLimits> {
  return { ...DEFAULT_TAR_LIMITS, ...limits };
}

/** Indexes an open tar file (its size from fstat). Throws TarFormatError for a malformed or truncated archive. */
export async function indexTar(handle: FileHandle, fileSize: number, limits?: TarLimits): Promise<TarIndex> {
  const walker = walk(fileSize, limitsOf(limits));
  let step = walker.next();
  while (!step.done) {
    const { position, length } = step.value;
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    step = walker.next(buffer.subarray(0, filled));
  }
  return step.value;
}

/** The synchronous twin of indexTar, for detection. */
export function indexTarSync(fd: number, fileSize: number, limits?: TarLimits): TarIndex {
  const walker = walk(fileSize, limitsOf(limits));
  let step = walker.next();
  while (!step.done) {
    const { position, length } = step.value;
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const bytesRead = readSync(fd, buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    step = walker.next(buffer.subarray(0, filled));
  }
  return step.value;
}

const MAX_LINK_HOPS = 8;

/**
 * The regular member a name stands for, following symbolic and hard links inside the archive by name (never on
 * disk): a symlink's target is taken relative to its directory, a hard link's relative to the archive's root and it
 * must name an earlier member. A target outside the archive (absolute, or climbing above the root), a chain longer
 * than 8 links, or a name that ends at anything but a regular file is refused (FailedPrecondition); undefined when no
 * member has the name.
 */
export function resolveMember(index: TarIndex, name: string): TarMember | undefined {
  let member = index.members.get(name);
  if (!member) return undefined;
  for (let hops = 0; member.type === 'symlink' || member.type === 'hardlink'; hops++) {
    if (hops >= MAX_LINK_HOPS) throw precondition(`${JSON.stringify(name)} is a chain of more than ${MAX_LINK_HOPS} links`);
    const link: TarMember = member;
    const raw = link.linkname ?? '';
    let target: string | undefined;
    if (link.type === 'symlink') {
      if (raw.startsWith('/')) throw precondition(`${JSON.stringify(link.name)} is a symbolic link to ${JSON.stringify(raw)}, outside the archive`);
      const joined = posix.normalize(posix.join(posix.dirname(link.name), raw));
      target = joined === '..' || joined.startsWith('../') ? undefined : cleanMemberName(joined);
    } else {
      target = cleanMemberName(raw);
    }
    if (target === undefined || target === '') {
      throw precondition(`${JSON.stringify(link.name)} is a link to ${JSON.stringify(raw)}, outside the archive`);
    }
    const next = index.members.get(target);
    if (!next) throw precondition(`${JSON.stringify(link.name)} is a link to ${JSON.stringify(raw)}, which is not in the archive`);
    if (link.type === 'hardlink' && next.ordinal >= link.ordinal) {
      throw precondition(`${JSON.stringify(link.name)} is a hard link to ${JSON.stringify(raw)}, which does not come before it`);
    }
    member = next;
  }
  if (member.type !== 'file') throw precondition(`${JSON.stringify(name)} is not a regular file in the archive (${member.type})`);
  return member;
}
