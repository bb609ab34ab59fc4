import type { ImagePath } from '../layers/types';
import type { AnalysisResult, StreamAnalysis } from './types';

const MIB = 1024 * 1024;

/**
 * A file collected as it streams out of the layer into one buffer of its tar size, and read by `read` when it ends:
 * the layer keeps none of it, so a layer of many archives costs one archive's bytes at a time. A file above
 * `maxBytes`, or one the layer cuts short, is noted and marks the scan partial.
 */
export class BufferedFileStream implements StreamAnalysis {
  private readonly content: Buffer | undefined;
  private at = 0;

  constructor(
    private readonly path: ImagePath,
    private readonly size: number,
    private readonly maxBytes: number,
    private readonly read: (content: Buffer, path: ImagePath) => AnalysisResult | Promise<AnalysisResult>,
  ) {
    this.content = size <= maxBytes ? Buffer.allocUnsafe(size) : undefined;
  }

  write(chunk: Buffer): boolean {
    if (!this.content || this.at + chunk.length > this.size) return false;
    chunk.copy(this.content, this.at);
    this.at += chunk.length;
    return true;
  }

  end(): AnalysisResult | Promise<AnalysisResult> {
    if (!this.content) {
      return { evidence: [], notes: [`${this.path}: ${this.size} bytes exceeds the ${this.maxBytes / MIB} MiB limit for one archive`], unreadable: true };
    }
    if (this.at !== this.size) return { evidence: [], notes: [`${this.path}: the layer holds ${this.size} bytes but gave ${this.at}`], unreadable: true };
    return this.read(this.content, this.path);
  }
}
