import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ensureKeyValueTable } from '../../lib/aws/dynamo-image-store';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import { startDynalite } from '../support/dynalite';
import { lambdaContext, restApiEvent } from './api-gateway-events';
import { SCAN_TABLES, scanFunctionEnv } from './lambda-env';
import { loadBundledHandler } from './bundled-handler';

/*
 * GET /v1/images/{id} through the API Lambda handler as Lambda runs it (the esbuild bundle), with REST API proxy
 * events (`path` still percent-encoded, as API Gateway REST APIs deliver it) against dynalite. No registry needed:
 * these requests never get past the id.
 */

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TABLES = SCAN_TABLES;

describe('GET /v1/images/{id} through the API Lambda handler', () => {
  const saved = { ...process.env };
  let dynamo: EmbeddedDynamo;
  let api: ApiHandler;

  beforeAll(async () => {
    dynamo = await startDynalite();
    for (const table of Object.values(TABLES)) await ensureKeyValueTable(dynamo.client, table);
    Object.assign(process.env, {
      ...scanFunctionEnv(dynamo.endpoint),
    });
    api = loadBundledHandler<ApiHandler>('api');
  }, 120_000);

  afterAll(async () => {
    process.env = saved;
    await dynamo?.stop();
  });

  const get = (path: string) => api(restApiEvent('GET', path), lambdaContext('LaminaStateless-ApiHandler'));
  const body = (result: APIGatewayProxyResult): Json => JSON.parse(result.body);

  it.each([
    ['malformed percent-encoding', '%E0%A4%A', /malformed percent-encoding: invalid arguments$/],
    ['a bare percent sign', '%', /malformed percent-encoding: invalid arguments$/],
    ['a 5,000-character id', 'a'.repeat(5000), /\(5000 characters\): .*: invalid arguments$/],
    ['a digest one digit short', `sha256:${'0'.repeat(63)}`, /invalid checksum digest length: invalid arguments$/],
    ['upper-case hex', `sha256:${'A'.repeat(64)}`, /invalid checksum digest format: invalid arguments$/],
    ['an unknown algorithm', `md5:${'0'.repeat(32)}`, /unsupported digest algorithm: invalid arguments$/],
    ['a name, not a digest', 'nginx', /want sha256:<64 hex digits> or the 64 hex digits alone: invalid arguments$/],
    ['an encoded slash', `sha256%2F${'0'.repeat(64)}`, /invalid arguments$/],
  ])('answers %s with 400 and a StackRox RuntimeError body', async (_what, id, message) => {
    const res = await get(`/v1/images/${id}`);
    expect(res.statusCode).toBe(400);
    const error = body(res);
    expect(error).toEqual({ error: error.message, code: 3, message: expect.stringMatching(message), details: [] });
    expect(error.message).toMatch(/^invalid image id "/);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toMatch(/URI malformed|hashkey/i);
  });

  it('still looks well-formed ids up: sha256-prefixed, percent-encoded and bare hex answer 404 / code 5', async () => {
    const hex = 'ab'.repeat(32);
    for (const id of [`sha256:${hex}`, `sha256%3A${hex}`, hex]) {
      const res = await get(`/v1/images/${id}`);
      expect(res.statusCode).toBe(404);
      expect(body(res)).toMatchObject({ code: 5, message: expect.stringMatching(/^image with id ".*" does not exist: not found$/) });
    }
  });
});
