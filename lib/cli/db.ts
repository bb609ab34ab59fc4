/** `lamina db import|status`: the local advisory store under the data directory, for offline and air-gapped use. */
import { DEFAULT_OS_ECOSYSTEMS } from '../distros';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DynamoAdvisoryStore } from '../aws/dynamo-advisory-store';
import type { EmbeddedDynamo } from '../local/embedded-dynamo';
import { localDynamoPath, localTablesFromEnv, openDataDirectoryDynamo } from '../local/local-mode';
import type { LaminaConfig } from '../config';
import { join } from 'node:path';
import { importAdvisories, type ImportCounts } from '../vulndb/import';
import { checkedCursor, OSV_BASE_URL, updateAdvisories } from '../vulndb/updater';

/** OSV ecosystems of the distributions lamina reads packages of. */
/** Each known distribution's own feed (see lib/distros). */
export const DEFAULT_OSV_ECOSYSTEMS: string[] = [...DEFAULT_OS_ECOSYSTEMS];

export const DB_USAGE = `  lamina db import <path>...   load OSV JSON records, NVD API 2.0 responses or Alpine secdb files (a directory, a .zip or a file)
  lamina db update [--ecosystem E]... [--base-url URL] [--timeout MS]
                               download OSV's per-ecosystem exports (incremental, resumable); defaults:
                               LAMINA_OSV_ECOSYSTEMS or the OS ecosystems, LAMINA_OSV_BASE_URL or OSV's bucket;
                               --timeout: ms without a response or a byte before an attempt fails
                               (LAMINA_OSV_TIMEOUT_MS, default 60000)
  lamina db status             print the advisory data version and each ecosystem's records and last update;
                               warns on stderr about ecosystems not updated for a day`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal: progress overwrites one line. */
  interactive: boolean;
  /** The clock (tests); the system's when absent. */
  now?: () => Date;
}

/** Data older than this makes `db status` warn. */
export const STALE_AFTER_MS = 24 * 3600 * 1000;

export interface ProgressLineOptions {
  /** Nothing is shown before the operation has taken this long. */
  delayMs?: number;
  /** The line is rewritten at most this often. */
  intervalMs?: number;
}

/** Longest line drawn: wider than the terminal, `\r` would no longer go back to its start. */
const PROGRESS_WIDTH = 79;

/**
 * One progress line on a terminal's stderr, rewritten in place (`\r`, then erase to the end of the line): shown
 * once the operation has taken `delayMs`, redrawn at most every `intervalMs` with the latest text, erased by
 * `done`. Does nothing when not `enabled` (stderr is not a terminal, or --quiet).
 */
export class ProgressLine {
  private text: string | undefined;
  private shown = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private readonly delayMs: number;
  private readonly intervalMs: number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    options: ProgressLineOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 1000;
    this.intervalMs = options.intervalMs ?? 250;
  }

  update(text: string): void {
    if (!this.enabled) return;
    this.text = text.length > PROGRESS_WIDTH ? `…${text.slice(-(PROGRESS_WIDTH - 1))}` : text;
    if (this.timer) return;
    const wait = Math.max(this.started + this.delayMs, this.lastDraw + this.intervalMs) - Date.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
    this.timer.unref();
  }

  /** Writes `line` (ending in a newline) where the progress line was; the next update draws it again. */
  note(line: string): void {
    this.erase();
    this.write(line);
  }

  done(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.text = undefined;
    this.erase();
  }

  private draw(): void {
    if (this.text === undefined) return;
    this.write(`\r${this.text}\x1b[K`);
    this.shown = true;
    this.lastDraw = Date.now();
  }

  private erase(): void {
    if (this.shown) this.write('\r\x1b[K');
    this.shown = false;
  }
}

const count = (n: number) => n.toLocaleString('en-US');

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function progressText(label: string, counts: ImportCounts): string {
  return `${label}: ${count(counts.records)} records read, ${count(counts.written)} written…`;
}

function downloadText(label: string, bytes: number, total: number | undefined): string {
  if (bytes === 0) return `${label}: downloading…`;
  return `${label}: downloading ${megabytes(bytes)}${total ? ` of ${megabytes(total)}` : ''}…`;
}

/**
 * Opens the data directory's embedded DynamoDB. LevelDB allows one process, so a running `lamina serve` on the same
 * directory makes this throw DataDirectoryInUseError (the CLI prints its one line and exits 2).
 */
export async function openLocalAdvisories(
  config: LaminaConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ dynamo: EmbeddedDynamo; store: DynamoAdvisoryStore }> {
  const dynamo = await openDataDirectoryDynamo(config.dataDir);
  try {
    const store = new DynamoAdvisoryStore(dynamo.client, localTablesFromEnv(env).advisories);
    await store.ensureTables();
    // A data directory written by an older lamina gets its per-ecosystem counts; no other process has it open.
    await store.upgradeCoverage();
    return { dynamo, store };
  } catch (err) {
    await dynamo.stop();
    throw err;
  }
}

function describe(counts: ImportCounts): string {
  return `${counts.records} records read, ${counts.written} written, ${counts.skipped} unchanged, ${counts.malformed} malformed, ${counts.cvss} CVSS updates`;
}

async function importCommand(paths: string[], config: LaminaConfig, io: CliIo, quiet: boolean): Promise<number> {
  if (paths.length === 0) {
    io.err(`db import needs a path\n${DB_USAGE}\n`);
    return 2;
  }
  for (const path of paths) {
    await stat(path).catch(() => {
      throw new Error(`cannot read ${path}: no such file or directory`);
    });
  }
  const { dynamo, store } = await openLocalAdvisories(config);
  let malformedShown = 0;
  const progress = new ProgressLine(io.err, io.interactive && !quiet);
  try {
    for (const path of paths) {
      const result = await importAdvisories(path, store, {
        onProgress: (counts) => progress.update(progressText(path, counts)),
        onMalformed: (note) => {
          // The first few say what is wrong; the total is in the summary.
          if (malformedShown++ < 5) progress.note(`skipped malformed ${note.file}: ${note.reason}\n`);
        },
      });
      progress.done();
      const rate = result.seconds > 0 ? Math.round(result.records / result.seconds) : result.records;
      io.out(`${path}: ${describe(result)} in ${result.seconds.toFixed(1)} s (${rate} records/s)\n`);
    }
    io.out(`advisory data version ${await store.getDataVersion()}\n`);
    return 0;
  } finally {
    progress.done();
    await dynamo.stop();
  }
}

async function updateCommand(
  ecosystems: string[],
  baseUrl: string | undefined,
  idleTimeoutMs: number | undefined,
  config: LaminaConfig,
  io: CliIo,
  quiet: boolean,
): Promise<number> {
  const { dynamo, store } = await openLocalAdvisories(config);
  const progress = new ProgressLine(io.err, io.interactive && !quiet);
  try {
    const result = await updateAdvisories(store, {
      baseUrl,
      ecosystems,
      workDir: join(config.dataDir, 'downloads'),
      idleTimeoutMs,
      onDownloadProgress: (ecosystem, bytes, total) => progress.update(downloadText(ecosystem, bytes, total)),
      onProgress: (ecosystem, counts) => progress.update(progressText(ecosystem, counts)),
    });
    progress.done();
    for (const update of result.ecosystems) {
      const detail =
        update.status === 'failed'
          ? `failed: ${update.error}`
          : `${update.status}, ${update.written} written, ${update.skipped} unchanged, ${update.malformed} malformed`;
      io.out(`${update.ecosystem}: ${detail}\n`);
    }
    io.out(`advisory data version ${await store.getDataVersion()}\n`);
    return result.ecosystems.some((u) => u.status === 'failed') ? 1 : 0;
  } finally {
    progress.done();
    await dynamo.stop();
  }
}

function age(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  return hours < 48 ? `${hours} hours` : `${Math.floor(hours / 24)} days`;
}

async function statusCommand(config: LaminaConfig, io: CliIo): Promise<number> {
  const now = (io.now?.() ?? new Date()).getTime();
  const { dynamo, store } = await openLocalAdvisories(config);
  try {
    io.out(`advisory data version ${await store.getDataVersion()} (${localDynamoPath(config.dataDir)})\n`);
    const coverage = [...(await store.getCoverage()).entries()].sort(([a], [b]) => a.localeCompare(b));
    if (coverage.length === 0) io.out('no ecosystems recorded: run `lamina db update` or `lamina db import`\n');
    // `db update` notes when it found an export unchanged: an old release's data is current without new writes.
    const checked = new Map<string, string | undefined>();
    for (const [ecosystem] of coverage) {
      const base = ecosystem.split(':')[0];
      if (!checked.has(base)) checked.set(base, await store.getCursor(checkedCursor(base)));
    }
    const stale: string[] = [];
    for (const [ecosystem, { updated, records }] of coverage) {
      const check = checked.get(ecosystem.split(':')[0]);
      const fresh = check && Date.parse(check) > Date.parse(updated) ? check : undefined;
      const counted = records < 0 ? 'not counted' : `${count(records)} ${records === 1 ? 'record' : 'records'}`;
      io.out(`  ${ecosystem.padEnd(28)} ${counted.padStart(16)}  last updated ${updated}${fresh ? `, checked ${fresh}` : ''}\n`);
      const since = now - Date.parse(fresh ?? updated);
      if (!(since <= STALE_AFTER_MS))
        stale.push(`warning: ${ecosystem} advisories are ${age(since)} old (last updated ${fresh ?? updated}): run \`lamina db update\`\n`);
    }
    for (const line of stale) io.err(line);
    return 0;
  } finally {
    await dynamo.stop();
  }
}

export async function dbCommand(args: string[], config: LaminaConfig, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      quiet: { type: 'boolean', short: 'q', default: false },
      ecosystem: { type: 'string', multiple: true },
      'base-url': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(`usage:\n${DB_USAGE}\n  -q, --quiet                  no progress line\n`);
    return 0;
  }
  const [sub, ...rest] = positionals;
  switch (sub) {
    case 'import':
      return importCommand(rest, config, io, values.quiet);
    case 'update': {
      const fromEnv = process.env.LAMINA_OSV_ECOSYSTEMS?.split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const ecosystems = values.ecosystem?.length ? values.ecosystem : fromEnv?.length ? fromEnv : DEFAULT_OSV_ECOSYSTEMS;
      const baseUrl = values['base-url'] ?? process.env.LAMINA_OSV_BASE_URL ?? OSV_BASE_URL;
      const timeout = values.timeout ?? process.env.LAMINA_OSV_TIMEOUT_MS;
      const idleTimeoutMs = timeout === undefined ? undefined : Number(timeout);
      if (idleTimeoutMs !== undefined && !(Number.isInteger(idleTimeoutMs) && idleTimeoutMs > 0)) {
        io.err(`--timeout must be a number of milliseconds, got "${timeout}"\n${DB_USAGE}\n`);
        return 2;
      }
      return updateCommand(ecosystems, baseUrl, idleTimeoutMs, config, io, values.quiet);
    }
    case 'status':
      return statusCommand(config, io);
    default:
      io.err(`unknown db command ${sub === undefined ? '' : `"${sub}"`}\n${DB_USAGE}\n`);
      return 2;
  }
}
