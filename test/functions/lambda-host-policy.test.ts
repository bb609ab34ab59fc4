import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ensureKeyValueTable } from '../../lib/aws/dynamo-image-store';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import { FakeRegistry } from '../image/fake-registry';
import { startDynalite } from '../support/dynalite';
import { buildImage, type BuiltImage } from '../support/image-builder';
import { lambdaContext, restApiEvent } from './api-gateway-events';
import { SCAN_TABLES, scanFunctionEnv } from './lambda-env';
import { loadBundledHandler } from './bundled-handler';

/*
 * Inside Lambda, loopback is the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API, 127.0.0.1:9001) and private ranges are
 * the VPC: a scan request must not steer the function at them. The API handler as Lambda runs it (the esbuild
 * bundle), in the environment Lambda sets, against dynalite and a registry on loopback. Each case is a fresh
 * container, since the handler reads its configuration once.
 */

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TABLES = SCAN_TABLES;

describe('the API Lambda handler and registries on loopback', () => {
  const saved = { ...process.env };
  let dynamo: EmbeddedDynamo;
  let registry: FakeRegistry;
  let image: BuiltImage;

  beforeAll(async () => {
    dynamo = await startDynalite();
    for (const table of Object.values(TABLES)) await ensureKeyValueTable(dynamo.client, table);
    registry = await new FakeRegistry().start();
    image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.20.1\n' }] }] });
    registry.putBlob(image.configBytes);
    for (const layer of image.layers) registry.putBlob(await readFile(layer.file));
    registry.putManifest('team/app', ['1'], image.manifestBytes.toString('utf8'), image.manifestMediaType);
  }, 60_000);

  afterEach(() => {
    process.env = { ...saved };
  });

  afterAll(async () => {
    process.env = saved;
    await registry?.close();
    await dynamo?.stop();
  });

  /** A new API container in the environment Lambda and the stack give it, plus `env`. */
  function container(env: Record<string, string>): ApiHandler {
    Object.assign(process.env, {
      AWS_LAMBDA_FUNCTION_NAME: 'LaminaStateless-ApiHandler',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      ...scanFunctionEnv(dynamo.endpoint),
      LAMINA_INSECURE_REGISTRIES: registry.host,
      DOCKER_CONFIG: '/nonexistent-lamina-docker-config',
      ...env,
    });
    return loadBundledHandler<ApiHandler>('api');
  }

  const scan = (api: ApiHandler, imageName: string) =>
    api(restApiEvent('POST', '/v1/images/scan', { body: JSON.stringify({ imageName, force: true }) }), lambdaContext('LaminaStateless-ApiHandler'));
  const body = (result: APIGatewayProxyResult): Json => JSON.parse(result.body);

  it('refuses a registry on loopback with 403 / code 7 before connecting to it', async () => {
    const api = container({});
    const before = registry.requests.length;
    const res = await scan(api, `${registry.host}/team/app:1`);
    expect(res.statusCode).toBe(403);
    expect(body(res)).toMatchObject({
      code: 7,
      message: expect.stringContaining('connecting to registry host 127.0.0.1 is refused: it is a loopback or private address'),
    });
    expect(body(res).message).toContain('LAMINA_ALLOWED_PRIVATE_HOSTS');
    expect(registry.requests).toHaveLength(before);
  });

  it('refuses the Lambda Runtime API itself, and localhost by what it resolves to', async () => {
    const api = container({ LAMINA_INSECURE_REGISTRIES: '127.0.0.1:9001,localhost:9001' });
    for (const name of ['127.0.0.1:9001/2018-06-01/runtime:next', 'localhost:9001/2018-06-01/runtime:next']) {
      const res = await scan(api, name);
      expect(res.statusCode).toBe(403);
      expect(body(res).message).toMatch(/is refused: it (is|resolves to) (a|the) loopback or private address/);
    }
  });

  it('scans the registry once LAMINA_ALLOWED_PRIVATE_HOSTS names it', async () => {
    const api = container({ LAMINA_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
    const res = await scan(api, `${registry.host}/team/app:1`);
    expect(res.statusCode).toBe(200);
    expect(body(res).id).toBe(image.manifestDigest);
  });

  it('a mirror (LAMINA_REGISTRY_MIRRORS) on a private address needs LAMINA_ALLOWED_PRIVATE_HOSTS too', async () => {
    const mirrors = JSON.stringify({ 'registry.example.com': registry.host });
    const before = registry.requests.length;
    const refused = await scan(container({ LAMINA_REGISTRY_MIRRORS: mirrors }), 'registry.example.com/team/app:1');
    expect(refused.statusCode).toBe(403);
    expect(registry.requests).toHaveLength(before);
    process.env = { ...saved };
    const res = await scan(container({ LAMINA_REGISTRY_MIRRORS: mirrors, LAMINA_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' }), 'registry.example.com/team/app:1');
    expect(res.statusCode).toBe(200);
    expect(body(res).name.fullName).toBe('registry.example.com/team/app:1');
  });
});
