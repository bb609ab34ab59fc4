/** `lamina db import|status`: the local advisory store under the data directory, for offline and air-gapped use. */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { LmdbAdvisoryStore } from '../local/lmdb-advisory-store';
import { localAdvisoriesPath, localTablesFromEnv, openLocalAdvisoryStore } from '../local/data-directory';
import type { LaminaConfig } from '../config';
import { join } from 'node:path';
import { importAdvisories, type ImportCounts } from '../vulndb/import';
import { DEFAULT_SOURCES, sourcesNamed, UnknownSourceError } from '../vulndb/sources';
import { checkedCursor, OSV_BASE_URL, runSources } from '../vulndb/updater';
import { refreshTrustedRoot, TRUSTED_ROOT_SOURCE, tufSettingsFromEnv } from '../signatures/trust-root-refresh';
import { DB_USAGE } from './usage';
import { type CliIo, ProgressLine } from './io';

/** Data older than this makes `db status` warn. */
export const STALE_AFTER_MS = 24 * 3600 * 1000;

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
 * Opens the data directory's advisory store (LMDB), which a running `lamina serve` may have open too. The first
 * open of a directory an older lamina wrote copies its advisories out of the embedded DynamoDB, which takes that
 * database's lock for the while (DataDirectoryInUseError when another process holds it).
 */
export async function openLocalAdvisories(
  config: LaminaConfig,
  env: NodeJS.ProcessEnv = process.env,
  notice: (line: string) => void = (line) => process.stderr.write(line),
): Promise<{ store: LmdbAdvisoryStore }> {
  return { store: await openLocalAdvisoryStore(config.dataDir, { table: localTablesFromEnv(env).advisories, notice }) };
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
  const { store } = await openLocalAdvisories(config, process.env, io.err);
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
    await store.close();
  }
}

/** Whether `db update` refreshes the Sigstore trusted root: named as a source, by default, or not at all. */
type TrustedRootRefresh = 'named' | 'default' | 'no';

async function updateCommand(
  names: string[],
  trustedRoot: TrustedRootRefresh,
  baseUrl: string | undefined,
  idleTimeoutMs: number | undefined,
  config: LaminaConfig,
  io: CliIo,
  quiet: boolean,
): Promise<number> {
  let sources: ReturnType<typeof sourcesNamed>;
  try {
    sources = sourcesNamed(names, { osv: { baseUrl, idleTimeoutMs } });
  } catch (err) {
    if (!(err instanceof UnknownSourceError)) throw err;
    io.err(`${err.message}\n`);
    return 2;
  }
  let tuf: ReturnType<typeof tufSettingsFromEnv>;
  try {
    tuf = trustedRoot === 'no' ? undefined : tufSettingsFromEnv();
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 2;
  }
  const { store } = await openLocalAdvisories(config, process.env, io.err);
  const progress = new ProgressLine(io.err, io.interactive && !quiet);
  try {
    const result = await runSources(store, sources, {
      workDir: join(config.dataDir, 'downloads'),
      onDownloadProgress: (source, bytes, total) => progress.update(downloadText(source, bytes, total)),
      onProgress: (source, counts) => progress.update(progressText(source, counts)),
    });
    progress.done();
    for (const update of result.sources) {
      const detail =
        update.status === 'failed'
          ? `failed: ${update.error}`
          : `${update.status}, ${update.written} written, ${update.skipped} unchanged, ${update.malformed} malformed`;
      io.out(`${update.source}: ${detail}\n`);
    }
    let rootFailed = false;
    if (tuf) {
      const refresh = await refreshTrustedRoot(store, { cacheDir: join(config.dataDir, 'sigstore-tuf'), ...tuf });
      rootFailed = refresh.status === 'failed' && trustedRoot === 'named';
      // Refreshed by default only: offline, a failure warns and keyless verification goes on with the copy it has.
      if (refresh.status === 'failed' && trustedRoot === 'default') io.err(`lamina: warning: ${refresh.error}\n`);
      else io.out(`${TRUSTED_ROOT_SOURCE}: ${refresh.status === 'failed' ? `failed: ${refresh.error}` : refresh.status}\n`);
    }
    io.out(`advisory data version ${await store.getDataVersion()}\n`);
    return rootFailed || result.sources.some((u) => u.status !== 'updated' && u.status !== 'not-modified') ? 1 : 0;
  } finally {
    progress.done();
    await store.close();
  }
}

function age(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  return hours < 48 ? `${hours} hours` : `${Math.floor(hours / 24)} days`;
}

async function statusCommand(config: LaminaConfig, io: CliIo): Promise<number> {
  const now = (io.now?.() ?? new Date()).getTime();
  const { store } = await openLocalAdvisories(config, process.env, io.err);
  try {
    io.out(`advisory data version ${await store.getDataVersion()} (${localAdvisoriesPath(config.dataDir)})\n`);
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
    await store.close();
  }
}

export async function dbCommand(args: string[], config: LaminaConfig, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      quiet: { type: 'boolean', short: 'q', default: false },
      ecosystem: { type: 'string', multiple: true },
      source: { type: 'string', multiple: true },
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
      const fromEnv = (process.env.LAMINA_ADVISORY_SOURCES ?? process.env.LAMINA_OSV_ECOSYSTEMS)
        ?.split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const named = [...(values.source ?? []), ...(values.ecosystem ?? []).map((e) => `osv:${e}`)];
      const chosen = named.length ? named : fromEnv?.length ? fromEnv : [...DEFAULT_SOURCES];
      const sources = chosen.filter((source) => source !== TRUSTED_ROOT_SOURCE);
      // Sources named on the command line narrow the run to them; otherwise the trusted root is refreshed too.
      const trustedRoot: TrustedRootRefresh = named.length === 0 ? 'default' : named.includes(TRUSTED_ROOT_SOURCE) ? 'named' : 'no';
      const baseUrl = values['base-url'] ?? process.env.LAMINA_OSV_BASE_URL ?? OSV_BASE_URL;
      const timeout = values.timeout ?? process.env.LAMINA_OSV_TIMEOUT_MS;
      const idleTimeoutMs = timeout === undefined ? undefined : Number(timeout);
      if (idleTimeoutMs !== undefined && !(Number.isInteger(idleTimeoutMs) && idleTimeoutMs > 0)) {
        io.err(`--timeout must be a number of milliseconds, got "${timeout}"\n${DB_USAGE}\n`);
        return 2;
      }
      return updateCommand(sources, trustedRoot, baseUrl, idleTimeoutMs, config, io, values.quiet);
    }
    case 'status':
      return statusCommand(config, io);
    default:
      io.err(`unknown db command ${sub === undefined ? '' : `"${sub}"`}\n${DB_USAGE}\n`);
      return 2;
  }
}
