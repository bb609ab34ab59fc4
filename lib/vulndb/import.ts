import { performance } from 'node:perf_hooks';
import { advisoryFiles, type AdvisoryFile } from './advisory-files';
import { isAlpineSecdb, secdbToOsv } from './alpine-secdb';
import { cvssFromNvdResponse, isNvdResponse, type CvssEntry } from './nvd-records';
import type { Osv } from './osv';
import { parseOsv } from './osv-parse';
import { Readable } from 'node:stream';
import { feedRecords, formatOf } from './feed-documents';
import type { AdvisoryWriter } from './store';

/** Where imported records go: a store, or a source's context. CVSS from NVD responses needs a store. */
export type AdvisorySink = Pick<AdvisoryWriter, 'putAdvisories'> & Partial<Pick<AdvisoryWriter, 'putCvssMany'>>;

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
  /** Called with each batch after it is written, with how many files are wholly written by then. */
  onBatchWritten?: (records: Osv[], filesDone: number) => void | Promise<void>;
  /** Files already imported by an earlier, interrupted run of the same export: passed over unread. */
  skipFiles?: number;
  /** Stops the import between batches (what was written stays written). */
  signal?: AbortSignal;
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
export async function ingest(files: AsyncIterable<AdvisoryFile>, store: AdvisorySink, options: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  // Large batches let one write carry several advisories of the same package (a package item is rewritten per batch).
  const batchSize = options.batchSize ?? 2000;
  const progressEvery = options.progressEvery ?? 1000;
  const counts: ImportCounts = { records: 0, written: 0, skipped: 0, malformed: 0, cvss: 0 };
  let batch: Osv[] = [];
  let cvssBatch: CvssEntry[] = [];
  let nextProgress = progressEvery;
  let filesSeen = 0;
  // Files whose records are all in `batch` or written: what a checkpoint may count as done.
  let filesDone = 0;

  const flush = async () => {
    options.signal?.throwIfAborted();
    if (batch.length > 0) {
      const written = batch;
      batch = [];
      const result = await store.putAdvisories(written);
      counts.written += result.written;
      counts.skipped += result.skipped;
      await options.onBatchWritten?.(written, filesDone);
    }
    if (cvssBatch.length > 0) {
      if (!store.putCvssMany) throw new Error('NVD responses can only be imported into a store');
      const entries = cvssBatch;
      cvssBatch = [];
      counts.cvss += (await store.putCvssMany(entries)).written;
    }
  };
  const malformed = (file: string, reason: string) => {
    counts.malformed++;
    options.onMalformed?.({ file, reason });
  };
  const take = async (osv: Osv, midDocument = false) => {
    counts.records++;
    if (options.accept && !options.accept(osv)) counts.skipped++;
    else batch.push(osv);
    if (counts.records >= nextProgress) {
      nextProgress += progressEvery;
      options.onProgress?.({ ...counts });
    }
    // A vendor document can hold many thousand records: they are written as they come.
    if (midDocument && batch.length >= batchSize) await flush();
  };

  for await (const file of files) {
    if (filesSeen++ < (options.skipFiles ?? 0)) {
      filesDone = filesSeen;
      continue;
    }
    if ('error' in file) {
      malformed(file.name, file.error);
    } else if ('stream' in file || formatOf(file.text.slice(0, 16_384))) {
      // A JSON file of a vendor's streaming format (CSAF VEX) goes the way of the other vendor documents.
      const stream = 'stream' in file ? file.stream : Readable.from([Buffer.from(file.text)]);
      for await (const osv of feedRecords(file.name, stream, (reason) => malformed(file.name, reason), parseAdvisoryFile)) await take(osv, true);
    } else {
      const parsed = parseAdvisoryFile(file.name, file.text);
      for (const reason of parsed.malformed) malformed(file.name, reason);
      cvssBatch.push(...parsed.cvss);
      for (const osv of parsed.osv) await take(osv);
    }
    filesDone = filesSeen;
    if (batch.length >= batchSize || cvssBatch.length >= batchSize) await flush();
  }
  await flush();
  options.onProgress?.({ ...counts });
  return { ...counts, seconds: (performance.now() - started) / 1000 };
}

/** Imports an offline advisory export: a directory (recursively), a .zip of JSON files, one file of a known feed format, or a tar of them. */
export function importAdvisories(path: string, store: AdvisorySink, options: ImportOptions = {}): Promise<ImportResult> {
  return ingest(advisoryFiles(path), store, options);
}
