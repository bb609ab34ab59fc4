import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { GrpcCode } from '../../errors';
import { digestProblem } from '../reference';
import { registryFailure } from './errors';

/** Starts a hash for a content digest; throws for a malformed digest or an algorithm other than sha256/384/512. */
export function hashFor(digest: string): Hash {
  const problem = digestProblem(digest);
  if (problem) throw new Error(`${problem}: ${digest}`);
  return createHash(digest.slice(0, digest.indexOf(':')));
}

/** `algorithm:hex` of the bytes. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Whether the bytes hash to the digest (with the digest's own algorithm). */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  return `${digest.slice(0, digest.indexOf(':'))}:${hashFor(digest).update(bytes).digest('hex')}` === digest;
}

export function digestMismatch(what: string, expected: string, detail: string) {
  return registryFailure(GrpcCode.DataLoss, what, `digest mismatch: expected ${expected}, ${detail}`);
}

/**
 * Passes bytes through while hashing and counting them; errors as soon as more than `size` bytes arrive and,
 * at the end, when the count or the digest differ from the descriptor's.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private received = 0;

  constructor(
    private readonly expected: { digest: string; size?: number },
    private readonly what: string,
  ) {
    super();
    this.hash = hashFor(expected.digest);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    const size = this.expected.size;
    if (size !== undefined && size >= 0 && this.received > size) {
      callback(digestMismatch(this.what, this.expected.digest, `got more than the ${size} bytes the descriptor names`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const size = this.expected.size;
    if (size !== undefined && size >= 0 && this.received !== size) {
      callback(digestMismatch(this.what, this.expected.digest, `got ${this.received} bytes instead of ${size}`));
      return;
    }
    const algorithm = this.expected.digest.slice(0, this.expected.digest.indexOf(':'));
    const actual = `${algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      callback(digestMismatch(this.what, this.expected.digest, `got ${actual}`));
      return;
    }
    callback();
  }
}
