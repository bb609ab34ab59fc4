/** OSV's per-ecosystem exports (`<bucket>/<ecosystem>/all.zip`) as an advisory source. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { advisoryFiles } from '../advisory-files';
import { downloadResumable } from '../download';
import { ingest } from '../import';
import { compareTimestamps } from '../osv';
import type { AdvisorySource, SourceContext, SourceOutcome } from './types';

export const OSV_BASE_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

export interface OsvSourceOptions {
  /** Bucket root serving `<base>/<ecosystem>/all.zip`. */
  baseUrl?: string;
  maxDownloadAttempts?: number;
  /** A download attempt fails after this long without a response or a byte (default 60 s). */
  idleTimeoutMs?: number;
  /** Records per write (and checkpoint). */
  batchSize?: number;
}

/** What the source remembers between runs: the newest `modified` imported and the export's ETag. */
export interface OsvCursor {
  modified?: string;
  etag?: string;
}

/** Where an interrupted import of one export stopped: the export (by ETag), the files done and the newest `modified` seen. */
interface OsvProgress {
  etag: string;
  files: number;
  newest?: string;
}

export const osvSourceName = (ecosystem: string) => `osv:${ecosystem}`;

export function parseOsvCursor(text: string | undefined): OsvCursor {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as OsvCursor;
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

function parseProgress(text: string | undefined): OsvProgress | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as OsvProgress;
    return typeof value.etag === 'string' && Number.isInteger(value.files) ? value : undefined;
  } catch {
    return undefined;
  }
}

function fileNameFor(ecosystem: string): string {
  return `${ecosystem.replace(/[^A-Za-z0-9.-]+/g, '_')}-all.zip`;
}

/**
 * One OSV ecosystem. An unchanged export (ETag) is not downloaded; otherwise only records newer than the cursor
 * are written. After each written batch the source checkpoints how many of the export's files are done, so a run
 * cut short by its deadline is continued by the next one from there, on the same export.
 */
export function osvSource(ecosystem: string, options: OsvSourceOptions = {}): AdvisorySource {
  const base = (options.baseUrl ?? OSV_BASE_URL).replace(/\/+$/, '');
  return {
    name: osvSourceName(ecosystem),
    ecosystems: [ecosystem],
    async run(context: SourceContext): Promise<SourceOutcome> {
      const cursor = parseOsvCursor(context.cursor);
      const progress = parseProgress(context.progress);
      const zipPath = join(context.workDir, fileNameFor(ecosystem));
      context.onDownloadProgress?.(0, undefined);
      const download = await downloadResumable(`${base}/${encodeURIComponent(ecosystem)}/all.zip`, zipPath, {
        ifNoneMatch: progress ? undefined : cursor.etag,
        maxAttempts: options.maxDownloadAttempts,
        fetch: context.fetch,
        signal: context.signal,
        idleTimeoutMs: options.idleTimeoutMs,
        onProgress: context.onDownloadProgress,
      });
      if (download.status === 'not-modified') return { status: 'not-modified' };
      // A checkpoint of another export is useless: its file order may differ.
      const resume = progress && download.etag === progress.etag ? progress : undefined;
      let newest = resume?.newest ?? cursor.modified;
      let old = 0;
      try {
        await ingest(advisoryFiles(zipPath), context, {
          skipFiles: resume?.files ?? 0,
          batchSize: options.batchSize,
          accept: (osv) => {
            if (!newest || compareTimestamps(osv.modified, newest) > 0) newest = osv.modified;
            const isNew = !cursor.modified || compareTimestamps(osv.modified, cursor.modified) > 0;
            if (!isNew) old++;
            return isNew;
          },
          onMalformed: (note) => context.malformed(note.file, note.reason),
          onBatchWritten: async (_batch, filesDone) => {
            if (download.etag) await context.saveProgress(JSON.stringify({ etag: download.etag, files: filesDone, newest } satisfies OsvProgress));
          },
          signal: context.signal,
        });
      } finally {
        context.skipped(old);
        // A resumed run downloads again: the checkpoint, not the file, is what carries over.
        if (!context.signal?.aborted) await rm(zipPath, { force: true });
      }
      const next: OsvCursor = { modified: newest, etag: download.etag };
      return { status: 'updated', cursor: JSON.stringify(next) };
    },
  };
}
