import { ownedImagePath } from '../layers/paths';
import type { ImagePath, LayerFile } from '../layers/types';
import type { HintedAnalyzer } from './path-hints';
import { berkeleyHashValues, isBerkeleyHashDb, type BlobsResult } from './rpmdb/bdb';
import { parseRpmHeader, type RpmHeader } from './rpmdb/header';
import { isNdb, ndbBlobs } from './rpmdb/ndb';
import { isSqlite, sqliteTableBlobs } from './rpmdb/sqlite';
import type { AnalysisResult, Evidence, OsPackage } from './types';

const DB_DIRS = ['var/lib/rpm', 'usr/lib/sysimage/rpm'];
const DB_NAMES = ['Packages', 'Packages.db', 'rpmdb.sqlite'];
const DB_PATHS = DB_DIRS.flatMap((dir) => DB_NAMES.map((name) => `${dir}/${name}`));
/** CBL-Mariner distroless images list their packages here instead of keeping an rpm database. */
const MANIFEST = 'var/lib/rpmmanifest/container-manifest-2';
const WANTED = new Set([...DB_PATHS, MANIFEST]);

/** rpm installs these pseudo-packages for imported signing keys; they are not software. */
const PUBKEY_PACKAGE = 'gpg-pubkey';

/** `name-version-release.src.rpm` → name and `version-release`; undefined when it is not shaped so. */
export function parseSourceRpm(sourceRpm: string): { name: string; version: string } | undefined {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(sourceRpm);
  return match ? { name: match[1], version: `${match[2]}-${match[3]}` } : undefined;
}

/** `name:stream:version:context` → `name:stream`; undefined for a label without a name and a stream. */
export function moduleStream(modularityLabel: string): string | undefined {
  const [name, stream] = modularityLabel.split(':');
  return name && stream ? `${name}:${stream}` : undefined;
}

function withEpoch(epoch: number | string | undefined, versionRelease: string): string {
  return epoch === undefined ? versionRelease : `${epoch}:${versionRelease}`;
}

function rpmPackage(
  name: string,
  versionRelease: string,
  epoch: number | string | undefined,
  architecture: string | undefined,
  sourceRpm: string | undefined,
): OsPackage {
  const version = withEpoch(epoch, versionRelease);
  const source = sourceRpm ? parseSourceRpm(sourceRpm) : undefined;
  const pkg: OsPackage = {
    manager: 'rpm',
    name,
    version,
    sourceName: source?.name ?? name,
    sourceVersion: source ? withEpoch(epoch, source.version) : version,
  };
  if (architecture) pkg.architecture = architecture;
  return pkg;
}

function ownedFiles(name: string, architecture: string | undefined, paths: string[]): Evidence {
  const files = paths.map(ownedImagePath).filter((path): path is ImagePath => path !== undefined);
  return architecture ? { kind: 'owned-files', manager: 'rpm', owner: name, architecture, files } : { kind: 'owned-files', manager: 'rpm', owner: name, files };
}

export interface RpmPackagesResult {
  packages: OsPackage[];
  /** One owned-files evidence per package that lists files. */
  owned: Evidence[];
  notes: string[];
}

/** Packages from header blobs: gpg-pubkey entries are left out, unreadable headers are counted in a note. */
export function packagesFromHeaders(blobs: Buffer[]): RpmPackagesResult {
  const result: RpmPackagesResult = { packages: [], owned: [], notes: [] };
  let broken = 0;
  let firstProblem = '';
  for (const [index, blob] of blobs.entries()) {
    let header: RpmHeader;
    try {
      header = parseRpmHeader(blob);
    } catch (err) {
      broken++;
      firstProblem ||= `header ${index + 1}: ${(err as Error).message}`;
      continue;
    }
    const { name, version, release } = header;
    if (name === PUBKEY_PACKAGE) continue;
    if (!name || !version || !release) {
      broken++;
      firstProblem ||= `header ${index + 1}${name ? ` (${name})` : ''} lacks a name, version or release`;
      continue;
    }
    const pkg = rpmPackage(name, `${version}-${release}`, header.epoch, header.arch, header.sourceRpm);
    if (header.license) pkg.license = header.license;
    const stream = header.modularityLabel ? moduleStream(header.modularityLabel) : undefined;
    if (stream) pkg.module = stream;
    result.packages.push(pkg);
    if (header.files.length > 0) result.owned.push(ownedFiles(name, header.arch, header.files));
  }
  if (broken > 0) result.notes.push(`${broken} unreadable package header(s) skipped, first ${firstProblem}`);
  return result;
}

/** The header blobs of an rpm database in any of its three formats, told apart by their magic. */
export function rpmdbHeaderBlobs(db: Buffer): BlobsResult {
  if (isSqlite(db)) return sqliteTableBlobs(db, 'Packages', 1);
  if (isNdb(db)) return ndbBlobs(db);
  if (isBerkeleyHashDb(db)) return berkeleyHashValues(db);
  return { blobs: [], notes: ['not an rpm database: neither SQLite, ndb nor Berkeley DB hash'] };
}

/**
 * Lines of `container-manifest-2`, tab-separated as `rpm -qa --qf` wrote them: name, version-release, install
 * time, build time, vendor, epoch (`(none)` when unset), size, arch, epoch number, source rpm.
 */
export function packagesFromManifest(text: string): { packages: OsPackage[]; notes: string[] } {
  const packages: OsPackage[] = [];
  const notes: string[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return;
    const fields = line.split('\t');
    const [name, versionRelease, , , , epoch, , architecture, , sourceRpm] = fields;
    if (fields.length < 10 || !name || !/^[^\s-][^\s]*-[^\s-]+$/.test(versionRelease ?? '')) {
      notes.push(`line ${index + 1} is not a manifest entry; skipped`);
      return;
    }
    if (name === PUBKEY_PACKAGE) return;
    const epochValue = epoch && epoch !== '(none)' ? epoch : undefined;
    packages.push(
      rpmPackage(
        name,
        versionRelease,
        epochValue,
        architecture && architecture !== '(none)' ? architecture : undefined,
        sourceRpm && sourceRpm !== '(none)' ? sourceRpm : undefined,
      ),
    );
  });
  return { packages, notes };
}

/** Every note here says the file was not read whole (damage, truncation, skipped headers): the result is partial. */
function withNotes(path: ImagePath, evidence: Evidence[], notes: string[]): AnalysisResult {
  return notes.length > 0 ? { evidence, notes: notes.map((note) => `${path}: ${note}`), unreadable: true } : { evidence };
}

/**
 * An unreadable database says nothing; an empty readable one still replaces what older layers had; a damaged one
 * keeps what could be read. Both of the latter replace the lower layers' copy of the file.
 */
function packagesEvidence(path: ImagePath, packages: OsPackage[], owned: Evidence[], notes: string[], readable: boolean): AnalysisResult {
  if (!readable) return withNotes(path, [], notes);
  return withNotes(path, [{ kind: 'packages', packages }, ...owned], notes);
}

/** rpm's database (Berkeley DB, ndb or SQLite) under /var/lib/rpm or /usr/lib/sysimage/rpm, and the Mariner manifest. */
export const rpmAnalyzer: HintedAnalyzer = {
  name: 'rpm',
  // 3: damaged databases are marked `unreadable`. 4: the module stream of packages built in one (MODULARITYLABEL).
  version: 4,
  maxFileSize: 256 * 1024 * 1024,
  pathHints: { exact: [...WANTED] },
  wants(path: ImagePath): boolean {
    return WANTED.has(path);
  },
  analyze(file: LayerFile): AnalysisResult {
    if (file.path === MANIFEST) {
      const { packages, notes } = packagesFromManifest(file.content.toString('utf8'));
      return packagesEvidence(file.path, packages, [], notes, packages.length > 0 || notes.length === 0);
    }
    const { blobs, notes } = rpmdbHeaderBlobs(file.content);
    const result = packagesFromHeaders(blobs);
    const allNotes = [...notes, ...result.notes];
    const readable = result.packages.length > 0 || allNotes.length === 0;
    return packagesEvidence(file.path, result.packages, result.owned, allNotes, readable);
  },
};
