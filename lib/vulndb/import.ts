import { performance } from 'node:perf_hooks';
import { advisoryFiles, type AdvisoryFile } from './advisory-files';
import { isAlpineSecdb, secdbToOsv } from './alpine-secdb';
import { cvssFromNvdResponse, isNvdResponse, type CvssEntry } from './nvd-records';
import type { Osv } from './osv';
import { parseOsv } from './osv-parse';
import type { AdvisoryStore } from './store';

export interface ImportCounts {
  /** OSV records read (secdb entries count once per converted advisory). */
  records: number;
  written: number;
  skipped: number;
  /** Files or records that could not be read or validated; each is skipped. */
  malformed: number;
  /** CVSS records from NVD responses that changed the store. */
  cvss: number;
}

export interface ImportResult extends ImportCounts {
  seconds: number;
}

export interface MalformedNote {
  file: string;
  reason: string;
}

export interface ImportOptions {
  onProgress?: (counts: ImportCounts) => void;
  /** Progress is reported every this many records (and once at the end). */
  progressEvery?: number;
  batchSize?: number;
  onMalformed?: (note: MalformedNote) => void;
  /** Records for which this returns false are counted as skipped without touching the store (the updater's cursor). */
  accept?: (osv: Osv) => boolean;
  /** Called with each batch after it is written. */
  onBatchWritten?: (records: Osv[]) => void;
}

type Parsed = { osv: Osv[]; cvss: CvssEntry[]; malformed: string[] };

/** One file's content, by shape: an NVD API response, Alpine secdb, one OSV record or an array of them. */
export function parseAdvisoryFile(name: string, text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { osv: [], cvss: [], malformed: [`not JSON: ${(err as Error).message}`] };
  }
  if (isNvdResponse(value)) return { osv: [], cvss: cvssFromNvdResponse(value), malformed: [] };
  if (isAlpineSecdb(value)) {
    try {
      return { osv: secdbToOsv(value as Record<string, unknown>, name), cvss: [], malformed: [] };
    } catch (err) {
      return { osv: [], cvss: [], malformed: [(err as Error).message] };
    }
  }
  const out: Parsed = { osv: [], cvss: [], malformed: [] };
  for (const candidate of Array.isArray(value) ? value : [value]) {
    try {
      out.osv.push(parseOsv(candidate));
    } catch (err) {
      out.malformed.push((err as Error).message);
    }
  }
  return out;
}

/** Feeds advisory files into a store in batches; bad input is counted and skipped, store failures propagate. */
export async function ingest(files: AsyncIterable<AdvisoryFile>, store: AdvisoryStore, options: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  // Large batches let one write carry several advisories of the same package (a package item is rewritten per batch).
  const batchSize = options.batchSize ?? 2000;
  const progressEvery = options.progressEvery ?? 1000;
  const counts: ImportCounts = { records: 0, written: 0, skipped: 0, malformed: 0, cvss: 0 };
  let batch: Osv[] = [];
  let cvssBatch: CvssEntry[] = [];
  let nextProgress = progressEvery;

  const flush = async () => {
    if (batch.length > 0) {
      const written = batch;
      batch = [];
      const result = await store.putAdvisories(written);
      counts.written += result.written;
      counts.skipped += result.skipped;
      options.onBatchWritten?.(written);
    }
    if (cvssBatch.length > 0) {
      const entries = cvssBatch;
      cvssBatch = [];
      counts.cvss += (await store.putCvssMany(entries)).written;
    }
  };

  for await (const file of files) {
    const parsed = 'error' in file ? { osv: [], cvss: [], malformed: [file.error] } : parseAdvisoryFile(file.name, file.text);
    for (const reason of parsed.malformed) {
      counts.malformed++;
      options.onMalformed?.({ file: file.name, reason });
    }
    cvssBatch.push(...parsed.cvss);
    for (const osv of parsed.osv) {
      counts.records++;
      if (options.accept && !options.accept(osv)) counts.skipped++;
      else batch.push(osv);
      if (counts.records >= nextProgress) {
        nextProgress += progressEvery;
        options.onProgress?.({ ...counts });
      }
    }
    if (batch.length >= batchSize || cvssBatch.length >= batchSize) await flush();
  }
  await flush();
  options.onProgress?.({ ...counts });
  return { ...counts, seconds: (performance.now() - started) / 1000 };
}

/** Imports an offline advisory export: a directory (recursively), a .zip of JSON files, or one JSON file. */
export function importAdvisories(path: string, store: AdvisoryStore, options: ImportOptions = {}): Promise<ImportResult> {
  return ingest(advisoryFiles(path), store, options);
}
