import type { ImagePath, LayerFile } from '../layers/types';
import {
  ARCHIVE_EXTENSIONS,
  type Coordinates,
  type Manifest,
  manifestIdentity,
  manifestLicense,
  mavenName,
  parseManifest,
  pomCoordinates,
} from './java/metadata';
import {
  inflateZipEntryInto,
  METHOD_DEFLATE,
  METHOD_STORED,
  openZip,
  readNestedArchive,
  readZipEntry,
  readZipEntryAsync,
  type ZipEntry,
  ZipFormatError,
  zipEntries,
} from './java/zip';
import { asByteSource, bufferSource, type ByteSource } from './byte-source';
import { ArchiveStream } from './archive-stream';
import { SpoolError, SpoolFile } from './spool-file';
import type { AnalysisResult, PackageRecord, StreamAnalyzer } from './types';

/**
 * Java archives (`.jar .war .ear .jpi .hpi`) and the archives nested in them, to any of those names anywhere in the
 * archive (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, `lib/*.jar` of an ear, the jars of a fat jar), recursively.
 *
 * Per archive, its packages are, in this order of preference:
 * 1. every `META-INF/maven/**\/pom.properties` (at any depth, as `WEB-INF/classes/META-INF/maven/…`): a shaded jar
 *    carries one per bundled artifact, and each is reported. pom.properties elsewhere (not written by Maven) are not
 *    read;
 * 2. else the coordinates the manifest and file name give ({@link manifestIdentity}: Jenkins plugin attributes,
 *    Implementation-*, Bundle-*; the groupId only where the manifest says it with confidence);
 * 3. else nothing (an application jar named `app.jar` with no version anywhere).
 * A package without a groupId is named by its artifactId alone: it is inventoried, but OSV names every Maven package
 * `groupId:artifactId` and advisories are looked up by exact name, so it matches none. Nothing is looked up on the
 * network (no Maven Central SHA-1 search).
 *
 * Packages of the file itself have no `location`; those of a nested archive are located at it:
 * `<file path>:WEB-INF/lib/inner.jar`, and deeper `<file path>:lib/app.war:WEB-INF/lib/inner.jar`.
 *
 * Only the entries needed are decompressed: pom.properties, the manifest, nested archives. The limits in
 * {@link JAVA_LIMITS} bound the work any file can cause (zip bombs, entry floods, deep nesting); past one, a note says
 * what was skipped, the result is marked `unreadable` (incomplete) and what was found so far is kept. Archives are
 * read as they stream out of the layer: held in memory up to 16 MiB, read from a spool file beyond (up to 2 GiB; see
 * {@link ArchiveStream}). A stored nested archive is read where it is; a deflated one is inflated into memory up to
 * 16 MiB and into a spool file beyond. A large Spring Boot jar or ear costs the memory of its metadata, not its size.
 */

export interface JavaArchiveLimits {
  /** How many archives deep nesting is followed below the file itself (a jar in a war is 1 deep). */
  maxDepth: number;
  /** Central directory entries read from one archive; the rest of the archive is skipped. */
  maxEntriesPerArchive: number;
  /** Central directory entries read over the file and everything nested in it. */
  maxEntriesTotal: number;
  /** Nested archives opened per file. */
  maxNestedArchives: number;
  /** Uncompressed size of one nested archive that is inflated into memory (a stored one is read where it is). */
  maxNestedArchiveBytes: number;
  /**
   * Nested archives inflating to more than this are inflated into a spool file by the streaming reader
   * ({@link analyzeJavaArchiveAsync}), not into memory, and so are not held to `maxNestedArchiveBytes`; the
   * synchronous reader holds them in memory, within it.
   */
  spoolInflatedBytes: number;
  /** Bytes taken out of one archive (its metadata and nested archives, uncompressed). */
  maxBytesPerArchive: number;
  /** Bytes taken out of all archives of the file together. */
  maxBytesTotal: number;
  /** Uncompressed size of one pom.properties or manifest. */
  maxMetadataBytes: number;
  /** pom.properties read per archive. */
  maxPomProperties: number;
  /** Nested archives over `ratioFloorBytes` declaring more than this ratio of uncompressed to compressed bytes. */
  maxCompressionRatio: number;
  ratioFloorBytes: number;
}

const MIB = 1024 * 1024;

export const JAVA_LIMITS: Readonly<JavaArchiveLimits> = Object.freeze({
  maxDepth: 4,
  maxEntriesPerArchive: 500_000,
  maxEntriesTotal: 2_000_000,
  maxNestedArchives: 10_000,
  maxNestedArchiveBytes: 64 * MIB,
  spoolInflatedBytes: 16 * MIB,
  maxBytesPerArchive: 128 * MIB,
  maxBytesTotal: 256 * MIB,
  maxMetadataBytes: 1 * MIB,
  maxPomProperties: 2_000,
  // A jar is mostly compressed classes: deflated again in a war it shrinks by a few percent, and even a jar of
  // stored entries deflates by less than 10:1.
  maxCompressionRatio: 100,
  ratioFloorBytes: 1 * MIB,
});

/** Notes listed per file; the rest are counted. */
const MAX_NOTES = 20;

const POM_PROPERTIES = /(^|\/)META-INF\/maven\/.+\/pom\.properties$/;
const MANIFEST = 'META-INF/MANIFEST.MF';

/** A cheap suffix test: called for every path of every layer. */
export function isJavaArchiveName(path: string): boolean {
  const dot = path.length - 4;
  if (dot < 1 || path.charCodeAt(dot) !== 0x2e || path.charCodeAt(dot - 1) === 0x2f) return false;
  const extension = path.slice(dot + 1).toLowerCase();
  return (ARCHIVE_EXTENSIONS as readonly string[]).includes(extension);
}

/** Entry names that cannot be used as a location: `..` segments, absolute paths, drive letters, NULs, backslashes. */
function unsafeName(name: string): boolean {
  return name.startsWith('/') || name.includes('\\') || name.includes('\0') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..');
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Everything one file's walk shares: what is left of the limits, and the notes. */
class Walk {
  readonly notes: string[] = [];
  private omitted = 0;
  incomplete = false;
  /** Set once a file-wide limit is reached: nothing more is read. */
  exhausted = false;
  entriesLeft: number;
  /** Bytes the file may give out in all: its limit, or more for a large file (see {@link budgetFor}). */
  readonly budget: number;
  bytesLeft: number;
  archivesLeft: number;

  constructor(
    readonly limits: JavaArchiveLimits,
    fileSize: number,
    /** Large nested archives are inflated into spool files (the streaming reader), not memory. */
    readonly spools: boolean,
  ) {
    this.entriesLeft = limits.maxEntriesTotal;
    this.budget = budgetFor(limits.maxBytesTotal, fileSize, FILE_BUDGET_FACTOR);
    this.bytesLeft = this.budget;
    this.archivesLeft = limits.maxNestedArchives;
  }

  note(text: string, incomplete = true): void {
    if (incomplete) this.incomplete = true;
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
    else this.omitted++;
  }

  finish(): string[] {
    return this.omitted > 0 ? [...this.notes, `${this.omitted} more problem(s) not listed`] : this.notes;
  }
}

/** The archive being read: its place, and what is left of its own byte budget. */
interface Archive {
  content: ByteSource;
  /** The file's path, then `:<entry>` for each level of nesting. */
  where: string;
  /** Undefined for the file itself. */
  location?: string;
  fileName: string;
  depth: number;
  /** Bytes the archive may give out: its limit, or more for a large archive. */
  budget: number;
  bytesLeft: number;
}

/**
 * Budgets are work bounds: what overlapping entries (one stored jar named thousands of times) or a zip bomb can make
 * a small file cost. A large file holds that much in its own bytes, so its budget grows with it: an archive may give
 * out twice its size, a file four times its size (a Spring Boot jar of 600 MB stores 550 MB of jars).
 */
const ARCHIVE_BUDGET_FACTOR = 2;
const FILE_BUDGET_FACTOR = 4;

function budgetFor(limit: number, size: number, factor: number): number {
  return Math.max(limit, factor * size);
}

function archiveOf(content: ByteSource, where: string, fileName: string, depth: number, limits: JavaArchiveLimits, location?: string): Archive {
  const budget = budgetFor(limits.maxBytesPerArchive, content.size, ARCHIVE_BUDGET_FACTOR);
  const archive: Archive = { content, where, fileName, depth, budget, bytesLeft: budget };
  if (location !== undefined) archive.location = location;
  return archive;
}

/** The entries of an archive this analyser reads. */
interface Wanted {
  manifest?: ZipEntry;
  poms: ZipEntry[];
  nested: ZipEntry[];
}

function listEntries(walk: Walk, archive: Archive): Wanted | undefined {
  let directory: ReturnType<typeof openZip>;
  try {
    directory = openZip(archive.content);
  } catch (err) {
    walk.note(`${archive.where}: not a readable zip archive: ${(err as Error).message}`);
    return undefined;
  }
  const wanted: Wanted = { poms: [], nested: [] };
  let count = 0;
  let unsafe = 0;
  try {
    for (const entry of zipEntries(archive.content, directory)) {
      if (walk.entriesLeft === 0) {
        walk.note(`${archive.where}: past ${walk.limits.maxEntriesTotal} zip entries in all; the rest of the archive is skipped`);
        walk.exhausted = true;
        break;
      }
      if (count === walk.limits.maxEntriesPerArchive) {
        walk.note(`${archive.where}: more than ${walk.limits.maxEntriesPerArchive} entries; the rest of the archive is skipped`);
        break;
      }
      count++;
      walk.entriesLeft--;
      const name = entry.name;
      if (name.endsWith('/')) continue;
      const isManifest = name.length === MANIFEST.length && name.toUpperCase() === MANIFEST;
      const isPom = !isManifest && POM_PROPERTIES.test(name);
      const isNested = !isManifest && !isPom && isJavaArchiveName(name);
      if (!isManifest && !isPom && !isNested) continue;
      if (unsafeName(name)) {
        if (unsafe++ === 0) walk.note(`${archive.where}: entry ${JSON.stringify(name)} has an unsafe name; skipped`);
        continue;
      }
      if (isManifest) wanted.manifest ??= entry;
      else if (isPom) wanted.poms.push(entry);
      else wanted.nested.push(entry);
    }
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    walk.note(`${archive.where}: damaged central directory: ${err.message}; the rest of the archive is skipped`);
  }
  if (unsafe > 1) walk.note(`${archive.where}: ${unsafe - 1} more entries with unsafe names skipped`);
  return wanted;
}

/**
 * Takes `size` bytes of the file's and the archive's budgets for an entry, or notes why not and returns 'stop': the
 * rest of the archive is skipped (and, past the file's budget, everything else too).
 */
function reserve(walk: Walk, archive: Archive, entry: ZipEntry, size: number): true | 'stop' {
  if (size > walk.bytesLeft) {
    walk.note(`${archive.where}: ${entry.name} (${size} bytes) is past the ${walk.budget}-byte budget of the file; the rest is skipped`);
    walk.exhausted = true;
    return 'stop';
  }
  if (size > archive.bytesLeft) {
    walk.note(`${archive.where}: ${entry.name} (${size} bytes) is past the ${archive.budget}-byte budget of the archive; the rest of it is skipped`);
    return 'stop';
  }
  walk.bytesLeft -= size;
  archive.bytesLeft -= size;
  return true;
}

/** An entry's content, or undefined (with a note) when it cannot be read. */
function readEntry(walk: Walk, archive: Archive, entry: ZipEntry): Buffer | undefined {
  try {
    return readZipEntry(archive.content, entry);
  } catch (err) {
    return unreadEntry(walk, archive, entry, err);
  }
}

/** A nested archive, or undefined (with a note) when it cannot be read. */
function readNested(walk: Walk, archive: Archive, entry: ZipEntry): ByteSource | undefined {
  try {
    return readNestedArchive(archive.content, entry);
  } catch (err) {
    return unreadEntry(walk, archive, entry, err);
  }
}

function unreadEntry(walk: Walk, archive: Archive, entry: ZipEntry, err: unknown): undefined {
  if (!(err instanceof ZipFormatError) && !(err instanceof SpoolError)) throw err;
  walk.note(`${archive.where}: ${entry.name} ${err.message}; skipped`);
  return undefined;
}

/**
 * A nested archive's bytes, asked of whoever drives the walk: read here at once ({@link analyzeJavaArchive}), or
 * inflated on the thread pool while this thread goes on with other layers ({@link analyzeJavaArchiveAsync}).
 */
interface NestedRead {
  walk: Walk;
  archive: Archive;
  entry: ZipEntry;
}

type WalkSteps<T> = Generator<NestedRead, T, ByteSource | undefined>;

/** Nested archives smaller than this are inflated at once even by the asynchronous walk: a pool round trip costs more. */
const POOL_INFLATE_BYTES = 256 * 1024;

function walkedAtOnce<T>(steps: WalkSteps<T>): T {
  let step = steps.next();
  while (!step.done) step = steps.next(readNested(step.value.walk, step.value.archive, step.value.entry));
  return step.value;
}

/** The pool inflation under way, process-wide: one at a time, so archives of several layers never inflate at once. */
let poolTurn: Promise<unknown> = Promise.resolve();

function inflatedOnPool(archive: Archive, entry: ZipEntry, spool: boolean): Promise<ByteSource> {
  const turn = poolTurn.then(() => (spool ? inflatedIntoSpool(archive, entry) : inflatedInMemory(archive, entry)));
  poolTurn = turn.catch(() => undefined);
  return turn;
}

async function inflatedInMemory(archive: Archive, entry: ZipEntry): Promise<ByteSource> {
  return bufferSource(await readZipEntryAsync(archive.content, entry));
}

async function inflatedIntoSpool(archive: Archive, entry: ZipEntry): Promise<ByteSource> {
  const file = SpoolFile.open();
  try {
    await inflateZipEntryInto(archive.content, entry, (chunk) => file.append(chunk));
  } catch (err) {
    file.close();
    throw err;
  }
  return file.source();
}

/** Whether the walk inflates this nested archive into a spool file rather than memory. */
function spooled(walk: Walk, entry: ZipEntry): boolean {
  return walk.spools && entry.method === METHOD_DEFLATE && entry.uncompressedSize > walk.limits.spoolInflatedBytes;
}

async function walkedOnPool<T>(steps: WalkSteps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) {
    const { walk, archive, entry } = step.value;
    let content: ByteSource | undefined;
    // Stored entries (a Spring Boot jar's BOOT-INF/lib) are windows of the archive: nothing for the pool to do.
    if (entry.method !== METHOD_DEFLATE || entry.uncompressedSize < POOL_INFLATE_BYTES) content = readNested(walk, archive, entry);
    else content = await inflatedOnPool(archive, entry, spooled(walk, entry)).catch((err: unknown) => unreadEntry(walk, archive, entry, err));
    step = steps.next(content);
  }
  return step.value;
}

/** A metadata file's content, or undefined when it is too large, unreadable, or past a budget ('stop'). */
function readMetadata(walk: Walk, archive: Archive, entry: ZipEntry): Buffer | undefined | 'stop' {
  if (entry.uncompressedSize > walk.limits.maxMetadataBytes) {
    walk.note(`${archive.where}: ${entry.name} declares ${entry.uncompressedSize} bytes, more than the ${walk.limits.maxMetadataBytes} read; skipped`);
    return undefined;
  }
  const reserved = reserve(walk, archive, entry, entry.uncompressedSize);
  if (reserved !== true) return reserved;
  return readEntry(walk, archive, entry);
}

function mavenPackage(coordinates: Coordinates, location: string | undefined, license: string | undefined): PackageRecord {
  const pkg: PackageRecord = { ecosystem: 'Maven', purlType: 'maven', name: mavenName(coordinates), version: coordinates.version };
  if (license) pkg.license = license;
  if (location !== undefined) pkg.location = location;
  return pkg;
}

/** The archive's own packages: its pom.properties, else its manifest and file name. */
function ownPackages(walk: Walk, archive: Archive, wanted: Wanted): PackageRecord[] | 'stop' {
  let manifest: Manifest = new Map();
  if (wanted.manifest) {
    const content = readMetadata(walk, archive, wanted.manifest);
    if (content === 'stop') return 'stop';
    if (content) manifest = parseManifest(content);
  }
  const license = manifestLicense(manifest);
  if (wanted.poms.length > walk.limits.maxPomProperties) {
    walk.note(`${archive.where}: ${wanted.poms.length} pom.properties; only the first ${walk.limits.maxPomProperties} are read`);
  }
  const found: Coordinates[] = [];
  for (const entry of wanted.poms.slice(0, walk.limits.maxPomProperties)) {
    const content = readMetadata(walk, archive, entry);
    if (content === 'stop') return 'stop';
    if (!content) continue;
    const coordinates = pomCoordinates(content);
    if (typeof coordinates === 'string') walk.note(`${archive.where}: ${entry.name} has ${coordinates}; skipped`, false);
    else if (!found.some((seen) => mavenName(seen) === mavenName(coordinates) && seen.version === coordinates.version)) found.push(coordinates);
  }
  if (found.length === 0) {
    const identity = manifestIdentity(manifest, archive.fileName);
    return identity ? [mavenPackage(identity, archive.location, license)] : [];
  }
  // The manifest's licence is the archive's: it goes to the pom.properties describing the archive itself, the only
  // one or the one whose artifactId is the file name's or the manifest's.
  const own = manifestIdentity(manifest, archive.fileName);
  const ownIndex = found.length === 1 ? 0 : found.findIndex((coordinates) => coordinates.artifactId === own?.artifactId);
  return found.map((coordinates, index) => mavenPackage(coordinates, archive.location, index === ownIndex ? license : undefined));
}

function* nestedArchive(walk: Walk, parent: Archive, entry: ZipEntry): WalkSteps<Archive | undefined | 'stop'> {
  const where = `${parent.where}:${entry.name}`;
  const { limits } = walk;
  if (parent.depth + 1 > limits.maxDepth) {
    walk.note(`${where}: nested more than ${limits.maxDepth} archives deep; not opened`);
    return undefined;
  }
  if (walk.archivesLeft === 0) {
    walk.note(`${parent.where}: past ${limits.maxNestedArchives} nested archives; the rest are not opened`);
    walk.exhausted = true;
    return 'stop';
  }
  // A stored one is read in place, however large; an inflated one is held in memory unless it is spooled.
  if (entry.method !== METHOD_STORED && !spooled(walk, entry) && entry.uncompressedSize > limits.maxNestedArchiveBytes) {
    walk.note(`${where}: declares ${entry.uncompressedSize} bytes, more than the ${limits.maxNestedArchiveBytes} a nested archive may have; not opened`);
    return undefined;
  }
  if (entry.uncompressedSize > limits.ratioFloorBytes && entry.uncompressedSize > limits.maxCompressionRatio * entry.compressedSize) {
    walk.note(
      `${where}: declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed, a ratio past ${limits.maxCompressionRatio}:1 (zip bomb?); not opened`,
    );
    return undefined;
  }
  const reserved = reserve(walk, parent, entry, entry.uncompressedSize);
  if (reserved !== true) return reserved;
  walk.archivesLeft--;
  const content = yield { walk, archive: parent, entry };
  if (!content) return undefined;
  return archiveOf(content, where, baseName(entry.name), parent.depth + 1, limits, where);
}

/** The packages of an archive and of the archives in it, depth first, each archive's own before its nested ones'. */
function* walkArchive(walk: Walk, archive: Archive, into: PackageRecord[]): WalkSteps<boolean> {
  const wanted = listEntries(walk, archive);
  if (!wanted) return false;
  const own = ownPackages(walk, archive, wanted);
  if (own === 'stop') return true;
  into.push(...own);
  for (const entry of wanted.nested) {
    if (walk.exhausted) break;
    const nested = yield* nestedArchive(walk, archive, entry);
    if (nested === 'stop') break;
    if (!nested) continue;
    yield* walkArchive(walk, nested, into);
    // A spool file a nested archive was inflated into is freed as soon as that archive is read.
    nested.content.release?.();
  }
  return true;
}

/** The packages of one Java archive held in memory, within `limits`. */
export function analyzeJavaArchive(content: Buffer | ByteSource, path: ImagePath, limits: JavaArchiveLimits = JAVA_LIMITS): AnalysisResult {
  return walkedAtOnce(archiveAnalysis(content, path, limits, false));
}

/** analyzeJavaArchive with large nested archives inflated on the thread pool, one at a time. */
export function analyzeJavaArchiveAsync(content: Buffer | ByteSource, path: ImagePath, limits: JavaArchiveLimits = JAVA_LIMITS): Promise<AnalysisResult> {
  return walkedOnPool(archiveAnalysis(content, path, limits, true));
}

function* archiveAnalysis(input: Buffer | ByteSource, path: ImagePath, limits: JavaArchiveLimits, spools: boolean): WalkSteps<AnalysisResult> {
  const content = asByteSource(input);
  // An empty file (a symbolic link to a file of another layer reads as one) holds nothing to report.
  if (content.size === 0) return { evidence: [] };
  const walk = new Walk(limits, content.size, spools);
  const packages: PackageRecord[] = [];
  const opened = yield* walkArchive(walk, archiveOf(content, path, baseName(path), 0, limits), packages);
  const notes = walk.finish();
  if (!opened) return { evidence: [], notes, unreadable: true };
  const result: AnalysisResult = { evidence: [{ kind: 'packages', packages }] };
  if (notes.length > 0) result.notes = notes;
  if (walk.incomplete) result.unreadable = true;
  return result;
}

/**
 * Archives up to 16 MiB are held in memory as they stream by; larger ones, up to 2 GiB, are read from a spool file
 * (a Spring Boot jar of several hundred MB is common); a bigger one is noted and the scan marked partial.
 */
const ARCHIVE_STREAM = { inMemoryBytes: 16 * MIB, maxBytes: 2048 * MIB };

/** Java archives anywhere in the image, read as they stream by rather than kept with the layer's files. */
export const javaAnalyzer: StreamAnalyzer = {
  name: 'java',
  version: 3,
  maxFileSize: 0,
  wants: () => false,
  analyze(file: LayerFile): AnalysisResult {
    return analyzeJavaArchive(file.content, file.path);
  },
  wantsStream: (path) => isJavaArchiveName(path),
  openStream: (path, _mode, size) => new ArchiveStream(path, size, ARCHIVE_STREAM, (content) => analyzeJavaArchiveAsync(content, path)),
};
