import { ownedImagePath } from '../layers/paths';
import type { ImagePath, LayerFile } from '../layers/types';
import { copyrightLicenses, parseControlFile, type ControlParagraph } from './deb822';
import { baseName, parentDir, type HintedAnalyzer } from './path-hints';
import type { AnalysisResult, Evidence, OsPackage, StreamAnalysis, StreamAnalyzer } from './types';

const STATUS_FILE = 'var/lib/dpkg/status';
const STATUS_DIR = 'var/lib/dpkg/status.d';
const INFO_DIR = 'var/lib/dpkg/info';

/** Maintainer scripts and other control files distroless images keep beside the stanzas in status.d. */
const STATUS_DIR_CONTROL_SUFFIXES = [
  '.preinst',
  '.postinst',
  '.prerm',
  '.postrm',
  '.conffiles',
  '.config',
  '.templates',
  '.triggers',
  '.shlibs',
  '.symbols',
  '.list',
];

const MD5SUMS = '.md5sums';
const LIST = '.list';

const MiB = 1024 * 1024;
/** The status file of a large system is a few MiB. */
const MAX_STATUS_BYTES = 64 * MiB;
/**
 * File lists, md5sums and distroless stanzas are far smaller (the largest Debian file lists, texlive's, are a few
 * MiB): a lower limit keeps a layer of huge fake lists from being read at all.
 */
const MAX_LIST_BYTES = 16 * MiB;
/** Longer than any path (PATH_MAX is 4096): such a line is not a file name, and is not kept. */
const MAX_LINE_LENGTH = 4096;

/** `info/<pkg>.list` or `info/<pkg>.md5sums`: the files a package owns (md5sums lists its regular files only). */
function isInfoFileList(name: string): boolean {
  return [LIST, MD5SUMS].some((suffix) => name.length > suffix.length && name.endsWith(suffix));
}

function isStatusDirStanzaFile(name: string): boolean {
  return name !== '' && !STATUS_DIR_CONTROL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Splits `name[:arch]` as dpkg names its per-package info files. */
function ownerOf(fileStem: string): { owner: string; architecture?: string } {
  const colon = fileStem.indexOf(':');
  return colon < 0 ? { owner: fileStem } : { owner: fileStem.slice(0, colon), architecture: fileStem.slice(colon + 1) };
}

/** `src` or `src (1.2-3)` → name and, when given, version. */
function parseSourceField(value: string): { name: string; version?: string } {
  const match = /^(\S+)(?:\s*\(\s*([^)\s]+)\s*\))?/.exec(value);
  return match ? { name: match[1], version: match[2] } : { name: value };
}

/**
 * Only packages whose Status says `installed`. dpkg also lists `half-installed`, `half-configured`, `unpacked`,
 * `triggers-*` and `config-files` states; those are mid-transaction or removed, and are not reported.
 */
function isInstalled(status: string): boolean {
  return status.split(/\s+/)[2] === 'installed';
}

export interface DpkgPackagesResult {
  packages: OsPackage[];
  notes: string[];
}

/**
 * The installed packages of a dpkg status file. `statusRequired` is true for `var/lib/dpkg/status`, where a
 * stanza without Status is damaged; distroless `status.d` stanzas have no Status and are installed.
 */
export function packagesFromStatus(text: string, statusRequired: boolean): DpkgPackagesResult {
  const { paragraphs, problems } = parseControlFile(text);
  const notes: string[] = [];
  if (problems.length > 0) notes.push(`${problems.length} malformed line(s), first ${problems[0]}`);
  const packages: OsPackage[] = [];
  for (const paragraph of paragraphs) {
    const result = packageFromStanza(paragraph, statusRequired);
    if (typeof result === 'string') notes.push(result);
    else if (result) packages.push(result);
  }
  return { packages, notes };
}

/** A package, undefined for a stanza that is not installed, or the reason a stanza was skipped. */
function packageFromStanza(stanza: ControlParagraph, statusRequired: boolean): OsPackage | string | undefined {
  const name = stanza.get('Package');
  const status = stanza.get('Status');
  const where = `stanza at line ${stanza.line}${name ? ` (${name})` : ''}`;
  if (status === undefined) {
    if (statusRequired) return `${where} has no Status; skipped`;
  } else if (!isInstalled(status)) {
    return undefined;
  }
  if (!name || /\s/.test(name)) return `${where} has no valid Package name; skipped`;
  const version = stanza.get('Version');
  if (!version || /\s/.test(version)) return `${where} has no valid Version; skipped`;

  const source = parseSourceField(stanza.get('Source') ?? '');
  const pkg: OsPackage = {
    manager: 'dpkg',
    name,
    version,
    sourceName: source.name || name,
    sourceVersion: source.version ?? version,
  };
  const architecture = stanza.get('Architecture');
  if (architecture) pkg.architecture = architecture;
  const license = stanza.get('License');
  if (license) pkg.license = license;
  return pkg;
}

interface FileList {
  paths: ImagePath[];
  /** Lines longer than any real path, left out. */
  overlong: number;
}

function listPaths(text: string, pathOf: (line: string) => string | undefined): FileList {
  const list: FileList = { paths: [], overlong: 0 };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length > MAX_LINE_LENGTH) {
      list.overlong++;
      continue;
    }
    const raw = pathOf(line);
    const path = raw === undefined ? undefined : normalise(raw);
    if (path) list.paths.push(path);
  }
  return list;
}

const listLine = (line: string): string => line;
const md5sumsLine = (line: string): string | undefined => /^[0-9a-fA-F]+ [ *]?(.+)$/.exec(line)?.[1];

/** Paths of a `info/<pkg>.list` file: absolute, one a line, `/.` for the root. */
export function pathsFromList(text: string): ImagePath[] {
  return listPaths(text, listLine).paths;
}

/** Paths of a `<pkg>.md5sums` file: `<md5>  <relative path>` a line. */
export function pathsFromMd5sums(text: string): ImagePath[] {
  return listPaths(text, md5sumsLine).paths;
}

const normalise = ownedImagePath;

function ownedFiles(stem: string, files: ImagePath[]): Evidence {
  const { owner, architecture } = ownerOf(stem);
  return architecture ? { kind: 'owned-files', manager: 'dpkg', owner, architecture, files } : { kind: 'owned-files', manager: 'dpkg', owner, files };
}

/** Every note here says that something in the file could not be read: the result is partial. */
function withNotes(path: ImagePath, evidence: Evidence[], notes: string[]): AnalysisResult {
  return notes.length > 0 ? { evidence, notes: notes.map((note) => `${path}: ${note}`), unreadable: true } : { evidence };
}

function analyzeList(path: ImagePath, stem: string, list: FileList): AnalysisResult {
  const notes = list.overlong > 0 ? [`${list.overlong} line(s) longer than ${MAX_LINE_LENGTH} characters skipped`] : [];
  return withNotes(path, [ownedFiles(stem, list.paths)], notes);
}

function analyzePackages(path: ImagePath, text: string, statusRequired: boolean): AnalysisResult {
  const { packages, notes } = packagesFromStatus(text, statusRequired);
  // An unreadable database says nothing; an empty one (everything removed) is still evidence that replaces older layers'.
  if (packages.length === 0 && notes.length > 0) return withNotes(path, [], notes);
  return withNotes(path, [{ kind: 'packages', packages }], notes);
}

/** dpkg's database: the status file, distroless `status.d` stanzas and md5sums, and `info/*.list` and `*.md5sums` file lists. */
export const dpkgAnalyzer: HintedAnalyzer = {
  name: 'dpkg',
  // 3: damaged databases are marked `unreadable`; lists and stanza files have a lower size limit; overlong lines dropped.
  // 4: info/*.md5sums give owned files too.
  version: 4,
  maxFileSize: MAX_STATUS_BYTES,
  maxFileSizeFor(path: ImagePath): number {
    return path === STATUS_FILE ? MAX_STATUS_BYTES : MAX_LIST_BYTES;
  },
  pathHints: { exact: [STATUS_FILE], childrenOf: [STATUS_DIR, INFO_DIR] },
  wants(path: ImagePath): boolean {
    if (path === STATUS_FILE) return true;
    const dir = parentDir(path);
    if (dir === STATUS_DIR) return isStatusDirStanzaFile(baseName(path));
    if (dir === INFO_DIR) return isInfoFileList(baseName(path));
    return false;
  },
  analyze(file: LayerFile): AnalysisResult {
    const text = file.content.toString('utf8');
    const name = baseName(file.path);
    if (file.path === STATUS_FILE) return analyzePackages(file.path, text, true);
    if (parentDir(file.path) === INFO_DIR && name.endsWith(LIST)) {
      return analyzeList(file.path, name.slice(0, -LIST.length), listPaths(text, listLine));
    }
    if (name.endsWith(MD5SUMS) && name.length > MD5SUMS.length) {
      return analyzeList(file.path, name.slice(0, -MD5SUMS.length), listPaths(text, md5sumsLine));
    }
    return analyzePackages(file.path, text, false);
  },
};

const DOC_DIR = 'usr/share/doc/';
const COPYRIGHT = '/copyright';
/** Copyright files are a few KiB to a few hundred; Boost's are 2 MiB. Larger ones are not read. */
export const MAX_COPYRIGHT_BYTES = 4 * MiB;

/** `usr/share/doc/<pkg>/copyright` → `<pkg>`; undefined for any other path. */
function copyrightOwner(path: ImagePath): string | undefined {
  if (!path.startsWith(DOC_DIR) || !path.endsWith(COPYRIGHT)) return undefined;
  const owner = path.slice(DOC_DIR.length, -COPYRIGHT.length);
  return owner !== '' && !owner.includes('/') ? owner : undefined;
}

/** Several licences apply to different files: all of them hold, each kept whole (a name may be `A or B`). */
function joinedLicenses(names: string[]): string {
  if (names.length === 1) return names[0];
  return names.map((name) => (/\s/.test(name) ? `(${name})` : name)).join(' AND ');
}

/** What one copyright file says: the licence evidence of its package, or nothing (not DEP-5, no License field). */
export function analyzeCopyright(path: ImagePath, text: string): AnalysisResult {
  const owner = copyrightOwner(path);
  const names = owner === undefined ? undefined : copyrightLicenses(text);
  if (owner === undefined || !names || names.length === 0) return { evidence: [] };
  return { evidence: [{ kind: 'license', manager: 'dpkg', owner, license: joinedLicenses(names) }] };
}

/** Keeps a copyright file's bytes while it streams by (at most MAX_COPYRIGHT_BYTES); reads it at its end. */
class CopyrightRead implements StreamAnalysis {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(
    private readonly path: ImagePath,
    private readonly size: number,
  ) {}

  write(chunk: Buffer): boolean {
    if (this.size > MAX_COPYRIGHT_BYTES) return false;
    this.chunks.push(Buffer.from(chunk));
    this.length += chunk.length;
    return this.length < this.size;
  }

  end(): AnalysisResult {
    if (this.size > MAX_COPYRIGHT_BYTES) {
      return {
        evidence: [],
        notes: [`${this.path}: ${this.size} bytes is more than a copyright file's ${MAX_COPYRIGHT_BYTES / MiB} MiB: its licences are not read`],
      };
    }
    return analyzeCopyright(this.path, Buffer.concat(this.chunks, this.length).toString('utf8'));
  }
}

/**
 * Licences of Debian packages from their machine-readable copyright files, `usr/share/doc/<pkg>/copyright`, for the
 * packages whose database entry names none (dpkg's never does). The files are read as they stream by, outside the
 * layer's budget for wanted files, so that thousands of them never crowd out a package database; one that cannot be
 * read costs its licence only, and does not make the scan partial.
 */
export const dpkgCopyrightAnalyzer: StreamAnalyzer & HintedAnalyzer = {
  name: 'dpkg-copyright',
  version: 1,
  maxFileSize: 0,
  pathHints: { exact: [] },
  wants: () => false,
  analyze: () => ({ evidence: [] }),
  // Every copyright file is opened, whatever its size, so that a larger one in a higher layer still replaces a lower one's.
  wantsStream: (path) => copyrightOwner(path) !== undefined,
  openStream: (path, _mode, size) => new CopyrightRead(path, size),
};
