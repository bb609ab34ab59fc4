/**
 * The parts of ELF (System V gABI) the binary analysers read: the file header, program headers (segments: how virtual
 * addresses map to file offsets) and section headers (named sections). Both classes (32/64-bit) and byte orders.
 * Every offset and count is checked against the bytes at hand: a damaged or hostile header yields undefined or an
 * error string, never a throw or an out-of-range read.
 */

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
/** Bytes that hold the file header of either class (52 for ELF32, 64 for ELF64). */
export const ELF_HEADER_BYTES = 64;

export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const SHT_NOBITS = 8;

export interface ElfHeader {
  is64: boolean;
  littleEndian: boolean;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  /** As the header says: 0 with a non-zero `shoff` means the count is in section 0 (see parseSections). */
  shnum: number;
  shstrndx: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
}

/** Reads an unsigned integer of `bytes` (2, 4 or 8) at `at`; 8-byte values past 2^53 come back as NaN. */
export function readUint(buf: Buffer, at: number, bytes: number, littleEndian: boolean): number {
  switch (bytes) {
    case 2:
      return littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
    case 4:
      return littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
    case 8: {
      const value = littleEndian ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.NaN;
    }
    default:
      throw new RangeError(`no ${bytes}-byte integers`);
  }
}

export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(ELF_MAGIC);
}

/** The file header from the first bytes of a file (at least 52 or 64 of them); undefined when it is not ELF. */
export function parseElfHeader(head: Buffer): ElfHeader | undefined {
  if (!isElf(head) || head.length < 52) return undefined;
  const elfClass = head[4];
  const data = head[5];
  if ((elfClass !== 1 && elfClass !== 2) || (data !== 1 && data !== 2)) return undefined;
  const is64 = elfClass === 2;
  const le = data === 1;
  if (is64 && head.length < 64) return undefined;
  const word = is64 ? 8 : 4;
  // e_phoff follows e_entry (at 24); the 16-bit sizes and counts follow e_flags and e_ehsize.
  const phoff = readUint(head, 24 + word, word, le);
  const shoff = readUint(head, 24 + 2 * word, word, le);
  const sizes = 24 + 3 * word + 4 + 2;
  const header: ElfHeader = {
    is64,
    littleEndian: le,
    phoff,
    phentsize: readUint(head, sizes, 2, le),
    phnum: readUint(head, sizes + 2, 2, le),
    shoff,
    shentsize: readUint(head, sizes + 4, 2, le),
    shnum: readUint(head, sizes + 6, 2, le),
    shstrndx: readUint(head, sizes + 8, 2, le),
  };
  if (!Number.isFinite(phoff) || !Number.isFinite(shoff)) return undefined;
  return header;
}

/** Where the program header table is, when the header describes a plausible one. */
export function programHeaderRange(header: ElfHeader): { offset: number; length: number } | undefined {
  const minimum = header.is64 ? 56 : 32;
  // 0xffff (PN_XNUM) keeps the count in section 0, at the end of the file: not supported.
  if (header.phoff === 0 || header.phnum === 0 || header.phnum === 0xffff || header.phentsize < minimum) return undefined;
  return { offset: header.phoff, length: header.phnum * header.phentsize };
}

/** Parses the program header table (`table` starts at `phoff`). */
export function parseProgramHeaders(table: Buffer, header: ElfHeader): ElfSegment[] {
  const segments: ElfSegment[] = [];
  const le = header.littleEndian;
  for (let i = 0; i < header.phnum && (i + 1) * header.phentsize <= table.length; i++) {
    const at = i * header.phentsize;
    const segment = header.is64
      ? {
          type: readUint(table, at, 4, le),
          flags: readUint(table, at + 4, 4, le),
          offset: readUint(table, at + 8, 8, le),
          vaddr: readUint(table, at + 16, 8, le),
          filesz: readUint(table, at + 32, 8, le),
        }
      : {
          type: readUint(table, at, 4, le),
          offset: readUint(table, at + 4, 4, le),
          vaddr: readUint(table, at + 8, 4, le),
          filesz: readUint(table, at + 16, 4, le),
          flags: readUint(table, at + 24, 4, le),
        };
    if (Number.isFinite(segment.offset) && Number.isFinite(segment.vaddr) && Number.isFinite(segment.filesz)) segments.push(segment);
  }
  return segments;
}

/** The loadable segment holding `length` bytes at virtual address `vaddr` in the file, if any. */
export function segmentAt(segments: readonly ElfSegment[], vaddr: number, length: number): ElfSegment | undefined {
  return segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr + length <= s.vaddr + s.filesz);
}

/** The file offset of `length` bytes at virtual address `vaddr`, when a loadable segment holds them in the file. */
export function fileOffsetOf(segments: readonly ElfSegment[], vaddr: number, length: number): number | undefined {
  const segment = segmentAt(segments, vaddr, length);
  return segment ? segment.offset + (vaddr - segment.vaddr) : undefined;
}

/** The loadable segment whose file bytes include `offset`. */
export function segmentOfOffset(segments: readonly ElfSegment[], offset: number): ElfSegment | undefined {
  return segments.find((s) => s.type === PT_LOAD && offset >= s.offset && offset < s.offset + s.filesz);
}

/** Past this many sections a header table is taken for damaged (real binaries have tens, rarely thousands). */
const MAX_SECTIONS = 65_536;

function rawSection(file: Buffer, header: ElfHeader, index: number): Omit<ElfSection, 'name'> & { nameOffset: number; link: number } {
  const at = header.shoff + index * header.shentsize;
  const le = header.littleEndian;
  if (header.is64) {
    return {
      nameOffset: readUint(file, at, 4, le),
      type: readUint(file, at + 4, 4, le),
      flags: readUint(file, at + 8, 8, le),
      addr: readUint(file, at + 16, 8, le),
      offset: readUint(file, at + 24, 8, le),
      size: readUint(file, at + 32, 8, le),
      link: readUint(file, at + 40, 4, le),
    };
  }
  return {
    nameOffset: readUint(file, at, 4, le),
    type: readUint(file, at + 4, 4, le),
    flags: readUint(file, at + 8, 4, le),
    addr: readUint(file, at + 12, 4, le),
    offset: readUint(file, at + 16, 4, le),
    size: readUint(file, at + 20, 4, le),
    link: readUint(file, at + 24, 4, le),
  };
}

/**
 * The named sections of a whole ELF file in memory. A file without a section header table (stripped of it) has
 * none: `[]`. A table or name table that does not fit in the file is an error, as a string.
 */
export function parseSections(file: Buffer, header: ElfHeader): ElfSection[] | string {
  if (header.shoff === 0) return [];
  const minimum = header.is64 ? 64 : 40;
  if (header.shentsize < minimum) return `section header entries of ${header.shentsize} bytes are too small`;
  if (header.shoff + minimum > file.length) return `the section header table at ${header.shoff} is past the end of the file`;
  // Extended numbering: a count of 0 (or a name table index of SHN_XINDEX) is kept in section 0.
  const first = rawSection(file, header, 0);
  const count = header.shnum === 0 ? first.size : header.shnum;
  const names = header.shstrndx === 0xffff ? first.link : header.shstrndx;
  if (!Number.isFinite(count) || count > MAX_SECTIONS) return `${count} sections are too many`;
  if (header.shoff + count * header.shentsize > file.length) return `the section header table (${count} entries at ${header.shoff}) does not fit in the file`;
  const raw = Array.from({ length: count }, (_, index) => rawSection(file, header, index));
  const table = raw[names];
  const nameTable =
    table && table.type !== SHT_NOBITS && table.offset + table.size <= file.length ? file.subarray(table.offset, table.offset + table.size) : undefined;
  if (!nameTable) return `the section name table (section ${names}) is missing or past the end of the file`;
  return raw.map(({ nameOffset, link: _link, ...section }) => {
    const end = nameOffset < nameTable.length ? nameTable.indexOf(0, nameOffset) : -1;
    const name = end < 0 ? '' : nameTable.toString('latin1', nameOffset, end);
    return { name, ...section };
  });
}

/** A section's bytes in the file; undefined when it has none there (NOBITS) or they are not in the file. */
export function sectionData(file: Buffer, section: ElfSection): Buffer | undefined {
  if (section.type === SHT_NOBITS || !Number.isFinite(section.offset) || !Number.isFinite(section.size)) return undefined;
  if (section.offset + section.size > file.length) return undefined;
  return file.subarray(section.offset, section.offset + section.size);
}
