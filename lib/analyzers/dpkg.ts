import { posix } from 'node:path';
import type { ImagePath, LayerFile } from '../layers/types';
import { parseControlFile, type ControlParagraph } from './deb822';
import { baseName, parentDir, type HintedAnalyzer } from './path-hints';
import type { AnalysisResult, Evidence, OsPackage } from './types';

const STATUS_FILE = 'var/lib/dpkg/status';
const STATUS_DIR = 'var/lib/dpkg/status.d';
const INFO_DIR = 'var/lib/dpkg/info';

/** Maintainer scripts and other control files distroless images keep beside the stanzas in status.d. */
const STATUS_DIR_CONTROL_SUFFIXES = ['.preinst', '.postinst', '.prerm', '.postrm', '.conffiles', '.config', '.templates', '.triggers', '.shlibs', '.symbols', '.list'];

const MD5SUMS = '.md5sums';
const LIST = '.list';

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

/** Paths of a `info/<pkg>.list` file: absolute, one a line, `/.` for the root. */
export function pathsFromList(text: string): ImagePath[] {
  const paths: ImagePath[] = [];
  for (const line of text.split('\n')) {
    const path = normalise(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (path) paths.push(path);
  }
  return paths;
}

/** Paths of a `<pkg>.md5sums` file: `<md5>  <relative path>` a line. */
export function pathsFromMd5sums(text: string): ImagePath[] {
  const paths: ImagePath[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const match = /^[0-9a-fA-F]+ [ *]?(.+)$/.exec(line);
    const path = match ? normalise(match[1]) : undefined;
    if (path) paths.push(path);
  }
  return paths;
}

/** An image path without leading `/`, `.` or `..` segments; undefined for the root or an empty line. */
function normalise(line: string): ImagePath | undefined {
  if (line.trim() === '') return undefined;
  const path = posix.normalize(`/${line}`).slice(1).replace(/\/+$/, '');
  return path === '' ? undefined : path;
}

function ownedFiles(stem: string, files: ImagePath[]): Evidence {
  const { owner, architecture } = ownerOf(stem);
  return architecture ? { kind: 'owned-files', manager: 'dpkg', owner, architecture, files } : { kind: 'owned-files', manager: 'dpkg', owner, files };
}

function withNotes(path: ImagePath, evidence: Evidence[], notes: string[]): AnalysisResult {
  return notes.length > 0 ? { evidence, notes: notes.map((note) => `${path}: ${note}`) } : { evidence };
}

function analyzePackages(path: ImagePath, text: string, statusRequired: boolean): AnalysisResult {
  const { packages, notes } = packagesFromStatus(text, statusRequired);
  // An unreadable database says nothing; an empty one (everything removed) is still evidence that replaces older layers'.
  if (packages.length === 0 && notes.length > 0) return withNotes(path, [], notes);
  return withNotes(path, [{ kind: 'packages', packages }], notes);
}

/** dpkg's database: the status file, distroless `status.d` stanzas and md5sums, and `info/*.list` file lists. */
export const dpkgAnalyzer: HintedAnalyzer = {
  name: 'dpkg',
  version: 2,
  maxFileSize: 64 * 1024 * 1024,
  pathHints: { exact: [STATUS_FILE], childrenOf: [STATUS_DIR, INFO_DIR] },
  wants(path: ImagePath): boolean {
    if (path === STATUS_FILE) return true;
    const dir = parentDir(path);
    if (dir === STATUS_DIR) return isStatusDirStanzaFile(baseName(path));
    if (dir === INFO_DIR) {
      const name = baseName(path);
      return name.length > LIST.length && name.endsWith(LIST);
    }
    return false;
  },
  analyze(file: LayerFile): AnalysisResult {
    const text = file.content.toString('utf8');
    const name = baseName(file.path);
    if (file.path === STATUS_FILE) return analyzePackages(file.path, text, true);
    if (parentDir(file.path) === INFO_DIR) return { evidence: [ownedFiles(name.slice(0, -LIST.length), pathsFromList(text))] };
    if (name.endsWith(MD5SUMS) && name.length > MD5SUMS.length) {
      return { evidence: [ownedFiles(name.slice(0, -MD5SUMS.length), pathsFromMd5sums(text))] };
    }
    return analyzePackages(file.path, text, false);
  },
};
