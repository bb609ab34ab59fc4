import { randomUUID } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagePath } from '../layers/types';
import { bufferSource, type ByteSource, FileSource } from './byte-source';
import type { AnalysisResult, StreamAnalysis } from './types';

const MIB = 1024 * 1024;

/** Spool files are named `<prefix><pid>-<uuid>`, and unlinked as soon as they are open. */
export const SPOOL_PREFIX = 'lamina-archive-';

export interface ArchiveStreamLimits {
  /** Archives up to this size are collected in memory; larger ones go to a spool file. */
  inMemoryBytes: number;
  /** Largest archive read at all; a bigger one is noted and marks the scan partial. */
  maxBytes: number;
  /** Where spool files go: the temporary directory unless told. */
  spoolDirectory?: string;
}

/** Spool files a failed layer never ended are closed when their stream is collected. */
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
});

/**
 * An archive collected as it streams out of the layer, for a reader that reads it at offsets of its choosing (a zip's
 * directory is at its end), called when the archive ends: the layer keeps none of it, so a layer of many archives
 * holds one at a time. Up to `inMemoryBytes` it is one buffer of its tar size; beyond that it is written to a spool
 * file in the temporary directory (TMPDIR; /tmp on Lambda), which is unlinked as soon as it is open, so it never
 * outlives the process, and closed once read. An archive above `maxBytes`, one the layer cuts short, or one the spool
 * file cannot take (a full disk) is noted and marks the scan partial.
 *
 * Writing to the spool file is synchronous: the layer's next bytes wait for it, which is the backpressure streams get.
 */
export class ArchiveStream implements StreamAnalysis {
  private readonly content: Buffer | undefined;
  private fd: number | undefined;
  private failure: string | undefined;
  private at = 0;

  constructor(
    private readonly path: ImagePath,
    private readonly size: number,
    private readonly limits: ArchiveStreamLimits,
    private readonly read: (content: ByteSource, path: ImagePath) => AnalysisResult | Promise<AnalysisResult>,
  ) {
    if (size <= limits.inMemoryBytes) this.content = Buffer.allocUnsafe(size);
    else if (size <= limits.maxBytes) this.fd = this.openSpool();
  }

  write(chunk: Buffer): boolean {
    if (this.at + chunk.length > this.size) return false;
    if (this.content) {
      chunk.copy(this.content, this.at);
      this.at += chunk.length;
      return true;
    }
    if (this.fd === undefined) return false;
    try {
      for (let written = 0; written < chunk.length; ) {
        const step = writeSync(this.fd, chunk, written, chunk.length - written, this.at + written);
        if (step <= 0) throw new Error('the file took no more bytes');
        written += step;
      }
    } catch (err) {
      this.fail(`could not be written to a spool file in ${this.spoolDirectory()}: ${(err as Error).message}`);
      return false;
    }
    this.at += chunk.length;
    return true;
  }

  end(): AnalysisResult | Promise<AnalysisResult> {
    if (this.failure) return this.unread(this.failure);
    if (!this.content && this.fd === undefined) return this.unread(`${this.size} bytes exceeds the ${this.limits.maxBytes / MIB} MiB limit for one archive`);
    if (this.at !== this.size) {
      this.close();
      return this.unread(`the layer holds ${this.size} bytes but gave ${this.at}`);
    }
    if (this.content) return this.read(bufferSource(this.content), this.path);
    let result: AnalysisResult | Promise<AnalysisResult>;
    try {
      result = this.read(new FileSource(this.fd!, 0, this.size), this.path);
    } catch (err) {
      this.close();
      throw err;
    }
    if (!(result instanceof Promise)) {
      this.close();
      return result;
    }
    return result.finally(() => this.close());
  }

  /** A spool file only this process can reach: created exclusively, then unlinked at once. */
  private openSpool(): number | undefined {
    const path = join(this.spoolDirectory(), `${SPOOL_PREFIX}${process.pid}-${randomUUID()}`);
    let fd: number;
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch (err) {
      this.failure = `could not be spooled to ${this.spoolDirectory()}: ${(err as Error).message}`;
      return undefined;
    }
    try {
      unlinkSync(path);
    } catch {
      // Left for the temporary directory's cleaning: the scan goes on.
    }
    unclosed.register(this, fd, this);
    return fd;
  }

  private spoolDirectory(): string {
    return this.limits.spoolDirectory ?? tmpdir();
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.close();
  }

  private close(): void {
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

  private unread(reason: string): AnalysisResult {
    return { evidence: [], notes: [`${this.path}: ${reason}`], unreadable: true };
  }
}
