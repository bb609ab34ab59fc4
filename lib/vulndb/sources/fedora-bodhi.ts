/**
 * `fedora-bodhi`: Fedora's security updates from Bodhi's JSON API. Each release's stable security updates are read
 * page by page (`/updates/?releases=F41&type=security&status=stable&pushed_since=…`), and the cursor keeps, per
 * release, the latest push seen, so later runs fetch only what was pushed since. `fedora-bodhi` covers the releases
 * Bodhi lists as not archived, looked up each run; `fedora-bodhi:<version>` one release, archived ones included.
 */
import { backoffDelay, sleep } from '../../backoff';
import { unavailable } from '../../errors';
import { readBounded } from '../advisory-files';
import { describeNetworkError, responseBody } from '../download';
import type { Osv } from '../osv';
import { BODHI_URL, fedoraReleaseOf, laterTime, pushedAt, updateRecords } from './fedora-bodhi-records';
import type { AdvisorySource, SourceContext, SourceOutcome } from './types';
import { RECORD_SOURCES } from '../record-sources';

export { BODHI_URL };
export const FEDORA_BODHI_SOURCE = RECORD_SOURCES.fedoraBodhi;

/** Bodhi allows 1 to 1000 rows a page; a page of 100 security updates is a few MB. */
const DEFAULT_ROWS_PER_PAGE = 100;
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_ATTEMPTS = 4;
const DEFAULT_RETRY_DELAY_MS = 2_000;
/** Release states Bodhi still pushes updates to (`disabled` and `archived` are the others). */
const LIVE_STATES = new Set(['pending', 'frozen', 'current']);

export interface FedoraBodhiOptions {
  /** Bodhi's root (default {@link BODHI_URL}). */
  baseUrl?: string;
  /** Fedora releases to read (`41`); default: those Bodhi lists as not archived. */
  releases?: string[];
  /** Updates asked for per page, 1 to 1000 (default 100). */
  rowsPerPage?: number;
  /** Longest wait for one page (default 120 s). */
  requestTimeoutMs?: number;
  /** Attempts per page when the connection fails or Bodhi answers 429 or 5xx (default 4). */
  maxAttempts?: number;
  /** The first retry's wait; each further one doubles it (default 2 s). */
  retryDelayMs?: number;
}

interface Settings {
  base: string;
  rowsPerPage: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  retryDelayMs: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Cursor and checkpoint

/** Per release version (`40`), the latest `date_pushed` read (ISO). */
type Cursors = Record<string, string>;

/** Where an interrupted run stopped: releases finished (with their cursors) and the one being read. */
interface Progress {
  finished: Record<string, string | null>;
  /** `incomplete`: a page of it could not be read, so its cursor will not move. */
  reading?: { release: string; since?: string; page: number; newest?: string; incomplete?: boolean };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

function parseJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function parseCursors(text: string | undefined): Cursors {
  const value = parseJson(text);
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => isTime(entry[1])));
}

function parseProgress(text: string | undefined): Progress {
  const value = parseJson(text);
  if (!isObject(value) || !isObject(value.finished)) return { finished: {} };
  const finished = Object.fromEntries(Object.entries(value.finished).filter(([, cursor]) => cursor === null || isTime(cursor))) as Progress['finished'];
  const reading = value.reading;
  if (!isObject(reading) || typeof reading.release !== 'string' || !Number.isInteger(reading.page)) return { finished };
  return {
    finished,
    reading: {
      release: reading.release,
      page: reading.page as number,
      since: isTime(reading.since) ? reading.since : undefined,
      newest: isTime(reading.newest) ? reading.newest : undefined,
      ...(reading.incomplete === true ? { incomplete: true } : {}),
    },
  };
}

const sortedJson = (cursors: Cursors) => JSON.stringify(Object.fromEntries(Object.entries(cursors).sort(([a], [b]) => Number(a) - Number(b))));

// ---------------------------------------------------------------------------------------------------------------
// HTTP

type Fetched = { json: unknown } | { malformed: string };

/** One GET: the body's text, or why there is none and whether another attempt may help. */
async function getOnce(context: SourceContext, url: string, timeoutMs: number): Promise<{ text: string } | { failure: Error; retry: boolean }> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(context.signal?.reason);
  context.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    // Bodhi answers HTML unless JSON is asked for.
    const response = await context.fetch(url, { headers: { accept: 'application/json' }, signal: controller.signal });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const failure = unavailable(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
      return { failure, retry: response.status === 429 || response.status >= 500 };
    }
    return { text: await readBounded(responseBody(response), MAX_PAGE_BYTES) };
  } catch (err) {
    if (context.signal?.aborted) throw context.signal.reason ?? err;
    const cause = controller.signal.aborted ? controller.signal.reason : err;
    return { failure: unavailable(`GET ${url}: ${describeNetworkError(cause)}`, err), retry: true };
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * GET one JSON document. A refused or cut connection, a timeout, 429 and 5xx are tried again, with growing waits;
 * another HTTP status fails at once; a body that is not JSON is malformed, not retried.
 */
async function fetchJson(context: SourceContext, url: string, settings: Settings): Promise<Fetched> {
  let failure: Error | undefined;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, settings.retryDelayMs, 60_000), context.signal);
    context.signal?.throwIfAborted();
    const got = await getOnce(context, url, settings.requestTimeoutMs);
    if ('text' in got) {
      try {
        return { json: JSON.parse(got.text) };
      } catch (err) {
        return { malformed: `not JSON: ${(err as Error).message}` };
      }
    }
    failure = got.failure;
    if (!got.retry) throw failure;
  }
  throw failure ?? new Error(`GET ${url}: no attempt was made`);
}

const pageCount = (document: Record<string, unknown>) => (Number.isInteger(document.pages) ? (document.pages as number) : 1);

// ---------------------------------------------------------------------------------------------------------------
// Releases

/** Fedora releases Bodhi still pushes to, oldest first (`/releases/?exclude_archived=True`). */
async function liveReleases(context: SourceContext, settings: Settings): Promise<string[]> {
  const found = new Set<string>();
  for (let page = 1, pages = 1; page <= pages; page++) {
    const url = `${settings.base}/releases/?exclude_archived=True&rows_per_page=100&page=${page}`;
    const fetched = await fetchJson(context, url, settings);
    const document = 'json' in fetched ? fetched.json : undefined;
    if (!isObject(document) || !Array.isArray(document.releases)) {
      context.malformed(url, 'malformed' in fetched ? fetched.malformed : 'not a Bodhi releases page: no "releases" list');
      break;
    }
    pages = pageCount(document);
    for (const release of document.releases) {
      const version = fedoraReleaseOf(release);
      if (version && isObject(release) && LIVE_STATES.has(String(release.state))) found.add(version);
    }
  }
  return [...found].sort((a, b) => Number(a) - Number(b));
}

// ---------------------------------------------------------------------------------------------------------------
// Updates

function updatesUrl(settings: Settings, release: string, since: string | undefined, page: number): string {
  const query = new URLSearchParams({
    releases: `F${release}`,
    type: 'security',
    status: 'stable',
    rows_per_page: String(settings.rowsPerPage),
    page: String(page),
  });
  // Bodhi reads a time without a zone as UTC; `>=`, so the last update read comes again (and is skipped as unchanged).
  if (since) query.set('pushed_since', since.replace(/Z$/, ''));
  return `${settings.base}/updates/?${query}`;
}

/**
 * Reads one release's pages from `start.page + 1`, writing each page's records and checkpointing after it.
 * `complete` is false when a page could not be read: the release's cursor then stays, and the next run reads again.
 */
async function readRelease(
  context: SourceContext,
  settings: Settings,
  start: NonNullable<Progress['reading']>,
  checkpoint: (reading: NonNullable<Progress['reading']>) => Promise<void>,
): Promise<{ complete: boolean; newest?: string; written: number }> {
  let newest = start.newest;
  let written = 0;
  let complete = !start.incomplete;
  for (let page = start.page + 1, pages = page; page <= pages; page++) {
    const url = updatesUrl(settings, start.release, start.since, page);
    const fetched = await fetchJson(context, url, settings);
    const document = 'json' in fetched ? fetched.json : undefined;
    if (!isObject(document) || !Array.isArray(document.updates)) {
      context.malformed(url, 'malformed' in fetched ? fetched.malformed : 'not a Bodhi updates page: no "updates" list');
      complete = false;
      // Later pages can still be read when an earlier one said how many there are.
      continue;
    }
    pages = pageCount(document);
    const records: Osv[] = [];
    for (const update of document.updates) {
      const outcome = updateRecords(update);
      for (const note of outcome.notes) context.malformed(url, note);
      records.push(...outcome.records);
      newest = laterTime(newest, pushedAt(update));
    }
    if (records.length > 0) written += (await context.putAdvisories(records)).written;
    await checkpoint({ ...start, page, newest, ...(complete ? {} : { incomplete: true }) });
    if (document.updates.length === 0) break;
  }
  return { complete, newest, written };
}

// ---------------------------------------------------------------------------------------------------------------
// Sources

async function run(context: SourceContext, settings: Settings, pinned: readonly string[] | undefined): Promise<SourceOutcome> {
  const previous = parseCursors(context.cursor);
  const progress = parseProgress(context.progress);
  const releases = pinned ?? (await liveReleases(context, settings));
  if (releases.length === 0) throw new Error(`${settings.base}/releases/: Bodhi lists no Fedora release that is not archived`);
  const next: Cursors = { ...previous };
  let written = 0;
  for (const [release, cursor] of Object.entries(progress.finished)) if (cursor) next[release] = cursor;
  for (const release of releases) {
    if (release in progress.finished) continue;
    const resumed = progress.reading?.release === release ? progress.reading : undefined;
    const start = resumed ?? { release, since: previous[release], page: 0 };
    const read = await readRelease(context, settings, start, (reading) => context.saveProgress(JSON.stringify({ ...progress, reading })));
    written += read.written;
    const cursor = read.complete ? laterTime(start.since, read.newest) : previous[release];
    if (cursor) next[release] = cursor;
    progress.finished[release] = cursor ?? null;
    progress.reading = undefined;
    await context.saveProgress(JSON.stringify(progress));
  }
  const cursor = sortedJson(next);
  // Bodhi's `>=` brings the last update read back every run: unchanged, the store does not write it again.
  return cursor === sortedJson(previous) && written === 0 ? { status: 'not-modified' } : { status: 'updated', cursor };
}

function settingsOf(options: FedoraBodhiOptions): Settings {
  return {
    base: (options.baseUrl ?? BODHI_URL).replace(/\/+$/, ''),
    rowsPerPage: Math.min(1000, Math.max(1, Math.trunc(options.rowsPerPage ?? DEFAULT_ROWS_PER_PAGE))),
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
  };
}

/** `fedora-bodhi`: every Fedora release Bodhi does not list as archived; with `releases`, those only. */
export function fedoraBodhiSource(options: FedoraBodhiOptions = {}): AdvisorySource {
  const settings = settingsOf(options);
  const pinned = options.releases?.map((r) => r.trim()).filter((r) => /^\d+$/.test(r));
  return {
    name: FEDORA_BODHI_SOURCE,
    ecosystems: pinned ? pinned.map((r) => `Fedora:${r}`) : ['Fedora'],
    run: (context) => run(context, settings, pinned),
  };
}

/** `fedora-bodhi:<version>` (`fedora-bodhi:40`): that release alone; undefined for another name. */
export function fedoraBodhiReleaseSource(name: string, options: FedoraBodhiOptions = {}): AdvisorySource | undefined {
  const release = new RegExp(`^${FEDORA_BODHI_SOURCE}:(\\d+)$`).exec(name.trim())?.[1];
  if (!release) return undefined;
  return { ...fedoraBodhiSource({ ...options, releases: [release] }), name: `${FEDORA_BODHI_SOURCE}:${release}` };
}
