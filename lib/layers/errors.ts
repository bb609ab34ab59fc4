import { CodedError, GrpcCode } from '../errors';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** `8 GiB`, `64 MiB`, `12345 bytes`: whole units when the number allows, else bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

/**
 * The layer's uncompressed tar is larger than the configured ceiling (a decompression bomb or an absurd layer).
 * InvalidArgument: the image itself is unacceptable and retrying will not help.
 */
export class LayerTooLargeError extends CodedError {
  readonly reason = 'too-large' as const;

  constructor(readonly limitBytes: number) {
    super(GrpcCode.InvalidArgument, `uncompressed layer exceeds the ${formatBytes(limitBytes)} limit`);
    this.name = 'LayerTooLargeError';
  }
}

export type LayerCorruption = 'truncated' | 'compression' | 'tar';

/** The layer's bytes are not a readable (compressed) tar: truncated, bad compressed data or a broken tar header. DataLoss. */
export class LayerCorruptError extends CodedError {
  constructor(
    readonly reason: LayerCorruption,
    message: string,
    cause?: unknown,
  ) {
    super(GrpcCode.DataLoss, message, { cause });
    this.name = 'LayerCorruptError';
  }
}

/** True for failures caused by a layer's content (bomb, corruption): the scan can go on without that layer. */
export function isLayerContentError(err: unknown): err is LayerTooLargeError | LayerCorruptError {
  return err instanceof LayerTooLargeError || err instanceof LayerCorruptError;
}

/** The message of anything thrown; errors from Node's core may come from another realm, so no instanceof. */
export function messageOf(err: unknown): string {
  const message: unknown = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(err);
}

/** Errors raised by node:zlib carry a `Z_…` (or `ZSTD_…`) code; a source stream's errors never do. */
export function isZlibError(err: unknown): err is Error & { code: string } {
  const code: unknown = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^(Z_|ZSTD_)/.test(code);
}

/** Maps a decompressor's failure to LayerCorruptError; a stream that simply stopped early is reported as truncation. */
export function decompressionError(err: Error & { code?: string }, compression: string): LayerCorruptError {
  const message = messageOf(err);
  if (err.code === 'Z_BUF_ERROR' || /unexpected (end|EOF)/i.test(message)) {
    return new LayerCorruptError('truncated', `unexpected end of layer data (truncated ${compression} stream)`, err);
  }
  return new LayerCorruptError('compression', `corrupt ${compression} data in layer: ${message}`, err);
}
