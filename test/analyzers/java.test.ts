import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import { analyzeJavaArchive, analyzeJavaArchiveAsync, isJavaArchiveName, JAVA_LIMITS, type JavaArchiveLimits, javaAnalyzer } from '../../lib/analyzers/java';
import { SPOOL_PREFIX } from '../../lib/analyzers/spool-file';
import {
  type Coordinates,
  fileNameCoordinates,
  manifestIdentity,
  mavenName,
  parseManifest,
  parseProperties,
  pomCoordinates,
} from '../../lib/analyzers/java/metadata';
import { crc32, openZip, readZipEntry, type ZipEntry, ZipFormatError, zipEntries } from '../../lib/analyzers/java/zip';
import { hasPathHints } from '../../lib/analyzers/path-hints';
import type { AnalysisResult, PackageRecord } from '../../lib/analyzers/types';
import { mavenJar, pomProperties, zipOf, type ZipEntrySpec } from '../support/archives';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

// ---------------------------------------------------------------------------------------------------------------
// Archive builders: yazl (an independent zip writer) for well-formed archives, and a raw writer for archives that lie.

interface RawEntry {
  name: string;
  /** Uncompressed content (default empty). */
  content?: Buffer;
  /** Default deflate. */
  method?: number;
  /** Bytes stored after the local header instead of `content` compressed. */
  data?: Buffer;
  crc?: number;
  /** Declared sizes (default: the true ones). */
  size?: number;
  compressedSize?: number;
  flags?: number;
  /** The central directory's local header offset, instead of the true one. */
  localOffset?: number;
  /** Sizes and offset in a Zip64 extra field. */
  zip64?: boolean;
  /** A central directory entry for an earlier entry's local header and data (overlapping entries). */
  sameDataAs?: number;
}

interface RawOptions {
  prefix?: Buffer;
  comment?: Buffer;
  /** Write Zip64 end records (with saturated classic fields). */
  zip64End?: boolean;
  /** The classic end record's fields, overridden. */
  declaredEntries?: number;
  directorySize?: number;
  directoryOffset?: number;
  disk?: number;
}

function rawZip(entries: RawEntry[], options: RawOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  const offsets: number[] = [];
  let position = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const content = entry.content ?? Buffer.alloc(0);
    const method = entry.method ?? 8;
    const data = entry.data ?? (method === 8 ? deflateRawSync(content) : content);
    const crc = entry.crc ?? zlibCrc32(content);
    const size = entry.size ?? content.length;
    const compressedSize = entry.compressedSize ?? data.length;
    let offset: number;
    if (entry.sameDataAs !== undefined) offset = offsets[entry.sameDataAs];
    else {
      offset = position;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(entry.flags ?? 0x0800, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(Math.min(compressedSize, 0xffffffff), 18);
      local.writeUInt32LE(Math.min(size, 0xffffffff), 22);
      local.writeUInt16LE(name.length, 26);
      parts.push(local, name, data);
      position += local.length + name.length + data.length;
    }
    offsets.push(offset);
    const localOffset = entry.localOffset ?? offset;
    let extra = Buffer.alloc(0);
    if (entry.zip64) {
      extra = Buffer.alloc(28);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(compressedSize), 12);
      extra.writeBigUInt64LE(BigInt(localOffset), 20);
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x031e, 4);
    header.writeUInt16LE(entry.zip64 ? 45 : 20, 6);
    header.writeUInt16LE(entry.flags ?? 0x0800, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(entry.zip64 ? 0xffffffff : compressedSize, 20);
    header.writeUInt32LE(entry.zip64 ? 0xffffffff : size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt16LE(extra.length, 30);
    header.writeUInt32LE(entry.zip64 ? 0xffffffff : localOffset, 42);
    central.push(header, name, extra);
  }
  const directory = Buffer.concat(central);
  const directoryOffset = position;
  parts.push(directory);
  position += directory.length;
  if (options.zip64End) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(options.declaredEntries ?? entries.length), 32);
    record.writeBigUInt64LE(BigInt(options.directorySize ?? directory.length), 40);
    record.writeBigUInt64LE(BigInt(options.directoryOffset ?? directoryOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(position), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const comment = options.comment ?? Buffer.alloc(0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.disk ?? 0, 4);
  end.writeUInt16LE(options.zip64End ? 0xffff : Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(options.zip64End ? 0xffff : Math.min(options.declaredEntries ?? entries.length, 0xffff), 10);
  end.writeUInt32LE(options.zip64End ? 0xffffffff : (options.directorySize ?? directory.length), 12);
  end.writeUInt32LE(options.zip64End ? 0xffffffff : (options.directoryOffset ?? directoryOffset), 16);
  end.writeUInt16LE(comment.length, 20);
  parts.push(end, comment);
  return Buffer.concat([options.prefix ?? Buffer.alloc(0), ...parts]);
}

// ---------------------------------------------------------------------------------------------------------------

function analyze(content: Buffer, path = 'app/app.jar', limits?: JavaArchiveLimits): AnalysisResult {
  const result = limits ? analyzeJavaArchive(content, path, limits) : javaAnalyzer.analyze({ path, content, mode: 0o644, size: content.length });
  return result;
}

function packagesOf(result: AnalysisResult): PackageRecord[] {
  const evidence = result.evidence.find((item) => item.kind === 'packages');
  expect(evidence).toBeDefined();
  return evidence?.kind === 'packages' ? evidence.packages : [];
}

/** `group:artifact@version` (`@location` suffix for nested ones), for compact expectations. */
function summary(result: AnalysisResult): string[] {
  return packagesOf(result).map((pkg) => `${pkg.name}@${pkg.version}${pkg.location ? ` in ${pkg.location}` : ''}`);
}

const maven = (name: string, version: string, extra: Partial<PackageRecord> = {}): PackageRecord => ({
  ecosystem: 'Maven',
  purlType: 'maven',
  name,
  version,
  ...extra,
});

const limits = (overrides: Partial<JavaArchiveLimits>): JavaArchiveLimits => ({ ...JAVA_LIMITS, ...overrides });

/** A small deterministic PRNG (mulberry32) for the corruption tests. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function entriesOf(buffer: Buffer): ZipEntry[] {
  return [...zipEntries(buffer, openZip(buffer))];
}

function zipError(action: () => unknown): string {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(ZipFormatError);
    return (err as Error).message;
  }
  throw new Error('expected a ZipFormatError');
}

// ---------------------------------------------------------------------------------------------------------------

describe('java analyser paths', () => {
  it('wants .jar .war .ear .jpi .hpi anywhere, in any case, and nothing else', () => {
    for (const path of [
      'usr/share/java/commons-lang3.jar',
      'opt/app/ROOT.war',
      'srv/app.ear',
      'var/jenkins_home/plugins/git.jpi',
      'x/y.hpi',
      'A.JAR',
      'a.Jar',
    ]) {
      expect(javaAnalyzer.wantsStream(path, 0o644, 1000)).toBe(true);
    }
    for (const path of ['foo.jar.sha1', 'foo.zip', 'jar', '.jar', 'dir/.jar', 'foo.jarx', 'foojar', 'usr/lib/jvm/lib/modules', 'a.jr']) {
      expect(javaAnalyzer.wantsStream(path, 0o644, 1000)).toBe(false);
    }
    expect(isJavaArchiveName('x.war')).toBe(true);
  });

  it('is the java analyser, version 3, streaming archives (none kept with the layer), with no path hints (a suffix test)', () => {
    expect(javaAnalyzer.name).toBe('java');
    expect(javaAnalyzer.version).toBe(3);
    expect(javaAnalyzer.maxFileSize).toBe(0);
    expect(javaAnalyzer.wants('a.jar')).toBe(false);
    expect(hasPathHints(javaAnalyzer)).toBe(false);
  });

  it('reads an archive streamed in chunks as it reads it whole; one over 2 GiB, or cut short, is noted', async () => {
    const content = await mavenJar('org.example', 'streamed', '2.0');
    const analysis = javaAnalyzer.openStream('app/lib/streamed.jar', 0o644, content.length);
    for (let at = 0; at < content.length; at += 100) expect(analysis.write(content.subarray(at, at + 100))).toBe(true);
    expect(await analysis.end()).toEqual(javaAnalyzer.analyze({ path: 'app/lib/streamed.jar', content, mode: 0o644, size: content.length }));

    // Archives over 16 MiB are read from a spool file (./archive-stream.test.ts), up to 2 GiB.
    const huge = javaAnalyzer.openStream('big.jar', 0o644, 2049 * 1024 * 1024);
    expect(huge.write(Buffer.alloc(10))).toBe(false);
    expect(huge.end()).toEqual({ evidence: [], notes: [expect.stringMatching(/^big.jar: 2148532224 bytes exceeds the 2048 MiB limit/)], unreadable: true });
    const short = javaAnalyzer.openStream('short.jar', 0o644, content.length);
    short.write(content.subarray(0, 10));
    expect(short.end()).toMatchObject({ evidence: [], unreadable: true });
  });
});

describe('pom.properties', () => {
  it('reads Java properties: comments, separators, continuations, escapes, last value wins', () => {
    const properties = parseProperties(
      Buffer.from(
        [
          '# comment',
          '! also a comment',
          '  groupId = org.example  ',
          'artifactId:lib',
          'version 1.0',
          'long = first \\',
          '       second',
          'key\\=with\\:separators=v',
          'unicode=\\u0041\\tB',
          'version=2.0',
          'trailing=x\\\\',
          'empty',
        ].join('\r\n'),
      ),
    );
    expect(Object.fromEntries(properties)).toEqual({
      groupId: 'org.example  ',
      artifactId: 'lib',
      version: '2.0',
      long: 'first second',
      'key=with:separators': 'v',
      unicode: 'A\tB',
      trailing: 'x\\',
      empty: '',
    });
  });

  it('needs groupId, artifactId and version spelled as Maven spells them', () => {
    expect(pomCoordinates(Buffer.from(pomProperties(' org.example ', 'lib', ' 1.0 ')))).toEqual({ groupId: 'org.example', artifactId: 'lib', version: '1.0' });
    expect(pomCoordinates(Buffer.from('groupId=g\nartifactId=a\n'))).toBe('no valid version');
    expect(pomCoordinates(Buffer.from('groupId=g\nartifactId=a\nversion=${project.version}\n'))).toBe('no valid version');
    expect(pomCoordinates(Buffer.from('groupId=g h\nversion=1 2\n'))).toBe('no valid groupId, artifactId, version');
    expect(pomCoordinates(Buffer.alloc(0))).toBe('no valid groupId, artifactId, version');
  });
});

describe('manifests', () => {
  it('joins continuation lines as bytes (a UTF-8 character may be split), reads only the main section, names case-insensitive', () => {
    const title = Buffer.from('Implementation-Title: caf\u00e9-lib');
    const split = title.length - 5; // inside the two bytes of é
    const content = Buffer.concat([
      Buffer.from('Manifest-Version: 1.0\r\n'),
      title.subarray(0, split),
      Buffer.from('\r\n '),
      title.subarray(split),
      Buffer.from('\nimplementation-version:  2.0 \r\nIMPLEMENTATION-VERSION: 3.0\n\nName: com/example/\nImplementation-Vendor-Id: nope\n'),
    ]);
    const manifest = parseManifest(content);
    expect(manifest.get('implementation-title')).toBe('caf\u00e9-lib');
    expect(manifest.get('implementation-version')).toBe('2.0');
    expect(manifest.has('implementation-vendor-id')).toBe(false);
    expect(manifest.has('name')).toBe(false);
    expect(parseManifest(Buffer.alloc(0)).size).toBe(0);
  });
});

describe('file names', () => {
  it.each([
    ['commons-lang3-3.12.0.jar', { artifactId: 'commons-lang3', version: '3.12.0' }],
    ['log4j-1.2-api-2.19.0.jar', { artifactId: 'log4j-1.2-api', version: '2.19.0' }],
    ['spring-core-5.3.4-SNAPSHOT.jar', { artifactId: 'spring-core', version: '5.3.4-SNAPSHOT' }],
    ['guava-32.1.2-jre.jar', { artifactId: 'guava', version: '32.1.2-jre' }],
    ['bcprov-jdk18on-1.78.jar', { artifactId: 'bcprov-jdk18on', version: '1.78' }],
    ['netty-all-4.1.100.Final.jar', { artifactId: 'netty-all', version: '4.1.100.Final' }],
    ['lib-1.0-20240101.123456-7.jar', { artifactId: 'lib', version: '1.0-20240101.123456-7' }],
    ['web-app-1.0.war', { artifactId: 'web-app', version: '1.0' }],
    ['JavaEWAH-1.1.12.JAR', { artifactId: 'JavaEWAH', version: '1.1.12' }],
    ['commons-lang3.jar', undefined],
    ['ROOT.war', undefined],
    ['git.jpi', undefined],
    ['notes-1.0.txt', undefined],
    ['-1.0.jar', undefined],
  ])('%s', (name, expected) => {
    expect(fileNameCoordinates(name)).toEqual(expected);
  });
});

describe('manifest identity (archives without pom.properties)', () => {
  const identity = (lines: string[], fileName: string): string | undefined => {
    const coordinates = manifestIdentity(parseManifest(Buffer.from(`${lines.join('\n')}\n`)), fileName);
    return coordinates && `${mavenName(coordinates)}@${coordinates.version}`;
  };

  it('Jenkins plugins state Group-Id, Short-Name and Plugin-Version (first word)', () => {
    expect(identity(['Group-Id: org.jenkins-ci.plugins', 'Short-Name: git', 'Plugin-Version: 5.2.1', 'Implementation-Version: 9'], 'git.jpi')).toBe(
      'org.jenkins-ci.plugins:git@5.2.1',
    );
    expect(identity(['Group-Id: io.jenkins', 'Extension-Name: x', 'Plugin-Version: 1.0-SNAPSHOT (private-abc)'], 'x.hpi')).toBe('io.jenkins:x@1.0-SNAPSHOT');
  });

  it('groupId from Bundle-SymbolicName <group>.<dashed-artifact>, even when Implementation-Vendor-Id says org.apache', () => {
    expect(
      identity(
        ['Bundle-SymbolicName: org.apache.commons.commons-compress', 'Implementation-Vendor-Id: org.apache', 'Implementation-Version: 1.19'],
        'commons-compress-1.19.jar',
      ),
    ).toBe('org.apache.commons:commons-compress@1.19');
    expect(
      identity(['Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind;singleton:=true', 'Bundle-Version: 2.14.0'], 'jackson-databind.jar'),
    ).toBe('com.fasterxml.jackson.core:jackson-databind@2.14.0');
  });

  it('groupId from a Bundle-SymbolicName ending in the artifactId (guava)', () => {
    expect(identity(['Bundle-SymbolicName: com.google.guava', 'Bundle-Version: 32.1.2.jre'], 'guava-32.1.2-jre.jar')).toBe('com.google.guava:guava@32.1.2-jre');
  });

  it('groupId from Implementation-Vendor-Id, unless it is org.apache', () => {
    expect(identity(['Implementation-Vendor-Id: com.example', 'Implementation-Title: jenkins-plugin', 'Implementation-Version: 1.0.0'], 'plugin.jar')).toBe(
      'com.example:jenkins-plugin@1.0.0',
    );
    expect(identity(['Implementation-Vendor-Id: org.apache', 'Implementation-Version: 1.6'], 'commons-pool-1.6.jar')).toBe('commons-pool@1.6');
  });

  it('groupId from Bundle-SymbolicName <group>.<suffix> for an artifactId <last group segment>-<suffix>', () => {
    expect(identity(['Bundle-SymbolicName: org.apache.logging.log4j.core', 'Implementation-Version: 2.19.0'], 'log4j-core-2.19.0.jar')).toBe(
      'org.apache.logging.log4j:log4j-core@2.19.0',
    );
    // slf4j.api: a one-segment group is too weak a hint.
    expect(identity(['Bundle-SymbolicName: slf4j.api', 'Implementation-Version: 1.7.30'], 'slf4j-api-1.7.30.jar')).toBe('slf4j-api@1.7.30');
  });

  it('versions: Implementation-Version, else the file name, else Bundle-Version; placeholders and spaced titles ignored', () => {
    expect(identity(['Bundle-Version: 1.6.0'], 'commons-pool-1.6.jar')).toBe('commons-pool@1.6');
    expect(identity(['Bundle-Version: 1.6.0', 'Bundle-SymbolicName: %bsn'], 'pool.jar')).toBe('pool@1.6.0');
    expect(identity(['Implementation-Title: Spring Framework', 'Implementation-Version: 2.5.6.SEC03'], 'test.jar')).toBe('test@2.5.6.SEC03');
    expect(identity(['Implementation-Title: jackson-core', 'Implementation-Version: 2.9'], 'renamed.jar')).toBe('jackson-core@2.9');
    expect(identity(['Implementation-Version: ${project.version}'], 'app.jar')).toBeUndefined();
    expect(identity(['Manifest-Version: 1.0'], 'app.jar')).toBeUndefined();
    expect(identity([], 'heuristic-1.0.0-SNAPSHOT.jar')).toBe('heuristic@1.0.0-SNAPSHOT');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('zip reader', () => {
  const content = Buffer.from('x'.repeat(5000));

  it('reads stored, deflated, empty and directory entries as yazl writes them', async () => {
    const zip = await zipOf([
      { name: 'stored.txt', content, compress: false },
      { name: 'deflated.txt', content, compress: true },
      { name: 'empty.txt', content: '', compress: true },
      { name: 'caf\u00e9/\u00fcnicode.txt', content: 'ü', compress: false },
    ]);
    const entries = entriesOf(zip);
    expect(entries.map((entry) => [entry.name, entry.method, entry.uncompressedSize])).toEqual([
      ['stored.txt', 0, 5000],
      ['deflated.txt', 8, 5000],
      ['empty.txt', 8, 0],
      ['caf\u00e9/\u00fcnicode.txt', 0, 2],
    ]);
    expect(readZipEntry(zip, entries[0]).equals(content)).toBe(true);
    expect(readZipEntry(zip, entries[1]).equals(content)).toBe(true);
    expect(readZipEntry(zip, entries[2]).length).toBe(0);
    expect(readZipEntry(zip, entries[3]).toString()).toBe('ü');
    // A stored entry is a view of the archive, not a copy.
    expect(readZipEntry(zip, entries[0]).buffer).toBe(zip.buffer);
  });

  it('reads Zip64 end records and extra fields (yazl forced, and the raw writer)', async () => {
    const forced = await zipOf([{ name: 'a.txt', content, zip64: true }], { zip64: true });
    expect(openZip(forced).zip64).toBe(true);
    const [entry] = entriesOf(forced);
    expect(readZipEntry(forced, entry).equals(content)).toBe(true);

    const raw = rawZip(
      [
        { name: 'a.txt', content, zip64: true },
        { name: 'b.txt', content: Buffer.from('b'), method: 0 },
      ],
      { zip64End: true },
    );
    const directory = openZip(raw);
    expect(directory).toMatchObject({ zip64: true, declaredEntries: 2, base: 0 });
    expect(entriesOf(raw).map((item) => readZipEntry(raw, item).toString())).toEqual(['x'.repeat(5000), 'b']);
  });

  it('reads more than 65535 entries (Zip64 end records)', () => {
    const zip = rawZip(
      Array.from({ length: 65_600 }, (_, i) => ({ name: `c/${i}.class`, method: 0 })),
      { zip64End: true },
    );
    expect(openZip(zip)).toMatchObject({ zip64: true, declaredEntries: 65_600 });
    expect(entriesOf(zip)).toHaveLength(65_600);
  });

  it('finds archives after prepended bytes (a launch script) and before a comment', async () => {
    const zip = await zipOf([{ name: 'a.txt', content }], { comment: 'built by yazl' });
    const script = Buffer.from('#!/bin/bash\nexec java -jar "$0" "$@"\n'.repeat(20));
    const prefixed = Buffer.concat([script, zip]);
    const directory = openZip(prefixed);
    expect(directory.base).toBe(script.length);
    const [entry] = entriesOf(prefixed);
    expect(readZipEntry(prefixed, entry).equals(content)).toBe(true);
    // A comment holding an end record signature of its own.
    const commented = rawZip([{ name: 'a.txt', content }], { prefix: script, comment: Buffer.from(`PK\u0005\u0006${'-'.repeat(40)}`, 'latin1') });
    expect(openZip(commented).base).toBe(script.length);
    expect(readZipEntry(commented, entriesOf(commented)[0]).equals(content)).toBe(true);
    // Offsets already counting the prefix (zip -A) read as well.
    const adjusted = rawZip([{ name: 'a.txt', content, localOffset: script.length }], {
      prefix: script,
      directoryOffset: script.length + 30 + 5 + deflateRawSync(content).length,
    });
    const [same] = entriesOf(adjusted);
    expect(readZipEntry(adjusted, same).equals(content)).toBe(true);
  });

  it('a truncated archive, at any length, throws only ZipFormatError', async () => {
    const zip = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\n' },
      { name: 'a.txt', content },
    ]);
    let opened = 0;
    for (let length = 0; length < zip.length; length++) {
      const cut = zip.subarray(0, length);
      try {
        for (const entry of entriesOf(cut)) readZipEntry(cut, entry);
        opened++;
      } catch (err) {
        expect(err).toBeInstanceOf(ZipFormatError);
      }
    }
    expect(opened).toBe(0);
    expect(zipError(() => openZip(Buffer.alloc(10)))).toBe('10 bytes are too few for a zip archive');
    expect(zipError(() => openZip(Buffer.alloc(1000, 'a')))).toBe('no end of central directory record');
  });

  it('rejects entries whose offsets, sizes, checksums or methods do not hold', () => {
    const data = deflateRawSync(content);
    const cases: Array<[RawEntry, string]> = [
      [{ name: 'a', content, localOffset: 1_000_000 }, 'its local header offset 1000000 is past the end of the archive'],
      [{ name: 'a', content, localOffset: 10 }, 'has no local header at offset 10'],
      [{ name: 'a', content, compressedSize: 1_000_000 }, 'its 1000000 compressed bytes run past the end of the archive'],
      [{ name: 'a', content, size: 100 }, 'inflates to more than the 100 bytes it declares'],
      [{ name: 'a', content, size: 6000 }, 'inflates to 5000 bytes, not the 6000 it declares'],
      [{ name: 'a', content, size: 0xfffffff0, zip64: true }, 'inflates to 5000 bytes, not the 4294967280 it declares'],
      [{ name: 'a', content, size: 2 ** 40, zip64: true }, 'declares 1099511627776 bytes, more than a buffer holds'],
      [{ name: 'a', content, crc: 1 }, `fails its CRC-32 check (${zlibCrc32(content).toString(16).padStart(8, '0')}, declared 00000001)`],
      [{ name: 'a', content, flags: 0x0801 }, 'is encrypted'],
      [{ name: 'a', content, method: 12, data }, 'uses compression method 12, which is not supported'],
      [{ name: 'a', content, method: 0, size: 10 }, 'is stored, yet declares 5000 compressed and 10 uncompressed bytes'],
      [{ name: 'a', content, data: Buffer.from([0xff, 0xff, 0xff, 0xff]) }, 'has damaged deflate data (invalid block type)'],
      [{ name: 'a', content, data: data.subarray(0, 5) }, 'has damaged deflate data (unexpected end of file)'],
    ];
    for (const [entry, message] of cases) {
      const zip = rawZip([entry]);
      const [read] = entriesOf(zip);
      expect(zipError(() => readZipEntry(zip, read))).toBe(message);
    }
  });

  it('rejects end records and central directories that do not hold', () => {
    const entries: RawEntry[] = [{ name: 'a', content }, { name: 'b' }];
    expect(zipError(() => openZip(rawZip(entries, { disk: 1 })))).toBe('multi-disk archives are not supported');
    expect(zipError(() => openZip(rawZip(entries, { directorySize: 100_000 })))).toMatch(/^the central directory \(100000 bytes at offset \d+\) does not fit/);
    expect(zipError(() => openZip(rawZip(entries, { directoryOffset: 0xffffffff })))).toBe('the end record defers to a Zip64 record that is missing');
    // A Zip64 locator pointing nowhere.
    const zip64 = rawZip(entries, { zip64End: true });
    const broken = Buffer.from(zip64);
    broken.writeUInt32LE(0, broken.length - 22 - 20 - 56);
    expect(zipError(() => openZip(broken))).toBe('the Zip64 end of central directory record is missing');
    const huge = Buffer.from(zip64);
    huge.writeBigUInt64LE(2n ** 60n, huge.length - 22 - 20 - 56 + 32);
    expect(zipError(() => openZip(huge))).toBe('Zip64 entry count 1152921504606846976 is out of range');

    // More entries declared than present: the ones there are yielded first.
    const short = rawZip(entries, { declaredEntries: 3 });
    const seen: string[] = [];
    expect(
      zipError(() => {
        for (const entry of zipEntries(short, openZip(short))) seen.push(entry.name);
      }),
    ).toBe('the central directory ends after 2 of the 3 entries it declares');
    expect(seen).toEqual(['a', 'b']);

    const damaged = rawZip(entries);
    const second = damaged.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), damaged.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 1);
    damaged.writeUInt32LE(0x12345678, second);
    expect(zipError(() => entriesOf(damaged))).toBe('entry 2: not a central directory header');

    const noExtra = rawZip([{ name: 'a', content, zip64: true }]);
    const header = noExtra.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    noExtra.writeUInt16LE(0x0009, header + 46 + 1); // the extra field's id is no longer Zip64
    expect(zipError(() => entriesOf(noExtra))).toBe('entry 1: sizes or offset defer to a Zip64 extra field that is missing');
  });

  it('computes CRC-32 as zlib does', () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('java archives', () => {
  it('reports every pom.properties of a jar, with no location for the file itself', async () => {
    const shaded = await mavenJar('org.example', 'app', '1.0', [
      { name: 'META-INF/maven/com.google.guava/guava/pom.properties', content: pomProperties('com.google.guava', 'guava', '32.1.2-jre') },
      { name: 'META-INF/maven/com.google.guava/guava/pom.properties', content: pomProperties('com.google.guava', 'guava', '32.1.2-jre') },
      { name: 'WEB-INF/classes/META-INF/maven/org.slf4j/slf4j-api/pom.properties', content: pomProperties('org.slf4j', 'slf4j-api', '2.0.9') },
      // Not written by Maven: not read.
      { name: 'test-data/pom.properties', content: pomProperties('test', 'data', '1') },
      { name: 'META-INF/pom.properties', content: pomProperties('test', 'meta', '1') },
    ]);
    const result = analyze(shaded, 'opt/app.jar');
    expect(result).toEqual({
      evidence: [
        {
          kind: 'packages',
          packages: [maven('org.example:app', '1.0'), maven('com.google.guava:guava', '32.1.2-jre'), maven('org.slf4j:slf4j-api', '2.0.9')],
        },
      ],
    });
  });

  it('prefers pom.properties to the manifest; gives the manifest licence to the pom.properties of the archive itself', async () => {
    const manifest = 'Manifest-Version: 1.0\nImplementation-Title: other\nImplementation-Version: 9\nBundle-License: Apache-2.0\n';
    const single = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: manifest },
      { name: 'META-INF/maven/g/a/pom.properties', content: pomProperties('g', 'a', '1') },
    ]);
    expect(packagesOf(analyze(single))).toEqual([maven('g:a', '1', { license: 'Apache-2.0' })]);
    const shaded = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: manifest },
      { name: 'META-INF/maven/g/dep/pom.properties', content: pomProperties('g', 'dep', '2') },
      { name: 'META-INF/maven/g/a/pom.properties', content: pomProperties('g', 'a', '1') },
    ]);
    expect(packagesOf(analyze(shaded, 'lib/a-1.jar'))).toEqual([maven('g:dep', '2'), maven('g:a', '1', { license: 'Apache-2.0' })]);
  });

  it('falls back to the manifest, then the file name (artifactId alone: it cannot match an OSV name)', async () => {
    const manifestOnly = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\nBundle-SymbolicName: com.example.my-lib\nImplementation-Version: 2.1\n' },
    ]);
    expect(packagesOf(analyze(manifestOnly, 'lib/my-lib-2.1.jar'))).toEqual([maven('com.example:my-lib', '2.1')]);
    const bare = await zipOf([{ name: 'a/B.class', content: 'x' }]);
    expect(analyze(bare, 'lib/commons-lang3-3.12.0.jar')).toEqual({ evidence: [{ kind: 'packages', packages: [maven('commons-lang3', '3.12.0')] }] });
    // Nothing names a version: no package, and nothing to note.
    expect(analyze(bare, 'app/app.jar')).toEqual({ evidence: [{ kind: 'packages', packages: [] }] });
  });

  it('a pom.properties without a version is noted and skipped, and the archive still counts as read', async () => {
    const zip = await zipOf([{ name: 'META-INF/maven/g/a/pom.properties', content: 'groupId=g\nartifactId=a\n' }]);
    expect(analyze(zip, 'lib/a-1.0.jar')).toEqual({
      evidence: [{ kind: 'packages', packages: [maven('a', '1.0')] }],
      notes: ['lib/a-1.0.jar: META-INF/maven/g/a/pom.properties has no valid version; skipped'],
    });
  });

  it('an empty file (a symbolic link to another layer) says nothing; a file that is no zip is unreadable', () => {
    expect(analyze(Buffer.alloc(0))).toEqual({ evidence: [] });
    expect(analyze(Buffer.from('<html>not found</html>'), 'app/x.jar')).toEqual({
      evidence: [],
      notes: ['app/x.jar: not a readable zip archive: no end of central directory record'],
      unreadable: true,
    });
  });

  it('nested archives are located at <file>:<entry>, to any depth, in a Spring Boot jar behind a launch script', async () => {
    const inner = await mavenJar('org.example', 'inner', '1.0');
    const war = await zipOf([
      { name: 'META-INF/maven/org.example/web/pom.properties', content: pomProperties('org.example', 'web', '2.0') },
      { name: 'WEB-INF/lib/inner-1.0.jar', content: inner },
    ]);
    const ear = await zipOf([
      { name: 'web.war', content: war },
      { name: 'lib/inner-1.0.jar', content: inner, compress: false },
    ]);
    expect(summary(analyze(ear, 'srv/app.ear'))).toEqual([
      'org.example:web@2.0 in srv/app.ear:web.war',
      'org.example:inner@1.0 in srv/app.ear:web.war:WEB-INF/lib/inner-1.0.jar',
      'org.example:inner@1.0 in srv/app.ear:lib/inner-1.0.jar',
    ]);
    const boot = await zipOf([
      { name: 'META-INF/maven/com.example/demo/pom.properties', content: pomProperties('com.example', 'demo', '0.0.1-SNAPSHOT') },
      { name: 'BOOT-INF/classes/application.properties', content: 'server.port=8080\n' },
      { name: 'BOOT-INF/lib/inner-1.0.jar', content: inner, compress: false },
    ]);
    const executable = Buffer.concat([Buffer.from('#!/bin/bash\n# launch script\nexec java -jar "$0"\nexit 0\n'), boot]);
    expect(summary(analyze(executable, 'app.jar'))).toEqual(['com.example:demo@0.0.1-SNAPSHOT', 'org.example:inner@1.0 in app.jar:BOOT-INF/lib/inner-1.0.jar']);
  });

  it('corrupting bytes of a war at random never throws and never hangs', async () => {
    const inner = await mavenJar('org.example', 'inner', '1.0');
    const war = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\nImplementation-Version: 1\n' },
      { name: 'WEB-INF/lib/inner-1.0.jar', content: inner, compress: false },
      { name: 'WEB-INF/lib/deflated-1.0.jar', content: inner },
    ]);
    const next = random(42);
    let unreadable = 0;
    for (let round = 0; round < 1500; round++) {
      const copy = Buffer.from(war);
      const flips = 1 + Math.floor(next() * 4);
      for (let i = 0; i < flips; i++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
      const result = analyzeJavaArchive(copy, 'app.war');
      if (result.unreadable) unreadable++;
      for (const pkg of result.evidence.flatMap((item) => (item.kind === 'packages' ? item.packages : []))) {
        expect(pkg.ecosystem).toBe('Maven');
      }
      expect((result.notes ?? []).length).toBeLessThanOrEqual(21);
    }
    expect(unreadable).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('archive limits', () => {
  it('a nested zip bomb (48 MiB of zeros in 48 KiB) is noted and not inflated; the rest is read', async () => {
    const zeros = Buffer.alloc(48 * 1024 * 1024);
    const good = await mavenJar('org.example', 'good', '1.0');
    const war = rawZip([
      { name: 'WEB-INF/lib/bomb-1.0.jar', content: zeros },
      { name: 'WEB-INF/lib/good-1.0.jar', content: good },
    ]);
    expect(war.length).toBeLessThan(200_000);
    const started = Date.now();
    const result = analyze(war, 'app.war');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(summary(result)).toEqual(['org.example:good@1.0 in app.war:WEB-INF/lib/good-1.0.jar']);
    expect(result.notes).toEqual([
      expect.stringMatching(
        /^app\.war:WEB-INF\/lib\/bomb-1\.0\.jar: declares 50331648 bytes from \d+ compressed, a ratio past 100:1 \(zip bomb\?\); not opened$/,
      ),
    ]);
    expect(result.unreadable).toBe(true);
  });

  it('a nested archive that inflates past its declared size is cut off at that size', async () => {
    const big = await mavenJar('org.example', 'big', '1.0', [{ name: 'filler.bin', content: Buffer.alloc(200_000, 7), compress: false }]);
    const war = rawZip([{ name: 'WEB-INF/lib/big-1.0.jar', content: big, size: 5000 }]);
    const result = analyze(war, 'app.war');
    expect(summary(result)).toEqual([]);
    expect(result.notes).toEqual(['app.war: WEB-INF/lib/big-1.0.jar inflates to more than the 5000 bytes it declares; skipped']);
    expect(result.unreadable).toBe(true);
  });

  it('the nested size limit is for archives inflated into memory: a stored one over it is read where it is', async () => {
    const inner = await mavenJar('org.example', 'inner', '1.0', [{ name: 'filler.bin', content: Buffer.alloc(300_000, 3), compress: false }]);
    const small = limits({ maxNestedArchiveBytes: 100_000 });
    const stored = analyze(await zipOf([{ name: 'BOOT-INF/lib/inner-1.0.jar', content: inner, compress: false }]), 'app.jar', small);
    expect(summary(stored)).toEqual(['org.example:inner@1.0 in app.jar:BOOT-INF/lib/inner-1.0.jar']);
    expect(stored.notes).toBeUndefined();
    const deflated = analyze(await zipOf([{ name: 'BOOT-INF/lib/inner-1.0.jar', content: inner }]), 'app.jar', small);
    expect(summary(deflated)).toEqual([]);
    expect(deflated.notes).toEqual([
      `app.jar:BOOT-INF/lib/inner-1.0.jar: declares ${inner.length} bytes, more than the 100000 a nested archive may have; not opened`,
    ]);
  });

  describe('deflated nested archives above the spool size, inflated into a spool file by the streaming reader', () => {
    // Scaled down: archives inflating to more than 100 KB are spooled, and memory holds at most 200 KB of one.
    const scaled = limits({ spoolInflatedBytes: 100_000, maxNestedArchiveBytes: 200_000 });
    const spoolDescriptors = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).includes(`/${SPOOL_PREFIX}${process.pid}-`);
        } catch {
          return false;
        }
      });
    const filler = (seed: number, size: number) => {
      const next = random(seed);
      return Buffer.from(Array.from({ length: size }, () => Math.floor(next() * 256)));
    };

    it('reads one past the in-memory limit, nested two deep, and closes every spool file', async () => {
      const jar = await mavenJar('org.example', 'inner', '1.0', [{ name: 'blob.bin', content: filler(1, 300_000), compress: false }]);
      const war = await zipOf([
        { name: 'META-INF/maven/org.example/web/pom.properties', content: 'groupId=org.example\nartifactId=web\nversion=2.0\n' },
        { name: 'WEB-INF/lib/inner-1.0.jar', content: jar },
        { name: 'padding.bin', content: filler(2, 300_000), compress: false },
      ]);
      const ear = await zipOf([{ name: 'lib/web-2.0.war', content: war }]);
      const before = spoolDescriptors().length;
      const streamed = await analyzeJavaArchiveAsync(ear, 'app.ear', scaled);
      expect(summary(streamed)).toEqual([
        'org.example:web@2.0 in app.ear:lib/web-2.0.war',
        'org.example:inner@1.0 in app.ear:lib/web-2.0.war:WEB-INF/lib/inner-1.0.jar',
      ]);
      expect(streamed.notes).toBeUndefined();
      expect(spoolDescriptors()).toHaveLength(before);
      // The synchronous reader holds nested archives in memory, within the limit: the war is too large for it.
      const inMemory = analyzeJavaArchive(ear, 'app.ear', scaled);
      expect(summary(inMemory)).toEqual([]);
      expect(inMemory.notes).toEqual([`app.ear:lib/web-2.0.war: declares ${war.length} bytes, more than the 200000 a nested archive may have; not opened`]);
    });

    it('checks what it spools: a wrong CRC, output past the declared size and damaged deflate data are each noted', async () => {
      const jar = await mavenJar('org.example', 'inner', '1.0', [{ name: 'blob.bin', content: filler(3, 150_000), compress: false }]);
      const deflated = deflateRawSync(jar);
      const cases: Array<[RawEntry, RegExp]> = [
        [{ name: 'lib/a.jar', content: jar, crc: 1234 }, /^app\.ear: lib\/a\.jar fails its CRC-32 check \(\w+, declared 000004d2\); skipped$/],
        [{ name: 'lib/b.jar', content: jar, size: 120_000 }, /^app\.ear: lib\/b\.jar inflates to more than the 120000 bytes it declares; skipped$/],
        [{ name: 'lib/c.jar', content: jar, data: deflated.subarray(0, deflated.length - 5000) }, /^app\.ear: lib\/c\.jar has damaged deflate data/],
      ];
      for (const [entry, note] of cases) {
        const result = await analyzeJavaArchiveAsync(rawZip([entry]), 'app.ear', scaled);
        expect(summary(result)).toEqual([]);
        expect(result.notes).toEqual([expect.stringMatching(note)]);
        expect(result.unreadable).toBe(true);
      }
      expect(spoolDescriptors()).toEqual([]);
    });
  });

  it('a nested archive declaring more than 64 MiB is not opened', () => {
    const war = rawZip([
      { name: 'WEB-INF/lib/huge.jar', content: Buffer.from('x'), size: 65 * 1024 * 1024, compressedSize: 3 * 1024 * 1024, data: Buffer.alloc(3 * 1024 * 1024) },
    ]);
    const result = analyze(war, 'app.war');
    expect(result.notes).toEqual(['app.war:WEB-INF/lib/huge.jar: declares 68157440 bytes, more than the 67108864 a nested archive may have; not opened']);
    expect(result.unreadable).toBe(true);
  });

  it('overlapping entries (one stored jar named 3000 times) stop at the byte budget and the archive count', async () => {
    const inner = await mavenJar('org.example', 'inner', '1.0', [{ name: 'filler.bin', content: Buffer.alloc(100_000, 1), compress: false }]);
    const entries: RawEntry[] = [{ name: 'lib/0.jar', content: inner, method: 0 }];
    for (let i = 1; i < 3000; i++) entries.push({ name: `lib/${i}.jar`, content: inner, method: 0, sameDataAs: 0 });
    const ear = rawZip(entries);
    expect(ear.length).toBeLessThan(inner.length + 200_000);

    // The nested jars' manifests and pom.properties (a few hundred bytes each) count too. The budget is above four
    // times the file's size, below which it would grow to that.
    const budget = 20 * (inner.length + 1000);
    expect(budget).toBeGreaterThan(4 * ear.length);
    const byBytes = analyze(ear, 'x.ear', limits({ maxBytesTotal: budget }));
    expect(packagesOf(byBytes)).toHaveLength(20);
    expect(byBytes.notes).toEqual([`x.ear: lib/20.jar (${inner.length} bytes) is past the ${budget}-byte budget of the file; the rest is skipped`]);
    expect(byBytes.unreadable).toBe(true);
    // A budget below four times the file's size grows to it: a large file holds that much in its own bytes.
    const grown = analyze(ear, 'x.ear', limits({ maxBytesTotal: 1000 }));
    expect(grown.notes).toEqual([expect.stringMatching(new RegExp(`is past the ${4 * ear.length}-byte budget of the file; the rest is skipped$`))]);

    // Above twice the archive's size, below which it would grow to that.
    expect(8 * inner.length).toBeGreaterThan(2 * ear.length);
    const byArchive = analyze(ear, 'x.ear', limits({ maxBytesPerArchive: 8 * inner.length }));
    expect(packagesOf(byArchive)).toHaveLength(8);
    expect(byArchive.notes).toEqual([
      `x.ear: lib/8.jar (${inner.length} bytes) is past the ${8 * inner.length}-byte budget of the archive; the rest of it is skipped`,
    ]);

    const byCount = analyze(ear, 'x.ear', limits({ maxNestedArchives: 7 }));
    expect(packagesOf(byCount)).toHaveLength(7);
    expect(byCount.notes).toEqual(['x.ear: past 7 nested archives; the rest are not opened']);

    // With the default limits: the 256 MiB budget ends it, quickly.
    const started = Date.now();
    const defaults = analyze(ear, 'x.ear');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(packagesOf(defaults)).toHaveLength(Math.floor((128 * 1024 * 1024) / inner.length));
    expect(defaults.notes).toEqual([
      expect.stringMatching(/^x\.ear: lib\/\d+\.jar \(\d+ bytes\) is past the 134217728-byte budget of the archive; the rest of it is skipped$/),
    ]);
    // Two such ears in a war: the file's 256 MiB budget ends it.
    const war = rawZip([
      { name: 'a.ear', content: ear, method: 0 },
      { name: 'b.ear', content: ear, method: 0 },
      { name: 'c.ear', content: ear, method: 0 },
    ]);
    const nested = analyze(war, 'x.war');
    expect(packagesOf(nested).length).toBeLessThan(Math.floor((256 * 1024 * 1024) / inner.length));
    expect(nested.notes?.at(-1)).toMatch(/-byte budget of the file; the rest is skipped$/);
  });

  it('nesting is followed 4 archives deep, and deeper archives are noted', async () => {
    let archive = await mavenJar('com.example', 'level-6', '1.0');
    for (let level = 5; level >= 0; level--) {
      archive = await mavenJar('com.example', `level-${level}`, '1.0', [{ name: `lib/level-${level + 1}-1.0.jar`, content: archive }]);
    }
    const result = analyze(archive, 'level-0-1.0.jar');
    const chain = ['level-0-1.0.jar', 'lib/level-1-1.0.jar', 'lib/level-2-1.0.jar', 'lib/level-3-1.0.jar', 'lib/level-4-1.0.jar', 'lib/level-5-1.0.jar'];
    expect(packagesOf(result)).toEqual([
      maven('com.example:level-0', '1.0'),
      ...[1, 2, 3, 4].map((level) => maven(`com.example:level-${level}`, '1.0', { location: chain.slice(0, level + 1).join(':') })),
    ]);
    expect(result.notes).toEqual([`${chain.join(':')}: nested more than 4 archives deep; not opened`]);
    expect(result.unreadable).toBe(true);
    expect(packagesOf(analyze(archive, 'level-0-1.0.jar', limits({ maxDepth: 6 })))).toHaveLength(7);
  });

  it('entries past the per-archive and total counts are skipped', async () => {
    const many = (count: number, pomAt: number) =>
      rawZip(
        Array.from({ length: count }, (_, i) =>
          i === pomAt ? { name: 'META-INF/maven/g/a/pom.properties', content: Buffer.from(pomProperties('g', 'a', '1')) } : { name: `c/${i}.class` },
        ),
      );
    const early = analyze(many(30, 3), 'lib/x-2.jar', limits({ maxEntriesPerArchive: 10 }));
    expect(summary(early)).toEqual(['g:a@1']);
    expect(early.notes).toEqual(['lib/x-2.jar: more than 10 entries; the rest of the archive is skipped']);
    expect(early.unreadable).toBe(true);
    const late = analyze(many(30, 20), 'lib/x-2.jar', limits({ maxEntriesPerArchive: 10 }));
    expect(summary(late)).toEqual(['x@2']);

    const war = await zipOf([
      { name: 'WEB-INF/lib/a-1.jar', content: await mavenJar('g', 'a', '1') },
      { name: 'WEB-INF/lib/b-1.jar', content: await mavenJar('g', 'b', '1') },
    ]);
    const total = analyze(war, 'app.war', limits({ maxEntriesTotal: 8 }));
    // b-1.jar is cut before its pom.properties: what was listed (its file name) still names it.
    expect(summary(total)).toEqual(['g:a@1 in app.war:WEB-INF/lib/a-1.jar', 'b@1 in app.war:WEB-INF/lib/b-1.jar']);
    expect(total.notes).toEqual(['app.war:WEB-INF/lib/b-1.jar: past 8 zip entries in all; the rest of the archive is skipped']);
  });

  it('metadata over 1 MiB and pom.properties past the count are skipped with a note', async () => {
    const padded = `${'#'.repeat(1024 * 1024)}\n${pomProperties('g', 'a', '1')}`;
    const large = await zipOf([{ name: 'META-INF/maven/g/a/pom.properties', content: padded }]);
    const result = analyze(large, 'lib/a-1.jar');
    expect(summary(result)).toEqual(['a@1']);
    expect(result.notes).toEqual([`lib/a-1.jar: META-INF/maven/g/a/pom.properties declares ${padded.length} bytes, more than the 1048576 read; skipped`]);
    expect(result.unreadable).toBe(true);

    const poms = await zipOf([1, 2, 3, 4, 5].map((i) => ({ name: `META-INF/maven/g/a${i}/pom.properties`, content: pomProperties('g', `a${i}`, '1') })));
    const capped = analyze(poms, 'x.jar', limits({ maxPomProperties: 3 }));
    expect(summary(capped)).toEqual(['g:a1@1', 'g:a2@1', 'g:a3@1']);
    expect(capped.notes).toEqual(['x.jar: 5 pom.properties; only the first 3 are read']);
  });

  it('entries with unsafe names (.., absolute, drive letters, backslashes) are skipped', async () => {
    const inner = await mavenJar('g', 'inner', '1');
    const war = rawZip([
      { name: '../../evil-1.jar', content: inner },
      { name: 'WEB-INF/lib/../../x-1.jar', content: inner },
      { name: '/abs-1.jar', content: inner },
      { name: 'C:/win-1.jar', content: inner },
      { name: 'WEB-INF\\lib\\bs-1.jar', content: inner },
      { name: 'META-INF/maven/../pom.properties', content: Buffer.from(pomProperties('g', 'up', '1')) },
      { name: '../harmless.class' },
      { name: 'WEB-INF/lib/ok-1.jar', content: inner },
    ]);
    const result = analyze(war, 'app.war');
    expect(summary(result)).toEqual(['g:inner@1 in app.war:WEB-INF/lib/ok-1.jar']);
    expect(result.notes).toEqual(['app.war: entry "../../evil-1.jar" has an unsafe name; skipped', 'app.war: 5 more entries with unsafe names skipped']);
    expect(result.unreadable).toBe(true);
  });

  it('damaged nested archives are noted, at most 20 notes a file', async () => {
    const good = await mavenJar('g', 'good', '1');
    const entries: ZipEntrySpec[] = [{ name: 'WEB-INF/lib/good-1.jar', content: good }];
    for (let i = 0; i < 30; i++) entries.push({ name: `WEB-INF/lib/broken-${i}.jar`, content: good.subarray(0, 100) });
    const result = analyze(await zipOf(entries), 'app.war');
    expect(summary(result)).toEqual(['g:good@1 in app.war:WEB-INF/lib/good-1.jar']);
    expect(result.notes).toHaveLength(21);
    expect(result.notes?.[0]).toBe('app.war:WEB-INF/lib/broken-0.jar: not a readable zip archive: no end of central directory record');
    expect(result.notes?.[20]).toBe('10 more problem(s) not listed');
    expect(result.unreadable).toBe(true);
  });

  it('a central directory damaged halfway keeps the entries before the damage', async () => {
    const zip = rawZip([{ name: 'META-INF/maven/g/a/pom.properties', content: Buffer.from(pomProperties('g', 'a', '1')) }, { name: 'b' }, { name: 'c' }], {
      declaredEntries: 5,
    });
    const result = analyze(zip, 'x.jar');
    expect(summary(result)).toEqual(['g:a@1']);
    expect(result.notes).toEqual([
      'x.jar: damaged central directory: the central directory ends after 3 of the 5 entries it declares; the rest of the archive is skipped',
    ]);
    expect(result.unreadable).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describeWithShared('java archives from other scanners (trivy test data)', () => {
  const read = (fixture: string, file: string) => readFileSync(peerFixture('pkgdb/java-jar', fixture, file));

  it('maven.war: the war pom.properties, then each WEB-INF/lib jar at its location, with its Bundle-License', () => {
    const result = analyze(read('trivy-maven.war', 'maven.war'), 'app/maven.war');
    const at = (jarName: string) => `app/maven.war:WEB-INF/lib/${jarName}`;
    expect(result.notes).toBeUndefined();
    expect(packagesOf(result)).toEqual([
      maven('com.example:web-app', '1.0-SNAPSHOT'),
      maven('org.glassfish:javax.el', '3.0.0', { license: 'https://glassfish.dev.java.net/nonav/public/CDDL+GPL.html', location: at('javax.el-3.0.0.jar') }),
      maven('com.fasterxml.jackson.core:jackson-databind', '2.9.10.6', {
        license: 'http://www.apache.org/licenses/LICENSE-2.0.txt',
        location: at('jackson-databind-2.9.10.6.jar'),
      }),
      maven('com.fasterxml.jackson.core:jackson-annotations', '2.9.10', {
        license: 'http://www.apache.org/licenses/LICENSE-2.0.txt',
        location: at('jackson-annotations-2.9.10.jar'),
      }),
      maven('com.fasterxml.jackson.core:jackson-core', '2.9.10', {
        license: 'http://www.apache.org/licenses/LICENSE-2.0.txt',
        location: at('jackson-core-2.9.10.jar'),
      }),
      maven('org.slf4j:slf4j-api', '1.7.30', { location: at('slf4j-api-1.7.30.jar') }),
      maven('com.cronutils:cron-utils', '9.1.2', { license: 'http://www.apache.org/licenses/LICENSE-2.0.html', location: at('cron-utils-9.1.2.jar') }),
      maven('org.apache.commons:commons-lang3', '3.11', { license: 'https://www.apache.org/licenses/LICENSE-2.0.txt', location: at('commons-lang3-3.11.jar') }),
    ]);
  });

  it('gradle.war: no identity of its own (Gradle writes no pom.properties), four nested jars', () => {
    expect(summary(analyze(read('trivy-gradle.war', 'gradle.war'), 'gradle.war'))).toEqual([
      'commons-dbcp:commons-dbcp@1.4 in gradle.war:WEB-INF/lib/commons-dbcp-1.4.jar',
      'commons-pool:commons-pool@1.6 in gradle.war:WEB-INF/lib/commons-pool-1.6.jar',
      'log4j:log4j@1.2.17 in gradle.war:WEB-INF/lib/log4j-1.2.17.jar',
      'org.apache.commons:commons-compress@1.19 in gradle.war:WEB-INF/lib/commons-compress-1.19.jar',
    ]);
  });

  it('a shaded jar reports each of its five pom.properties', () => {
    const result = analyze(
      read('trivy-hadoop-shaded-guava-1.1.0-SNAPSHOT.jar', 'hadoop-shaded-guava-1.1.0-SNAPSHOT.jar'),
      'hadoop-shaded-guava-1.1.0-SNAPSHOT.jar',
    );
    expect(result.notes).toBeUndefined();
    expect(summary(result)).toEqual([
      'org.apache.hadoop.thirdparty:hadoop-shaded-guava@1.1.0-SNAPSHOT',
      'com.google.j2objc:j2objc-annotations@1.3',
      'com.google.guava:guava@29.0-jre',
      'com.google.guava:failureaccess@1.0.1',
      'com.google.guava:listenablefuture@9999.0-empty-to-avoid-conflict-with-guava',
    ]);
  });

  it('gizmo: its pom.properties, the jars under jars/, and not the pom.properties outside META-INF/maven', () => {
    const result = analyze(read('trivy-io.quarkus.gizmo.gizmo-1.1.jar', 'io.quarkus.gizmo.gizmo-1.1.jar'), 'gizmo.jar');
    expect(result.notes).toBeUndefined();
    expect(summary(result)).toEqual([
      'io.quarkus.gizmo:gizmo@1.1',
      'log4j:log4j@1.2.16 in gizmo.jar:jars/log4j-1.2.16.jar',
      'log4j:log4j@1.2.17 in gizmo.jar:jars/log4j-1.2.17.jar',
    ]);
  });

  it('a Jenkins plugin manifest: Implementation-Vendor-Id and -Title, and every Plugin-License-Name', () => {
    expect(packagesOf(analyze(read('trivy-license-from-jenkins-plugin.jar', 'license-from-jenkins-plugin.jar'), 'license-from-jenkins-plugin.jar'))).toEqual([
      maven('com.example:jenkins-plugin', '1.0.0', { license: 'Apache License, Version 2.0; MIT License' }),
    ]);
  });

  it('manifest and file name fallbacks: artifactId alone when no group can be had', () => {
    expect(summary(analyze(read('trivy-heuristic-1.0.0-SNAPSHOT.jar', 'heuristic-1.0.0-SNAPSHOT.jar'), 'heuristic-1.0.0-SNAPSHOT.jar'))).toEqual([
      'heuristic@1.0.0-SNAPSHOT',
    ]);
    // Implementation-Title "Spring Framework" is no artifactId: the file name stands in.
    expect(summary(analyze(read('trivy-test.jar__offline', 'test.jar'), 'test.jar'))).toEqual(['test@2.5.6.SEC03']);
    expect(summary(analyze(read('trivy-multi-license-1.0.0.jar', 'multi-license-1.0.0.jar'), 'multi-license-1.0.0.jar'))).toEqual([
      'com.example:multi-license@1.0.0',
    ]);
  });

  it('nested.jar: three levels of nesting, none with Maven metadata (their pom.properties are outside META-INF/maven)', () => {
    expect(analyze(read('trivy-nested.jar', 'nested.jar'), 'nested.jar')).toEqual({ evidence: [{ kind: 'packages', packages: [] }] });
    expect(analyze(read('trivy-nested.jar', 'nested.jar'), 'nested.jar', limits({ maxDepth: 1 })).notes).toEqual([
      'nested.jar:META-INF/jars/nested2.jar:META-INF/jars/nested3.jar: nested more than 1 archives deep; not opened',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const DEBIAN_PACKAGES = {
  'libcommons-lang3-java': 'org.apache.commons',
  'libjackson2-databind-java': 'com.fasterxml.jackson.core',
  'liblog4j2-java': 'org.apache.logging.log4j',
};

interface DebianJar {
  path: string;
  /** Upstream version of the Debian package (no epoch, no Debian revision). */
  version: string;
  groupId: string;
  content: Buffer;
}

describe('real jars from Debian packages', () => {
  let jars: DebianJar[] = [];
  let why = '';
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lamina-java-'));
    try {
      execFileSync('apt-get', ['download', ...Object.keys(DEBIAN_PACKAGES)], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
      for (const deb of readdirSync(dir).filter((name) => name.endsWith('.deb'))) {
        const source = basename(deb).split('_')[0] as keyof typeof DEBIAN_PACKAGES;
        const debianVersion = execFileSync('dpkg-deb', ['-f', join(dir, deb), 'Version'], { encoding: 'utf8' }).trim();
        const version = debianVersion.replace(/^\d+:/, '').replace(/-[^-]+$/, '');
        const root = join(dir, source);
        execFileSync('dpkg-deb', ['-x', join(dir, deb), root]);
        const javaDir = join(root, 'usr/share/java');
        for (const name of readdirSync(javaDir)) {
          const path = join(javaDir, name);
          if (!name.endsWith('.jar') || lstatSync(path).isSymbolicLink()) continue;
          jars.push({ path: `usr/share/java/${name}`, version, groupId: DEBIAN_PACKAGES[source], content: readFileSync(path) });
        }
      }
    } catch (err) {
      jars = [];
      why = (err as Error).message.split('\n')[0];
    }
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const available = (): boolean => {
    if (jars.length > 0) return true;
    console.warn(`SKIPPED real Debian jar test: could not download ${Object.keys(DEBIAN_PACKAGES).join(', ')} (${why || 'no jars'})`);
    return false;
  };

  it('each jar in /usr/share/java is its pom.properties coordinates at the Debian package version', () => {
    if (!available()) return;
    const names = jars.map((item) => basename(item.path));
    expect(names).toEqual(expect.arrayContaining(['commons-lang3.jar', 'jackson-databind.jar', 'log4j-api.jar', 'log4j-core.jar']));
    for (const item of jars) {
      const result = analyze(item.content, item.path);
      expect(result.notes).toBeUndefined();
      const artifactId = basename(item.path, '.jar');
      expect(packagesOf(result).map(({ name, version, location }) => ({ name, version, location }))).toEqual([
        { name: `${item.groupId}:${artifactId}`, version: item.version, location: undefined },
      ]);
    }
  });

  it('the manifest heuristic, checked against the pom.properties of real jars, misses only where documented', () => {
    if (!available()) return;
    const fixtureJars: Array<{ name: string; content: Buffer }> = [];
    try {
      for (const [fixture, file] of [
        ['trivy-maven.war', 'maven.war'],
        ['trivy-gradle.war', 'gradle.war'],
      ]) {
        const war = readFileSync(peerFixture('pkgdb/java-jar', fixture, file));
        for (const entry of entriesOf(war))
          if (entry.name.endsWith('.jar')) fixtureJars.push({ name: basename(entry.name), content: readZipEntry(war, entry) });
      }
    } catch {
      console.warn('SKIPPED the trivy wars in the manifest heuristic check: ../shared is absent');
    }
    const outcomes: Record<string, string> = {};
    const candidates = [
      ...jars.map((item) => ({ name: basename(item.path).replace(/\.jar$/, `-${item.version}.jar`), content: item.content })),
      ...jars.map((item) => ({ name: basename(item.path), content: item.content })),
      ...fixtureJars,
    ];
    for (const { name, content } of candidates) {
      const entries = entriesOf(content);
      const manifestEntry = entries.find((entry) => entry.name === 'META-INF/MANIFEST.MF');
      const pomEntry = entries.find((entry) => /^META-INF\/maven\/.*\/pom\.properties$/.test(entry.name));
      const truth = pomCoordinates(readZipEntry(content, pomEntry!)) as Coordinates;
      const guess = manifestIdentity(parseManifest(readZipEntry(content, manifestEntry!)), name);
      const same = guess && mavenName(guess) === mavenName(truth) && guess.version === truth.version;
      if (!same) outcomes[name] = guess ? `${mavenName(guess)}@${guess.version}` : 'none';
    }
    // Where the manifest cannot tell: relocated legacy groupIds, a custom Bundle-SymbolicName, a bare symbolic name.
    // And a file name whose artifactId has a `-<digit>` in it, without a version: log4j-1.2-api.jar reads as log4j 1.2-api.
    const log4j = jars.find((item) => item.path.endsWith('/log4j-1.2-api.jar'));
    const expectedMisses: Record<string, string> = {
      ...(fixtureJars.length > 0
        ? {
            'commons-dbcp-1.4.jar': 'org.apache.commons:commons-dbcp@1.4',
            'commons-pool-1.6.jar': 'org.apache.commons:commons-pool@1.6',
            'slf4j-api-1.7.30.jar': 'slf4j-api@1.7.30',
            'javax.el-3.0.0.jar': 'javax.el@3.0.0',
            'log4j-1.2.17.jar': 'log4j@1.2.17',
          }
        : {}),
      ...(log4j ? { 'log4j-1.2-api.jar': `log4j@${log4j.version}` } : {}),
    };
    expect(outcomes).toEqual(expectedMisses);
    expect(candidates.length - Object.keys(outcomes).length).toBeGreaterThanOrEqual(2 * jars.length - 1);
  });

  it('streamed, a war of real jars reads as it does whole: large nested jars inflate on the thread pool, a damaged one is noted', async () => {
    if (!available()) return;
    const nested = ['commons-lang3.jar', 'jackson-databind.jar', 'log4j-core.jar'].map((name) => jars.find((item) => item.path.endsWith(`/${name}`))!);
    // Each is past the size inflated at once by the streamed walk (256 KiB), so each goes through the pool.
    expect(nested.every((item) => item.content.length > 256 * 1024)).toBe(true);
    const war = await zipOf([
      { name: 'META-INF/maven/com.example/shop/pom.properties', content: pomProperties('com.example', 'shop', '3.1') },
      ...nested.map((item) => ({ name: `WEB-INF/lib/${basename(item.path)}`, content: item.content })),
    ]);
    // A byte flipped in the middle of log4j-core's deflated data: it inflates wrong or not at all.
    const damaged = Buffer.from(war);
    const log4j = entriesOf(war).find((entry) => entry.name === 'WEB-INF/lib/log4j-core.jar')!;
    const dataStart = log4j.localHeaderOffset + 30 + war.readUInt16LE(log4j.localHeaderOffset + 26) + war.readUInt16LE(log4j.localHeaderOffset + 28);
    damaged[dataStart + Math.floor(log4j.compressedSize / 2)] ^= 0xff;

    for (const archive of [war, damaged]) {
      const streamed = javaAnalyzer.openStream('srv/shop.war', 0o644, archive.length);
      for (let at = 0; at < archive.length; at += 64 * 1024) streamed.write(archive.subarray(at, at + 64 * 1024));
      const pending = streamed.end();
      expect(pending).toBeInstanceOf(Promise);
      expect(await pending).toEqual(analyze(archive, 'srv/shop.war'));
    }
    const broken = analyze(damaged, 'srv/shop.war');
    expect(broken.notes).toEqual([
      expect.stringMatching(/^srv\/shop\.war: WEB-INF\/lib\/log4j-core\.jar (has damaged deflate data|fails its CRC-32 check|inflates to)/),
    ]);
    expect(summary(broken)).toHaveLength(3);
  });

  it('a war and an ear built around the real jars locate each at its nested path', async () => {
    if (!available()) return;
    const lang3 = jars.find((item) => item.path.endsWith('/commons-lang3.jar'))!;
    const databind = jars.find((item) => item.path.endsWith('/jackson-databind.jar'))!;
    const core = jars.find((item) => item.path.endsWith('/log4j-core.jar'))!;
    const war = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\n' },
      { name: 'META-INF/maven/com.example/shop/pom.properties', content: pomProperties('com.example', 'shop', '3.1') },
      { name: 'WEB-INF/web.xml', content: '<web-app/>' },
      { name: `WEB-INF/lib/commons-lang3-${lang3.version}.jar`, content: lang3.content },
      { name: `WEB-INF/lib/jackson-databind-${databind.version}.jar`, content: databind.content, compress: false },
    ]);
    const direct = analyze(war, 'usr/local/tomcat/webapps/shop.war');
    expect(direct.notes).toBeUndefined();
    expect(summary(direct)).toEqual([
      'com.example:shop@3.1',
      `org.apache.commons:commons-lang3@${lang3.version} in usr/local/tomcat/webapps/shop.war:WEB-INF/lib/commons-lang3-${lang3.version}.jar`,
      `com.fasterxml.jackson.core:jackson-databind@${databind.version} in usr/local/tomcat/webapps/shop.war:WEB-INF/lib/jackson-databind-${databind.version}.jar`,
    ]);
    const ear = await zipOf([
      { name: 'shop.war', content: war },
      { name: `lib/log4j-core-${core.version}.jar`, content: core.content },
    ]);
    expect(summary(analyze(ear, 'opt/shop.ear'))).toEqual([
      'com.example:shop@3.1 in opt/shop.ear:shop.war',
      `org.apache.commons:commons-lang3@${lang3.version} in opt/shop.ear:shop.war:WEB-INF/lib/commons-lang3-${lang3.version}.jar`,
      `com.fasterxml.jackson.core:jackson-databind@${databind.version} in opt/shop.ear:shop.war:WEB-INF/lib/jackson-databind-${databind.version}.jar`,
      `org.apache.logging.log4j:log4j-core@${core.version} in opt/shop.ear:lib/log4j-core-${core.version}.jar`,
    ]);
  });
});
