import type { ImagePath } from '../layers/types';
import {
  ELF_HEADER_BYTES,
  type ElfHeader,
  type ElfSegment,
  fileOffsetOf,
  isElf,
  PF_W,
  parseElfHeader,
  parseProgramHeaders,
  programHeaderRange,
  readUint,
  segmentOfOffset,
} from './elf';
import type { AnalysisResult, PackageRecord, StreamAnalysis, StreamAnalyzer } from './types';

/**
 * Go binaries: the build info the Go linker embeds (Go 1.13 and later), as `go version -m` and debug/buildinfo read
 * it: the toolchain version, the main module, and every dependency module with its `=>` replacement.
 *
 * The build info starts with a 32-byte header, 16-byte aligned: the magic `\xff Go buildinf:`, the pointer size and
 * a flags byte. From Go 1.18 on (flag bit 2) the version and module strings follow inline, each prefixed with its
 * uvarint length. Before, the header holds two pointers (virtual addresses) to Go string headers {data, len}, whose
 * data is elsewhere in the file. The module text is framed by two 16-byte sentinels.
 *
 * Binaries are read in one pass as the layer streams by, never whole. The section headers (at the end of the file)
 * come too late to look `.go.buildinfo` up by name, so the header is found by its aligned magic, anywhere; the
 * program headers (at the start) map the pointers of the old format to file offsets. In the old format the string
 * headers usually come after the build info (in .data), but the string bytes before it (in .rodata): so while
 * streaming the scan records, bounded, every stretch that could be one of them (bytes starting with `go1.` or `devel `,
 * and module text starting with the sentinel) and takes the one at the exact offset the pointers give. Whatever the
 * pointers name that is neither recorded nor still ahead makes the build info unreadable (noted, the scan partial).
 */

const MIB = 1024 * 1024;
/** Executables larger than this are not read (the largest real Go binaries are a few hundred MiB). */
export const MAX_GO_BINARY_SIZE = 512 * MIB;

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ALIGN = 16;
const HEADER_BYTES = 32;
/** cmd/go's infoStart and infoEnd sentinels around the module text. */
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const VERSION_PREFIXES = [Buffer.from('go1.', 'latin1'), Buffer.from('devel ', 'latin1')];
/** Longest pattern less one: how much of a chunk's end is kept to find matches that straddle two chunks. */
const OVERLAP = 15;
const TAIL_BYTES = 64;

/** The ELF header and program headers are read from the first bytes of the file only. */
const PREFIX_BYTES = 64 * 1024;
/** Aligned magics followed up (a Go program may hold the magic as a constant too, e.g. one using debug/buildinfo). */
const MAX_CANDIDATES = 8;
const MAX_VERSION_BYTES = 1024;
const MAX_MODINFO_BYTES = 2 * MIB;
const VERSION_RECORD_BYTES = 96;
const MAX_VERSION_RECORDS = 2048;
const MAX_MODINFO_RECORDS = 4;

/** Bytes of the stream from absolute offset `start`, as they go by, up to `need` (which its owner may change). */
class Capture {
  private buf: Buffer;
  length = 0;
  onData?: () => void;
  onDone?: (bytes: Buffer) => void;

  constructor(
    readonly start: number,
    public need: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(need, 4096));
  }

  get done(): boolean {
    return this.length >= this.need;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, Math.min(this.length, this.need));
  }

  /** Copies what it still needs from `chunk`, whose first byte is at absolute offset `at`; the bytes copied. */
  feed(chunk: Buffer, at: number): number {
    if (this.done) return 0;
    const from = this.start + this.length - at;
    if (from < 0 || from >= chunk.length) return 0;
    const count = Math.min(chunk.length - from, this.need - this.length);
    if (this.length + count > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.need, Math.max(this.length + count, this.buf.length * 2)));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.length, from, from + count);
    this.length += count;
    return count;
  }
}

interface Candidate {
  offset: number;
  format?: 'inline' | 'pointer';
  version?: string;
  modinfo?: Buffer;
  error?: string;
}

/** A toolchain version as Go prints it (`go1.21.5`, `devel go1.23-abcdef …`): one line of printable ASCII. */
const PRINTABLE = /^[\x20-\x7e]+$/;

type Uvarint = { value: number; next: number } | 'short' | 'bad';

/** encoding/binary's Uvarint: up to 10 bytes, 7 bits each, least significant first. */
function uvarint(buf: Buffer, at: number): Uvarint {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= buf.length) return 'short';
    const byte = buf[at + i];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return Number.isSafeInteger(value) ? { value, next: at + i + 1 } : 'bad';
    scale *= 128;
  }
  return 'bad';
}

/** The inline (Go 1.18+) strings after the header: done, more bytes needed, or not build info. */
function decodeInline(b: Buffer): { version: string; modinfo: Buffer } | { need: number } | { error: string } {
  const version = uvarint(b, HEADER_BYTES);
  if (version === 'short') return { need: b.length + 1 };
  if (version === 'bad' || version.value > MAX_VERSION_BYTES) return { error: 'its version string has an implausible length' };
  const versionEnd = version.next + version.value;
  if (b.length < versionEnd) return { need: versionEnd };
  const modinfo = uvarint(b, versionEnd);
  if (modinfo === 'short') return { need: b.length + 1 };
  if (modinfo === 'bad' || modinfo.value > MAX_MODINFO_BYTES) return { error: `its module list is longer than ${MAX_MODINFO_BYTES} bytes` };
  const end = modinfo.next + modinfo.value;
  if (b.length < end) return { need: end };
  return { version: b.toString('utf8', version.next, versionEnd), modinfo: b.subarray(modinfo.next, end) };
}

interface Module {
  path: string;
  version: string;
  replace?: Module;
}

/** runtime/debug.ParseBuildInfo's reading of the module lines (`path`, `mod`, `dep`, `=>`); the rest is ignored. */
function parseModuleText(text: string): { main?: Module; deps: Module[] } {
  let main: Module | undefined;
  const deps: Module[] = [];
  let last: Module | undefined;
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const word = line.slice(0, tab);
    const fields = line.slice(tab + 1).split('\t');
    const module = fields.length === 2 || fields.length === 3 ? { path: fields[0], version: fields[1] } : undefined;
    if (word === 'mod') {
      main = module;
      last = undefined;
    } else if (word === 'dep') {
      if (module) deps.push(module);
      last = module;
    } else if (word === '=>') {
      if (last && module) last.replace = module;
      last = undefined;
    }
  }
  return { main, deps };
}

/** Strips the sentinels around the module text, as debug/buildinfo does; "" when they are not there. */
function moduleText(modinfo: Buffer): string {
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === 0x0a) return modinfo.toString('utf8', 16, modinfo.length - 16);
  return '';
}

/** `go1.21.5` → `1.21.5`, `go1.22.1 X:loopvar` → `1.22.1`, `go1.22rc1` → `1.22rc1`; development toolchains have none. */
export function stdlibVersion(goVersion: string): string | undefined {
  const match = /^go(\d+\.\d+(?:\.\d+)?(?:(?:alpha|beta|rc)\d+)?)(?![\w.])/.exec(goVersion.trim());
  return match?.[1];
}

function goPackage(name: string, version: string): PackageRecord {
  return { ecosystem: 'Go', purlType: 'golang', name, version };
}

/**
 * The packages a Go binary's build info names: the main module (unless it is `(devel)`, which is no version), each
 * dependency as installed (a replacement's path and version; a local-directory replacement has no version and is
 * left out), and the standard library as `stdlib` at the toolchain's version.
 */
export function goPackages(goVersion: string, modinfo: Buffer): PackageRecord[] {
  const { main, deps } = parseModuleText(moduleText(modinfo));
  const packages: PackageRecord[] = [];
  if (main?.path && main.version && main.version !== '(devel)') packages.push(goPackage(main.path, main.version));
  for (const dep of deps) {
    const installed = dep.replace ?? dep;
    if (installed.path && installed.version) packages.push(goPackage(installed.path, installed.version));
  }
  const stdlib = stdlibVersion(goVersion);
  if (stdlib) packages.push(goPackage('stdlib', stdlib));
  return packages;
}

/** The single-pass scan of one executable. */
class GoBinaryScan implements StreamAnalysis {
  /** Absolute offset of the current chunk's first byte. */
  private at = 0;
  private chunk: Buffer = Buffer.alloc(0);
  /** The last bytes before the current chunk, and where they start. */
  private tail: Buffer = Buffer.alloc(0);
  private tailStart = 0;
  private readonly prefix: Capture;
  private header?: ElfHeader;
  private segments?: ElfSegment[];
  private active: Capture[] = [];
  private readonly candidates: Candidate[] = [];
  private readonly versionRecords = new Map<number, Capture>();
  private readonly modinfoRecords: Capture[] = [];
  private finished = false;

  constructor(
    private readonly path: ImagePath,
    private readonly size: number,
  ) {
    this.prefix = new Capture(0, Math.min(size, PREFIX_BYTES));
  }

  write(chunk: Buffer): boolean {
    if (this.finished) return false;
    this.chunk = chunk;
    this.prefix.feed(chunk, this.at);
    if (!this.header && !this.readHeader()) {
      this.advance(chunk);
      return !this.finished;
    }
    for (const capture of [...this.active]) this.pump(capture, chunk, this.at);
    this.active = this.active.filter((capture) => !capture.done);
    if (!this.finished) this.search(chunk);
    this.advance(chunk);
    return !this.finished;
  }

  end(): AnalysisResult {
    const found = this.chosen();
    this.release();
    if (found) {
      const packages = goPackages(found.version!, found.modinfo ?? Buffer.alloc(0));
      return { evidence: packages.length > 0 ? [{ kind: 'packages', packages }] : [] };
    }
    const failed = this.candidates.find((candidate) => candidate.format !== undefined);
    if (!failed) return { evidence: [] };
    const why = failed.error ?? 'the file ends inside it';
    return { evidence: [], notes: [`${this.path}: Go build info at offset ${failed.offset} could not be read: ${why}`], unreadable: true };
  }

  /** False while the ELF header is incomplete or when the file is not ELF (then nothing more is read). */
  private readHeader(): boolean {
    const head = this.prefix.bytes();
    if (head.length >= 4 && !isElf(head)) {
      this.finish();
      return false;
    }
    if (head.length < ELF_HEADER_BYTES && !this.prefix.done) return false;
    this.header = parseElfHeader(head);
    if (!this.header) this.finish();
    return this.header !== undefined;
  }

  /** The loadable segments, once the program headers are in the prefix; undefined when they are not (yet). */
  private loadSegments(): ElfSegment[] | undefined {
    if (this.segments || !this.header) return this.segments;
    const range = programHeaderRange(this.header);
    if (!range || range.offset + range.length > this.prefix.length) return undefined;
    this.segments = parseProgramHeaders(this.prefix.bytes().subarray(range.offset, range.offset + range.length), this.header);
    return this.segments;
  }

  private advance(chunk: Buffer): void {
    this.at += chunk.length;
    if (chunk.length >= TAIL_BYTES) {
      this.tail = Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES));
    } else {
      const joined = Buffer.concat([this.tail, chunk]);
      this.tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
    }
    this.tailStart = this.at - this.tail.length;
    this.chunk = Buffer.alloc(0);
  }

  /** Feeds a capture from `chunk` until it is done or the chunk has nothing more for it. */
  private pump(capture: Capture, chunk: Buffer, at: number): void {
    while (!capture.done && capture.feed(chunk, at) > 0) capture.onData?.();
    if (capture.done) capture.onDone?.(capture.bytes());
  }

  /**
   * Starts capturing at `offset` (already streamed by in the last few bytes, in the current chunk or ahead); undefined
   * when those bytes went by earlier.
   */
  private capture(offset: number, need: number, setup?: (capture: Capture) => void): Capture | undefined {
    if (offset < this.tailStart) return undefined;
    const capture = new Capture(offset, Math.min(need, Math.max(0, this.size - offset)));
    setup?.(capture);
    if (this.tail.length > 0) {
      while (!capture.done && capture.feed(this.tail, this.tailStart) > 0) capture.onData?.();
    }
    this.pump(capture, this.chunk, this.at);
    if (!capture.done) this.active.push(capture);
    return capture;
  }

  /** Every match of `pattern` that starts in this chunk, or straddles the tail and this chunk. */
  private matches(chunk: Buffer, pattern: Buffer, join: Buffer, joinTail: number, onMatch: (offset: number) => void): void {
    for (let i = join.indexOf(pattern); i >= 0 && i < joinTail; i = join.indexOf(pattern, i + 1)) {
      if (i + pattern.length > joinTail) onMatch(this.at - joinTail + i);
    }
    for (let i = chunk.indexOf(pattern); i >= 0 && !this.finished; i = chunk.indexOf(pattern, i + 1)) onMatch(this.at + i);
  }

  private search(chunk: Buffer): void {
    const joinTail = Math.min(OVERLAP, this.tail.length);
    const join = joinTail > 0 ? Buffer.concat([this.tail.subarray(this.tail.length - joinTail), chunk.subarray(0, OVERLAP)]) : Buffer.alloc(0);
    for (const prefix of VERSION_PREFIXES) this.matches(chunk, prefix, join, joinTail, (offset) => this.recordVersion(offset));
    this.matches(chunk, INFO_START, join, joinTail, (offset) => this.recordModinfo(offset));
    this.matches(chunk, MAGIC, join, joinTail, (offset) => this.candidate(offset));
  }

  private recordVersion(offset: number): void {
    if (this.versionRecords.size >= MAX_VERSION_RECORDS) return;
    const capture = this.capture(offset, VERSION_RECORD_BYTES);
    if (capture) this.versionRecords.set(offset, capture);
  }

  private recordModinfo(offset: number): void {
    if (this.modinfoRecords.length >= MAX_MODINFO_RECORDS) return;
    let searched = INFO_START.length;
    const capture = this.capture(offset, MAX_MODINFO_BYTES, (c) => {
      c.onData = () => {
        const bytes = c.bytes();
        const end = bytes.indexOf(INFO_END, Math.max(INFO_START.length, searched - INFO_END.length + 1));
        searched = bytes.length;
        if (end >= 0) c.need = end + INFO_END.length;
      };
    });
    if (capture) this.modinfoRecords.push(capture);
  }

  private candidate(offset: number): void {
    if (offset % ALIGN !== 0 || this.candidates.length >= MAX_CANDIDATES) return;
    const candidate: Candidate = { offset };
    this.candidates.push(candidate);
    this.capture(offset, HEADER_BYTES, (capture) => {
      capture.onData = () => this.progress(candidate, capture);
    });
  }

  /** Follows a candidate's header as its bytes arrive. */
  private progress(candidate: Candidate, capture: Capture): void {
    const b = capture.bytes();
    if (candidate.error !== undefined || b.length < HEADER_BYTES) return;
    if (candidate.format === undefined) {
      const pointerSize = b[14];
      if (pointerSize !== 4 && pointerSize !== 8) {
        candidate.error = `pointer size ${pointerSize}`;
        capture.need = capture.length;
        return;
      }
      candidate.format = (b[15] & 2) !== 0 ? 'inline' : 'pointer';
      if (candidate.format === 'pointer') {
        capture.need = HEADER_BYTES;
        this.followPointers(candidate, b.subarray(0, HEADER_BYTES));
        return;
      }
    }
    if (candidate.format !== 'inline') return;
    const decoded = decodeInline(b);
    if ('need' in decoded) {
      capture.need = Math.min(decoded.need, this.size - candidate.offset);
    } else if ('error' in decoded) {
      candidate.error = decoded.error;
      capture.need = capture.length;
    } else {
      capture.need = capture.length;
      candidate.version = decoded.version;
      candidate.modinfo = Buffer.from(decoded.modinfo);
      this.settled(candidate);
    }
  }

  /** The old format: two pointers to string headers, each pointing at the string's bytes. */
  private followPointers(candidate: Candidate, header: Buffer): void {
    const pointerSize = header[14];
    const littleEndian = header[15] === 0;
    const segments = this.loadSegments();
    if (!segments) {
      candidate.error = 'the program headers, which map its pointers to the file, were not read';
      return;
    }
    const readString = (pointer: number, kind: 'version' | 'modinfo', done: (bytes: Buffer) => void): void => {
      const fail = (why: string) => {
        candidate.error ??= `its ${kind} ${why}`;
      };
      const headerOffset = fileOffsetOf(segments, pointer, 2 * pointerSize);
      if (headerOffset === undefined) return fail(`string header at 0x${pointer.toString(16)} is not in the file`);
      const started = this.capture(headerOffset, 2 * pointerSize, (capture) => {
        capture.onDone = (stringHeader) => {
          if (stringHeader.length < 2 * pointerSize) return fail('string header is cut off by the end of the file');
          const data = readUint(stringHeader, 0, pointerSize, littleEndian);
          const length = readUint(stringHeader, pointerSize, pointerSize, littleEndian);
          if (length === 0) return done(Buffer.alloc(0));
          if (!(length <= MAX_MODINFO_BYTES)) return fail(`string is implausibly long (${length} bytes)`);
          const offset = fileOffsetOf(segments, data, length);
          if (offset === undefined) return fail(`string at 0x${data.toString(16)} is not in the file`);
          if (offset >= this.tailStart) {
            this.capture(offset, length, (bytes) => {
              bytes.onDone = (data) => (data.length < length ? fail('string is cut off by the end of the file') : done(data));
            });
            return;
          }
          const recorded = kind === 'version' ? this.versionRecords.get(offset) : this.modinfoRecords.find((record) => record.start === offset);
          if (recorded && recorded.length >= length) return done(Buffer.from(recorded.bytes().subarray(0, length)));
          fail(`string at offset ${offset} comes before the build info and was not recorded on the way`);
        };
      });
      if (!started) fail(`string header at offset ${headerOffset} comes before the build info`);
    };
    readString(readUint(header, 16, pointerSize, littleEndian), 'version', (bytes) => {
      candidate.version = bytes.toString('utf8');
      this.settled(candidate);
    });
    readString(readUint(header, 16 + pointerSize, pointerSize, littleEndian), 'modinfo', (bytes) => {
      candidate.modinfo = bytes;
      this.settled(candidate);
    });
  }

  private succeeded(candidate: Candidate): boolean {
    return candidate.error === undefined && candidate.version !== undefined && PRINTABLE.test(candidate.version) && candidate.modinfo !== undefined;
  }

  /** In a writable segment, where the linker puts the real build info (the magic as a constant is read-only data). */
  private writable(candidate: Candidate): boolean {
    const segment = this.segments ? segmentOfOffset(this.segments, candidate.offset) : undefined;
    return segment !== undefined && (segment.flags & PF_W) !== 0;
  }

  /** A candidate read whole: the first in a writable segment ends the scan. */
  private settled(candidate: Candidate): void {
    this.loadSegments();
    if (this.succeeded(candidate) && this.writable(candidate)) this.finish();
  }

  private chosen(): Candidate | undefined {
    this.loadSegments();
    const good = this.candidates.filter((candidate) => this.succeeded(candidate));
    return good.find((candidate) => this.writable(candidate)) ?? good[0];
  }

  private finish(): void {
    this.finished = true;
    this.active = [];
  }

  private release(): void {
    this.finish();
    this.versionRecords.clear();
    this.modinfoRecords.length = 0;
    this.tail = Buffer.alloc(0);
  }
}

export const goBinaryAnalyzer: StreamAnalyzer & { readonly pathHints: { exact: readonly ImagePath[] } } = {
  name: 'gobinary',
  version: 1,
  maxFileSize: 0,
  pathHints: { exact: [] },
  wants: () => false,
  analyze: () => ({ evidence: [] }),
  /** Every executable regular file: a Go binary may be anywhere, and a file that replaces one must be seen too. */
  wantsStream: (_path, mode, size) => (mode & 0o111) !== 0 && size <= MAX_GO_BINARY_SIZE,
  openStream: (path, _mode, size) => new GoBinaryScan(path, size),
};
