// Archives too large to hold in memory, read from a spool file: the stream that collects them, the zip reader over a
// file, and the Java analyser on a Spring Boot jar over the 64 MiB that was once the largest archive read at all.
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveStream } from '../../lib/analyzers/archive-stream';
import { SPOOL_PREFIX } from '../../lib/analyzers/spool-file';
import { type ByteSource, bufferSource, FileSource } from '../../lib/analyzers/byte-source';
import { analyzeJavaArchive, analyzeJavaArchiveAsync, javaAnalyzer } from '../../lib/analyzers/java';
import { openZip, readNestedArchive, readZipEntry, ZipFormatError, zipEntries } from '../../lib/analyzers/java/zip';
import type { AnalysisResult, PackageRecord, StreamAnalysis } from '../../lib/analyzers/types';
import { yarnPnpAnalyzer } from '../../lib/analyzers/yarn-pnp';
import { mavenJar, zipOf } from '../support/archives';

const MIB = 1024 * 1024;

let spoolDir: string;

beforeEach(() => {
  spoolDir = mkdtempSync(join(tmpdir(), 'lamina-spool-test-'));
});

afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** This process's spool files in the temporary directory (the analysers spool there) and in the tests' own. */
const spoolFiles = () => [...readdirSync(tmpdir()), ...readdirSync(spoolDir)].filter((name) => name.startsWith(`${SPOOL_PREFIX}${process.pid}-`));

/** Open descriptors of this process's spool files: each is deleted while still open. */
function openSpoolFiles(): string[] {
  const targets = readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
  return targets.filter((target) => target.includes(`/${SPOOL_PREFIX}${process.pid}-`));
}

/**
 * Streams `content` into `analysis` in pieces as a layer gives them, checking no spool file is left to see; `spooled`
 * is whether a spool file was open (and already deleted) once every byte was written.
 */
async function streamed(analysis: StreamAnalysis, content: Buffer, piece = 256 * 1024): Promise<AnalysisResult & { spooled?: boolean }> {
  for (let at = 0; at < content.length; at += piece) expect(analysis.write(content.subarray(at, at + piece))).toBe(true);
  expect(spoolFiles()).toEqual([]);
  const open = openSpoolFiles();
  for (const target of open) expect(target).toMatch(/ \(deleted\)$/);
  const result = await analysis.end();
  return open.length > 0 ? Object.assign(result, { spooled: true }) : result;
}

function packagesOf(result: AnalysisResult): PackageRecord[] {
  return result.evidence.flatMap((item) => (item.kind === 'packages' ? item.packages : []));
}

/** A Spring Boot jar over 64 MiB: its own pom.properties, 24 stored library jars of 3 MiB each in BOOT-INF/lib, one deflated. */
async function bootJar(): Promise<Buffer> {
  const libraries = await Promise.all(
    Array.from({ length: 24 }, async (_, i) => ({
      name: `BOOT-INF/lib/lib${i}-1.${i}.0.jar`,
      content: await mavenJar('org.example.libs', `lib${i}`, `1.${i}.0`, [{ name: 'blob.bin', content: randomBytes(3 * MIB), compress: false }]),
      compress: i === 23,
    })),
  );
  return zipOf([
    { name: 'META-INF/maven/com.example/shop/pom.properties', content: 'groupId=com.example\nartifactId=shop\nversion=4.2.0\n' },
    { name: 'BOOT-INF/classes/application.yml', content: 'server.port: 8080\n' },
    ...libraries,
  ]);
}

describe('a Java archive too large to hold, read from a spool file', () => {
  let jar: Buffer;
  beforeAll(async () => {
    jar = await bootJar();
  });

  it('reports every library of a Spring Boot jar over 64 MiB, as reading it whole in memory does', async () => {
    expect(jar.length).toBeGreaterThan(64 * MIB);
    const before = openDescriptors();
    const { spooled, ...result } = await streamed(javaAnalyzer.openStream('app/shop.jar', 0o644, jar.length), jar);
    expect(spooled).toBe(true);
    expect(result).toEqual(analyzeJavaArchive(jar, 'app/shop.jar'));
    const packages = packagesOf(result);
    expect(packages).toHaveLength(25);
    expect(packages[0]).toMatchObject({ name: 'com.example:shop', version: '4.2.0' });
    expect(packages[0].location).toBeUndefined();
    expect(packages).toContainEqual(
      expect.objectContaining({ name: 'org.example.libs:lib7', version: '1.7.0', location: 'app/shop.jar:BOOT-INF/lib/lib7-1.7.0.jar' }),
    );
    expect(packages).toContainEqual(expect.objectContaining({ name: 'org.example.libs:lib23', version: '1.23.0' }));
    expect(result.notes).toBeUndefined();
    expect(result.unreadable).toBeUndefined();
    // The spool file was unlinked when opened and its descriptor is closed once read: nothing is left behind.
    expect(spoolFiles()).toEqual([]);
    expect(openDescriptors()).toBe(before);
  });

  it('notes an archive it cannot spool (no temporary directory), one cut short, and one over 2 GiB', async () => {
    const missing = join(spoolDir, 'missing');
    const unspooled = new ArchiveStream('app/shop.jar', jar.length, { inMemoryBytes: MIB, maxBytes: 128 * MIB, spoolDirectory: missing }, (content) =>
      analyzeJavaArchiveAsync(content, 'app/shop.jar'),
    );
    expect(unspooled.write(jar.subarray(0, 1024))).toBe(false);
    expect(await unspooled.end()).toEqual({
      evidence: [],
      notes: [expect.stringMatching(new RegExp(`^app/shop\\.jar: could not be spooled to ${missing}: ENOENT`))],
      unreadable: true,
    });

    const before = openDescriptors();
    const short = javaAnalyzer.openStream('app/short.jar', 0o644, jar.length);
    expect(short.write(jar.subarray(0, 20 * MIB))).toBe(true);
    expect(await short.end()).toEqual({ evidence: [], notes: [`app/short.jar: the layer holds ${jar.length} bytes but gave ${20 * MIB}`], unreadable: true });
    expect(openDescriptors()).toBe(before);

    const huge = javaAnalyzer.openStream('app/huge.jar', 0o644, 2049 * MIB);
    expect(huge.write(Buffer.alloc(10))).toBe(false);
    expect(await huge.end()).toEqual({ evidence: [], notes: ['app/huge.jar: 2148532224 bytes exceeds the 2048 MiB limit for one archive'], unreadable: true });
    expect(spoolFiles()).toEqual([]);
  });

  it('closes the spool file when the reader throws', async () => {
    const before = openDescriptors();
    const failing = new ArchiveStream('app/x.jar', jar.length, { inMemoryBytes: MIB, maxBytes: 128 * MIB, spoolDirectory: spoolDir }, () => {
      throw new Error('reader failed');
    });
    await expect(streamed(failing, jar)).rejects.toThrow('reader failed');
    expect(openDescriptors()).toBe(before);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('reads a yarn cache archive above its in-memory size from a spool file too', async () => {
    const archive = await zipOf([
      { name: 'node_modules/left-pad/package.json', content: JSON.stringify({ name: 'left-pad', version: '1.3.0' }) },
      { name: 'node_modules/left-pad/blob.bin', content: randomBytes(17 * MIB), compress: false },
    ]);
    const path = 'app/.yarn/cache/left-pad-npm-1.3.0-3a7c1e2f.zip';
    const { spooled, ...result } = await streamed(yarnPnpAnalyzer.openStream(path, 0o644, archive.length), archive);
    expect(spooled).toBe(true);
    expect(result).toEqual(yarnPnpAnalyzer.analyze({ path, content: archive, mode: 0o644, size: archive.length }));
    expect(packagesOf(result)).toEqual([expect.objectContaining({ name: 'left-pad', version: '1.3.0' })]);
  });
});

describe('a deflated nested archive too large to hold, inflated into a spool file', () => {
  it('reads an ear whose deflated war inflates past 64 MiB, as it once could not, and frees its spool file', async () => {
    // Zeros with a random byte every 32: deflates about 15:1, within the 100:1 a nested archive may have.
    const padding = Buffer.alloc(66 * MIB);
    const noise = randomBytes(padding.length / 32);
    for (let i = 0; i < noise.length; i++) padding[i * 32] = noise[i];
    const war = await zipOf([
      { name: 'META-INF/maven/com.example/shop-web/pom.properties', content: 'groupId=com.example\nartifactId=shop-web\nversion=5.0\n' },
      { name: 'WEB-INF/lib/netty-handler-4.1.93.Final.jar', content: await mavenJar('io.netty', 'netty-handler', '4.1.93.Final') },
      { name: 'WEB-INF/classes/static/assets.bin', content: padding, compress: false },
    ]);
    const ear = await zipOf([{ name: 'shop-web-5.0.war', content: war }]);
    expect(war.length).toBeGreaterThan(64 * MIB);
    expect(ear.length).toBeLessThan(16 * MIB);
    const before = openDescriptors();
    const { spooled, ...result } = await streamed(javaAnalyzer.openStream('opt/app/shop.ear', 0o644, ear.length), ear);
    // The ear itself is small enough for memory; the war is inflated into a spool file (in memory, the 64 MiB limit
    // for one nested archive would have refused it) and freed once read.
    expect(spooled).toBeUndefined();
    expect(packagesOf(result).map((pkg) => `${pkg.name} ${pkg.version} @ ${pkg.location}`)).toEqual([
      'com.example:shop-web 5.0 @ opt/app/shop.ear:shop-web-5.0.war',
      'io.netty:netty-handler 4.1.93.Final @ opt/app/shop.ear:shop-web-5.0.war:WEB-INF/lib/netty-handler-4.1.93.Final.jar',
    ]);
    expect(result.notes).toBeUndefined();
    expect(openSpoolFiles()).toEqual([]);
    expect(openDescriptors()).toBe(before);
    expect(spoolFiles()).toEqual([]);
  }, 60_000);
});

describe('the zip reader over a file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lamina-zip-file-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `content` written to a file, as a source read from it (with `before` bytes ahead of it in the file). */
  function fileSourceOf(content: Buffer, before = 0): { source: ByteSource; close: () => void } {
    const path = join(dir, `${Math.random()}.zip`);
    writeFileSync(path, Buffer.concat([Buffer.alloc(before, 0x5a), content]));
    const fd = openSync(path, 'r');
    return { source: new FileSource(fd, before, content.length), close: () => closeSync(fd) };
  }

  it('reads the same entries and nested archives from a file (at an offset in it) as from memory', async () => {
    const inner = await mavenJar('org.example', 'inner', '1.0');
    const war = await zipOf([
      { name: 'WEB-INF/lib/stored.jar', content: inner, compress: false },
      { name: 'WEB-INF/lib/deflated.jar', content: inner },
      { name: 'index.html', content: '<html></html>' },
    ]);
    const { source, close } = fileSourceOf(war, 4096);
    try {
      const fromFile = [...zipEntries(source, openZip(source))];
      expect(fromFile).toEqual([...zipEntries(war, openZip(war))]);
      for (const entry of fromFile) {
        expect(readZipEntry(source, entry)).toEqual(readZipEntry(war, entry));
        const nested = readNestedArchive(source, entry);
        expect(nested.read(0, nested.size)).toEqual(readZipEntry(war, entry));
      }
      // A stored nested archive stays a window of the file; a deflated one is inflated into memory.
      expect(readNestedArchive(source, fromFile[0]).inMemory).toBe(false);
      expect(readNestedArchive(source, fromFile[1]).inMemory).toBe(true);
      expect(readNestedArchive(bufferSource(war), fromFile[0]).inMemory).toBe(true);
    } finally {
      close();
    }
  });

  it('never reads outside its range of the file: a negative offset would read from the file position', () => {
    const { source, close } = fileSourceOf(Buffer.from('0123456789'), 5);
    try {
      expect(source.read(2, 3).toString()).toBe('234');
      expect(source.window(4, 4).read(1, 2).toString()).toBe('56');
      expect(() => source.read(-1, 2)).toThrow(RangeError);
      expect(() => source.read(8, 3)).toThrow(RangeError);
      expect(() => source.window(6, 5)).toThrow(RangeError);
      expect(() => source.window(2, 2).read(1, 2)).toThrow(RangeError);
    } finally {
      close();
    }
  });

  it('checks a stored window piece by piece: a flipped byte fails its CRC-32', async () => {
    const inner = await mavenJar('org.example', 'inner', '1.0', [{ name: 'blob.bin', content: randomBytes(3 * MIB), compress: false }]);
    const war = await zipOf([{ name: 'WEB-INF/lib/stored.jar', content: inner, compress: false }]);
    const damaged = Buffer.from(war);
    const at = war.indexOf(inner.subarray(2 * MIB, 2 * MIB + 64));
    damaged[at] ^= 0xff;
    const { source, close } = fileSourceOf(damaged);
    try {
      const [entry] = [...zipEntries(source, openZip(source))];
      expect(() => readNestedArchive(source, entry)).toThrow(/fails its CRC-32 check/);
    } finally {
      close();
    }
  });

  it('refuses a central directory of more than 128 MiB from a file rather than reading it into memory', () => {
    // A sparse file of 200 MiB whose end record claims a 150 MiB directory: nothing is written but the record.
    const path = join(dir, 'sparse.zip');
    const fd = openSync(path, 'w+');
    try {
      const size = 200 * MIB;
      ftruncateSync(fd, size);
      const eocd = Buffer.alloc(22);
      eocd.writeUInt32LE(0x06054b50, 0);
      eocd.writeUInt16LE(0xffff, 8);
      eocd.writeUInt16LE(0xffff, 10);
      eocd.writeUInt32LE(150 * MIB, 12);
      eocd.writeUInt32LE(size - 22 - 150 * MIB, 16);
      writeSync(fd, eocd, 0, 22, size - 22);
      const source = new FileSource(fd, 0, size);
      const directory = openZip(source);
      expect(() => [...zipEntries(source, directory)]).toThrow(ZipFormatError);
      expect(() => [...zipEntries(source, directory)]).toThrow(/declares 157286400 bytes, more than the 134217728 read/);
    } finally {
      closeSync(fd);
    }
  });
});
