import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startLocalMode, type LocalMode } from '../../lib/aws/local-mode';
import { configFromEnv } from '../../lib/config';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');

describe('the local HTTP API', () => {
  let local: LocalMode;
  let base: string;
  let dataDir: string;
  let registry: TestRegistry | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-api-'));
    if (registryAvailable()) registry = await startRegistry({ auth: 'none' });
    const config = { ...configFromEnv({}), dataDir, insecureRegistries: registry ? [registry.host] : [] };
    // Local mode as `lamina serve` runs it: dynalite under the data directory, the same API path as Lambda.
    local = await startLocalMode({ config, env: {}, port: 0, host: '127.0.0.1' });
    base = local.url;
  });

  afterAll(async () => {
    await local?.stop();
    await registry?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const json = async (res: Response): Promise<Json> => res.json();
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/images/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('answers an empty image name with the StackRox InvalidArgument body', async () => {
    const res = await post('{"imageName": ""}');
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({
      error: 'image name must be specified: invalid arguments',
      code: 3,
      message: 'image name must be specified: invalid arguments',
      details: [],
    });
  });

  it('answers malformed JSON and unparseable names with 400 / code 3', async () => {
    const malformed = await post('{"imageName": ');
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).code).toBe(3);

    const upper = await post('{"image_name": "Upper/Case"}');
    expect(upper.status).toBe(400);
    const body = await json(upper);
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/^error parsing image name 'Upper\/Case': .*: invalid arguments$/);
  });

  it('answers an unknown image id with 404 / code 5', async () => {
    const res = await fetch(`${base}/v1/images/sha256:${'0'.repeat(64)}`);
    expect(res.status).toBe(404);
    expect((await json(res)).message).toBe(`image with id "sha256:${'0'.repeat(64)}" does not exist: not found`);
  });

  it('refuses a registry on a cloud metadata address with 403 / code 7', async () => {
    const res = await post('{"imageName": "169.254.169.254/latest/meta-data:x"}');
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe(7);
  });

  it('answers an unknown cluster with 404 / code 5', async () => {
    const res = await post('{"imageName": "nginx", "cluster": "remote"}');
    expect(res.status).toBe(404);
    expect((await json(res)).message).toBe('cluster "remote" not found, ensure cluster exists and have access: not found');
  });

  (registryAvailable() ? it : it.skip)('scans, stores and serves an image, gzip-encoded when asked and indented with ?pretty', async () => {
    const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.19.1\n' }] }] });
    await pushImage(registry!, 'team/api', '1', image);

    const res = await post(JSON.stringify({ imageName: `${registry!.host}/team/api:1` }), { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    const scanned = await json(res);
    expect(scanned.id).toBe(image.manifestDigest);
    expect(scanned.scan.operatingSystem).toBe('alpine:v3.19');

    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((done, fail) => {
      const http = require('node:http') as typeof import('node:http');
      http
        .get(`${base}/v1/images/${image.manifestDigest}?pretty`, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => done({ headers: response.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', fail);
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(raw.body).toString('utf8');
    expect(text.startsWith('{\n  "id": ')).toBe(true);
    expect(JSON.parse(text).id).toBe(image.manifestDigest);
  });

  (registryAvailable() ? it : it.skip)('the lamina CLI prints the StorageImage of a scan', async () => {
    const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.20.0\n' }] }] });
    await pushImage(registry!, 'team/cli', '1', image);
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    const { stdout } = await run('node', ['dist/bin/lamina.js', 'scan', `${registry!.host}/team/cli:1`, '--insecure-registry', registry!.host], { cwd: ROOT });
    const printed = JSON.parse(stdout);
    expect(printed.id).toBe(image.manifestDigest);
    expect(printed.scan.operatingSystem).toBe('alpine:v3.20');

    const failed = await run('node', ['dist/bin/lamina.js', 'scan', `${registry!.host}/team/cli:missing`, '--insecure-registry', registry!.host], { cwd: ROOT }).catch((err) => err);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stderr).code).toBe(5);
  }, 120_000);
});
