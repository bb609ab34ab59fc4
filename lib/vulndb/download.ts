import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { unavailable } from '../errors';

export interface DownloadOptions {
  /** ETag of the copy already imported: the server may answer 304 and nothing is downloaded. */
  ifNoneMatch?: string;
  /** Attempts within this call; a cut connection resumes from the bytes already on disk. */
  maxAttempts?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** An attempt fails when no response or no body bytes came for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Bytes in `<dest>.part` so far, and the whole size when the server said it; called per chunk. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export type DownloadResult = { status: 'not-modified' } | { status: 'downloaded'; etag?: string; bytes: number; resumedFrom: number };

/** What `<dest>.part` holds: the validator that lets a later request resume it with If-Range. */
interface PartState {
  url: string;
  validator: string;
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

async function readState(path: string): Promise<PartState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PartState;
  } catch {
    return undefined;
  }
}

/** What a thrown value says, read by shape: errors from Node's core may come from another realm (jest's). */
interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  errors?: unknown[];
  hostname?: string;
  address?: string;
  port?: number;
  reason?: string;
}

function errorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? (value as ErrorLike) : undefined;
}

/** The innermost cause with a code (undici wraps it: TypeError `fetch failed` → Error `connect ECONNREFUSED …`). */
function rootCause(err: unknown): ErrorLike | undefined {
  let current = errorLike(err);
  let coded = current?.code ? current : undefined;
  for (let depth = 0; current && depth < 8; depth++) {
    const next = errorLike(current.cause) ?? errorLike(current.errors?.[0]);
    if (!next) break;
    current = next;
    if (current.code) coded = current;
  }
  return coded ?? current;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** Causes that another attempt will not cure. */
function permanent(err: unknown): boolean {
  const code = rootCause(err)?.code ?? '';
  return code === 'ENOTFOUND' || TLS_CODE.test(code);
}

/** A network failure in words: what happened, then Node's code. */
/** A fetch response's body as a Node stream; an empty one when it has none. */
export function responseBody(response: Response): Readable {
  return response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]);
}

/** `HTTP 404 Not Found`: the status and its reason, Node's own name for the status when the server sent none. */
export function httpStatusLine(response: Pick<Response, 'status' | 'statusText'>): string {
  return `HTTP ${response.status} ${response.statusText || STATUS_CODES[response.status] || ''}`.trimEnd();
}

export function describeNetworkError(err: unknown): string {
  const cause = rootCause(err);
  if (!cause) return String(err);
  const code = cause.code ?? '';
  const message = cause.message ?? String(cause);
  const where = cause.address ? `${cause.address}${cause.port ? `:${cause.port}` : ''}` : undefined;
  switch (code) {
    case 'ENOTFOUND':
      return `cannot resolve ${cause.hostname ?? 'the host'} (DNS: ENOTFOUND)`;
    case 'EAI_AGAIN':
      return `cannot resolve ${cause.hostname ?? 'the host'} now (DNS: EAI_AGAIN, temporary failure)`;
    case 'ECONNREFUSED':
      return `connection refused${where ? ` by ${where}` : ''} (ECONNREFUSED)`;
    case 'ECONNRESET':
      return 'connection reset by the server (ECONNRESET)';
    case 'UND_ERR_SOCKET':
      return `connection closed by the server (${message})`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connection timed out${where ? ` to ${where}` : ''} (${code})`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'timed out waiting for the response headers (UND_ERR_HEADERS_TIMEOUT)';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timed out waiting for the response body (UND_ERR_BODY_TIMEOUT)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${code === 'EHOSTUNREACH' ? 'host' : 'network'} unreachable${where ? `: ${where}` : ''} (${code})`;
  }
  if (TLS_CODE.test(code)) return `TLS: ${cause.reason ?? message.trim()} (${code})`;
  if (cause.name === 'TimeoutError') return message;
  if (cause.name === 'AbortError') return 'aborted';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** A timeout reason for AbortController.abort, told apart from the caller's own abort. */
class IdleTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/** `bytes 100-199/1000` → start 100, total 1000. */
function contentRange(header: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[2] === '*' ? undefined : Number(match[2]) };
}

/**
 * Downloads `url` to `dest` through `<dest>.part`. A part left by a cut connection or a crashed run is resumed
 * with `Range` and `If-Range` (the ETag or Last-Modified it was started with), so a changed file restarts from
 * zero instead of being spliced. `dest` appears only once complete.
 */
export async function downloadResumable(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const fetchImpl = options.fetch ?? fetch;
  const part = `${dest}.part`;
  const statePath = `${dest}.part.json`;
  const maxAttempts = options.maxAttempts ?? 3;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  let lastError: string | undefined;
  let lastCause: unknown;
  let attempts = 0;
  const fail = (reason: string, cause?: unknown) => {
    lastError = reason;
    lastCause = cause;
  };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    attempts = attempt;
    const state = await readState(statePath);
    let offset = state?.url === url ? await sizeOf(part) : 0;
    if (offset === 0) await rm(part, { force: true });
    const headers: Record<string, string> = {};
    if (offset > 0 && state) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = state.validator;
    } else if (options.ifNoneMatch) {
      headers['if-none-match'] = options.ifNoneMatch;
    }
    // One controller per attempt: the caller's signal, or no bytes for idleMs, aborts it.
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    let idle: NodeJS.Timeout | undefined;
    const arm = (what: string) => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new IdleTimeout(`timed out: ${what} ${formatSeconds(idleMs)}`)), idleMs);
    };
    try {
      arm('no response within');
      let response: Response;
      try {
        response = await fetchImpl(url, { headers, signal: controller.signal });
      } catch (err) {
        fail(describeNetworkError(controller.signal.aborted ? (controller.signal.reason ?? err) : err), err);
        if (options.signal?.aborted || permanent(err)) break;
        continue;
      }
      arm('no data for');
      if (response.status === 304 && offset === 0) return { status: 'not-modified' };
      if (response.status === 416) {
        // The part is not a prefix of what the server has now: start over.
        await response.body?.cancel().catch(() => undefined);
        await rm(part, { force: true });
        fail('HTTP 416 Range Not Satisfiable for the part downloaded before; starting over');
        continue;
      }
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel().catch(() => undefined);
        fail(httpStatusLine(response));
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) break;
        continue;
      }
      let total: number | undefined;
      if (response.status === 206) {
        const range = contentRange(response.headers.get('content-range'));
        if (!range || range.start !== offset) {
          await response.body?.cancel().catch(() => undefined);
          await rm(part, { force: true });
          fail(`unexpected Content-Range ${response.headers.get('content-range')}`);
          continue;
        }
        total = range.total;
      } else {
        offset = 0;
        const length = response.headers.get('content-length');
        total = length === null ? undefined : Number(length);
        const validator = response.headers.get('etag') ?? response.headers.get('last-modified');
        if (validator) await writeFile(statePath, JSON.stringify({ url, validator } satisfies PartState));
        else await rm(statePath, { force: true });
      }
      let received = offset;
      try {
        if (!response.body) throw new Error('empty body');
        const meter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            arm('no data for');
            received += chunk.length;
            options.onProgress?.(received, total);
            done(null, chunk);
          },
        });
        await pipeline(responseBody(response), meter, createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
      } catch (err) {
        const reason = describeNetworkError(controller.signal.aborted ? (controller.signal.reason ?? err) : err);
        fail(`${reason} after ${received} of ${total ?? '?'} bytes`, err);
        if (options.signal?.aborted) break;
        continue;
      }
      const bytes = await sizeOf(part);
      if (total !== undefined && bytes !== total) {
        fail(`got ${bytes} of ${total} bytes`);
        continue;
      }
      await rename(part, dest);
      await rm(statePath, { force: true });
      return { status: 'downloaded', etag: response.headers.get('etag') ?? undefined, bytes, resumedFrom: offset };
    } finally {
      clearTimeout(idle);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  throw unavailable(`GET ${url}: ${lastError ?? 'failed'}${tries}`, lastCause);
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`;
}
