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
import { OSV_BASE_URL, updateAdvisories } from '../vulndb/updater';

/** OSV ecosystems of the distributions lamina reads packages of. */
/** Each known distribution's own feed (see lib/distros). */
export const DEFAULT_OSV_ECOSYSTEMS: string[] = [...DEFAULT_OS_ECOSYSTEMS];

export const DB_USAGE = `  lamina db import <path>...   load OSV JSON records, NVD API 2.0 responses or Alpine secdb files (a directory, a .zip or a file)
  lamina db update [--ecosystem E]... [--base-url URL]
                               download OSV's per-ecosystem exports (incremental, resumable); defaults:
                               LAMINA_OSV_ECOSYSTEMS or the OS ecosystems, LAMINA_OSV_BASE_URL or OSV's bucket
  lamina db status             print the advisory data version`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal: progress overwrites one line. */
  interactive: boolean;
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
  try {
    for (const path of paths) {
      const result = await importAdvisories(path, store, {
        onProgress: (counts) => {
          if (quiet) return;
          if (io.interactive) io.err(`\r${path}: ${describe(counts)}`);
          else io.err(`${path}: ${describe(counts)}\n`);
        },
        onMalformed: (note) => {
          // The first few say what is wrong; the total is in the summary.
          if (malformedShown++ < 5) io.err(`${io.interactive ? '\n' : ''}skipped malformed ${note.file}: ${note.reason}\n`);
        },
      });
      if (!quiet && io.interactive) io.err('\n');
      const rate = result.seconds > 0 ? Math.round(result.records / result.seconds) : result.records;
      io.out(`${path}: ${describe(result)} in ${result.seconds.toFixed(1)} s (${rate} records/s)\n`);
    }
    io.out(`advisory data version ${await store.getDataVersion()}\n`);
    return 0;
  } finally {
    await dynamo.stop();
  }
}

async function updateCommand(ecosystems: string[], baseUrl: string | undefined, config: LaminaConfig, io: CliIo, quiet: boolean): Promise<number> {
  const { dynamo, store } = await openLocalAdvisories(config);
  try {
    const result = await updateAdvisories(store, {
      baseUrl,
      ecosystems,
      workDir: join(config.dataDir, 'downloads'),
      onProgress: (ecosystem, counts) => {
        if (!quiet) io.err(`${io.interactive ? '\r' : ''}${ecosystem}: ${describe(counts)}${io.interactive ? '' : '\n'}`);
      },
    });
    if (!quiet && io.interactive) io.err('\n');
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
    await dynamo.stop();
  }
}

async function statusCommand(config: LaminaConfig, io: CliIo): Promise<number> {
  const { dynamo, store } = await openLocalAdvisories(config);
  try {
    io.out(`advisory data version ${await store.getDataVersion()} (${localDynamoPath(config.dataDir)})\n`);
    const coverage = [...(await store.getCoverage()).entries()].sort(([a], [b]) => a.localeCompare(b));
    if (coverage.length === 0) io.out('no ecosystems recorded: run `lamina db update` or `lamina db import`\n');
    for (const [ecosystem, updated] of coverage) io.out(`  ${ecosystem.padEnd(28)} last updated ${updated}\n`);
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
    },
  });
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
      return updateCommand(ecosystems, baseUrl, config, io, values.quiet);
    }
    case 'status':
      return statusCommand(config, io);
    default:
      io.err(`unknown db command ${sub === undefined ? '' : `"${sub}"`}\n${DB_USAGE}\n`);
      return 2;
  }
}
