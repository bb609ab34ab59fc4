import { ownedImagePath } from '../layers/paths';
import type { ImagePath, LayerFile } from '../layers/types';
import type { HintedAnalyzer } from './path-hints';
import type { AnalysisResult, Evidence, OsPackage } from './types';

const INSTALLED = 'lib/apk/db/installed';
/** Where apk-tools keeps the database on a merged-/usr system. */
const USR_INSTALLED = 'usr/lib/apk/db/installed';
const WANTED = new Set<ImagePath>([INSTALLED, USR_INSTALLED]);

/** One package stanza of apk's installed database. */
interface ApkStanza {
  line: number;
  fields: Map<string, string>;
  files: ImagePath[];
}

export interface ApkDatabase {
  packages: OsPackage[];
  /** Owned files per package that lists any. */
  owned: Evidence[];
  notes: string[];
}

function ownedPath(folder: string, name: string): ImagePath | undefined {
  return ownedImagePath(`${folder}/${name}`);
}

/**
 * Splits the database into stanzas: blank lines separate packages, every other line is `K:value` with a one-letter
 * key. `F:` names a folder and the `R:` lines after it are files in that folder; other repeated keys keep the first.
 */
function parseStanzas(text: string, problems: string[]): ApkStanza[] {
  const stanzas: ApkStanza[] = [];
  let current: ApkStanza | undefined;
  let folder = '';
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') {
      current = undefined;
      return;
    }
    if (line.length < 2 || line[1] !== ':') {
      problems.push(`line ${index + 1}: not a field`);
      return;
    }
    if (!current) {
      current = { line: index + 1, fields: new Map(), files: [] };
      stanzas.push(current);
      folder = '';
    }
    const key = line[0];
    const value = line.slice(2);
    if (key === 'F') folder = value;
    else if (key === 'R') {
      const path = ownedPath(folder, value);
      if (path) current.files.push(path);
    } else if (!current.fields.has(key)) current.fields.set(key, value);
  });
  return stanzas;
}

/** The packages of an apk installed database; stanzas without a name or version are skipped with a note. */
export function parseApkDatabase(text: string): ApkDatabase {
  const problems: string[] = [];
  const stanzas = parseStanzas(text, problems);
  const database: ApkDatabase = { packages: [], owned: [], notes: [] };
  if (problems.length > 0) database.notes.push(`${problems.length} malformed line(s), first ${problems[0]}`);
  for (const stanza of stanzas) {
    const name = stanza.fields.get('P');
    const version = stanza.fields.get('V');
    const where = `stanza at line ${stanza.line}${name ? ` (${name})` : ''}`;
    if (!name || /\s/.test(name)) {
      database.notes.push(`${where} has no valid package name (P); skipped`);
      continue;
    }
    if (!version || /\s/.test(version)) {
      database.notes.push(`${where} has no valid version (V); skipped`);
      continue;
    }
    // apk builds every subpackage from its origin at the same version.
    const pkg: OsPackage = { manager: 'apk', name, version, sourceName: stanza.fields.get('o') || name, sourceVersion: version };
    const architecture = stanza.fields.get('A');
    if (architecture) pkg.architecture = architecture;
    const license = stanza.fields.get('L');
    if (license) pkg.license = license;
    database.packages.push(pkg);
    if (stanza.files.length > 0) {
      database.owned.push(
        architecture
          ? { kind: 'owned-files', manager: 'apk', owner: name, architecture, files: stanza.files }
          : { kind: 'owned-files', manager: 'apk', owner: name, files: stanza.files },
      );
    }
  }
  return database;
}

/**
 * An image normally holds one of the two locations (on a merged-/usr system `lib` is a link to `usr/lib`). Should
 * it hold both, the one under `usr/lib` is the database apk uses and the other a leftover: `lib/apk/db/installed`
 * counts only while there is no `usr/lib/apk/db/installed`.
 */
function packagesEvidence(path: ImagePath, packages: OsPackage[]): Evidence {
  return path === INSTALLED ? { kind: 'packages', packages, supersededBy: USR_INSTALLED } : { kind: 'packages', packages };
}

/** apk's installed database (Alpine, Wolfi, Chainguard), in `lib/apk/db` or `usr/lib/apk/db`. */
export const apkAnalyzer: HintedAnalyzer = {
  name: 'apk',
  // 3: damaged databases are marked `unreadable`. 4: usr/lib/apk/db/installed, which supersedes lib/apk/db/installed.
  version: 4,
  maxFileSize: 64 * 1024 * 1024,
  pathHints: { exact: [...WANTED] },
  wants(path: ImagePath): boolean {
    return WANTED.has(path);
  },
  analyze(file: LayerFile): AnalysisResult {
    const { packages, owned, notes } = parseApkDatabase(file.content.toString('utf8'));
    const prefixed = notes.map((note) => `${file.path}: ${note}`);
    // An unreadable database says nothing; an empty one (everything removed) still replaces older layers'. Every
    // note says that part of the database could not be read: the result is partial.
    if (packages.length === 0 && notes.length > 0) return { evidence: [], notes: prefixed, unreadable: true };
    const evidence: Evidence[] = [packagesEvidence(file.path, packages), ...owned];
    return prefixed.length > 0 ? { evidence, notes: prefixed, unreadable: true } : { evidence };
  },
};
