import { finished, Readable } from 'node:stream';

/**
 * A response body that fails when a read it asked for gets no bytes within `idleMs`: the source's chunks as they
 * come, paused while the consumer is full. The clock runs only while the consumer is waiting, so a slow consumer
 * never trips it.
 */
export class IdleTimeoutBody extends Readable {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: Readable,
    private readonly idleMs: number,
    private readonly onIdle: () => Error,
    onFailure: (err: unknown) => Error,
    private readonly abort: () => void,
  ) {
    super();
    source.pause();
    source.on('data', (chunk: Buffer) => {
      this.disarm();
      if (!this.push(chunk)) source.pause();
    });
    // A connection that closes before the body's end is a failure too, however the source reports it.
    finished(source, (err) => {
      this.disarm();
      if (this.destroyed) return;
      if (err) this.destroy(onFailure(err));
      else this.push(null);
    });
  }

  override _read(): void {
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.abort();
        this.destroy(this.onIdle());
      }, this.idleMs);
    }
    this.source.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.disarm();
    this.source.destroy();
    if (err) this.abort();
    callback(err);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
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
