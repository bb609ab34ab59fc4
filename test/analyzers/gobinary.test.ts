import { readFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { goBinaryAnalyzer, stdlibVersion } from '../../lib/analyzers/gobinary';
import { osReleaseAnalyzer } from '../../lib/analyzers/os-release';
import { rustAuditAnalyzer } from '../../lib/analyzers/rust-audit';
import type { AnalysisResult, Analyzer, PackageRecord, StreamAnalyzer } from '../../lib/analyzers/types';
import type { ImageReference } from '../../lib/image/types';
import { indexImage, type IndexedImage } from '../../lib/index/inventory';
import type { LayerCache } from '../../lib/index/layer-cache';
import { readLayer, isLayerContentError } from '../../lib/layers';
import { peakGrowthMiB } from '../layers/generated-layers';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';
import { JsonLayerCache, MemorySource, resolvedFrom } from '../support/memory-layers';
import { uint } from './elf-bytes';

const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Synthetic Go binaries: an ELF header, three loadable segments (text R+X from 0, rodata R, data RW) mapped at
// BASE + file offset, the build info and its strings placed where the Go linker puts them, zeros elsewhere.

const BASE = 0x400000;
const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

type Part = Buffer | { zeros: number };

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Module text between cmd/go's sentinels, as runtime.modinfo holds it. */
function framed(text: string): Buffer {
  return Buffer.concat([INFO_START, Buffer.from(text), INFO_END]);
}

/** Go 1.18+ build info: the header, then the version and the module text inline. */
function inlineBuildInfo(version: string, modText: string): Buffer {
  const header = Buffer.concat([MAGIC, Buffer.from([8, 2]), Buffer.alloc(16)]);
  const mod = modText === '' ? Buffer.alloc(0) : framed(modText);
  return Buffer.concat([header, uvarint(version.length), Buffer.from(version), uvarint(mod.length), mod]);
}

/** Pre-1.18 build info: pointers to the Go string headers of runtime.buildVersion and runtime.modinfo. */
function pointerBuildInfo(pointerSize: 4 | 8, littleEndian: boolean, versionHeader: number, modHeader: number): Buffer {
  const header = Buffer.concat([MAGIC, Buffer.from([pointerSize, littleEndian ? 0 : 1])]);
  const blob = Buffer.concat([header, uint(versionHeader, pointerSize, littleEndian), uint(modHeader, pointerSize, littleEndian)]);
  return Buffer.concat([blob, Buffer.alloc(32 - blob.length)]);
}

function goStringHeader(data: number, length: number, pointerSize: 4 | 8, littleEndian: boolean): Buffer {
  return Buffer.concat([uint(data, pointerSize, littleEndian), uint(length, pointerSize, littleEndian)]);
}

interface ElfSpec {
  is64?: boolean;
  littleEndian?: boolean;
  rodata: number;
  data: number;
  size: number;
  placed: Array<{ at: number; bytes: Buffer }>;
}

function elfHeaders({ is64 = true, littleEndian: le = true, rodata, data, size }: ElfSpec): Buffer {
  const segments = [
    { flags: 5, offset: 0, filesz: rodata },
    { flags: 4, offset: rodata, filesz: data - rodata },
    { flags: 6, offset: data, filesz: size - data },
  ];
  const ident = Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const word = is64 ? 8 : 4;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const header = Buffer.concat([
    ident,
    uint(2, 2, le),
    uint(is64 ? 62 : 8, 2, le),
    uint(1, 4, le),
    uint(BASE, word, le),
    uint(ehsize, word, le),
    uint(0, word, le),
    uint(0, 4, le),
    uint(ehsize, 2, le),
    uint(phentsize, 2, le),
    uint(segments.length, 2, le),
    uint(is64 ? 64 : 40, 2, le),
    uint(0, 2, le),
    uint(0, 2, le),
  ]);
  const phdrs = segments.map(({ flags, offset, filesz }) =>
    is64
      ? Buffer.concat([
          uint(1, 4, le),
          uint(flags, 4, le),
          uint(offset, 8, le),
          uint(BASE + offset, 8, le),
          uint(BASE + offset, 8, le),
          uint(filesz, 8, le),
          uint(filesz, 8, le),
          uint(0x1000, 8, le),
        ])
      : Buffer.concat([
          uint(1, 4, le),
          uint(offset, 4, le),
          uint(BASE + offset, 4, le),
          uint(BASE + offset, 4, le),
          uint(filesz, 4, le),
          uint(filesz, 4, le),
          uint(flags, 4, le),
          uint(0x1000, 4, le),
        ]),
  );
  return Buffer.concat([header, ...phdrs]);
}

/** The file as parts (zeros left symbolic, so that a large file never exists in memory). */
function elfParts(spec: ElfSpec): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const { at: offset, bytes } of [{ at: 0, bytes: elfHeaders(spec) }, ...[...spec.placed].sort((a, b) => a.at - b.at)]) {
    if (offset < at) throw new Error(`overlapping pieces at ${offset}`);
    if (offset > at) parts.push({ zeros: offset - at });
    parts.push(bytes);
    at = offset + bytes.length;
  }
  if (spec.size > at) parts.push({ zeros: spec.size - at });
  if (at > spec.size) parts.push(Buffer.alloc(0));
  return parts;
}

function elfFile(spec: ElfSpec): Buffer {
  return Buffer.concat(elfParts(spec).map((part) => (Buffer.isBuffer(part) ? part : Buffer.alloc(part.zeros))));
}

/** Streams `file` through the analyser in chunks of `chunkBytes`; how many bytes it took before declining more. */
function streamThrough(analyzer: StreamAnalyzer, file: Buffer, chunkBytes: number, path = 'usr/bin/app'): { result: AnalysisResult; consumed: number } {
  const analysis = analyzer.openStream(path, 0o755, file.length);
  let consumed = 0;
  for (let at = 0; at < file.length; at += chunkBytes) {
    const chunk = file.subarray(at, at + chunkBytes);
    consumed += chunk.length;
    if (!analysis.write(chunk)) break;
  }
  const result = analysis.end();
  // This analyser answers at once; only archive analysers take the thread pool's time.
  if (result instanceof Promise) throw new Error('expected the analysis at once');
  return { result, consumed };
}

function packagesOf(result: AnalysisResult): Array<[string, string]> {
  return result.evidence.flatMap((item) => (item.kind === 'packages' ? item.packages.map((pkg): [string, string] => [pkg.name, pkg.version]) : []));
}

function recordsOf(result: AnalysisResult): PackageRecord[] {
  return result.evidence.flatMap((item) => (item.kind === 'packages' ? item.packages : []));
}

const MOD_TEXT = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.2.3\th1:bWFpbg==',
  'dep\tgithub.com/a/one\tv1.0.0\th1:b25l',
  'dep\tgithub.com/b/two\tv1.1.0',
  '=>\tgithub.com/c/fork\tv1.1.1\th1:Zm9yaw==',
  'dep\tgithub.com/d/local\tv0.1.0',
  '=>\t../local\t\t',
  'dep\tgolang.org/x/sys\tv0.15.0\th1:c3lz',
  'build\t-compiler=gc',
  'build\tGOOS=linux',
  '',
].join('\n');

const MOD_PACKAGES: Array<[string, string]> = [
  ['example.com/app', 'v1.2.3'],
  ['github.com/a/one', 'v1.0.0'],
  ['github.com/c/fork', 'v1.1.1'],
  ['golang.org/x/sys', 'v0.15.0'],
];

/** A binary in the Go 1.18+ layout: the build info at the start of the data segment. */
function inlineBinary(version = 'go1.21.5', modText = MOD_TEXT): Buffer {
  return elfFile({ rodata: 0x1000, data: 0x3000, size: 0x5000, placed: [{ at: 0x3000, bytes: inlineBuildInfo(version, modText) }] });
}

/** A binary in the pre-1.18 layout: string bytes in rodata, before the build info; their headers in data, after it. */
function pointerBinary(options: { pointerSize?: 4 | 8; littleEndian?: boolean; is64?: boolean; version?: string; headersBefore?: boolean } = {}): Buffer {
  const { pointerSize = 8, littleEndian = true, is64 = pointerSize === 8, version = 'go1.16.15', headersBefore = false } = options;
  const rodata = 0x1000;
  const data = 0x3000;
  const versionAt = rodata + 0x123;
  const mod = framed(MOD_TEXT);
  const modAt = rodata + 0x400;
  const infoAt = headersBefore ? data + 0x100 : data;
  const headersAt = headersBefore ? data : data + 0x200;
  return elfFile({
    is64,
    littleEndian,
    rodata,
    data,
    size: 0x5000,
    placed: [
      // runtime.buildVersion's bytes sit among other strings, unterminated, as Go lays them out.
      { at: versionAt - 8, bytes: Buffer.from(`mcentral${version}gcstoptheworld`) },
      { at: modAt, bytes: mod },
      { at: infoAt, bytes: pointerBuildInfo(pointerSize, littleEndian, BASE + headersAt, BASE + headersAt + 2 * pointerSize) },
      {
        at: headersAt,
        bytes: Buffer.concat([
          goStringHeader(BASE + versionAt, version.length, pointerSize, littleEndian),
          goStringHeader(BASE + modAt, mod.length, pointerSize, littleEndian),
        ]),
      },
    ],
  });
}

describe('stdlibVersion', () => {
  it.each([
    ['go1.21.5', '1.21.5'],
    ['go1.22.1 X:loopvar', '1.22.1'],
    ['go1.22rc1', '1.22rc1'],
    ['go1.20', '1.20'],
    ['devel go1.23-1a2b3c4d Tue Jan 2 15:04:05 2024 +0000', undefined],
    ['', undefined],
  ])('%j → %j', (input, expected) => {
    expect(stdlibVersion(input)).toBe(expected);
  });
});

describe('goBinaryAnalyzer.wantsStream', () => {
  it('wants executable regular files of any size up to 512 MiB, and nothing by path alone', () => {
    expect(goBinaryAnalyzer.wantsStream('usr/bin/app', 0o755, 10 * MIB)).toBe(true);
    expect(goBinaryAnalyzer.wantsStream('opt/app/run.sh', 0o700, 40)).toBe(true);
    expect(goBinaryAnalyzer.wantsStream('usr/lib/libfoo.so', 0o644, 10 * MIB)).toBe(false);
    expect(goBinaryAnalyzer.wantsStream('usr/bin/huge', 0o755, 512 * MIB + 1)).toBe(false);
    expect(goBinaryAnalyzer.wants('usr/bin/app')).toBe(false);
  });
});

describe('goBinaryAnalyzer on synthetic binaries', () => {
  it.each([1 << 16, 4093, 7])('Go 1.18+ inline build info, in %i-byte chunks: modules as installed, replacements followed, stdlib', (chunk) => {
    const { result, consumed } = streamThrough(goBinaryAnalyzer, inlineBinary(), chunk);
    expect(packagesOf(result)).toEqual([...MOD_PACKAGES, ['stdlib', '1.21.5']]);
    expect(recordsOf(result)[0]).toEqual({ ecosystem: 'Go', purlType: 'golang', name: 'example.com/app', version: 'v1.2.3' });
    expect(result.unreadable).toBeUndefined();
    // Once the build info is read, the rest of the file is not looked at.
    if (chunk < 0x5000) expect(consumed).toBeLessThan(0x5000);
  });

  it('a (devel) main module has no version and is left out; a development toolchain gives no stdlib', () => {
    const modText = 'path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/a/one\tv1.0.0\th1:b25l\n';
    const { result } = streamThrough(goBinaryAnalyzer, inlineBinary('devel go1.23-1a2b3c4d Tue Jan 2 15:04:05 2024 +0000', modText), 4096);
    expect(packagesOf(result)).toEqual([['github.com/a/one', 'v1.0.0']]);
  });

  it('a binary built outside module mode names only the toolchain', () => {
    const { result } = streamThrough(goBinaryAnalyzer, inlineBinary('go1.19.8', ''), 4096);
    expect(packagesOf(result)).toEqual([['stdlib', '1.19.8']]);
  });

  it.each([
    ['64-bit little-endian', { pointerSize: 8 as const, littleEndian: true }],
    ['32-bit big-endian', { pointerSize: 4 as const, littleEndian: false }],
  ])('pre-1.18 pointer build info (%s): the strings, which came earlier in the stream, were recorded on the way', (_name, options) => {
    for (const chunk of [1 << 16, 1000, 13]) {
      const { result } = streamThrough(goBinaryAnalyzer, pointerBinary(options), chunk);
      expect(packagesOf(result)).toEqual([...MOD_PACKAGES, ['stdlib', '1.16.15']]);
    }
  });

  it('pre-1.18 with a devel toolchain: its version string is recorded too', () => {
    const { result } = streamThrough(goBinaryAnalyzer, pointerBinary({ version: 'devel +b7a85e0003 Tue Jan 1 00:00:00 2021 +0000' }), 512);
    expect(packagesOf(result)).toEqual(MOD_PACKAGES);
  });

  it('pre-1.18 string headers that went by before the build info: read within one chunk, otherwise unreadable and said so', () => {
    const file = pointerBinary({ headersBefore: true });
    expect(packagesOf(streamThrough(goBinaryAnalyzer, file, file.length).result)).toEqual([...MOD_PACKAGES, ['stdlib', '1.16.15']]);
    const { result } = streamThrough(goBinaryAnalyzer, file, 64);
    expect(result.evidence).toEqual([]);
    expect(result.unreadable).toBe(true);
    expect(result.notes).toEqual([
      expect.stringMatching(/^usr\/bin\/app: Go build info at offset 12544 could not be read: its version string header at offset 12288 comes before/),
    ]);
  });

  it('the magic as a constant in read-only data (a program using debug/buildinfo) loses to the build info in the data segment', () => {
    const decoy = inlineBuildInfo('go0.0.1', 'path\tdecoy\nmod\tdecoy\tv9.9.9\t\n');
    const file = elfFile({
      rodata: 0x1000,
      data: 0x3000,
      size: 0x5000,
      placed: [
        { at: 0x1005, bytes: MAGIC },
        { at: 0x1100, bytes: decoy },
        { at: 0x3000, bytes: inlineBuildInfo('go1.21.5', MOD_TEXT) },
      ],
    });
    expect(packagesOf(streamThrough(goBinaryAnalyzer, file, 512).result)).toEqual([...MOD_PACKAGES, ['stdlib', '1.21.5']]);
  });

  it('a file that ends inside its build info is unreadable, with a note', () => {
    const whole = inlineBinary();
    const cut = whole.subarray(0, 0x3000 + 100);
    const { result } = streamThrough(goBinaryAnalyzer, cut, 4096);
    expect(result).toEqual({
      evidence: [],
      notes: ['usr/bin/app: Go build info at offset 12288 could not be read: the file ends inside it'],
      unreadable: true,
    });
  });

  it('an ELF file without build info, a script and a tiny file say nothing; non-ELF files are declined at once', () => {
    const plain = elfFile({ rodata: 0x1000, data: 0x3000, size: 0x5000, placed: [{ at: 0x1200, bytes: Buffer.from('go1.21.5 is not build info') }] });
    expect(streamThrough(goBinaryAnalyzer, plain, 4096).result).toEqual({ evidence: [] });
    const script = Buffer.from(`#!/bin/sh\nexec /opt/app/bin/app "$@"\n${'#'.repeat(5000)}\n`);
    const { result, consumed } = streamThrough(goBinaryAnalyzer, script, 1024);
    expect(result).toEqual({ evidence: [] });
    expect(consumed).toBe(1024);
    expect(streamThrough(goBinaryAnalyzer, Buffer.from('\x7fEL'), 1).result).toEqual({ evidence: [] });
  });
});

describeWithShared('goBinaryAnalyzer on real Go binaries (trivy test data)', () => {
  const fixture = (name: string, file: string) => readFileSync(peerFixture('pkgdb/gobinary', name, file));

  it('test.elf (Go 1.15, pointer format): dependencies and stdlib, the (devel) main module left out', () => {
    const file = fixture('trivy-test.elf', 'test.elf');
    for (const chunk of [1 << 16, 4093]) {
      const { result, consumed } = streamThrough(goBinaryAnalyzer, file, chunk);
      expect(packagesOf(result)).toEqual([
        ['github.com/aquasecurity/go-pep440-version', 'v0.0.0-20210121094942-22b2f8951d46'],
        ['github.com/aquasecurity/go-version', 'v0.0.0-20210121072130-637058cfe492'],
        ['golang.org/x/xerrors', 'v0.0.0-20200804184101-5ec99f83aff1'],
        ['stdlib', '1.15.2'],
      ]);
      // The string headers are at 0x1aeda0 in a 2.6 MB file: the rest is not looked at.
      expect(consumed).toBeLessThan(file.length);
    }
  });

  it('main-version-via-ldflags.elf (Go 1.22, inline format): the (devel) main module left out, stdlib 1.22.1', () => {
    const { result } = streamThrough(goBinaryAnalyzer, fixture('trivy-main-version-via-ldflags.elf', 'main-version-via-ldflags.elf'), 1 << 16);
    expect(packagesOf(result)).toEqual([['stdlib', '1.22.1']]);
  });

  it('goexperiment (Go 1.22 with X:loopvar, arm64): stdlib 1.22.1', () => {
    const { result } = streamThrough(goBinaryAnalyzer, fixture('trivy-goexperiment', 'goexperiment'), 1 << 16);
    expect(packagesOf(result)).toEqual([['stdlib', '1.22.1']]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Through the real layer reader and indexer.

interface TarSpec {
  name: string;
  mode?: number;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
  parts?: Part[];
}

/** A gzip layer built as a stream: zeros are written a MiB at a time and never held whole. */
async function layer(entries: TarSpec[]): Promise<Buffer> {
  const archive = pack();
  const gzip = createGzip({ level: 1 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', () => resolve());
    gzip.on('error', reject);
    archive.on('error', reject);
  });
  archive.pipe(gzip);
  const block = Buffer.alloc(MIB);
  for (const spec of entries) {
    const type = spec.type ?? 'file';
    if (type !== 'file') {
      await new Promise<void>((resolve, reject) =>
        archive.entry({ name: spec.name, type, linkname: spec.linkname, mode: spec.mode ?? 0o755 }, (err) => (err ? reject(err) : resolve())),
      );
      continue;
    }
    const parts = spec.parts ?? [];
    const size = parts.reduce((sum, part) => sum + (Buffer.isBuffer(part) ? part.length : part.zeros), 0);
    await new Promise<void>((resolve, reject) => {
      const entry = archive.entry({ name: spec.name, size, mode: spec.mode ?? 0o755 }, (err) => (err ? reject(err) : resolve()));
      const pieces: Buffer[] = [];
      for (const part of parts) {
        if (Buffer.isBuffer(part)) pieces.push(part);
        else for (let left = part.zeros; left > 0; left -= MIB) pieces.push(left >= MIB ? block : block.subarray(0, left));
      }
      let index = 0;
      const write = (): void => {
        while (index < pieces.length) {
          if (!entry.write(pieces[index++])) {
            entry.once('drain', write);
            return;
          }
        }
        entry.end(undefined);
      };
      write();
    });
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

const reference: ImageReference = { registry: 'registry.test', remote: 'team/app', tag: 'v1', fullName: 'registry.test/team/app:v1' };

interface ScanOptions {
  cache?: LayerCache;
  analyzers?: Analyzer[];
  source?: MemorySource;
}

async function scan(layers: Buffer[], options: ScanOptions = {}): Promise<IndexedImage> {
  const source = options.source ?? new MemorySource();
  const descriptors = layers.map((blob) => source.add(blob));
  const resolved = resolvedFrom(source, descriptors, reference);
  return indexImage(
    resolved,
    {
      source,
      readLayer,
      layerCache: options.cache ?? new JsonLayerCache(),
      analyzers: options.analyzers ?? [osReleaseAnalyzer, goBinaryAnalyzer, rustAuditAnalyzer],
      isContentError: isLayerContentError,
    },
    { historyIndex: descriptors.map((_, index) => index), concurrency: 1 },
  );
}

const inventoryOf = (image: IndexedImage) => image.inventory.packages.map((p) => [p.location, p.name, p.version, p.purl, p.analyzer]).sort();

const OS_RELEASE: TarSpec = { name: 'etc/os-release', mode: 0o644, parts: [Buffer.from('ID=debian\nVERSION_ID="12"\n')] };

describe('Go binaries through the layer reader and the indexer', () => {
  it('a large binary is read as it streams by, with bounded memory: its packages reach the inventory', async () => {
    const zeros = 192 * MIB;
    const data = 0x1000 + zeros;
    const parts = elfParts({ rodata: 0x1000, data, size: data + 0x2000, placed: [{ at: data, bytes: inlineBuildInfo('go1.21.5', MOD_TEXT) }] });
    const blob = await layer([OS_RELEASE, { name: 'usr/local/bin/app', parts }]);
    let image: IndexedImage | undefined;
    const growth = await peakGrowthMiB(async () => {
      image = await scan([blob]);
    });
    expect(inventoryOf(image!)).toEqual([
      ['usr/local/bin/app', 'example.com/app', 'v1.2.3', 'pkg:golang/example.com/app@v1.2.3', 'gobinary'],
      ['usr/local/bin/app', 'github.com/a/one', 'v1.0.0', 'pkg:golang/github.com/a/one@v1.0.0', 'gobinary'],
      ['usr/local/bin/app', 'github.com/c/fork', 'v1.1.1', 'pkg:golang/github.com/c/fork@v1.1.1', 'gobinary'],
      ['usr/local/bin/app', 'golang.org/x/sys', 'v0.15.0', 'pkg:golang/golang.org/x/sys@v0.15.0', 'gobinary'],
      ['usr/local/bin/app', 'stdlib', '1.21.5', 'pkg:golang/stdlib@1.21.5', 'gobinary'],
    ]);
    expect(image!.inventory.packages.every((p) => p.ecosystem === 'Go')).toBe(true);
    expect(image!.inventory.partial).toBe(false);
    // Holding the 192 MiB binary would take more than that: a coarse bound, far above what the scan needs.
    if (growth !== undefined) expect(growth).toBeLessThan(150);
  });

  it('hard links share the binary result; symlinks and non-executable copies are not read', async () => {
    const binary = inlineBinary();
    const blob = await layer([
      OS_RELEASE,
      { name: 'opt/app/bin/app', parts: [binary] },
      { name: 'usr/bin/app-hardlink', type: 'link', linkname: 'opt/app/bin/app' },
      { name: 'usr/bin/app', type: 'symlink', linkname: '/opt/app/bin/app' },
      { name: 'srv/app.copy', mode: 0o644, parts: [binary] },
    ]);
    const image = await scan([blob]);
    const locations = [...new Set(image.inventory.packages.map((p) => p.location))].sort();
    expect(locations).toEqual(['opt/app/bin/app', 'usr/bin/app-hardlink']);
    expect(image.inventory.packages.filter((p) => p.location === 'usr/bin/app-hardlink').map((p) => p.name)).toEqual(
      image.inventory.packages.filter((p) => p.location === 'opt/app/bin/app').map((p) => p.name),
    );
  });

  it("an executable in a higher layer at the same path replaces the lower layer's binary; a whiteout deletes it", async () => {
    const lower = await layer([
      OS_RELEASE,
      { name: 'usr/bin/tool', parts: [inlineBinary()] },
      { name: 'usr/bin/other', parts: [inlineBinary('go1.20.1', '')] },
    ]);
    const upper = await layer([
      { name: 'usr/bin/tool', parts: [Buffer.from('#!/bin/sh\necho replaced\n')] },
      { name: 'usr/bin/.wh.other', mode: 0o644, parts: [] },
    ]);
    expect(new Set((await scan([lower])).inventory.packages.map((p) => p.location))).toEqual(new Set(['usr/bin/tool', 'usr/bin/other']));
    expect((await scan([lower, upper])).inventory.packages).toEqual([]);
  });

  it('a later entry at the same path in the same layer replaces the streamed one', async () => {
    const blob = await layer([OS_RELEASE, { name: 'usr/bin/tool', parts: [inlineBinary()] }, { name: 'usr/bin/tool', type: 'directory' }]);
    expect((await scan([blob])).inventory.packages).toEqual([]);
  });

  it("results are cached per layer by analyser name and version: a cached layer is not read again, a missing analyser's is", async () => {
    const cache = new JsonLayerCache();
    const source = new MemorySource();
    const blob = await layer([OS_RELEASE, { name: 'usr/bin/tool', parts: [inlineBinary()] }]);
    const first = await scan([blob], { cache, source });
    expect(first.inventory.packages).toHaveLength(5);
    const again = await scan([blob], { cache, source });
    expect(again.layersFromCache).toBe(1);
    expect(inventoryOf(again)).toEqual(inventoryOf(first));
    expect(source.opened).toBe(1);

    // A new version of the Go analyser is run again; the cached os-release and rust-audit results are not.
    const opened: string[] = [];
    const counting = (analyzer: StreamAnalyzer, version: number): StreamAnalyzer => ({
      ...analyzer,
      version,
      openStream: (path, mode, size) => {
        opened.push(`${analyzer.name}@${version}:${path}`);
        return analyzer.openStream(path, mode, size);
      },
    });
    const analyzers = [osReleaseAnalyzer, counting(goBinaryAnalyzer, goBinaryAnalyzer.version + 1), counting(rustAuditAnalyzer, rustAuditAnalyzer.version)];
    const third = await scan([blob], { cache, source, analyzers });
    expect(source.opened).toBe(2);
    expect(opened).toEqual([`gobinary@${goBinaryAnalyzer.version + 1}:usr/bin/tool`]);
    expect(inventoryOf(third)).toEqual(inventoryOf(first));
  });

  it('an analyser whose stream consumer throws loses its file, not the scan', async () => {
    const broken: StreamAnalyzer = {
      ...goBinaryAnalyzer,
      name: 'broken',
      openStream: () => ({
        write: () => {
          throw new Error('boom');
        },
        end: () => ({ evidence: [] }),
      }),
    };
    const blob = await layer([OS_RELEASE, { name: 'usr/bin/tool', parts: [inlineBinary()] }]);
    const image = await scan([blob], { analyzers: [osReleaseAnalyzer, broken, goBinaryAnalyzer] });
    expect(image.inventory.packages).toHaveLength(5);
    expect(image.inventory.partial).toBe(true);
    expect(image.inventory.warnings).toContain('broken: usr/bin/tool: boom');
  });
});
