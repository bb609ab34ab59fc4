import type { ImagePath, LayerFile } from '../layers/types';
import { baseName, parentDir } from './path-hints';
import type { Analyzer, AnalysisResult, PackageRecord } from './types';

const METADATA = '/METADATA';
const PKG_INFO = '/PKG-INFO';
const DIST_INFO = '.dist-info';
const EGG_INFO = '.egg-info';
const EGG = '.egg';
const EGG_INFO_DIR = 'EGG-INFO';

/** Core metadata is headers plus a description; the largest real ones (long changelogs as description) are far smaller. */
const MAX_METADATA_BYTES = 1024 * 1024;

/**
 * Below a directory Python puts on `sys.path` for installed distributions: `site-packages` (pip, venvs, the
 * official images' `usr/local/lib/python3.x/site-packages`, Fedora's `usr/lib64/python3.x/site-packages`) or
 * Debian's `dist-packages`. Distributions vendored below one count too: setuptools puts its `_vendor` directory,
 * with a `.dist-info` for each package in it, on `sys.path` when it is imported.
 */
const IN_SITE_PACKAGES = /(?:^|\/)(?:site|dist)-packages\//;

/** `path` ends in `/<something><suffix>` (a non-empty name) below a site directory. */
function isNamedInSite(path: ImagePath, suffix: string): boolean {
  return path.endsWith(suffix) && baseName(path).length > suffix.length && IN_SITE_PACKAGES.test(path);
}

/**
 * A wheel's install directory, `<name>-<version>.dist-info` (name as the wheel spec escapes it, version starting with
 * a digit). Only pip writes these, so one anywhere is installed: `pip install --target`, Lambda's `python/`, a
 * `PYTHONPATH` directory.
 */
const WHEEL_INSTALL_DIR = /(?:^|\/)[A-Za-z0-9][A-Za-z0-9._]*-[0-9][A-Za-z0-9.!+_]*\.dist-info$/;

/** The metadata files `importlib.metadata` reads for installed distributions. */
function isMetadataPath(path: ImagePath): boolean {
  if (path.endsWith(METADATA)) {
    const dir = parentDir(path);
    return dir.endsWith(DIST_INFO) && (WHEEL_INSTALL_DIR.test(dir) || isNamedInSite(dir, DIST_INFO));
  }
  if (path.endsWith(PKG_INFO)) {
    const dir = parentDir(path);
    if (dir.endsWith(EGG_INFO)) return isNamedInSite(dir, EGG_INFO);
    // An egg: <site>/<name>-<version>-py3.x.egg/EGG-INFO/PKG-INFO
    return baseName(dir) === EGG_INFO_DIR && isNamedInSite(parentDir(dir), EGG);
  }
  // distutils installs a single PKG-INFO-format file named <name>-<version>-py3.x.egg-info.
  return isNamedInSite(path, EGG_INFO);
}

/** The header fields of a core metadata file, in order; names as written (look them up case-insensitively). */
export interface MetadataHeaders {
  get(name: string): string | undefined;
  all(name: string): string[];
}

class Headers implements MetadataHeaders {
  private readonly fields = new Map<string, string[]>();

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.fields.get(key);
    if (list) list.push(value);
    else this.fields.set(key, [value]);
  }

  appendToLast(name: string, text: string): void {
    const list = this.fields.get(name.toLowerCase());
    if (list) list[list.length - 1] += `\n${text}`;
  }

  get(name: string): string | undefined {
    return this.fields.get(name.toLowerCase())?.[0];
  }

  all(name: string): string[] {
    return this.fields.get(name.toLowerCase()) ?? [];
  }
}

/** A header line as Python's email parser recognises one: printable characters other than space and `:`, then `:`. */
const HEADER = /^([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)$/;

/**
 * The headers of core metadata (METADATA, PKG-INFO): RFC 822 style, as `email.message_from_string` reads them for
 * `importlib.metadata`. Continuation lines start with a space or tab (a whitespace-only line is one too); the
 * headers end at the first empty line, or, as in Python, at the first line that is neither a header nor a
 * continuation (old PKG-INFO files whose description follows without a blank line). Multi-valued fields
 * (Classifier) keep every value; continuation lines are joined with `\n`, minus their leading whitespace.
 */
export function parseMetadataHeaders(text: string): MetadataHeaders {
  const headers = new Headers();
  let last: string | undefined;
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      // Python skips a continuation before any header (a defect it tolerates).
      if (last !== undefined) headers.appendToLast(last, line.trim());
      continue;
    }
    const match = HEADER.exec(line);
    if (!match) break;
    last = match[1];
    headers.add(last, match[2]);
  }
  return headers;
}

/** distutils and old setuptools write `UNKNOWN` for a licence nobody stated. */
function stated(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.toUpperCase() !== 'UNKNOWN' ? trimmed : undefined;
}

/**
 * Licences from trove classifiers, `License :: OSI Approved :: MIT License` → `MIT License`. The bare
 * `License :: OSI Approved` names no licence and is skipped.
 */
function classifierLicenses(classifiers: string[]): string[] {
  const licenses: string[] = [];
  for (const classifier of classifiers) {
    const parts = classifier.split('::').map((part) => part.trim());
    if (parts[0] !== 'License' || parts.length < 2) continue;
    const last = parts[parts.length - 1];
    if (last === '' || (parts.length === 2 && last === 'OSI Approved')) continue;
    if (!licenses.includes(last)) licenses.push(last);
  }
  return licenses;
}

/**
 * The licence a distribution states: `License-Expression` (core metadata 2.4, an SPDX expression), else `License`
 * unless it is `UNKNOWN`, else its licence classifiers joined with `, `. A `License` that holds a whole licence
 * text (several lines) gives way to classifiers; without any, its first line is kept.
 */
export function licenseOf(headers: MetadataHeaders): string | undefined {
  const expression = stated(headers.get('License-Expression'));
  if (expression) return expression;
  const license = stated(headers.get('License'));
  const classifiers = classifierLicenses(headers.all('Classifier'));
  if (license && !license.includes('\n')) return license;
  if (classifiers.length > 0) return classifiers.join(', ');
  return license?.split('\n').find((line) => line.trim() !== '');
}

/** One distribution from its core metadata, or the reason there is none. */
export function packageFromMetadata(text: string): PackageRecord | string {
  const headers = parseMetadataHeaders(text);
  const name = headers.get('Name')?.trim();
  if (!name || /\s/.test(name)) return 'no valid Name header';
  const version = headers.get('Version')?.trim();
  if (!version || /\s/.test(version)) return `${name} has no valid Version header`;
  // Name and version as written: the matcher normalises names (PEP 503) and compares versions (PEP 440).
  const pkg: PackageRecord = { ecosystem: 'PyPI', purlType: 'pypi', name, version };
  const license = licenseOf(headers);
  if (license) pkg.license = license;
  return pkg;
}

/**
 * Installed Python distributions: `*.dist-info/METADATA` (wheels, pip), `*.egg-info/PKG-INFO` (setuptools,
 * Debian's python3-* packages), `*.egg-info` files (distutils) and `*.egg/EGG-INFO/PKG-INFO` (eggs), below a
 * `site-packages` or `dist-packages` directory anywhere in the image (system Pythons and virtual environments), and
 * `<name>-<version>.dist-info/METADATA` anywhere (`pip install --target`).
 * No path hints: site directories can be anywhere, so `wants` is a few suffix tests and, for the rare path that
 * passes them, one regular expression.
 */
export const pythonAnalyzer: Analyzer = {
  name: 'python',
  version: 2,
  maxFileSize: MAX_METADATA_BYTES,
  wants(path: ImagePath): boolean {
    return isMetadataPath(path);
  },
  analyze(file: LayerFile): AnalysisResult {
    const result = packageFromMetadata(file.content.toString('utf8'));
    if (typeof result === 'string') return { evidence: [], notes: [`${file.path}: ${result}`], unreadable: true };
    return { evidence: [{ kind: 'packages', packages: [result] }] };
  },
};
