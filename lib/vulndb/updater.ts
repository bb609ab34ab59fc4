import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { advisoryFiles } from './advisory-files';
import { downloadResumable } from './download';
import { ingest, type ImportCounts } from './import';
import { cvesWithoutCvss, enrichCvss, type EnrichResult, type NvdClient } from './nvd';
import { compareTimestamps } from './osv';
import type { AdvisoryStore } from './store';

export const OSV_BASE_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

export interface UpdaterOptions {
  /** Bucket root serving `<base>/<ecosystem>/all.zip`. */
  baseUrl?: string;
  /** OSV ecosystems as the bucket names them: `Debian`, `Alpine`, `PyPI`, `Go`, `crates.io`, … */
  ecosystems: string[];
  /** Where downloads (and parts of interrupted ones) are kept between runs. */
  workDir: string;
  fetch?: typeof fetch;
  maxDownloadAttempts?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (ecosystem: string, counts: ImportCounts) => void;
  /** Bytes of the ecosystem's export downloaded so far (of `total` when the server says): 0 as it starts, then per chunk. */
  onDownloadProgress?: (ecosystem: string, bytes: number, total: number | undefined) => void;
  /** A download attempt fails after this long without a response or a byte (default 60 s). */
  idleTimeoutMs?: number;
  /** CVSS from NVD for written advisories that carry none, at most `maxRequests` lookups per run. */
  nvd?: { client: NvdClient; maxRequests?: number };
}

export interface EcosystemUpdate {
  ecosystem: string;
  status: 'updated' | 'not-modified' | 'failed';
  records: number;
  written: number;
  /** Records not newer than the cursor, and records the store already had. */
  skipped: number;
  malformed: number;
  cursor?: string;
  error?: string;
}

export interface UpdateResult {
  ecosystems: EcosystemUpdate[];
  cvss?: EnrichResult;
}

/** Cursor names in the store: the newest `modified` imported, and the ETag of the export it came from. */
export const modifiedCursor = (ecosystem: string) => `osv:${ecosystem}:modified`;
export const etagCursor = (ecosystem: string) => `osv:${ecosystem}:etag`;
/**
 * When the ecosystem's export was last fetched or found unchanged: data can be current though nothing was written
 * for months (an old release). `db status` reads it by the coverage key's base (`Debian` for `Debian:12`).
 */
export const checkedCursor = (ecosystem: string) => `osv:${ecosystem}:checked`;

function fileNameFor(ecosystem: string): string {
  return `${ecosystem.replace(/[^A-Za-z0-9.-]+/g, '_')}-all.zip`;
}

/**
 * Brings the store up to date from OSV's per-ecosystem exports. An ecosystem whose export is unchanged (ETag)
 * is skipped; otherwise only records newer than its cursor are written, and the cursor moves to the newest
 * `modified` seen only after every batch is written, so a crash repeats work rather than losing it. One failing
 * ecosystem is reported and the others carry on.
 */
export async function updateAdvisories(store: AdvisoryStore, options: UpdaterOptions): Promise<UpdateResult> {
  const base = (options.baseUrl ?? OSV_BASE_URL).replace(/\/+$/, '');
  await mkdir(options.workDir, { recursive: true });
  const results: EcosystemUpdate[] = [];
  // CVE ids only, not records, so memory stays bounded on a large export.
  const needCvss = new Set<string>();
  for (const ecosystem of options.ecosystems) {
    const result: EcosystemUpdate = { ecosystem, status: 'updated', records: 0, written: 0, skipped: 0, malformed: 0 };
    results.push(result);
    try {
      const cursor = await store.getCursor(modifiedCursor(ecosystem));
      result.cursor = cursor;
      const etag = cursor ? await store.getCursor(etagCursor(ecosystem)) : undefined;
      const zipPath = join(options.workDir, fileNameFor(ecosystem));
      options.onDownloadProgress?.(ecosystem, 0, undefined);
      const download = await downloadResumable(`${base}/${encodeURIComponent(ecosystem)}/all.zip`, zipPath, {
        ifNoneMatch: etag,
        maxAttempts: options.maxDownloadAttempts,
        fetch: options.fetch,
        signal: options.signal,
        idleTimeoutMs: options.idleTimeoutMs,
        onProgress: options.onDownloadProgress && ((bytes, total) => options.onDownloadProgress!(ecosystem, bytes, total)),
      });
      const checked = new Date().toISOString();
      if (download.status === 'not-modified') {
        result.status = 'not-modified';
        await store.setCursor(checkedCursor(ecosystem), checked);
        continue;
      }
      let newest = cursor;
      const counts = await ingest(advisoryFiles(zipPath), store, {
        batchSize: options.batchSize,
        onProgress: options.onProgress && ((c) => options.onProgress!(ecosystem, c)),
        accept: (osv) => {
          if (!newest || compareTimestamps(osv.modified, newest) > 0) newest = osv.modified;
          return !cursor || compareTimestamps(osv.modified, cursor) > 0;
        },
        onBatchWritten: (batch) => {
          if (options.nvd) for (const id of cvesWithoutCvss(batch)) needCvss.add(id);
        },
      });
      Object.assign(result, { records: counts.records, written: counts.written, skipped: counts.skipped, malformed: counts.malformed });
      if (newest && newest !== cursor) await store.setCursor(modifiedCursor(ecosystem), newest);
      if (download.etag) await store.setCursor(etagCursor(ecosystem), download.etag);
      await store.setCursor(checkedCursor(ecosystem), checked);
      result.cursor = newest;
      await rm(zipPath, { force: true });
    } catch (err) {
      result.status = 'failed';
      // By shape: an error from Node's core may come from another realm.
      const message = (err as { message?: unknown } | undefined)?.message;
      result.error = typeof message === 'string' ? message : String(err);
    }
  }
  const out: UpdateResult = { ecosystems: results };
  if (options.nvd) out.cvss = await enrichCvss(store, [...needCvss].sort(), options.nvd.client, { max: options.nvd.maxRequests });
  return out;
}
