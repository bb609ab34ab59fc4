import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { FakeRegistry } from '../image/fake-registry';

/*
 * The CLI issue's crash case: `lamina db import` killed with SIGKILL in the middle of writing leaves a data directory
 * that the next process opens, imports into, and serves every stored scan result from. The real built CLI.
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/bin/lamina.js');

/** OSV records in Debian's shape, numerous enough that an import runs for seconds. */
function records(count: number): object[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `DEBIAN-CVE-2099-${String(i).padStart(5, '0')}`,
    modified: '2026-01-01T00:00:00Z',
    upstream: [`CVE-2099-${String(i).padStart(5, '0')}`],
    affected: [
      { package: { ecosystem: 'Debian:12', name: `pkg${i % 2000}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1' }] }] },
    ],
  }));
}

describe('a data directory after lamina db import is killed', () => {
  let dataDir: string;
  let registry: FakeRegistry;
  const children = new Set<ChildProcessWithoutNullStreams>();
  const env = () => ({ ...process.env, LAMINA_DATA_DIR: dataDir, PORT: '0' });

  function start(args: string[]): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    return child;
  }

  async function serve(): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
    const child = start(['serve']);
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('lamina serve did not start')), 30_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('lamina listening')) return;
        clearTimeout(timer);
        done(String((JSON.parse(line) as { url: string }).url));
      });
    });
    return { child, url };
  }

  async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-crash-import-'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);
    expect(existsSync(CLI)).toBe(true);
    registry = await new FakeRegistry().start();
  }, 240_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await registry?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('opens cleanly, imports again, and serves the scans stored before', async () => {
    const image = registry.putImage('team/app', ['1']);
    const first = await serve();
    const scanned = await fetch(`${first.url}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName: `${registry.host}/team/app:1` }) });
    expect(scanned.status).toBe(200);
    await stop(first.child);

    const exportFile = join(dataDir, 'debian-export.json');
    await writeFile(exportFile, JSON.stringify(records(30_000)));
    const importing = start(['db', 'import', '--quiet', exportFile]);
    const killed = new Promise((done) => importing.once('exit', done));
    // Long enough to be writing (opening the store takes well under this), far shorter than the import.
    await new Promise((r) => setTimeout(r, 2500));
    importing.kill('SIGKILL');
    await killed;

    const status = await run(process.execPath, [CLI, 'db', 'status'], { cwd: ROOT, env: env() });
    expect(status.stdout).toMatch(/^advisory data version \d+/);
    const again = await run(process.execPath, [CLI, 'db', 'import', '--quiet', exportFile], { cwd: ROOT, env: env(), timeout: 600_000 });
    expect(again.stdout).toMatch(/30000 records read/);
    const after = await run(process.execPath, [CLI, 'db', 'status'], { cwd: ROOT, env: env() });
    expect(after.stdout).toMatch(/Debian:12 +30,000 records/);

    const second = await serve();
    const stored = await fetch(`${second.url}/v1/images/${image.digest}`);
    expect(stored.status).toBe(200);
    expect(((await stored.json()) as { id: string }).id).toBe(image.digest);
    await stop(second.child);
  }, 600_000);
});
