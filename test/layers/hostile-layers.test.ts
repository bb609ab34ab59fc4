import { once } from 'node:events';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { isLayerContentError, LayerCorruptError, LayerTooLargeError, readLayer } from '../../lib/layers';
import { GrpcCode } from '../../lib/stackrox/errors';
import { buildTar, gzip, selectPaths, streamOf, wantNothing, zstdAvailable, zstdCompress } from './layer-fixtures';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const itWithZstd = zstdAvailable ? it : it.skip;

type Compress = (data: Buffer) => Buffer;
const COMPRESSIONS: [string, Compress][] = [
  ['uncompressed', (data) => data],
  ['gzip', gzip],
  ...(zstdAvailable ? [['zstd', (data: Buffer) => zstdCompress(data)] as [string, Compress]] : []),
];

/** The 512-byte tar header of a file declaring `size` bytes, with none of its data. */
async function tarHeader(name: string, size: number): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name, size, type: 'file' });
  const [chunk] = (await once(archive, 'data')) as [Buffer];
  archive.destroy();
  return Buffer.from(chunk.subarray(0, 512));
}

/** A source that sends `first`, then stalls forever, like a registry that stops answering mid-body. */
function stallingSource(first: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(first);
      }
    },
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('decompression bombs', () => {
  it('stops a 1 GiB gzip bomb at the ceiling without buffering it', async () => {
    // 64 concatenated gzip members of 16 MiB of zeros: 1 GiB from about 1 MiB.
    const zeros = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
    const bomb = Buffer.concat([gzip(await tarHeader('bomb', GiB)), ...Array.from({ length: 64 }, () => zeros)]);
    expect(bomb.length).toBeLessThan(2 * MiB);

    const before = process.memoryUsage().rss;
    const source = streamOf(bomb, 64 * 1024);
    const err = await rejection(readLayer(source, wantNothing, { maxUncompressedBytes: 64 * MiB }));
    const growth = process.memoryUsage().rss - before;

    expect(err).toBeInstanceOf(LayerTooLargeError);
    expect(err).toMatchObject({ code: GrpcCode.InvalidArgument, limitBytes: 64 * MiB, reason: 'too-large' });
    expect((err as Error).message).toBe('uncompressed layer exceeds the 64 MiB limit');
    expect(isLayerContentError(err)).toBe(true);
    expect(growth).toBeLessThan(48 * MiB);
    expect(source.destroyed).toBe(true);
  });

  itWithZstd('stops a 1 GiB zstd bomb at the ceiling without buffering it', async () => {
    const zeros = zstdCompress(Buffer.alloc(16 * MiB), ['-19']);
    const bomb = Buffer.concat([zstdCompress(await tarHeader('bomb', GiB)), ...Array.from({ length: 64 }, () => zeros)]);
    expect(bomb.length).toBeLessThan(MiB);

    const before = process.memoryUsage().rss;
    const err = await rejection(readLayer(streamOf(bomb, 64 * 1024), wantNothing, { maxUncompressedBytes: 64 * MiB }));
    expect(err).toBeInstanceOf(LayerTooLargeError);
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * MiB);
  });

  it('stops an uncompressed layer at the ceiling too', async () => {
    const tar = await buildTar([{ name: 'big', content: Buffer.alloc(MiB) }]);
    await expect(readLayer(streamOf(tar), wantNothing, { maxUncompressedBytes: MiB })).rejects.toBeInstanceOf(LayerTooLargeError);
    const contents = await readLayer(streamOf(tar), wantNothing, { maxUncompressedBytes: tar.length });
    expect(contents.uncompressedBytes).toBe(tar.length);
  });
});

describe('truncated and corrupt layers end in LayerCorruptError', () => {
  it('a header declaring several GiB whose data is not there', async () => {
    const layer = Buffer.concat([await tarHeader('huge', 5 * GiB), Buffer.alloc(MiB, 1)]);
    for (const [data, selector] of [
      [layer, wantNothing],
      [gzip(layer), wantNothing],
      [gzip(layer), selectPaths({ huge: 8 * GiB })],
    ] as const) {
      const err = await rejection(readLayer(streamOf(data), selector));
      expect(err).toBeInstanceOf(LayerCorruptError);
      expect(err).toMatchObject({ reason: 'truncated', code: GrpcCode.DataLoss });
      expect((err as Error).message).toMatch(/^unexpected end of layer data/);
    }
  });

  it('a truncated gzip stream', async () => {
    const data = gzip(
      await buildTar([
        { name: 'a', content: Buffer.alloc(100_000, 3) },
        { name: 'b', content: 'x' },
      ]),
    );
    const err = await rejection(readLayer(streamOf(data.subarray(0, data.length - 10)), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
    expect(err).toMatchObject({ reason: 'truncated', message: 'unexpected end of layer data (truncated gzip stream)' });
  });

  itWithZstd('a truncated zstd stream', async () => {
    const data = zstdCompress(await buildTar([{ name: 'a', content: Buffer.from('a'.repeat(200_000)) }]));
    const err = await rejection(readLayer(streamOf(data.subarray(0, Math.floor(data.length / 2))), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
    expect(err).toMatchObject({ reason: 'truncated', message: 'unexpected end of layer data (truncated zstd stream)' });
  });

  it('random bytes', async () => {
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    const err = await rejection(readLayer(streamOf(garbage), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
    expect(err).toMatchObject({ reason: 'tar' });
    expect((err as Error).message).toMatch(/^corrupt tar stream in layer: /);
  });

  it('a few bytes that are not a tar', async () => {
    await expect(readLayer(streamOf(Buffer.from('hello')), wantNothing)).rejects.toBeInstanceOf(LayerCorruptError);
  });

  it('gzip magic followed by garbage', async () => {
    const err = await rejection(readLayer(streamOf(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(4096, 0x5a)])), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
    expect(err).toMatchObject({ reason: 'compression' });
    expect((err as Error).message).toMatch(/^corrupt gzip data in layer: /);
  });

  it('zstd magic followed by garbage', async () => {
    const err = await rejection(readLayer(streamOf(Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(4096, 0xff)])), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
  });

  it('gzip whose content is not a tar', async () => {
    const err = await rejection(readLayer(streamOf(gzip(Buffer.alloc(4096, 0x41))), wantNothing));
    expect(err).toMatchObject({ reason: 'tar' });
  });
});

describe('abort and source failures', () => {
  it('rejects at once with the reason of an already aborted signal', async () => {
    const source = streamOf(gzip(await buildTar([])));
    const reason = new Error('caller gave up');
    await expect(readLayer(source, wantNothing, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(source.destroyed).toBe(true);
  });

  it.each(COMPRESSIONS)('aborts a stalled %s layer promptly with the signal reason', async (_kind, compress) => {
    const tar = await buildTar([
      { name: 'a', content: Buffer.alloc(200_000, 1) },
      { name: 'b', content: 'x' },
    ]);
    const data = compress(tar);
    const source = stallingSource(data.subarray(0, Math.floor(data.length / 2)));
    const controller = new AbortController();
    const reading = readLayer(source, wantNothing, { signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
    expect(source.destroyed).toBe(true);
  });

  it('aborts while waiting for the first bytes', async () => {
    const source = new Readable({ read() {} });
    const controller = new AbortController();
    const reading = readLayer(source, wantNothing, { signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(source.destroyed).toBe(true);
  });

  it.each(COMPRESSIONS)('passes the source error of a %s layer through unchanged', async (_kind, compress) => {
    const data = compress(await buildTar([{ name: 'a', content: Buffer.alloc(200_000, 1) }]));
    const failure = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    let sent = false;
    const source = new Readable({
      read() {
        if (sent) return this.destroy(failure);
        sent = true;
        this.push(data.subarray(0, 1000));
      },
    });
    const err = await rejection(readLayer(source, wantNothing));
    expect(err).toBe(failure);
    expect(isLayerContentError(err)).toBe(false);
  });

  it('a selector that throws fails the read with its error and leaves nothing running', async () => {
    const boom = new Error('selector bug');
    const source = streamOf(
      gzip(
        await buildTar([
          { name: 'a', content: 'x' },
          { name: 'b', content: 'y' },
        ]),
      ),
    );
    await expect(
      readLayer(source, {
        limitFor: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(source.destroyed).toBe(true);
  });
});

describe('hostile zstd frame headers are refused before fzstd allocates for them', () => {
  const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
  const blockHeader = (last: boolean, type: number, size: number) => {
    const value = (last ? 1 : 0) | (type << 1) | (size << 3);
    return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff];
  };

  it('a frame asking for a 2 GiB window', async () => {
    // Frame header descriptor 0 (window descriptor follows), window exponent 21: 2^31 bytes.
    const data = Buffer.from([...MAGIC, 0x00, 21 << 3, ...blockHeader(true, 1, 1000), 0x41]);
    const err = await rejection(readLayer(streamOf(data), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
    expect((err as Error).message).toBe('corrupt zstd data in layer: a frame needs a 2 GiB window, above the 128 MiB limit');
  });

  it('an RLE block larger than the 128 KiB block maximum', async () => {
    const data = Buffer.from([...MAGIC, 0x00, 10 << 3, ...blockHeader(true, 1, 2_000_000), 0x41]);
    const err = await rejection(readLayer(streamOf(data, 1), wantNothing));
    expect(err).toBeInstanceOf(LayerCorruptError);
    expect((err as Error).message).toMatch(/block of 2000000 bytes is larger than the format allows/);
  });

  itWithZstd('a skippable frame between real frames is passed over', async () => {
    const tar = await buildTar([{ name: 'etc/os-release', content: 'ID=x\n' }]);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const data = Buffer.concat([zstdCompress(tar.subarray(0, 700)), skippable, zstdCompress(tar.subarray(700))]);
    const contents = await readLayer(streamOf(data, 7), selectPaths({ 'etc/os-release': 100 }));
    expect(contents.files.get('etc/os-release')?.content.toString()).toBe('ID=x\n');
  });
});
