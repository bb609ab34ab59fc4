import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { deflateSync, inflateSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { parseElfHeader, parseSections, sectionData } from '../../lib/analyzers/elf';
import { goBinaryAnalyzer } from '../../lib/analyzers/gobinary';
import { osReleaseAnalyzer } from '../../lib/analyzers/os-release';
import { analyzeAuditableElf, MAX_AUDITABLE_BINARY_SIZE, rustAuditAnalyzer } from '../../lib/analyzers/rust-audit';
import type { AnalysisResult } from '../../lib/analyzers/types';
import type { Descriptor, ImageReference, ImageSource, ResolvedImage } from '../../lib/image/types';
import { indexImage } from '../../lib/index/inventory';
import { MemoryLayerCache } from '../../lib/index/layer-cache';
import { isLayerContentError, readLayer } from '../../lib/layers';
import { resolvedFrom } from '../support/memory-layers';
import { uint } from './elf-bytes';

const DATA = join(__dirname, 'data/rust-audit');
const MIB = 1024 * 1024;

/** The crates hello-auditable's audit data names that the analyser reports (see data/rust-audit/PROVENANCE.md). */
const REPORTED: Array<[string, string]> = [
  ['cfg-if', '1.0.0'],
  ['getrandom', '0.2.15'],
  ['hello-auditable', '0.1.0'],
  ['libc', '0.2.155'],
  ['mirror-crate', '2.1.0'],
  ['zerocopy', '0.7.35'],
];

function packagesOf(result: AnalysisResult): Array<[string, string]> {
  return result.evidence.flatMap((item) => (item.kind === 'packages' ? item.packages.map((pkg): [string, string] => [pkg.name, pkg.version]) : []));
}

function streamThrough(file: Buffer, chunkBytes: number, path = 'usr/bin/hello'): { result: AnalysisResult; consumed: number } {
  const analysis = rustAuditAnalyzer.openStream(path, 0o755, file.length);
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

// A minimal ELF with sections only (no program headers): the header, the sections' bytes, the name table, then the
// section header table at the end, as linkers lay it out.

function sectionedElf(sections: Array<{ name: string; data: Buffer }>, options: { is64?: boolean; le?: boolean; noSectionTable?: boolean } = {}): Buffer {
  const { is64 = true, le = true } = options;
  const word = is64 ? 8 : 4;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const all = [...sections, { name: '.shstrtab', data: Buffer.alloc(0) }];
  const names = Buffer.concat([Buffer.from([0]), ...all.map((s) => Buffer.from(`${s.name}\0`))]);
  all[all.length - 1].data = names;
  const placed: Array<{ name: number; type: number; offset: number; size: number }> = [];
  const body: Buffer[] = [];
  let offset = ehsize;
  let nameAt = 1;
  for (const section of all) {
    placed.push({ name: nameAt, type: section.name === '.shstrtab' ? 3 : 1, offset, size: section.data.length });
    nameAt += section.name.length + 1;
    body.push(section.data);
    offset += section.data.length;
  }
  const shoff = offset;
  const entry = (s: { name: number; type: number; offset: number; size: number }) =>
    Buffer.concat([
      uint(s.name, 4, le),
      uint(s.type, 4, le),
      uint(s.type === 1 ? 2 : 0, word, le),
      uint(0, word, le),
      uint(s.offset, word, le),
      uint(s.size, word, le),
      uint(0, 4, le),
      uint(0, 4, le),
      uint(1, word, le),
      uint(0, word, le),
    ]);
  const table = Buffer.concat([Buffer.alloc(shentsize), ...placed.map(entry)]);
  const header = Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    uint(2, 2, le),
    uint(is64 ? 183 : 40, 2, le),
    uint(1, 4, le),
    uint(0, word, le),
    uint(0, word, le),
    uint(options.noSectionTable ? 0 : shoff, word, le),
    uint(0, 4, le),
    uint(ehsize, 2, le),
    uint(is64 ? 56 : 32, 2, le),
    uint(0, 2, le),
    uint(shentsize, 2, le),
    uint(options.noSectionTable ? 0 : placed.length + 1, 2, le),
    uint(options.noSectionTable ? 0 : placed.length, 2, le),
  ]);
  return Buffer.concat([header, ...body, ...(options.noSectionTable ? [] : [table])]);
}

const auditData = (value: unknown) => deflateSync(Buffer.from(JSON.stringify(value)));
const CODE = { name: '.text', data: Buffer.alloc(300, 0x90) };

describe('rustAuditAnalyzer.wantsStream', () => {
  it('wants executable regular files up to 32 MiB, which it buffers', () => {
    expect(rustAuditAnalyzer.wantsStream('usr/bin/hello', 0o755, 4 * MIB)).toBe(true);
    expect(rustAuditAnalyzer.wantsStream('usr/bin/hello', 0o755, MAX_AUDITABLE_BINARY_SIZE)).toBe(true);
    expect(rustAuditAnalyzer.wantsStream('usr/bin/hello', 0o755, MAX_AUDITABLE_BINARY_SIZE + 1)).toBe(false);
    expect(rustAuditAnalyzer.wantsStream('usr/lib/libhello.so', 0o644, 4 * MIB)).toBe(false);
    expect(rustAuditAnalyzer.wants('usr/bin/hello')).toBe(false);
  });
});

describe('rustAuditAnalyzer on a rustc-linked binary with a .dep-v0 section', () => {
  const binary = () => readFileSync(join(DATA, 'hello-auditable'));

  it('its section inflates to the audit data PROVENANCE.md describes', () => {
    const file = binary();
    const header = parseElfHeader(file)!;
    const sections = parseSections(file, header);
    if (typeof sections === 'string') throw new Error(sections);
    const section = sections.find((s) => s.name === '.dep-v0')!;
    // Allocated read-only data early in the file, the section header table at its end.
    expect(section.flags & 2).toBe(2);
    expect(section.offset).toBeLessThan(header.shoff / 2);
    const json = JSON.parse(inflateSync(sectionData(file, section)!).toString('utf8'));
    expect(json).toEqual(JSON.parse(readFileSync(join(DATA, 'dep-v0.json'), 'utf8')));
  });

  it.each([1 << 16, 4093, 3])('reports runtime crates from registries and the root, in %i-byte chunks', (chunk) => {
    const { result, consumed } = streamThrough(binary(), chunk);
    expect(packagesOf(result).sort()).toEqual(REPORTED);
    expect(result.evidence[0]).toMatchObject({
      kind: 'packages',
      packages: expect.arrayContaining([{ ecosystem: 'crates.io', purlType: 'cargo', name: 'libc', version: '0.2.155' }]),
    });
    expect(result.notes).toBeUndefined();
    expect(consumed).toBe(binary().length);
  });
});

describe('rustAuditAnalyzer on synthetic ELF files', () => {
  const packages = [
    { name: 'app', version: '1.0.0', source: 'local', root: true, dependencies: [1, 2] },
    { name: 'serde', version: '1.0.203', source: 'crates.io' },
    { name: 'serde_derive', version: '1.0.203', source: 'crates.io', kind: 'build' },
  ];

  it.each([
    ['ELF64 little-endian', { is64: true, le: true }],
    ['ELF32 big-endian', { is64: false, le: false }],
  ])('%s', (_name, options) => {
    const file = sectionedElf([CODE, { name: '.dep-v0', data: auditData({ packages }) }], options);
    expect(packagesOf(streamThrough(file, 100).result)).toEqual([
      ['app', '1.0.0'],
      ['serde', '1.0.203'],
    ]);
  });

  it('a binary without .dep-v0, or without section headers, says nothing', () => {
    expect(streamThrough(sectionedElf([CODE]), 4096).result).toEqual({ evidence: [] });
    expect(streamThrough(sectionedElf([CODE, { name: '.dep-v0', data: auditData({ packages }) }], { noSectionTable: true }), 4096).result).toEqual({
      evidence: [],
    });
  });

  it('audit data that does not inflate, inflates past 8 MiB or is not the JSON it should be is unreadable, with a note', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('not zlib at all'), /^usr\/bin\/hello: its \.dep-v0 audit data does not inflate \(zlib\)/],
      [deflateSync(Buffer.alloc(9 * MIB, 0x20)), /^usr\/bin\/hello: its \.dep-v0 audit data inflates to more than 8 MiB$/],
      [deflateSync(Buffer.from('{"packages": [')), /^usr\/bin\/hello: its \.dep-v0 audit data is not JSON/],
      [auditData({ crates: [] }), /^usr\/bin\/hello: its \.dep-v0 audit data is no "packages" list$/],
    ];
    for (const [data, note] of cases) {
      const { result } = streamThrough(sectionedElf([CODE, { name: '.dep-v0', data }]), 4096);
      expect(result).toEqual({ evidence: [], notes: [expect.stringMatching(note)], unreadable: true });
    }
  });

  it('packages without a name or version are skipped, with a note', () => {
    const data = auditData({ packages: [...packages, { name: 'nameless-version' }, { version: '1.0.0', source: 'crates.io' }] });
    const result = analyzeAuditableElf('usr/bin/hello', sectionedElf([{ name: '.dep-v0', data }]));
    expect(packagesOf(result)).toEqual([
      ['app', '1.0.0'],
      ['serde', '1.0.203'],
    ]);
    expect(result.notes).toEqual(['usr/bin/hello: 2 .dep-v0 package(s) without a name or version skipped']);
    expect(result.unreadable).toBeUndefined();
  });

  it('a file that is not ELF is declined at its first bytes, and never buffered', () => {
    const script = Buffer.from(`#!/bin/sh\n${'echo hello\n'.repeat(1000)}`);
    const { result, consumed } = streamThrough(script, 512);
    expect(result).toEqual({ evidence: [] });
    expect(consumed).toBe(512);
    expect(streamThrough(Buffer.from('#!'), 1).result).toEqual({ evidence: [] });
  });
});

describe('Rust binaries through the layer reader and the indexer', () => {
  class MemorySource implements ImageSource {
    private readonly blobs = new Map<string, Buffer>();
    add(blob: Buffer): Descriptor {
      const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
      this.blobs.set(digest, blob);
      return { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length };
    }
    async resolve(): Promise<ResolvedImage> {
      throw new Error('not used');
    }
    async openBlob(_reference: ImageReference, descriptor: Descriptor): Promise<NodeJS.ReadableStream> {
      const blob = this.blobs.get(descriptor.digest)!;
      const chunks: Buffer[] = [];
      for (let at = 0; at < blob.length; at += 10_000) chunks.push(blob.subarray(at, at + 10_000));
      return Readable.from(chunks, { objectMode: false });
    }
  }

  async function tar(entries: Array<{ name: string; mode: number; content: Buffer }>): Promise<Buffer> {
    const archive = pack();
    const chunks: Buffer[] = [];
    archive.on('data', (chunk) => chunks.push(chunk as Buffer));
    const done = new Promise<void>((resolve) => archive.on('end', () => resolve()));
    for (const { content, ...header } of entries) {
      await new Promise<void>((resolve, reject) => archive.entry({ ...header, size: content.length }, content, (err) => (err ? reject(err) : resolve())));
    }
    archive.finalize();
    await done;
    return Buffer.concat(chunks);
  }

  it("the binary's crates reach the inventory as crates.io packages with cargo purls", async () => {
    const source = new MemorySource();
    const layer = source.add(
      await tar([
        { name: 'etc/os-release', mode: 0o644, content: Buffer.from('ID=debian\nVERSION_ID="12"\n') },
        { name: 'usr/local/bin/hello', mode: 0o755, content: readFileSync(join(DATA, 'hello-auditable')) },
        // The same bytes, not executable: not read.
        { name: 'srv/hello.bak', mode: 0o644, content: readFileSync(join(DATA, 'hello-auditable')) },
      ]),
    );
    const resolved = resolvedFrom(source, [layer], { registry: 'registry.test', remote: 'team/rust', tag: 'v1', fullName: 'registry.test/team/rust:v1' });
    const image = await indexImage(
      resolved,
      {
        source,
        readLayer,
        layerCache: new MemoryLayerCache(),
        analyzers: [osReleaseAnalyzer, goBinaryAnalyzer, rustAuditAnalyzer],
        isContentError: isLayerContentError,
      },
      { historyIndex: [0], concurrency: 1 },
    );
    expect(image.inventory.packages.map((p) => [p.ecosystem, p.name, p.version, p.purl, p.location, p.analyzer]).sort()).toEqual(
      REPORTED.map(([name, version]) => ['crates.io', name, version, `pkg:cargo/${name}@${version}`, 'usr/local/bin/hello', 'rust-audit']),
    );
    expect(image.inventory.partial).toBe(false);
  });
});
