/** A zip file read for yauzl through a few cached windows: small reads by the hundred thousand, few system calls. */
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';

/** Large entries are read in chunks of this size. */
const STREAM_CHUNK_BYTES = 1 << 16;

interface Window {
  start: number;
  bytes: Buffer;
}

/**
 * yauzl reads every central directory record and local header with reads of a few dozen bytes, and the data of
 * each small entry with a stream of its own: one system call each is most of what an export of small records
 * costs. Here they are served from windows of `windowBytes` read ahead of them (the central directory and the
 * entries' data are each read in order); reads larger than a window go to the file as they are.
 */
export class WindowedFileReader extends yauzl.RandomAccessReader {
  /** Most recently used first; at most `maxWindows` of them. */
  private readonly windows: Window[] = [];

  private constructor(
    private readonly file: FileHandle,
    readonly size: number,
    private readonly windowBytes: number,
    private readonly maxWindows: number,
  ) {
    super();
  }

  /** Memory held: at most `windowBytes × maxWindows` (the central directory's window, the data's, and a spare). */
  static async open(path: string, options: { windowBytes?: number; maxWindows?: number } = {}): Promise<WindowedFileReader> {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      return new WindowedFileReader(file, size, options.windowBytes ?? 1 << 20, options.maxWindows ?? 3);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /**
   * Bytes `[position, position + length)`, fewer at the end of the file. A view of a window when one holds
   * them: use it before the next read, or copy it.
   */
  async bytes(position: number, length: number): Promise<Buffer> {
    const end = Math.min(position + length, this.size);
    if (end <= position) return Buffer.alloc(0);
    const hit = this.cached(position, end);
    if (hit) return hit;
    if (end - position > this.windowBytes) return this.readFully(position, end - position);
    const window = { start: position, bytes: await this.readFully(position, Math.min(this.windowBytes, this.size - position)) };
    this.windows.unshift(window);
    if (this.windows.length > this.maxWindows) this.windows.pop();
    return window.bytes.subarray(0, end - position);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    this.bytes(position, Math.min(length, buffer.length - offset)).then(
      (bytes) => callback(null, bytes.copy(buffer, offset)),
      (err: Error) => callback(err),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // Not the file's own read stream: destroying that (as yauzl does with a stream read no further) closes the file.
    const read = (position: number, length: number) => this.readFully(position, length);
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let position = start; position < end; ) {
        const bytes = await read(position, Math.min(STREAM_CHUNK_BYTES, end - position));
        if (bytes.length === 0) return;
        position += bytes.length;
        yield bytes;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  override close(callback: (err: Error | null) => void): void {
    this.windows.length = 0;
    this.file.close().then(() => callback(null), callback);
  }

  private cached(position: number, end: number): Buffer | undefined {
    for (let i = 0; i < this.windows.length; i++) {
      const window = this.windows[i];
      if (position < window.start || end > window.start + window.bytes.length) continue;
      if (i > 0) this.windows.unshift(...this.windows.splice(i, 1));
      return window.bytes.subarray(position - window.start, end - window.start);
    }
    return undefined;
  }

  private async readFully(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.file.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) return buffer.subarray(0, done);
      done += bytesRead;
    }
    return buffer;
  }
}
