import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
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
}

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
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
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
    let response: Response;
    try {
      response = await fetchImpl(url, { headers, signal: options.signal });
    } catch (err) {
      lastError = err;
      if (options.signal?.aborted) break;
      continue;
    }
    if (response.status === 304 && offset === 0) return { status: 'not-modified' };
    if (response.status === 416) {
      // The part is not a prefix of what the server has now: start over.
      await response.body?.cancel();
      await rm(part, { force: true });
      lastError = new Error(`${url}: range not satisfiable`);
      continue;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      lastError = new Error(`${url}: HTTP ${response.status}`);
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) break;
      continue;
    }
    let total: number | undefined;
    if (response.status === 206) {
      const range = contentRange(response.headers.get('content-range'));
      if (!range || range.start !== offset) {
        await response.body?.cancel();
        await rm(part, { force: true });
        lastError = new Error(`${url}: unexpected Content-Range ${response.headers.get('content-range')}`);
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
    try {
      if (!response.body) throw new Error(`${url}: empty body`);
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
    } catch (err) {
      lastError = err;
      if (options.signal?.aborted) break;
      continue;
    }
    const bytes = await sizeOf(part);
    if (total !== undefined && bytes !== total) {
      lastError = new Error(`${url}: got ${bytes} of ${total} bytes`);
      continue;
    }
    await rename(part, dest);
    await rm(statePath, { force: true });
    return { status: 'downloaded', etag: response.headers.get('etag') ?? undefined, bytes, resumedFrom: offset };
  }
  throw unavailable(`downloading ${url} failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`, lastError);
}
