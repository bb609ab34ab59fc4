import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { FakeRegistry } from '../image/fake-registry';

/*
 * Hardening defects 6 and 7 with the real built `lamina serve`: a process killed with SIGKILL in the middle of a scan
 * leaves its lease behind, and the restarted server must not wait on it; SIGTERM during a scan exits within seconds.
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/bin/lamina.js');

interface Served {
  process: ChildProcessWithoutNullStreams;
  url: string;
  exited: Promise<number | null>;
}

describe('lamina serve after a crash and on SIGTERM', () => {
  let dataDir: string;
  let registry: FakeRegistry;
  let layerDigest: string;
  let trickle = true;
  const children = new Set<ChildProcessWithoutNullStreams>();

  async function serve(): Promise<Served> {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LAMINA_DATA_DIR: dataDir, LAMINA_INSECURE_REGISTRIES: registry.host, LAMINA_LOG_LEVEL: 'info' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`lamina serve did not start: ${stderr}`)), 30_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('lamina listening')) return;
        clearTimeout(timer);
        done(String((JSON.parse(line) as { url: string }).url));
      });
      void exited.then((code) => fail(new Error(`lamina serve exited with ${code}: ${stderr}`)));
    });
    return { process: child, url, exited };
  }

  const scan = (url: string, force = false) =>
    fetch(`${url}/v1/images/scan`, {
      method: 'POST',
      body: JSON.stringify({ imageName: `${registry.host}/team/app:1`, force }),
      headers: { 'content-type': 'application/json' },
    });
  const layerRequests = () => registry.requests.filter((r) => r.path.endsWith(`/blobs/${layerDigest}`)).length;
  async function untilLayerRequested(before: number): Promise<void> {
    while (layerRequests() === before) await new Promise((r) => setTimeout(r, 25));
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-crash-'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);
    expect(existsSync(CLI)).toBe(true);
    registry = await new FakeRegistry().start();
    const image = registry.putImage('team/app', ['1'], { layer: 'not a tar, but a layer all the same' });
    layerDigest = image.layer.digest;
    // While `trickle` holds, the layer is sent a byte at a time and never finished.
    registry.intercept = (req, res) => {
      if (!trickle || !req.url?.endsWith(`/blobs/${layerDigest}`)) return false;
      res.writeHead(200, { 'Content-Length': image.layer.size });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(gzipSync('').subarray(0, 1))), 500);
      res.on('close', () => clearInterval(timer));
      return true;
    };
  }, 240_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await registry?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a restarted server does not wait on the lease its killed predecessor held', async () => {
    const first = await serve();
    const before = layerRequests();
    void scan(first.url).catch(() => undefined);
    await untilLayerRequested(before);
    first.process.kill('SIGKILL');
    await first.exited;

    trickle = false;
    const second = await serve();
    const res = await scan(second.url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scan: { operatingSystem: string } }).scan.operatingSystem).toBe('unknown');
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it('SIGTERM during a scan stops the scan and exits 0 within seconds', async () => {
    trickle = true;
    const served = await serve();
    const before = layerRequests();
    // force: the first test stored this image, and a stored answer would never reach the registry.
    const pending = scan(served.url, true).then(
      (r) => r.status,
      () => 'connection closed',
    );
    await untilLayerRequested(before);
    served.process.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(['connection closed', 503]).toContain(await pending);
  }, 20_000);
});
