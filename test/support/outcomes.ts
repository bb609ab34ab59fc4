import type { Readable } from 'node:stream';
import { RuntimeError } from '../../lib/stackrox/errors';

/** Everything a stream yields, as one buffer. */
export async function drain(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The RuntimeError a promise rejects with; anything else, or success, fails the test. */
export async function failure(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof RuntimeError)) throw err;
    return err;
  }
  throw new Error('expected a RuntimeError');
}

/** The error a promise rejects with, whatever its kind; success fails the test. */
export function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (err: Error) => err,
  );
}
