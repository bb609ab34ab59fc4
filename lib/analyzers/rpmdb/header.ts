/**
 * The rpm header blob as rpm databases store it: a big-endian index-entry count and data length, the index entries
 * (tag, type, offset, count), then the data store. Only the tags lamina needs are decoded, each bounds-checked.
 */

/** Tags read from a header (rpmtag.h). */
export const RpmTag = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  license: 1014,
  arch: 1022,
  oldFilenames: 1027,
  sourceRpm: 1044,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
  modularityLabel: 5096,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

const ENTRY_SIZE = 16;
/** rpm refuses headers of 256 MiB or more (header.c headerMaxbytes). */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;
/** rpm's own ceiling on index entries (hdrchkTags). */
const MAX_ENTRIES = 0xffff;

interface IndexEntry {
  type: number;
  offset: number;
  count: number;
}

/** The tags of one header that lamina reads. */
export interface RpmHeader {
  name?: string;
  version?: string;
  release?: string;
  epoch?: number;
  arch?: string;
  license?: string;
  sourceRpm?: string;
  /** Packages built in a module stream: `name:stream:version:context` (`nodejs:18:8090020231019152822:a75119d5`). */
  modularityLabel?: string;
  /** Absolute paths as rpm lists them. */
  files: string[];
}

class HeaderReader {
  private readonly entries = new Map<number, IndexEntry>();
  private readonly dataStart: number;
  private readonly dataEnd: number;

  constructor(private readonly blob: Buffer) {
    if (blob.length < 8) throw new Error(`header blob of ${blob.length} bytes is too short`);
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il < 1 || il > MAX_ENTRIES) throw new Error(`header has an implausible ${il} index entries`);
    this.dataStart = 8 + il * ENTRY_SIZE;
    this.dataEnd = this.dataStart + dl;
    if (dl >= MAX_HEADER_BYTES || this.dataEnd > blob.length) throw new Error(`header data of ${dl} bytes runs past the ${blob.length}-byte blob`);
    for (let index = 0; index < il; index++) {
      const at = 8 + index * ENTRY_SIZE;
      const tag = blob.readInt32BE(at);
      // Dribble entries after the immutable region repeat tags; the later value is the current one.
      this.entries.set(tag, { type: blob.readUInt32BE(at + 4), offset: blob.readInt32BE(at + 8), count: blob.readUInt32BE(at + 12) });
    }
  }

  private start(entry: IndexEntry): number | undefined {
    if (entry.offset < 0 || entry.offset >= this.dataEnd - this.dataStart) return undefined;
    return this.dataStart + entry.offset;
  }

  /** `count` NUL-terminated strings from `at`, or undefined when one runs past the data store. */
  private strings(at: number, count: number): string[] | undefined {
    const values: string[] = [];
    let position = at;
    for (let index = 0; index < count; index++) {
      const end = this.blob.indexOf(0, position);
      if (end < 0 || end >= this.dataEnd) return undefined;
      values.push(this.blob.toString('utf8', position, end));
      position = end + 1;
    }
    return values;
  }

  string(tag: number): string | undefined {
    const entry = this.entries.get(tag);
    if (!entry || (entry.type !== TYPE_STRING && entry.type !== TYPE_I18NSTRING)) return undefined;
    const at = this.start(entry);
    return at === undefined ? undefined : this.strings(at, 1)?.[0];
  }

  stringArray(tag: number): string[] | undefined {
    const entry = this.entries.get(tag);
    if (!entry || entry.type !== TYPE_STRING_ARRAY) return undefined;
    const at = this.start(entry);
    // Each string takes at least its NUL, so a count beyond the data store is corrupt.
    if (at === undefined || entry.count > this.dataEnd - at) return undefined;
    return this.strings(at, entry.count);
  }

  int32Array(tag: number): number[] | undefined {
    const entry = this.entries.get(tag);
    if (!entry || entry.type !== TYPE_INT32) return undefined;
    const at = this.start(entry);
    if (at === undefined || entry.count > (this.dataEnd - at) / 4) return undefined;
    const values: number[] = [];
    for (let index = 0; index < entry.count; index++) values.push(this.blob.readInt32BE(at + index * 4));
    return values;
  }
}

/** `(none)` is how rpm spells an absent value in some databases' string tags. */
function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '(none)' ? undefined : value;
}

function fileList(reader: HeaderReader): string[] {
  const baseNames = reader.stringArray(RpmTag.baseNames);
  const dirNames = reader.stringArray(RpmTag.dirNames);
  const dirIndexes = reader.int32Array(RpmTag.dirIndexes);
  if (baseNames && dirNames && dirIndexes && dirIndexes.length === baseNames.length) {
    const files: string[] = [];
    baseNames.forEach((base, index) => {
      const dir = dirNames[dirIndexes[index]];
      if (dir !== undefined) files.push(dir + base);
    });
    return files;
  }
  return reader.stringArray(RpmTag.oldFilenames) ?? [];
}

/** Decodes the tags lamina needs from one header blob; throws on a blob whose layout is broken. */
export function parseRpmHeader(blob: Buffer): RpmHeader {
  const reader = new HeaderReader(blob);
  const header: RpmHeader = { files: fileList(reader) };
  const assign = (key: 'name' | 'version' | 'release' | 'arch' | 'license' | 'sourceRpm' | 'modularityLabel', tag: number): void => {
    const value = present(reader.string(tag));
    if (value !== undefined) header[key] = value;
  };
  assign('name', RpmTag.name);
  assign('version', RpmTag.version);
  assign('release', RpmTag.release);
  assign('arch', RpmTag.arch);
  assign('license', RpmTag.license);
  assign('sourceRpm', RpmTag.sourceRpm);
  assign('modularityLabel', RpmTag.modularityLabel);
  const epoch = reader.int32Array(RpmTag.epoch);
  if (epoch && epoch.length > 0) header.epoch = epoch[0];
  return header;
}
