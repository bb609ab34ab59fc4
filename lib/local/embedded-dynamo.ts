import { readFile, unlink, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type DynaliteFactory = (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface EmbeddedDynamo {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * The LevelDB directory is held by another process (LevelDB allows one): typically a `lamina serve` on the same
 * data directory. `pid` is that process when it left its pid beside the database and is still running.
 */
export class DatabaseInUseError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number | undefined,
  ) {
    super(`the database ${path} is in use by another process${pid === undefined ? '' : ` (pid ${pid})`}`);
    this.name = 'DatabaseInUseError';
  }
}

/** Beside the LevelDB directory, not in it: the pid of the process that has it open, for the in-use message. */
export function databasePidFile(path: string): string {
  return `${path}.pid`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerPid(path: string): Promise<number | undefined> {
  const text = await readFile(databasePidFile(path), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && isRunning(pid) ? pid : undefined;
}

/** `level`, the LevelDB binding dynalite itself uses, resolved from dynalite's own directory. */
function levelOf(): new (path: string) => LevelDatabase {
  const from = dirname(require.resolve('dynalite/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(require.resolve('level', { paths: [from] })) as { Level: new (path: string) => LevelDatabase }).Level;
}

/**
 * Opens and closes the LevelDB directory before dynalite gets it. dynalite opens it lazily and, when another process
 * holds its lock, throws "Database is closed" from inside its request handler, uncaught; this finds out first.
 */
async function claimDatabase(path: string): Promise<void> {
  const db = new (levelOf())(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new DatabaseInUseError(path, await ownerPid(path));
    throw err;
  }
  await db.close();
}

/**
 * dynalite in this process on 127.0.0.1 and a free port: in memory by default, LevelDB under `path` when given
 * (local mode keeps advisories and scans across restarts there). The client has dummy credentials. With a `path`
 * another process holds, throws DatabaseInUseError before anything is served.
 */
export async function startEmbeddedDynamo(opts: { path?: string } = {}): Promise<EmbeddedDynamo> {
  if (opts.path) await claimDatabase(opts.path);
  // dynalite ships no type declarations.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({ path: opts.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const pidFile = opts.path ? databasePidFile(opts.path) : undefined;
  if (pidFile) await writeFile(pidFile, `${process.pid}\n`).catch(() => undefined);
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  let stopped = false;
  return {
    endpoint,
    client,
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve())));
      if (pidFile && (await readFile(pidFile, 'utf8').catch(() => '')).trim() === String(process.pid)) await unlink(pidFile).catch(() => undefined);
    },
  };
}
