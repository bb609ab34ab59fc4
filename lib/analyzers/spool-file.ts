import { randomUUID } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ByteSource, FileSource } from './byte-source';

/** Spool files are named `<prefix><pid>-<uuid>`, and unlinked as soon as they are open. */
export const SPOOL_PREFIX = 'lamina-archive-';

/** The temporary directory could not take a spool file, or its bytes (missing, read-only, full). */
export class SpoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpoolError';
  }
}

/** Spool files nobody closed (a layer that failed before its archive ended) are closed when collected. */
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
});

/**
 * Bytes too many to hold in memory, written to a file in the temporary directory (TMPDIR; /tmp on Lambda) and read
 * back at offsets. The file is created exclusively (0600) and unlinked at once, so it never outlives the process
 * and no other process can open it; the space is freed when it is closed. Writes are synchronous, as analysers are.
 */
export class SpoolFile {
  private fd: number | undefined;
  private written = 0;

  private constructor(
    fd: number,
    readonly directory: string,
  ) {
    this.fd = fd;
    unclosed.register(this, fd, this);
  }

  /** A new, empty spool file; throws, saying where, when the directory cannot take one. */
  static open(directory = tmpdir()): SpoolFile {
    const path = join(directory, `${SPOOL_PREFIX}${process.pid}-${randomUUID()}`);
    let fd: number;
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch (err) {
      throw new SpoolError(`could not be spooled to ${directory}: ${(err as Error).message}`);
    }
    try {
      unlinkSync(path);
    } catch {
      // Left for the temporary directory's cleaning: the scan goes on.
    }
    return new SpoolFile(fd, directory);
  }

  get size(): number {
    return this.written;
  }

  /** Appends `chunk`; throws (a full disk) with the directory named. */
  append(chunk: Buffer): void {
    const fd = this.descriptor();
    try {
      for (let at = 0; at < chunk.length; ) {
        const step = writeSync(fd, chunk, at, chunk.length - at, this.written + at);
        if (step <= 0) throw new Error('the file took no more bytes');
        at += step;
      }
    } catch (err) {
      throw new SpoolError(`could not be written to a spool file in ${this.directory}: ${(err as Error).message}`);
    }
    this.written += chunk.length;
  }

  /** What was written, to read at offsets; releasing it closes the file. */
  source(): ByteSource {
    return new FileSource(this.descriptor(), 0, this.written, () => this.close());
  }

  close(): void {
    if (this.fd === undefined) return;
    unclosed.unregister(this);
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Nothing more to release.
    }
  }

  private descriptor(): number {
    if (this.fd === undefined) throw new Error('the spool file is closed');
    return this.fd;
  }
}
