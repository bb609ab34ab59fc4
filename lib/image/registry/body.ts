import { Readable } from 'node:stream';

/**
 * A Node Readable over a fetch body that fails when a read it asked for gets no bytes within `idleMs`.
 * The clock runs only while the consumer is waiting, so a slow consumer never trips it.
 */
export class IdleTimeoutBody extends Readable {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly idleMs: number,
    private readonly onIdle: () => Error,
    private readonly onFailure: (err: unknown) => Error,
    private readonly abort: () => void,
  ) {
    super();
    this.reader = body.getReader();
  }

  override _read(): void {
    const timer = setTimeout(() => {
      this.abort();
      this.destroy(this.onIdle());
    }, this.idleMs);
    this.reader.read().then(
      ({ done, value }) => {
        clearTimeout(timer);
        if (this.destroyed) return;
        if (done) this.push(null);
        else this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!this.destroyed) this.destroy(this.onFailure(err));
      },
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.reader.cancel().catch(() => undefined);
    if (err) this.abort();
    callback(err);
  }
}

/** Reads a whole stream into memory, failing once it grows past `limit` bytes. */
export async function readAll(stream: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      stream.destroy();
      throw tooLarge();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}
