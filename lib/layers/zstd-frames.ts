import { formatBytes, LayerCorruptError } from './errors';

/** zstd's own decoder refuses larger windows unless told otherwise (windowLogMax 27). */
export const MAX_ZSTD_WINDOW_BYTES = 128 * 1024 * 1024;
const MAX_BLOCK_BYTES = 128 * 1024;
const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type State = 'magic' | 'skippable-size' | 'frame-header' | 'block-header';

function invalid(message: string): LayerCorruptError {
  return new LayerCorruptError('compression', `corrupt zstd data in layer: ${message}`);
}

function littleEndian(bytes: number[], from: number, length: number): number {
  let value = 0;
  for (let i = length - 1; i >= 0; i--) value = value * 256 + bytes[from + i];
  return value;
}

/**
 * Walks zstd frame and block headers ahead of fzstd (RFC 8878 §3.1) without decoding anything, and rejects what
 * would make fzstd allocate or copy absurd amounts of memory: a window above 128 MiB, or a block above 128 KiB.
 */
export class ZstdFrameGuard {
  private state: State = 'magic';
  private readonly pending: number[] = [];
  private need = 4;
  private skip = 0;
  private window = 0;
  private checksum = false;

  check(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const passed = Math.min(this.skip, chunk.length - i);
        this.skip -= passed;
        i += passed;
        continue;
      }
      this.pending.push(chunk[i++]);
      if (this.pending.length < this.need) continue;
      this.structure();
    }
  }

  private next(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.pending.length = 0;
  }

  private structure(): void {
    const bytes = this.pending;
    switch (this.state) {
      case 'magic': {
        const magic = littleEndian(bytes, 0, 4);
        if (magic === FRAME_MAGIC) return this.next('frame-header', 1);
        if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) return this.next('skippable-size', 4);
        throw invalid('unknown frame magic');
      }
      case 'skippable-size':
        this.skip = littleEndian(bytes, 0, 4);
        return this.next('magic', 4);
      case 'frame-header':
        return this.frameHeader(bytes);
      case 'block-header': {
        const header = littleEndian(bytes, 0, 3);
        const last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw invalid('reserved block type');
        if (size > Math.min(this.window, MAX_BLOCK_BYTES)) throw invalid(`block of ${size} bytes is larger than the format allows`);
        this.skip = (type === 1 ? 1 : size) + (last && this.checksum ? 4 : 0);
        return last ? this.next('magic', 4) : this.next('block-header', 3);
      }
    }
  }

  private frameHeader(bytes: number[]): void {
    const descriptor = bytes[0];
    const singleSegment = (descriptor >> 5) & 1;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
    const contentSizeBytes = [singleSegment, 2, 4, 8][descriptor >> 6];
    const total = 1 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
    if (descriptor & 0x08) throw invalid('reserved frame header bit set');
    if (bytes.length < total) {
      this.need = total;
      return;
    }
    if (singleSegment) {
      const offset = 1 + dictionaryBytes;
      this.window = littleEndian(bytes, offset, contentSizeBytes) + (contentSizeBytes === 2 ? 256 : 0);
    } else {
      const exponent = bytes[1] >> 3;
      const base = 2 ** (10 + exponent);
      this.window = base + (base / 8) * (bytes[1] & 7);
    }
    if (this.window > MAX_ZSTD_WINDOW_BYTES) {
      throw invalid(`a frame needs a ${formatBytes(this.window)} window, above the ${formatBytes(MAX_ZSTD_WINDOW_BYTES)} limit`);
    }
    this.checksum = ((descriptor >> 2) & 1) === 1;
    this.next('block-header', 3);
  }
}
