/**
 * Runs advisory sources into a store: each source's cursor and checkpoint live in the store, so the scheduled
 * updater and `lamina db update` continue where the last run stopped, and one failing source does not stop the others.
 */
import { mkdir } from 'node:fs/promises';
import type { ImportCounts } from './import';
import { cvesWithoutCvss, enrichCvss, type EnrichResult, type NvdClient } from './nvd';
import { OSV_BASE_URL, osvSource } from './sources/osv-source';
import type { AdvisorySource } from './sources/types';
import { type AdvisoryStore, cursorKey } from './store';

export { cursorKey, OSV_BASE_URL };

export interface RunOptions {
  /** Where sources keep downloads (and parts of interrupted ones) between runs. */
  workDir: string;
  fetch?: typeof fetch;
  /** The run's deadline: a source it interrupts keeps its checkpoint and is continued by the next run. */
  signal?: AbortSignal;
  onProgress?: (source: string, counts: ImportCounts) => void;
  /** Bytes of a source's current download so far (of `total` when the server says): 0 as it starts, then per chunk. */
  onDownloadProgress?: (source: string, bytes: number, total: number | undefined) => void;
  onMalformed?: (source: string, where: string, reason: string) => void;
  /** CVSS from NVD for written advisories that carry none, at most `maxRequests` lookups per run. */
  nvd?: { client: NvdClient; maxRequests?: number };
}

export interface SourceUpdate {
  source: string;
  /** `interrupted`: the deadline came first; the next run continues from the checkpoint. */
  status: 'updated' | 'not-modified' | 'failed' | 'interrupted';
  records: number;
  written: number;
  /** Records not newer than the cursor, and records the store already had. */
  skipped: number;
  malformed: number;
  /** The source's cursor after the run. */
  cursor?: string;
  error?: string;
}

export interface UpdateResult {
  sources: SourceUpdate[];
  cvss?: EnrichResult;
}

export const progressKey = (source: string) => `source:${source}:progress`;
/**
 * When a source covering the ecosystem last finished (updated or found unchanged): data can be current though
 * nothing was written for months (an old release). `db status` reads it by the coverage key's base (`Debian`).
 */
export const checkedCursor = (ecosystemBase: string) => `checked:${ecosystemBase}`;

function messageOf(err: unknown): string {
  // By shape: an error from Node's core may come from another realm.
  const message = (err as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}

async function runOne(store: AdvisoryStore, source: AdvisorySource, options: RunOptions, needCvss: Set<string>): Promise<SourceUpdate> {
  const result: SourceUpdate = { source: source.name, status: 'updated', records: 0, written: 0, skipped: 0, malformed: 0 };
  const counts = (): ImportCounts => ({ records: result.records, written: result.written, skipped: result.skipped, malformed: result.malformed, cvss: 0 });
  try {
    const cursor = await store.getCursor(cursorKey(source.name));
    result.cursor = cursor;
    const outcome = await source.run({
      cursor,
      progress: await store.getCursor(progressKey(source.name)),
      saveProgress: (value) => store.setCursor(progressKey(source.name), value),
      fetch: options.fetch ?? fetch,
      workDir: options.workDir,
      signal: options.signal,
      putAdvisories: async (records) => {
        options.signal?.throwIfAborted();
        const put = await store.putAdvisories(records);
        result.records += records.length;
        result.written += put.written;
        result.skipped += put.skipped;
        if (options.nvd) for (const id of cvesWithoutCvss(records)) needCvss.add(id);
        options.onProgress?.(source.name, counts());
        return put;
      },
      skipped: (count) => {
        result.records += count;
        result.skipped += count;
      },
      malformed: (where, reason) => {
        result.malformed++;
        options.onMalformed?.(source.name, where, reason);
      },
      onDownloadProgress: options.onDownloadProgress && ((bytes, total) => options.onDownloadProgress!(source.name, bytes, total)),
    });
    result.status = outcome.status;
    if (outcome.cursor !== undefined && outcome.cursor !== cursor) {
      await store.setCursor(cursorKey(source.name), outcome.cursor);
      result.cursor = outcome.cursor;
    }
    // Finished: a later run starts from the cursor, not from a checkpoint of this one.
    if (await store.getCursor(progressKey(source.name))) await store.setCursor(progressKey(source.name), '');
    const checked = new Date().toISOString();
    for (const base of new Set(source.ecosystems.map((e) => e.split(':')[0]))) await store.setCursor(checkedCursor(base), checked);
  } catch (err) {
    result.status = options.signal?.aborted ? 'interrupted' : 'failed';
    result.error = options.signal?.aborted ? `stopped at the run's deadline: ${messageOf(options.signal.reason ?? err)}` : messageOf(err);
  }
  options.onProgress?.(source.name, counts());
  return result;
}

/**
 * Runs each source in turn. A source whose run was cut short by the deadline keeps its checkpoint; the sources
 * after it are reported interrupted without being started.
 */
export async function runSources(store: AdvisoryStore, sources: readonly AdvisorySource[], options: RunOptions): Promise<UpdateResult> {
  await mkdir(options.workDir, { recursive: true });
  const results: SourceUpdate[] = [];
  // CVE ids only, not records, so memory stays bounded on a large export.
  const needCvss = new Set<string>();
  for (const source of sources) {
    if (options.signal?.aborted) {
      results.push({
        source: source.name,
        status: 'interrupted',
        records: 0,
        written: 0,
        skipped: 0,
        malformed: 0,
        error: 'not started: the run reached its deadline',
      });
      continue;
    }
    results.push(await runOne(store, source, options, needCvss));
  }
  const out: UpdateResult = { sources: results };
  if (options.nvd) out.cvss = await enrichCvss(store, [...needCvss].sort(), options.nvd.client, { max: options.nvd.maxRequests });
  return out;
}

export interface OsvUpdateOptions extends Omit<RunOptions, 'onMalformed'> {
  /** Bucket root serving `<base>/<ecosystem>/all.zip`. */
  baseUrl?: string;
  /** OSV ecosystems as the bucket names them: `Debian`, `Alpine`, `PyPI`, `Go`, `crates.io`, … */
  ecosystems: string[];
  maxDownloadAttempts?: number;
  idleTimeoutMs?: number;
}

/** OSV exports only: one `osvSource` per ecosystem. */
export function updateAdvisories(store: AdvisoryStore, options: OsvUpdateOptions): Promise<UpdateResult> {
  const sources = options.ecosystems.map((ecosystem) =>
    osvSource(ecosystem, { baseUrl: options.baseUrl, maxDownloadAttempts: options.maxDownloadAttempts, idleTimeoutMs: options.idleTimeoutMs }),
  );
  return runSources(store, sources, options);
}
