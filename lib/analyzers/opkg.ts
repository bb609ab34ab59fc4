import { ownedImagePath } from '../layers/paths';
import type { ImagePath, LayerFile } from '../layers/types';
import { parseControlFile, type ControlParagraph } from './deb822';
import { baseName, parentDir, type HintedAnalyzer } from './path-hints';
import type { AnalysisResult, Evidence, OsPackage } from './types';

/** OpenWrt keeps the database under /usr/lib/opkg (its /var is a tmpfs); Yocto and Ångström under /var/lib/opkg. */
const STATUS_FILES = new Set<ImagePath>(['usr/lib/opkg/status', 'var/lib/opkg/status']);
const INFO_DIRS = new Set<ImagePath>(['usr/lib/opkg/info', 'var/lib/opkg/info']);
const LIST = '.list';

/** An embedded system's status file is a few hundred KiB, its file lists far less. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Longer than any path (PATH_MAX is 4096): such a line is not a file name, and is not kept. */
const MAX_LINE_LENGTH = 4096;

/** A Debian-style package name, as a plain `Source` field names one. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]*$/;

/** opkg states as dpkg spells them; the third word is the state (`install user installed`, `install ok installed`). */
function isInstalled(status: string): boolean {
  return status.split(/\s+/)[2] === 'installed';
}

/**
 * The source package: OpenWrt's `SourceName`, else a `Source` that is a package name. OpenWrt's `Source` is a path in
 * its build tree (`package/network/services/dropbear`) and Yocto's the recipe's SRC_URI: neither names a package.
 */
function sourceNameOf(stanza: ControlParagraph): string | undefined {
  const sourceName = stanza.get('SourceName');
  if (sourceName && PACKAGE_NAME.test(sourceName)) return sourceName;
  const source = stanza.get('Source')?.split(/\s+/, 1)[0];
  return source && PACKAGE_NAME.test(source) ? source : undefined;
}

/** A package, undefined for a stanza that is not installed, or the reason a stanza was skipped. */
function packageFromStanza(stanza: ControlParagraph): OsPackage | string | undefined {
  const name = stanza.get('Package');
  const status = stanza.get('Status');
  const where = `stanza at line ${stanza.line}${name ? ` (${name})` : ''}`;
  if (status === undefined) return `${where} has no Status; skipped`;
  if (!isInstalled(status)) return undefined;
  if (!name || /\s/.test(name)) return `${where} has no valid Package name; skipped`;
  const version = stanza.get('Version');
  if (!version || /\s/.test(version)) return `${where} has no valid Version; skipped`;
  // opkg has no source versions: a package is built from its source at its own version.
  const pkg: OsPackage = { manager: 'opkg', name, version, sourceName: sourceNameOf(stanza) ?? name, sourceVersion: version };
  const architecture = stanza.get('Architecture');
  if (architecture) pkg.architecture = architecture;
  const license = stanza.get('License');
  if (license) pkg.license = license;
  return pkg;
}

export interface OpkgPackagesResult {
  packages: OsPackage[];
  notes: string[];
}

/** The installed packages of an opkg status file (deb822 stanzas). */
export function packagesFromOpkgStatus(text: string): OpkgPackagesResult {
  const { paragraphs, problems } = parseControlFile(text);
  const notes: string[] = [];
  if (problems.length > 0) notes.push(`${problems.length} malformed line(s), first ${problems[0]}`);
  const packages: OsPackage[] = [];
  for (const paragraph of paragraphs) {
    const result = packageFromStanza(paragraph);
    if (typeof result === 'string') notes.push(result);
    else if (result) packages.push(result);
  }
  return { packages, notes };
}

export interface OpkgFileList {
  paths: ImagePath[];
  /** Lines longer than any real path, left out. */
  overlong: number;
}

/**
 * Paths of an `info/<pkg>.list` file: absolute, one a line, directories with a trailing `/`. Newer opkg may follow
 * the path with a tab and the file's mode and link target; only the path is kept.
 */
export function pathsFromOpkgList(text: string): OpkgFileList {
  const list: OpkgFileList = { paths: [], overlong: 0 };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length > MAX_LINE_LENGTH) {
      list.overlong++;
      continue;
    }
    const path = ownedImagePath(line.split('\t', 1)[0]);
    if (path) list.paths.push(path);
  }
  return list;
}

/** Every note here says that something in the file could not be read: the result is partial. */
function withNotes(path: ImagePath, evidence: Evidence[], notes: string[]): AnalysisResult {
  return notes.length > 0 ? { evidence, notes: notes.map((note) => `${path}: ${note}`), unreadable: true } : { evidence };
}

function analyzeStatus(path: ImagePath, text: string): AnalysisResult {
  const { packages, notes } = packagesFromOpkgStatus(text);
  // An unreadable database says nothing; an empty one (everything removed) is still evidence that replaces older layers'.
  if (packages.length === 0 && notes.length > 0) return withNotes(path, [], notes);
  return withNotes(path, [{ kind: 'packages', packages }], notes);
}

function analyzeList(path: ImagePath, text: string): AnalysisResult {
  const owner = baseName(path).slice(0, -LIST.length);
  const { paths, overlong } = pathsFromOpkgList(text);
  const notes = overlong > 0 ? [`${overlong} line(s) longer than ${MAX_LINE_LENGTH} characters skipped`] : [];
  return withNotes(path, [{ kind: 'owned-files', manager: 'opkg', owner, files: paths }], notes);
}

/** opkg's database (OpenWrt, Yocto): the status file and the `info/*.list` file lists, under /usr/lib or /var/lib. */
export const opkgAnalyzer: HintedAnalyzer = {
  name: 'opkg',
  version: 1,
  maxFileSize: MAX_FILE_BYTES,
  pathHints: { exact: [...STATUS_FILES], childrenOf: [...INFO_DIRS] },
  wants(path: ImagePath): boolean {
    if (STATUS_FILES.has(path)) return true;
    const name = baseName(path);
    return INFO_DIRS.has(parentDir(path)) && name.length > LIST.length && name.endsWith(LIST);
  },
  analyze(file: LayerFile): AnalysisResult {
    const text = file.content.toString('utf8');
    return STATUS_FILES.has(file.path) ? analyzeStatus(file.path, text) : analyzeList(file.path, text);
  },
};
