import { readSync } from 'node:fs';

/**
 * Bytes an analyser reads at offsets of its choosing (a zip archive's end record, then its directory, then the
 * entries it wants): held in memory, or in a spool file when the file is too large to hold. Reads are synchronous, as
 * analysers are; callers check offsets against `size` before reading.
 */
export interface ByteSource {
  readonly size: number;
  /** The `length` bytes at `offset`: a view when the bytes are in memory, a buffer of their own when read from a file. */
  read(offset: number, length: number): Buffer;
  /** The `length` bytes at `offset` as a source of their own, nothing copied (a stored entry of an archive). */
  window(offset: number, length: number): ByteSource;
  /** Whether reads are views of memory: reading a large range costs nothing then. */
  readonly inMemory: boolean;
  /**
   * Frees what holds the bytes once the reader is done (closes a spool file); reads after it fail. Absent, or doing
   * nothing, for bytes in memory and for windows, which belong to their parent.
   */
  release?(): void;
}

class BufferSource implements ByteSource {
  readonly inMemory = true;
  constructor(private readonly buffer: Buffer) {}

  get size(): number {
    return this.buffer.length;
  }

  read(offset: number, length: number): Buffer {
    return this.buffer.subarray(offset, offset + length);
  }

  window(offset: number, length: number): ByteSource {
    return new BufferSource(this.buffer.subarray(offset, offset + length));
  }
}

/** Bytes held in memory. */
export function bufferSource(buffer: Buffer): ByteSource {
  return new BufferSource(buffer);
}

/** `input` as a source: a buffer is read in place. */
export function asByteSource(input: Buffer | ByteSource): ByteSource {
  return Buffer.isBuffer(input) ? bufferSource(input) : input;
}

/** Bytes `start` to `start + size` of an open file, read with `pread`: the file's position is never moved. */
export class FileSource implements ByteSource {
  readonly inMemory = false;

  constructor(
    private readonly fd: number,
    private readonly start: number,
    readonly size: number,
    private readonly onRelease?: () => void,
  ) {}

  release(): void {
    this.onRelease?.();
  }

  read(offset: number, length: number): Buffer {
    this.checkRange(offset, length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const read = readSync(this.fd, out, done, length - done, this.start + offset + done);
      if (read === 0) throw new Error(`the spool file ended ${length - done} bytes early`);
      done += read;
    }
    return out;
  }

  window(offset: number, length: number): ByteSource {
    this.checkRange(offset, length);
    return new FileSource(this.fd, this.start + offset, length);
  }

  /** pread at a negative position would read from the file's current position instead: never let one through. */
  private checkRange(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(`bytes ${offset}+${length} are outside the ${this.size} of the file`);
  }
}
