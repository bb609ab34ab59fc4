/**
 * The one contract every advisory feed meets (claircore's driver.Updater is the model): a source fetches what
 * changed since its cursor, parses it into the advisory model (OSV records), hands the records to `putAdvisories`
 * in batches and reports the cursor to keep. The runner stores that cursor only after every write succeeded, so an
 * interrupted run repeats work rather than losing it.
 */
import type { Readable } from 'node:stream';
import type { Osv } from '../osv';
import type { PutResult } from '../store';

export interface SourceContext {
  /** What the source reported last time it finished (undefined on the first run). */
  cursor: string | undefined;
  /** The last checkpoint of a run that did not finish (its deadline came first), to continue from; else undefined. */
  progress: string | undefined;
  /** Records a checkpoint after a write: the next run continues from it if this one does not finish. */
  saveProgress(value: string): Promise<void>;
  fetch: typeof fetch;
  /** A directory the source may keep downloads in between runs. */
  workDir: string;
  signal?: AbortSignal;
  /** Writes a batch of records: newer `modified` wins, unchanged ones are skipped (the runner counts both). */
  putAdvisories(records: Osv[]): Promise<PutResult>;
  /** Records read but not written because they are not newer than the cursor. */
  skipped(count: number): void;
  /** A document or record that could not be read: counted and skipped, never fatal. */
  malformed(where: string, reason: string): void;
  /** Bytes downloaded so far of one document (for progress lines). */
  onDownloadProgress?(bytes: number, total: number | undefined): void;
}

export interface SourceOutcome {
  /** `not-modified`: the feed said nothing changed since the cursor; nothing was written. */
  status: 'updated' | 'not-modified';
  /** The cursor to store; undefined keeps the old one. */
  cursor?: string;
}

export interface AdvisorySource {
  /** Stable name, also the key its cursor is stored under: `osv:Debian`, `alas:2023`, `redhat-csaf`, `oval:azurelinux-3.0`. */
  readonly name: string;
  /** The advisory ecosystems (lookup form, `Amazon Linux:2023`) its records fill: what coverage it gives. */
  readonly ecosystems: readonly string[];
  run(context: SourceContext): Promise<SourceOutcome>;
}

/**
 * A vendor document format that `lamina db import` recognises by content. `sniff` sees the first bytes of the
 * (already decompressed) document as text; `parse` streams its records.
 */
export interface FeedFormat {
  readonly name: string;
  sniff(head: string): boolean;
  parse(input: Readable, context: { fileName: string; malformed(reason: string): void }): AsyncIterable<Osv>;
  /** The same records from the whole document's text, for formats read whole anyway (one CSAF file per CVE). */
  parseText?(text: string, context: { fileName: string; malformed(reason: string): void }): Iterable<Osv>;
}
