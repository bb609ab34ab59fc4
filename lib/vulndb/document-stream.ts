/** An advisory document as a stream of its plain bytes: told apart by its first bytes, not its name. */
import { PassThrough, Readable } from 'node:stream';
import { asReadable, decompressStream } from '../layers/decompress';

// unbzip2-stream ships no type declarations: it makes a through stream of compressed bytes in, plain bytes out.
const unbzip2Stream = require('unbzip2-stream') as () => NodeJS.ReadWriteStream;

/** A bzip2 stream decompressed as it is read. */
export function bunzip2(input: Readable): Readable {
  const decompressor = unbzip2Stream();
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  const fail = (err: Error) => {
    output.destroy(err);
    input.destroy();
  };
  input.once('error', fail);
  decompressor.once('error', (err: Error) => fail(new Error(`not valid bzip2: ${err.message}`)));
  output.once('close', () => input.destroy());
  input.pipe(decompressor).pipe(output);
  return output;
}

/** The first `bytes` (or fewer, at the end) of a stream, and a stream of the whole of it. */
export async function peekHead(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let total = 0;
  let ended = false;
  while (total < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    total += next.value.length;
  }
  const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  async function* whole(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      for (let next = ended ? undefined : await iterator.next(); next && !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // A reader that stops early (a format that gave up) releases the source too.
      await iterator.return?.();
    }
  }
  return { head, stream: Readable.from(whole(), { objectMode: false }) };
}

/** The document decompressed by its magic: bzip2 (Oracle's OVAL), and the layer compressions (gzip, zstd), else as it is. */
export async function decompressedDocument(input: NodeJS.ReadableStream): Promise<Readable> {
  const raw = await peekHead(asReadable(input), 3);
  // bzip2 is no layer compression: it is told apart here.
  return raw.head.toString('latin1', 0, 3) === 'BZh' ? bunzip2(raw.stream) : (await decompressStream(raw.stream)).output;
}
