import { PassThrough, Stream } from 'node:stream';
import { decompressStream, detectCompression, readLayer, type LayerContents } from '../../lib/layers';
import { CONSUMERS_AT_WORK } from '../../lib/layers/collector';
import type { FileSelector } from '../../lib/layers/types';
import { buildTar, gzip, selectPaths, streamOf, wantEverything, wantNothing, zstdAvailable, zstdCompress } from './layer-fixtures';

const itWithZstd = zstdAvailable ? it : it.skip;
if (!zstdAvailable) console.warn('SKIPPED zstd layer tests: /usr/bin/zstd is absent (apt-get install zstd)');

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const DPKG_STATUS = 'Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n\n';

async function sampleTar(): Promise<Buffer> {
  return buildTar([
    { name: './', type: 'directory' },
    { name: './etc/', type: 'directory' },
    { name: './etc/os-release', content: OS_RELEASE, mode: 0o644 },
    { name: './var/lib/dpkg/status', content: DPKG_STATUS, mode: 0o600 },
    { name: './usr/bin/bash', content: Buffer.alloc(50_000, 7), mode: 0o755 },
  ]);
}

const wanted = selectPaths({ 'etc/os-release': 1024, 'var/lib/dpkg/status': 1 << 20 });

function text(contents: LayerContents, path: string): string | undefined {
  return contents.files.get(path)?.content.toString();
}

describe('compression is detected by magic bytes', () => {
  it('reads an uncompressed tar', async () => {
    const contents = await readLayer(streamOf(await sampleTar()), wanted);
    expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
    expect(text(contents, 'var/lib/dpkg/status')).toBe(DPKG_STATUS);
  });

  it('reads a gzip layer, whatever chunking the body arrives in', async () => {
    const tar = await sampleTar();
    for (const chunkBytes of [1, 3, 4096, 1 << 20]) {
      const contents = await readLayer(streamOf(gzip(tar), chunkBytes), wanted);
      expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
      expect(contents.uncompressedBytes).toBe(tar.length);
    }
  });

  it('reads concatenated gzip members as one stream', async () => {
    const tar = await sampleTar();
    const cut = 1536;
    const contents = await readLayer(streamOf(Buffer.concat([gzip(tar.subarray(0, cut)), gzip(tar.subarray(cut))])), wanted);
    expect(text(contents, 'var/lib/dpkg/status')).toBe(DPKG_STATUS);
    expect(contents.uncompressedBytes).toBe(tar.length);
  });

  it("resolves only once the source has ended: a failure after the compressed stream is the layer's failure", async () => {
    const tar = await sampleTar();
    // Bytes after the gzip trailer, then the source fails (as a registry blob whose digest is wrong does at its end).
    const source = new PassThrough();
    source.write(gzip(tar));
    const reading = readLayer(source, wanted);
    const outcome = Promise.race([
      reading.then(
        () => 'resolved',
        (err: Error) => err.message,
      ),
      new Promise((r) => setTimeout(() => r('pending'), 100)),
    ]);
    expect(await outcome).toBe('pending');
    source.write(Buffer.alloc(512 * 1024));
    source.destroy(new Error('digest mismatch'));
    await expect(reading).rejects.toThrow('digest mismatch');
  });

  it('reads to the end of a source with zero bytes after the gzip trailer and keeps the layer', async () => {
    const tar = await sampleTar();
    const contents = await readLayer(streamOf(Buffer.concat([gzip(tar), Buffer.alloc(300 * 1024)]), 4096), wanted);
    expect(text(contents, 'var/lib/dpkg/status')).toBe(DPKG_STATUS);
  });

  itWithZstd('reads a zstd layer, whatever chunking the body arrives in', async () => {
    const tar = await sampleTar();
    for (const chunkBytes of [1, 5, 4096, 1 << 20]) {
      const contents = await readLayer(streamOf(zstdCompress(tar), chunkBytes), wanted);
      expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
      expect(contents.uncompressedBytes).toBe(tar.length);
    }
  });

  itWithZstd('reads several zstd frames, with and without checksums, as one stream', async () => {
    const tar = await sampleTar();
    const cut = 2048;
    const data = Buffer.concat([zstdCompress(tar.subarray(0, cut), ['--no-check']), zstdCompress(tar.subarray(cut), ['-19'])]);
    const contents = await readLayer(streamOf(data), wanted);
    expect(text(contents, 'var/lib/dpkg/status')).toBe(DPKG_STATUS);
  });

  itWithZstd('reports the kind it found', async () => {
    const tar = await sampleTar();
    expect(detectCompression(gzip(tar))).toBe('gzip');
    expect(detectCompression(zstdCompress(tar))).toBe('zstd');
    expect(detectCompression(tar)).toBe('none');
    expect(detectCompression(Buffer.from([0x1f]))).toBe('none');
    for (const [data, kind] of [
      [gzip(tar), 'gzip'],
      [zstdCompress(tar), 'zstd'],
      [tar, 'none'],
    ] as const) {
      const { compression, output } = await decompressStream(streamOf(data, 2));
      const chunks: Buffer[] = [];
      for await (const chunk of output) chunks.push(chunk as Buffer);
      expect(compression).toBe(kind);
      expect(Buffer.concat(chunks).equals(tar)).toBe(true);
    }
  });

  it('accepts an old-style stream that is not a stream.Readable', async () => {
    const tar = gzip(await sampleTar());
    const legacy = new Stream() as Stream & NodeJS.ReadableStream;
    setImmediate(() => {
      legacy.emit('data', tar.subarray(0, 2));
      legacy.emit('data', tar.subarray(2));
      legacy.emit('end');
    });
    const contents = await readLayer(legacy, wanted);
    expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
  });
});

describe('selection and limits', () => {
  it('keeps only wanted paths with their mode and declared size', async () => {
    const contents = await readLayer(streamOf(await sampleTar()), wanted);
    expect([...contents.files.keys()].sort()).toEqual(['etc/os-release', 'var/lib/dpkg/status']);
    expect(contents.files.get('var/lib/dpkg/status')).toMatchObject({ mode: 0o600, size: DPKG_STATUS.length });
    expect(contents.notes).toEqual([]);
  });

  it('reads nothing when nothing is wanted, yet walks the whole layer', async () => {
    const tar = await sampleTar();
    const contents = await readLayer(streamOf(gzip(tar)), wantNothing);
    expect(contents.files.size).toBe(0);
    expect(contents.uncompressedBytes).toBe(tar.length);
  });

  it('lists a wanted file larger than its limit as unread, with the reason, and reads one exactly at the limit', async () => {
    const contents = await readLayer(streamOf(await sampleTar()), selectPaths({ 'usr/bin/bash': 49_999, 'etc/os-release': OS_RELEASE.length }));
    expect(contents.files.has('usr/bin/bash')).toBe(false);
    expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
    expect(contents.unread).toEqual(new Map([['usr/bin/bash', '50000 bytes exceeds the 49999 bytes limit for this file']]));
    expect(contents.notes).toEqual([]);
  });

  it('a later entry that is read takes an unread path off the list', async () => {
    const tar = await buildTar([
      { name: 'var/lib/dpkg/status', content: 'x'.repeat(200) },
      { name: 'var/lib/dpkg/status', content: 'small' },
    ]);
    const contents = await readLayer(streamOf(tar), selectPaths({ 'var/lib/dpkg/status': 100 }));
    expect(contents.files.get('var/lib/dpkg/status')?.content.toString()).toBe('small');
    expect(contents.unread.size).toBe(0);
  });

  it('keeps the later of two entries for one path, and forgets a file replaced by a directory or symlink', async () => {
    const tar = await buildTar([
      { name: 'etc/os-release', content: 'ID=old\n' },
      { name: 'etc/os-release', content: 'ID=new\n' },
      { name: 'a', content: 'file' },
      { name: 'a', type: 'directory' },
      { name: 'b', content: 'file' },
      { name: 'b', type: 'symlink', linkname: 'c' },
    ]);
    const contents = await readLayer(streamOf(tar), selectPaths({ 'etc/os-release': 100, a: 100, b: 100 }));
    expect(text(contents, 'etc/os-release')).toBe('ID=new\n');
    expect(contents.files.has('a')).toBe(false);
    expect(contents.files.has('b')).toBe(false);
    expect(contents.symlinks.get('b')).toEqual({ path: 'b', target: 'c' });
  });

  it('reads an empty wanted file', async () => {
    const contents = await readLayer(streamOf(await buildTar([{ name: 'etc/debian_version', content: '' }])), wantEverything);
    expect(contents.files.get('etc/debian_version')).toMatchObject({ size: 0, content: Buffer.alloc(0) });
  });
});

describe('paths', () => {
  it('normalises ./ prefixes, absolute paths and redundant segments', async () => {
    const tar = await buildTar([
      { name: '/etc/os-release', content: OS_RELEASE },
      { name: './var//lib/./dpkg/status', content: DPKG_STATUS },
    ]);
    const contents = await readLayer(streamOf(tar), wanted);
    expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
    expect(text(contents, 'var/lib/dpkg/status')).toBe(DPKG_STATUS);
  });

  it('skips entries that escape the root with a note, never clamping them onto a wanted path', async () => {
    const tar = await buildTar([
      { name: '../etc/os-release', content: 'ID=evil\n' },
      { name: 'usr/../../etc/os-release', content: 'ID=evil\n' },
      { name: '../.wh.etc', content: '' },
      { name: 'ok', content: 'fine' },
    ]);
    const contents = await readLayer(streamOf(tar), selectPaths({ 'etc/os-release': 100, ok: 100 }));
    expect(contents.files.has('etc/os-release')).toBe(false);
    expect(text(contents, 'ok')).toBe('fine');
    expect(contents.whiteouts).toEqual([]);
    expect(contents.notes).toHaveLength(3);
    expect(contents.notes[0]).toBe('skipped "../etc/os-release": the path escapes the image root');
  });

  it('reads pax long names beyond 100 characters', async () => {
    const deep = `usr/lib/python3/dist-packages/${'a'.repeat(120)}/${'b'.repeat(130)}.dist-info/METADATA`;
    const tar = await buildTar([{ name: deep, content: 'Name: x\n' }, { name: `${'c'.repeat(150)}/.wh.${'d'.repeat(120)}` }]);
    expect(tar.toString('latin1')).toContain('path=');
    const contents = await readLayer(streamOf(gzip(tar)), selectPaths({ [deep]: 100 }));
    expect(text(contents, deep)).toBe('Name: x\n');
    expect(contents.whiteouts).toEqual([`${'c'.repeat(150)}/${'d'.repeat(120)}`]);
  });

  it('bounds the number of notes a hostile layer can produce', async () => {
    const tar = await buildTar(Array.from({ length: 150 }, (_, i) => ({ name: `../x${i}`, content: '' })));
    const contents = await readLayer(streamOf(tar), wantNothing);
    expect(contents.notes).toHaveLength(101);
    expect(contents.notes[100]).toBe('50 more notes were left out');
  });
});

describe('whiteouts', () => {
  it('records deleted paths and opaque directories, at the root too, and ignores aufs metadata', async () => {
    const tar = await buildTar([
      { name: './usr/share/doc/.wh.bash', content: '' },
      { name: './.wh.tmp', type: 'character-device' },
      { name: './var/cache/apt/.wh..wh..opq', content: '' },
      { name: './.wh..wh..opq', content: '' },
      { name: './.wh..wh.plnk', type: 'directory' },
      { name: './.wh..wh.aufs', content: '' },
      { name: './etc/.wh.', content: '' },
    ]);
    const contents = await readLayer(streamOf(gzip(tar)), wantEverything);
    expect(contents.whiteouts).toEqual(['usr/share/doc/bash', 'tmp']);
    expect(contents.opaqueDirs).toEqual(['var/cache/apt', '']);
    expect(contents.files.size).toBe(0);
    expect(contents.notes).toEqual(['ignored whiteout "./etc/.wh.": it names no file']);
  });
});

describe('links', () => {
  it('records symlinks at wanted paths only, with the target as written', async () => {
    const tar = await buildTar([
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'usr/lib/os-release', content: OS_RELEASE },
      { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
    ]);
    const contents = await readLayer(streamOf(tar), selectPaths({ 'etc/os-release': 1024, 'usr/lib/os-release': 1024 }));
    expect(contents.symlinks.get('etc/os-release')).toEqual({ path: 'etc/os-release', target: '../usr/lib/os-release' });
    expect(contents.symlinks.has('bin')).toBe(false);
    expect(text(contents, 'usr/lib/os-release')).toBe(OS_RELEASE);
  });

  it('resolves a wanted hard link to a file captured earlier in the layer', async () => {
    const tar = await buildTar([
      { name: 'usr/lib/os-release', content: OS_RELEASE, mode: 0o644 },
      { name: 'etc/os-release', type: 'link', linkname: './usr/lib/os-release', mode: 0o644 },
    ]);
    const contents = await readLayer(streamOf(gzip(tar)), selectPaths({ 'etc/os-release': 1024, 'usr/lib/os-release': 1024 }));
    expect(contents.files.get('etc/os-release')).toMatchObject({ path: 'etc/os-release', size: OS_RELEASE.length });
    expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
    expect(contents.notes).toEqual([]);
  });

  it('lists a wanted hard link whose target was not read, or is too large, as unread; notes one that escapes the root', async () => {
    const tar = await buildTar([
      { name: 'usr/lib/os-release', content: OS_RELEASE },
      { name: 'etc/os-release', type: 'link', linkname: 'usr/lib/os-release' },
      { name: 'small', content: 'x'.repeat(50) },
      { name: 'tiny-link', type: 'link', linkname: 'small' },
      { name: 'evil-link', type: 'link', linkname: '../../etc/shadow' },
      { name: 'unwanted-link', type: 'link', linkname: 'nowhere' },
    ]);
    const contents = await readLayer(streamOf(tar), selectPaths({ 'etc/os-release': 1024, small: 100, 'tiny-link': 10, 'evil-link': 10 }));
    expect(contents.files.has('etc/os-release')).toBe(false);
    expect(contents.files.has('tiny-link')).toBe(false);
    expect(contents.files.has('evil-link')).toBe(false);
    expect(contents.notes).toEqual(['skipped hard link evil-link: its target "../../etc/shadow" is outside the image root']);
    expect(contents.unread).toEqual(
      new Map([
        ['etc/os-release', 'hard link to usr/lib/os-release, whose content was not kept (it is not wanted, or not earlier in this layer)'],
        ['tiny-link', 'hard link to small: 50 bytes exceeds the 10 bytes limit for this file'],
      ]),
    );
  });
});

describe('empty layers', () => {
  it.each([
    ['0 bytes', async () => Buffer.alloc(0)],
    ['an empty tar', async () => buildTar([])],
    ['a gzip of 0 bytes', async () => gzip(Buffer.alloc(0))],
    ['a gzip of an empty tar', async () => gzip(await buildTar([]))],
  ])('%s gives empty contents', async (_name, make) => {
    const data = await make();
    const contents = await readLayer(streamOf(data), wantEverything);
    expect(contents).toMatchObject({ whiteouts: [], opaqueDirs: [], notes: [] });
    expect(contents.files.size + contents.symlinks.size).toBe(0);
  });

  itWithZstd('a zstd of an empty tar gives empty contents', async () => {
    const contents = await readLayer(streamOf(zstdCompress(await buildTar([]))), wantEverything);
    expect(contents.files.size).toBe(0);
    expect(contents.uncompressedBytes).toBe(1024);
  });
});

describe('files streamed to a consumer that answers later', () => {
  /** A selector streaming every regular file to a consumer whose end settles after `delayMs`, logging what happens. */
  function laterConsumers(log: string[], delayMs: number, failing?: string): FileSelector {
    return {
      limitFor: () => undefined,
      streamFor: (path) => ({
        write: () => true,
        end: () => {
          log.push(`end ${path}`);
          return new Promise<void>((resolve, reject) =>
            setTimeout(() => {
              log.push(`settled ${path}`);
              if (path === failing) reject(new Error('the archive could not be read'));
              else resolve();
            }, delayMs),
          );
        },
      }),
    };
  }

  it('goes on while consumers are at work, holds the next entry back past CONSUMERS_AT_WORK, and ends after all', async () => {
    const names = ['one', 'two', 'three', 'four', 'five'].map((name) => `app/${name}.jar`);
    const tar = await buildTar(names.map((name, i) => ({ name, content: Buffer.alloc(3000, i) })));
    const log: string[] = [];
    const contents = await readLayer(streamOf(gzip(tar), 512), laterConsumers(log, 20));
    // Read back from the log: how many consumers had ended but not yet settled when each next one ended.
    let atWork = 0;
    let most = 0;
    for (const line of log) {
      atWork += line.startsWith('end ') ? 1 : -1;
      most = Math.max(most, atWork);
    }
    expect(most).toBe(CONSUMERS_AT_WORK);
    expect(log.slice(0, CONSUMERS_AT_WORK)).toEqual(names.slice(0, CONSUMERS_AT_WORK).map((name) => `end ${name}`));
    // Every answer is in before the layer's contents are.
    expect(log.filter((line) => line.startsWith('settled '))).toHaveLength(names.length);
    expect(contents.notes).toEqual([]);
  });

  it("fails with the layer's error when the layer breaks while a consumer is still at work, and nothing throws later", async () => {
    const tar = await buildTar([
      { name: 'app/one.jar', content: Buffer.alloc(3000, 1) },
      { name: 'etc/os-release', content: OS_RELEASE },
    ]);
    const source = new PassThrough();
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const reading = readLayer(source, laterConsumers([], 100));
      source.write(tar.subarray(0, 4096));
      setTimeout(() => source.destroy(new Error('digest mismatch')), 20);
      await expect(reading).rejects.toThrow('digest mismatch');
      // The consumer answers after the failure: the layer's reader must take that quietly.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('notes a consumer whose answer fails and reads the rest of the layer', async () => {
    const tar = await buildTar([
      { name: 'app/bad.jar', content: Buffer.alloc(100, 1) },
      { name: 'etc/os-release', content: OS_RELEASE },
    ]);
    const log: string[] = [];
    const selector = laterConsumers(log, 5, 'app/bad.jar');
    const contents = await readLayer(streamOf(tar), { ...selector, limitFor: (path) => (path === 'etc/os-release' ? 1024 : undefined) });
    expect(contents.notes).toEqual([expect.stringMatching(/^stopped reading "app\/bad\.jar" as it streamed by: the archive could not be read/)]);
    expect(text(contents, 'etc/os-release')).toBe(OS_RELEASE);
  });
});
