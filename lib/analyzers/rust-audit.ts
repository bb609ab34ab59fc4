import { inflateSync } from 'node:zlib';
import type { ImagePath } from '../layers/types';
import { isElf, parseElfHeader, parseSections, sectionData } from './elf';
import type { AnalysisResult, PackageRecord, StreamAnalysis, StreamAnalyzer } from './types';

/**
 * Rust binaries built with cargo-auditable: the `.dep-v0` ELF section holds the crates the binary was built from,
 * as zlib-compressed JSON (`{"packages":[{"name","version","source","kind"?,"dependencies"?,"root"?}], "format"?}`,
 * cargo-auditable.schema.json). Reported: every runtime crate from crates.io or another registry, and the root
 * package whatever its source (usually `local`); left out: build-time crates (`kind: "build"`: build scripts and
 * proc-macros, not in the binary) and non-root `local` or `git` crates, which no registry advisory can name.
 *
 * The section is found through the section header table, at the end of the file, and its bytes usually come well
 * before it: one pass cannot know where they are until it is too late. Scanning every byte for zlib streams that
 * inflate to `{"packages":` would cost a trial inflation at every 0x78 followed by a valid header byte (thousands per
 * binary). Instead, an executable up to MAX_AUDITABLE_BINARY_SIZE whose first bytes are ELF is buffered whole while it
 * streams by (one binary at a time; the buffer goes at its end) and then parsed properly. Larger executables are not
 * read for audit data: a limitation (real Rust binaries are mostly a few MiB to a few tens of MiB).
 */

const MIB = 1024 * 1024;
/** Executables up to this size are buffered to look for `.dep-v0`. */
export const MAX_AUDITABLE_BINARY_SIZE = 32 * MIB;
/** cargo-auditable's own advice: more than enough for any legitimate audit data, and a bound on zlib bombs. */
const MAX_AUDIT_JSON_BYTES = 8 * MIB;
const SECTION = '.dep-v0';

interface AuditPackage {
  name?: unknown;
  version?: unknown;
  source?: unknown;
  kind?: unknown;
  root?: unknown;
}

const REGISTRY_SOURCES = new Set(['crates.io', 'registry']);

/** The packages of decompressed audit data, or why it is not audit data. */
export function auditPackages(json: string): { packages: PackageRecord[]; skipped: number } | string {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const list = (data as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) return 'no "packages" list';
  const packages: PackageRecord[] = [];
  let skipped = 0;
  for (const item of list as AuditPackage[]) {
    if (typeof item?.name !== 'string' || typeof item.version !== 'string' || item.name === '' || item.version === '') {
      skipped++;
      continue;
    }
    if (item.kind === 'build') continue;
    if (item.root !== true && !(typeof item.source === 'string' && REGISTRY_SOURCES.has(item.source))) continue;
    packages.push({ ecosystem: 'crates.io', purlType: 'cargo', name: item.name, version: item.version });
  }
  return { packages, skipped };
}

/** What a whole ELF file's `.dep-v0` section says. */
export function analyzeAuditableElf(path: ImagePath, file: Buffer): AnalysisResult {
  const header = parseElfHeader(file);
  if (!header) return { evidence: [] };
  const sections = parseSections(file, header);
  // A damaged section table: not for this analyser to judge the binary by, unless it is auditable, which is unknown.
  if (typeof sections === 'string') return { evidence: [] };
  const section = sections.find((candidate) => candidate.name === SECTION);
  if (!section) return { evidence: [] };
  const unreadable = (why: string): AnalysisResult => ({ evidence: [], notes: [`${path}: its ${SECTION} audit data ${why}`], unreadable: true });
  const compressed = sectionData(file, section);
  if (!compressed) return unreadable('is not in the file');
  let json: Buffer;
  try {
    json = inflateSync(compressed, { maxOutputLength: MAX_AUDIT_JSON_BYTES });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return unreadable(`inflates to more than ${MAX_AUDIT_JSON_BYTES / MIB} MiB`);
    return unreadable(`does not inflate (zlib): ${(err as Error).message}`);
  }
  const parsed = auditPackages(json.toString('utf8'));
  if (typeof parsed === 'string') return unreadable(`is ${parsed}`);
  const notes = parsed.skipped > 0 ? [`${path}: ${parsed.skipped} ${SECTION} package(s) without a name or version skipped`] : undefined;
  const evidence: AnalysisResult['evidence'] = parsed.packages.length > 0 ? [{ kind: 'packages', packages: parsed.packages }] : [];
  return notes ? { evidence, notes } : { evidence };
}

/** Buffers one executable while it streams by, when it starts like ELF; parses it at its end. */
class AuditableScan implements StreamAnalysis {
  /** The first bytes, until the 4 of the magic are in (chunks may be smaller). */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private file?: Buffer;
  private length = 0;
  private declined = false;

  constructor(
    private readonly path: ImagePath,
    private readonly size: number,
  ) {}

  write(chunk: Buffer): boolean {
    if (this.declined) return false;
    if (this.file) return this.append(chunk);
    const first = this.pendingLength === 0 ? chunk : Buffer.concat([...this.pending, chunk]);
    if (first.length < 4 && first.length < this.size) {
      this.pending = [Buffer.from(first)];
      this.pendingLength = first.length;
      return true;
    }
    this.pending = [];
    if (this.size < 64 || !isElf(first)) {
      this.declined = true;
      return false;
    }
    this.file = Buffer.allocUnsafe(this.size);
    return this.append(first);
  }

  end(): AnalysisResult {
    const file = this.file;
    this.file = undefined;
    if (this.declined || !file || this.length < this.size) return { evidence: [] };
    return analyzeAuditableElf(this.path, file);
  }

  private append(chunk: Buffer): boolean {
    const count = Math.min(chunk.length, this.size - this.length);
    chunk.copy(this.file!, this.length, 0, count);
    this.length += count;
    return this.length < this.size;
  }
}

export const rustAuditAnalyzer: StreamAnalyzer & { readonly pathHints: { exact: readonly ImagePath[] } } = {
  name: 'rust-audit',
  version: 1,
  maxFileSize: 0,
  pathHints: { exact: [] },
  wants: () => false,
  analyze: () => ({ evidence: [] }),
  /** Every executable regular file up to the buffering limit: any may be an auditable Rust binary. */
  wantsStream: (_path, mode, size) => (mode & 0o111) !== 0 && size <= MAX_AUDITABLE_BINARY_SIZE,
  openStream: (path, _mode, size) => new AuditableScan(path, size),
};
