import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

/*
 * One process at a time may open a data directory's database (LevelDB's lock). A second `lamina` on the directory a
 * `lamina serve` holds says so in one line and exits 2, instead of dying on dynalite's uncaught "Database is closed".
 * The real built CLI, spawned as a user runs it.
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/bin/lamina.js');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('a second lamina process on a data directory in use', () => {
  let dataDir: string;
  let serve: ChildProcessWithoutNullStreams | undefined;
  let serveStderr = '';

  const lamina = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> =>
    run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: dataDir, ...env }, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-in-use-'));
    // The emitted JavaScript is what this test needs; type errors are the typecheck's to report.
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);
    expect(existsSync(CLI)).toBe(true);

    serve = spawn(process.execPath, [CLI, 'serve'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LAMINA_DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    serve.stderr.on('data', (chunk: Buffer) => (serveStderr += chunk.toString()));
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`lamina serve did not start: ${serveStderr}`)), 30_000);
      createInterface({ input: serve!.stdout }).on('line', (line) => {
        if (line.includes('lamina listening')) {
          clearTimeout(timer);
          done();
        }
      });
      serve!.once('exit', (code) => fail(new Error(`lamina serve exited with ${code}: ${serveStderr}`)));
    });
  }, 240_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((done) => serve!.once('exit', done));
      serve.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const inUse = () => `lamina: the data directory ${dataDir} is in use by another lamina process (pid ${serve!.pid}); stop it or use another LAMINA_DATA_DIR\n`;

  it('`lamina db import` and `db status` run beside it: advisories live in LMDB, which processes share', async () => {
    const record = join(dataDir, 'GHSA-beside.json');
    await writeFile(
      record,
      JSON.stringify({
        id: 'GHSA-beside',
        modified: '2025-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, versions: ['1.0.0'] }],
      }),
    );
    const imported = await lamina(['db', 'import', '--quiet', record]);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toMatch(/1 records read, 1 written/);
    const status = await lamina(['db', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\n {2}npm +1 record {2}last updated /);
  }, 60_000);

  it.each([
    ['scan', ['scan', '127.0.0.1:9/never/fetched:1']],
    ['serve', ['serve', '--port', '0']],
  ])(
    '`lamina %s` prints one line naming the directory and the pid, and exits 2',
    async (_name, args) => {
      const outcome = await lamina(args);
      expect(outcome).toEqual({ code: 2, stdout: '', stderr: inUse() });
    },
    60_000,
  );

  it('the serving process is unharmed, and once it stops the directory is free again', async () => {
    expect(serve!.exitCode).toBeNull();
    expect(serveStderr).not.toMatch(/Database is closed|NodeVersionSupportWarning/);
    const exited = new Promise<number | null>((done) => serve!.once('exit', (code) => done(code)));
    serve!.kill('SIGTERM');
    expect(await exited).toBe(0);
    const status = await lamina(['db', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^advisory data version \d+ \(/);
    // The AWS SDK's nine-line Node version warning stays off the CLI's stderr.
    expect(status.stderr).toBe('');
  }, 60_000);
});
