/**
 * The listing-driven transport vendors publish their CSAF VEX files with: a directory of one document per CVE, and
 * `changes.csv` (and `deletions.csv`) naming each file with its last change, `"<path>.json","<timestamp>"`. Shared by
 * Red Hat's and SUSE's sources; each brings its own reading of a document.
 */
import { createInterface } from 'node:readline';
import { backoffDelay, sleep } from '../../backoff';
import { unavailable } from '../../errors';
import { DocumentTooLargeError, readBounded } from '../advisory-files';
import { isCveId } from '../cve-id';
import { describeNetworkError, httpStatusLine, responseBody } from '../download';
import { compareTimestamps, type Osv } from '../osv';
import { isoTimestamp } from './csaf';
import type { SourceContext } from './types';

/** How one vendor's documents become records. */
export interface CsafFeed {
  /** The record of a document's text; undefined when it says nothing to record. */
  record(text: string): Osv | undefined | { malformed: string };
  /** The record that withdraws a deleted CVE's. */
  withdrawn(cve: string, when: string): Osv;
  maxDocumentBytes: number;
  /** Documents fetched at once. */
  concurrency: number;
  /** Attempts at one document before the run fails (a first run fetches tens of thousands); default 3. */
  maxAttempts?: number;
  /** The wait before the first retry, doubled for each further one; default 2 s. */
  retryDelayMs?: number;
}

const BATCH_SIZE = 500;
export const REQUEST_TIMEOUT_MS = 120_000;

/** GET `url`; a failure names the URL and the cause. A 404 resolves to undefined when `missingOk`. */
export async function get(context: SourceContext, url: string, options: { timeoutMs?: number; missingOk?: boolean } = {}): Promise<Response | undefined> {
  const signals = [context.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
  let response: Response;
  try {
    response = await context.fetch(url, { signal: signals.length > 0 ? AbortSignal.any(signals) : undefined });
  } catch (err) {
    if (context.signal?.aborted) throw context.signal.reason ?? err;
    throw unavailable(`GET ${url}: ${describeNetworkError(err)}`, err);
  }
  if (response.ok) return response;
  await response.body?.cancel().catch(() => undefined);
  if (options.missingOk && (response.status === 404 || response.status === 410)) return undefined;
  throw Object.assign(unavailable(`GET ${url}: ${httpStatusLine(response)}`), { retryable: response.status === 429 || response.status >= 500 });
}

/** Whether a failed GET may succeed when asked again: no answer, a cut-off body, 429 or a 5xx; not another 4xx. */
const retryable = (err: unknown) => (err as { retryable?: boolean }).retryable !== false;

export async function getText(context: SourceContext, url: string, maxBytes: number): Promise<string> {
  const response = await get(context, url, { timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    return await readBounded(responseBody(response!), maxBytes);
  } catch (err) {
    if (context.signal?.aborted) throw context.signal.reason ?? err;
    throw unavailable(`GET ${url}: ${describeNetworkError(err)}`, err);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// changes.csv and deletions.csv

/** Rows of a listing after `since`, the newest row per path; `newest` is the newest timestamp of all rows. */
export interface Listing {
  rows: Map<string, string>;
  newest?: string;
}

const DOCUMENT_PATH = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9._-]+)*\.json$/;

function csvFields(line: string): string[] {
  const fields: string[] = [];
  const field = /\s*(?:"((?:[^"]|"")*)"|([^,]*))\s*(?:,|$)/y;
  while (field.lastIndex < line.length) {
    const start = field.lastIndex;
    const match = field.exec(line);
    if (!match || field.lastIndex === start) break;
    fields.push(match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2].trim());
  }
  return fields;
}

export const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : compareTimestamps(a, b) >= 0 ? a : b);

export async function readListing(context: SourceContext, url: string, since: string | undefined, missingOk = false): Promise<Listing> {
  const response = await get(context, url, { timeoutMs: REQUEST_TIMEOUT_MS, missingOk });
  const listing: Listing = { rows: new Map() };
  if (!response) return listing;
  let line = 0;
  try {
    for await (const text of createInterface({ input: responseBody(response), crlfDelay: Number.POSITIVE_INFINITY })) {
      line++;
      if (text.trim() === '') continue;
      const [path, stamp] = csvFields(text);
      const when = isoTimestamp(stamp);
      const clean = path?.replace(/^\.\//, '');
      if (!clean || !DOCUMENT_PATH.test(clean) || clean.includes('..') || !when) {
        context.malformed(url, `line ${line}: not "<path>.json","<timestamp>"`);
        continue;
      }
      listing.newest = later(listing.newest, when);
      if (since && compareTimestamps(when, since) <= 0) continue;
      listing.rows.set(clean, later(listing.rows.get(clean), when)!);
    }
  } catch (err) {
    if (context.signal?.aborted) throw context.signal.reason ?? err;
    throw unavailable(`GET ${url}: ${describeNetworkError(err)}`, err);
  }
  return listing;
}

/** `2024/cve-2024-0001.json` → `CVE-2024-0001`. */
function cveOfPath(path: string): string | undefined {
  const cve = /([^/]+)\.json$/.exec(path)?.[1]?.toUpperCase();
  return cve && isCveId(cve) ? cve : undefined;
}

/** Changed paths to fetch and deleted paths to withdraw; a path both changed and deleted goes by its later row. */
export function settle(changes: Listing, deletions: Listing): { changed: string[]; deleted: string[] } {
  const changed = [...changes.rows].filter(([path, when]) => {
    const deleted = deletions.rows.get(path);
    return !deleted || compareTimestamps(when, deleted) > 0;
  });
  const deleted = [...deletions.rows].filter(([path, when]) => {
    const change = changes.rows.get(path);
    return !change || compareTimestamps(when, change) >= 0;
  });
  return { changed: changed.map(([p]) => p).sort(), deleted: deleted.map(([p]) => p).sort() };
}

// ---------------------------------------------------------------------------------------------------------------
// Fetching changed documents

async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A document's text, or why there is none to read; a transient failure is tried again, with backoff. */
async function fetchDocument(context: SourceContext, feed: CsafFeed, url: string): Promise<{ text: string } | { missing: string }> {
  const attempts = feed.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await get(context, url, { timeoutMs: REQUEST_TIMEOUT_MS, missingOk: true });
      if (!response) return { missing: 'listed as changed but not found (HTTP 404)' };
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      if (length > feed.maxDocumentBytes) {
        await response.body?.cancel().catch(() => undefined);
        return { missing: `${length} bytes, larger than ${feed.maxDocumentBytes}` };
      }
      try {
        return { text: await readBounded(responseBody(response), feed.maxDocumentBytes) };
      } catch (err) {
        if (context.signal?.aborted) throw context.signal.reason ?? err;
        if (err instanceof DocumentTooLargeError) return { missing: err.message };
        throw unavailable(`GET ${url}: ${describeNetworkError(err)}`, err);
      }
    } catch (err) {
      if (context.signal?.aborted || attempt >= attempts || !retryable(err)) throw err;
      await sleep(backoffDelay(attempt, feed.retryDelayMs ?? 2_000, 60_000), context.signal);
    }
  }
}

async function fetchRecord(context: SourceContext, feed: CsafFeed, url: string): Promise<Osv | undefined> {
  const document = await fetchDocument(context, feed, url);
  if ('missing' in document) {
    context.malformed(url, document.missing);
    return undefined;
  }
  const result = feed.record(document.text);
  if (!result || !('malformed' in result)) return result;
  context.malformed(url, result.malformed);
  return undefined;
}

/**
 * Fetches and writes the documents at `paths` (relative to `base`) in batches; `written` is told the last path of
 * each batch once it is stored, for a caller that checkpoints.
 */
export async function writeChanged(
  context: SourceContext,
  feed: CsafFeed,
  base: string,
  paths: readonly string[],
  written?: (lastPath: string) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < paths.length; start += BATCH_SIZE) {
    const batch = paths.slice(start, start + BATCH_SIZE);
    const records = await mapConcurrently(batch, feed.concurrency, (path) => fetchRecord(context, feed, new URL(path, base).href));
    const ready = records.filter((r): r is Osv => r !== undefined);
    if (ready.length > 0) await context.putAdvisories(ready);
    await written?.(batch[batch.length - 1]);
  }
}

export async function writeDeleted(context: SourceContext, feed: CsafFeed, paths: readonly string[]): Promise<void> {
  const now = new Date().toISOString();
  const records = paths.flatMap((path) => {
    const cve = cveOfPath(path);
    if (!cve) context.malformed(path, 'a deleted file that names no CVE');
    return cve ? [feed.withdrawn(cve, now)] : [];
  });
  for (let start = 0; start < records.length; start += BATCH_SIZE) await context.putAdvisories(records.slice(start, start + BATCH_SIZE));
}

/**
 * A later run: the documents changed or deleted since the cursor's timestamp (and `lagMs` before it, for rows listed
 * late) fetched or withdrawn. Answers the newest row, or undefined when no row is newer than the cursor.
 */
export async function applyListedChanges(
  context: SourceContext,
  feed: CsafFeed,
  base: string,
  cursor: string,
  lagMs: number,
  options: { deletionsOptional?: boolean } = {},
): Promise<string | undefined> {
  const since = new Date(Date.parse(cursor) - lagMs).toISOString();
  const changes = await readListing(context, new URL('changes.csv', base).href, since);
  const deletions = await readListing(context, new URL('deletions.csv', base).href, since, options.deletionsOptional);
  const newest = later(changes.newest, deletions.newest);
  if (!newest || compareTimestamps(newest, cursor) <= 0) return undefined;
  const { changed, deleted } = settle(changes, deletions);
  await writeChanged(context, feed, base, changed);
  await writeDeleted(context, feed, deleted);
  return newest;
}
