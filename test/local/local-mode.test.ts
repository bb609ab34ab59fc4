import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoPath } from '../../lib/local/data-directory';
import { startLocalMode, type LocalMode } from '../../lib/local/local-mode';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { startFaultProxy } from '../support/fault-proxy';
import { buildImage, pushImage, type BuiltImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

/*
 * Local mode (`lamina serve`, what `npm start` runs): dynalite persisted under the data directory, tables created
 * on start, and the same service composition and API path as the Lambda function. Nothing is mocked.
 */

const ROOT = resolve(__dirname, '../..');
const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED local mode registry tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function alpineImage(marker: string): Promise<BuiltImage> {
  return buildImage({
    layers: [
      { entries: [{ path: 'etc/alpine-release', content: '3.20.1\n' }] },
      { entries: [{ path: `srv/${marker}`, content: randomBytes(32 * 1024).toString('base64') }] },
    ],
  });
}

describe('local mode', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-local-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the image, layer-index, in-flight, advisory, snooze and signature-integration tables in dynalite under the data directory', async () => {
    const local = await startLocalMode({ config: { ...configFromEnv({}), dataDir }, env: {}, port: 0, host: '127.0.0.1' });
    try {
      const { TableNames } = await local.dynamo.client.send(new ListTablesCommand({}));
      expect(TableNames?.sort()).toEqual([
        'lamina-advisories',
        'lamina-images',
        'lamina-inflight',
        'lamina-layer-index',
        'lamina-signature-integrations',
        'lamina-snoozes',
      ]);
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${local.url}/v1/images/scan`, { method: 'POST', body: '{"imageName": ""}' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'image name must be specified: invalid arguments',
        code: 3,
        message: 'image name must be specified: invalid arguments',
        details: [],
      });
      // Snoozing is served by the same API path, with its state in the snooze table.
      const snooze = await fetch(`${local.url}/v1/imagecves/suppress`, { method: 'PATCH', body: '{"cves": ["CVE-2023-45853"], "duration": "3600s"}' });
      expect(snooze.status).toBe(200);
      expect(await snooze.json()).toEqual({});
    } finally {
      await local.stop();
    }
  });

  it('takes table names from the same variables as Lambda', async () => {
    const env = {
      LAMINA_IMAGES_TABLE: 'scans',
      LAMINA_LAYER_INDEX_TABLE: 'layers',
      LAMINA_INFLIGHT_TABLE: 'leases',
      LAMINA_ADVISORIES_TABLE: 'advisories',
      LAMINA_SNOOZES_TABLE: 'snoozed',
      LAMINA_SIGNATURE_INTEGRATIONS_TABLE: 'signers',
    };
    const local = await startLocalMode({ config: { ...configFromEnv({}), dataDir }, env, port: 0, host: '127.0.0.1', inMemory: true });
    try {
      const { TableNames } = await local.dynamo.client.send(new ListTablesCommand({}));
      expect(TableNames?.sort()).toEqual(['advisories', 'layers', 'leases', 'scans', 'signers', 'snoozed']);
    } finally {
      await local.stop();
    }
  });

  describeWithRegistry('with a real registry', () => {
    let registry: TestRegistry;

    beforeAll(async () => {
      registry = await startRegistry({ auth: 'basic' });
    });
    afterAll(async () => {
      await registry?.stop();
    });

    /** Docker's config.json is how local users usually hand over registry credentials; local mode reads it. */
    async function envWithDockerConfig(): Promise<NodeJS.ProcessEnv> {
      const dir = join(dataDir, 'docker');
      await mkdir(dir, { recursive: true });
      const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
      await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
      return { DOCKER_CONFIG: dir };
    }

    it('keeps scan results across restarts in the data directory', async () => {
      const image = await alpineImage('persist');
      await pushImage(registry, 'local/persist', '1', image);
      const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] };

      let local: LocalMode = await startLocalMode({ config, env: await envWithDockerConfig(), port: 0, host: '127.0.0.1' });
      try {
        const res = await fetch(`${local.url}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName: `${registry.host}/local/persist:1` }) });
        expect(res.status).toBe(200);
        expect(((await res.json()) as Json).id).toBe(image.manifestDigest);
      } finally {
        await local.stop();
      }

      local = await startLocalMode({ config, env: {}, port: 0, host: '127.0.0.1' });
      try {
        const res = await fetch(`${local.url}/v1/images/${image.manifestDigest}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as Json;
        expect(body.id).toBe(image.manifestDigest);
        expect(body.scan.operatingSystem).toBe('alpine:v3.20');
      } finally {
        await local.stop();
      }
    });

    it('answers 503 / code 14 past LAMINA_API_BUDGET_MS, finishes the scan in the background, and answers the retry from the store', async () => {
      const image = await alpineImage('slow');
      await pushImage(registry, 'local/slow', '1', image);
      const proxy = await startFaultProxy(registry, [{ match: new RegExp(`^GET /v2/local/slow/blobs/${image.layers[1].digest}`), action: 'hang', times: 1 }]);
      const config: LaminaConfig = { ...configFromEnv({}), dataDir, insecureRegistries: [proxy.host], apiBudgetMs: 1500 };
      const env = { LAMINA_REGISTRY_CREDENTIALS: JSON.stringify({ [proxy.host]: { username: registry.username, password: registry.password } }) };
      const local = await startLocalMode({ config, env, port: 0, host: '127.0.0.1', inMemory: true });
      try {
        const imageName = `${proxy.host}/local/slow:1`;
        const first = await fetch(`${local.url}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName }) });
        expect(first.status).toBe(503);
        expect(first.headers.get('retry-after')).toBe('10');
        expect(((await first.json()) as Json).message).toBe(`scan of ${imageName} is in progress, retry`);

        let answer: Response | undefined;
        for (let attempt = 0; attempt < 50; attempt++) {
          answer = await fetch(`${local.url}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName }) });
          if (answer.status === 200) break;
          expect(answer.status).toBe(503);
          await new Promise((done) => setTimeout(done, 200));
        }
        expect(answer?.status).toBe(200);
        expect(((await answer!.json()) as Json).id).toBe(image.manifestDigest);
        // The hung fetch, then the background scan's; retries were answered from the store or waited for it.
        expect(proxy.hits(new RegExp(`^GET /v2/local/slow/blobs/${image.layers[1].digest}`))).toBe(2);
      } finally {
        await local.stop();
        await proxy.stop();
      }
    });

    it('`lamina serve` from the build (what npm start runs) serves the API on PORT and stops cleanly on SIGTERM', async () => {
      const image = await alpineImage('serve');
      await pushImage(registry, 'local/serve', '1', image);
      await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 });
      const child = spawn(process.execPath, ['dist/bin/lamina.js', 'serve'], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: '0',
          LAMINA_DATA_DIR: dataDir,
          LAMINA_INSECURE_REGISTRIES: registry.host,
          LAMINA_REGISTRY_CREDENTIALS: JSON.stringify({ [registry.host]: { username: registry.username, password: registry.password } }),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        const url = await new Promise<string>((done, fail) => {
          const timer = setTimeout(() => fail(new Error(`lamina serve did not start: ${stderr}`)), 30_000);
          createInterface({ input: child.stdout }).on('line', (line) => {
            const record = JSON.parse(line) as { msg?: string; url?: string };
            if (record.msg?.startsWith('lamina listening') && record.url) {
              clearTimeout(timer);
              done(record.url);
            }
          });
          child.once('exit', (code) => fail(new Error(`lamina serve exited with ${code}: ${stderr}`)));
        });
        const res = await fetch(`${url}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName: `${registry.host}/local/serve:1` }) });
        expect(res.status).toBe(200);
        expect(((await res.json()) as Json).id).toBe(image.manifestDigest);
      } finally {
        const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
      // The database lives where the README says.
      expect(existsSync(localDynamoPath(dataDir))).toBe(true);
    }, 240_000);
  });
});
