import type { ImagePath } from '../layers/types';
import { bufferSource, type ByteSource } from './byte-source';
import { SpoolFile } from './spool-file';
import type { AnalysisResult, StreamAnalysis } from './types';

const MIB = 1024 * 1024;

export interface ArchiveStreamLimits {
  /** Archives up to this size are collected in memory; larger ones go to a spool file. */
  inMemoryBytes: number;
  /** Largest archive read at all; a bigger one is noted and marks the scan partial. */
  maxBytes: number;
  /** Where spool files go: the temporary directory unless told. */
  spoolDirectory?: string;
}

/**
 * An archive collected as it streams out of the layer, for a reader that reads it at offsets of its choosing (a zip's
 * directory is at its end), called when the archive ends: the layer keeps none of it, so a layer of many archives
 * holds one at a time. Up to `inMemoryBytes` it is one buffer of its tar size; beyond that it goes to a
 * {@link SpoolFile}, closed once read. An archive above `maxBytes`, one the layer cuts short, or one the spool file
 * cannot take (a full disk) is noted and marks the scan partial.
 *
 * Writing to the spool file is synchronous: the layer's next bytes wait for it, which is the backpressure streams get.
 */
export class ArchiveStream implements StreamAnalysis {
  private readonly content: Buffer | undefined;
  private spool: SpoolFile | undefined;
  private failure: string | undefined;
  private at = 0;

  constructor(
    private readonly path: ImagePath,
    private readonly size: number,
    private readonly limits: ArchiveStreamLimits,
    private readonly read: (content: ByteSource, path: ImagePath) => AnalysisResult | Promise<AnalysisResult>,
  ) {
    if (size <= limits.inMemoryBytes) this.content = Buffer.allocUnsafe(size);
    else if (size <= limits.maxBytes) {
      try {
        this.spool = SpoolFile.open(limits.spoolDirectory);
      } catch (err) {
        this.failure = (err as Error).message;
      }
    }
  }

  write(chunk: Buffer): boolean {
    if (this.at + chunk.length > this.size) return false;
    if (this.content) chunk.copy(this.content, this.at);
    else if (!this.spool) return false;
    else {
      try {
        this.spool.append(chunk);
      } catch (err) {
        this.failure = (err as Error).message;
        this.close();
        return false;
      }
    }
    this.at += chunk.length;
    return true;
  }

  end(): AnalysisResult | Promise<AnalysisResult> {
    if (this.failure) return this.unread(this.failure);
    if (!this.content && !this.spool) return this.unread(`${this.size} bytes exceeds the ${this.limits.maxBytes / MIB} MiB limit for one archive`);
    if (this.at !== this.size) {
      this.close();
      return this.unread(`the layer holds ${this.size} bytes but gave ${this.at}`);
    }
    if (this.content) return this.read(bufferSource(this.content), this.path);
    let result: AnalysisResult | Promise<AnalysisResult>;
    try {
      result = this.read(this.spool!.source(), this.path);
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

  private close(): void {
    this.spool?.close();
    this.spool = undefined;
  }

  private unread(reason: string): AnalysisResult {
    return { evidence: [], notes: [`${this.path}: ${reason}`], unreadable: true };
  }
}
