/**
 * Packages Yarn Plug'n'Play installs: PnP keeps no `node_modules` tree, each package stays in its cache archive
 * (`.yarn/cache/<name>-npm-<version>-<hash>.zip` in the project, `.yarn/berry/cache/` for the global cache), and
 * Node loads it from there. Each archive holds `node_modules/<name>/package.json` (and the manifests of anything it
 * bundles): those are the packages, read as npm's analyser reads a manifest on disk, located at
 * `<archive>:node_modules/<name>/package.json`. Archives are read as they stream by, one at a time.
 */
import type { ImagePath } from '../layers/types';
import { ArchiveStream } from './archive-stream';
import type { ByteSource } from './byte-source';
import { openZip, readZipEntry, type ZipEntry, ZipFormatError, zipEntries } from './java/zip';
import { isInstalledPackageManifest, parsePackageManifest } from './npm';
import type { AnalysisResult, PackageRecord, StreamAnalyzer } from './types';

const MIB = 1024 * 1024;
/** Yarn's cache archives of the biggest packages (native binaries, TypeScript) stay well below the maximum; the largest are spooled. */
const ARCHIVE_STREAM = { inMemoryBytes: 16 * MIB, maxBytes: 128 * MIB };
const MAX_MANIFEST_BYTES = MIB;
/** Manifests read from one archive: a package bundling more is not a package archive. */
const MAX_MANIFESTS = 1000;

const CACHE_ARCHIVE = /(?:^|\/)\.yarn\/(?:berry\/)?cache\/[^/]+\.zip$/;

export function isYarnCacheArchive(path: ImagePath): boolean {
  return CACHE_ARCHIVE.test(path);
}

/** The packages of one cache archive. */
export function analyzeYarnArchive(content: Buffer | ByteSource, path: ImagePath): AnalysisResult {
  const packages: PackageRecord[] = [];
  const notes: string[] = [];
  let unreadable = false;
  let manifests: ZipEntry[];
  try {
    const directory = openZip(content);
    manifests = [...zipEntries(content, directory)].filter((entry) => isInstalledPackageManifest(entry.name));
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    return { evidence: [], notes: [`${path}: not a readable zip archive: ${err.message}`], unreadable: true };
  }
  if (manifests.length > MAX_MANIFESTS) {
    notes.push(`${path}: ${manifests.length} package manifests; only the first ${MAX_MANIFESTS} are read`);
    unreadable = true;
  }
  for (const entry of manifests.slice(0, MAX_MANIFESTS)) {
    const where = `${path}:${entry.name}`;
    if (entry.uncompressedSize > MAX_MANIFEST_BYTES) {
      notes.push(`${where}: ${entry.uncompressedSize} bytes exceeds the 1 MiB limit for a manifest`);
      unreadable = true;
      continue;
    }
    let text: string;
    try {
      text = readZipEntry(content, entry).toString('utf8');
    } catch (err) {
      if (!(err instanceof ZipFormatError)) throw err;
      notes.push(`${where}: ${err.message}`);
      unreadable = true;
      continue;
    }
    const result = parsePackageManifest(text);
    if ('pkg' in result) packages.push({ ...result.pkg, location: where });
    else {
      notes.push(`${where}: ${result.problem}`);
      unreadable ||= result.damaged;
    }
  }
  const analysis: AnalysisResult = { evidence: packages.length > 0 ? [{ kind: 'packages', packages }] : [] };
  if (notes.length > 0) analysis.notes = notes;
  if (unreadable) analysis.unreadable = true;
  return analysis;
}

export const yarnPnpAnalyzer: StreamAnalyzer = {
  name: 'yarn-pnp',
  version: 1,
  maxFileSize: 0,
  wants: () => false,
  analyze: (file) => analyzeYarnArchive(file.content, file.path),
  wantsStream: (path) => isYarnCacheArchive(path),
  openStream: (path, _mode, size) => new ArchiveStream(path, size, ARCHIVE_STREAM, analyzeYarnArchive),
};
