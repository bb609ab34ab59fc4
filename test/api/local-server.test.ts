import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startLocalMode, type LocalMode } from '../../lib/local/local-mode';
import { configFromEnv } from '../../lib/config';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { FakeRegistry, sha256 } from '../image/fake-registry';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');

describe('the local HTTP API', () => {
  let local: LocalMode;
  let base: string;
  let dataDir: string;
  let registry: TestRegistry | undefined;
  /** A registry on loopback whose manifests a test shapes at will. */
  let fake: FakeRegistry;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-api-'));
    if (registryAvailable()) registry = await startRegistry({ auth: 'none' });
    fake = await new FakeRegistry().start();
    const config = { ...configFromEnv({}), dataDir, insecureRegistries: [fake.host, ...(registry ? [registry.host] : [])] };
    // Local mode as `lamina serve` runs it: dynalite under the data directory, the same API path as Lambda.
    local = await startLocalMode({ config, env: {}, port: 0, host: '127.0.0.1' });
    base = local.url;
  });

  afterAll(async () => {
    await local?.stop();
    await fake?.close();
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

  it.each([
    ['malformed percent-encoding', '%E0%A4%A'],
    ['a bare percent sign', '%'],
    ['a 5,000-character id', 'a'.repeat(5000)],
    ['a digest of the wrong length', `sha256:${'0'.repeat(65)}`],
    ['a tag, not a digest', 'latest'],
  ])('answers an image id that is %s with 400 / code 3 and a RuntimeError body, never reaching the store', async (_what, id) => {
    const res = await fetch(`${base}/v1/images/${id}`);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body).toEqual({ error: body.message, code: 3, message: expect.stringMatching(/^invalid image id ".*: invalid arguments$/), details: [] });
    expect(body.message).not.toMatch(/URI malformed|hashkey/i);
  });

  it('answers a scan of an image with 15,000 tiny layers at once with 400 / code 9 naming the count and the bound', async () => {
    const image = fake.putImage('huge/app', []);
    const layers = Array.from({ length: 15_000 }, (_, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(`layer ${i}`), size: 10 }));
    fake.putManifest('huge/app', ['v1'], { ...image.manifest, layers }, image.mediaType);
    const started = Date.now();
    const res = await post(JSON.stringify({ imageName: `${fake.host}/huge/app:v1` }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.code).toBe(9);
    expect(body.message).toMatch(/the image has 15000 layers, more than the 1000 lamina scans/);
    expect(fake.requests.filter((r) => r.path.includes('/blobs/') && r.path !== `/v2/huge/app/blobs/${image.config.digest}`)).toEqual([]);
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

  (registryAvailable() ? it : it.skip)(
    'the lamina CLI prints the StorageImage of a scan',
    async () => {
      const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.20.0\n' }] }] });
      await pushImage(registry!, 'team/cli', '1', image);
      await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
      // A data directory of its own: the local server above holds this test's, and the checkout's may be in use.
      const options = { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: join(dataDir, 'cli') } };
      const { stdout } = await run('node', ['dist/bin/lamina.js', 'scan', `${registry!.host}/team/cli:1`, '--insecure-registry', registry!.host], options);
      const printed = JSON.parse(stdout);
      expect(printed.id).toBe(image.manifestDigest);
      expect(printed.scan.operatingSystem).toBe('alpine:v3.20');

      const failed = await run(
        'node',
        ['dist/bin/lamina.js', 'scan', `${registry!.host}/team/cli:missing`, '--insecure-registry', registry!.host],
        options,
      ).catch((err) => err);
      expect(failed.code).toBe(1);
      // The RuntimeError is the last line of stderr; a runtime warning before it must not break the reading.
      const lines = (failed.stderr as string).trim().split('\n');
      expect(JSON.parse(lines[lines.length - 1]).code).toBe(5);
      // The AWS SDK's nine-line Node version warning is not printed by the CLI.
      expect(failed.stderr).not.toMatch(/NodeVersionSupportWarning/);
    },
    120_000,
  );
});
