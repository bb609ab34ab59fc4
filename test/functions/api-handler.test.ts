import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ensureKeyValueTable } from '../../lib/aws/dynamo-image-store';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import { startDynalite } from '../support/dynalite';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { buildImage, pushImage, type BuiltImage, type TarEntrySpec } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { ecrPushEvent, lambdaContext, restApiEvent, sqsEvent } from './api-gateway-events';
import { SCAN_TABLES, scanFunctionEnv } from './lambda-env';
import { loadBundledHandler } from './bundled-handler';

/*
 * The API and worker Lambda handlers as Lambda runs them (esbuild bundles, see bundled-handler.ts), with API
 * Gateway REST proxy events and SQS batches, against dynalite and a real docker-registry with basic auth behind
 * a fault-injecting proxy that counts requests.
 *
 * Mocks, and only these: ECR GetAuthorizationToken (aws-sdk-client-mock) answers with the registry's basic-auth
 * credentials, and SQS SendMessage (aws-sdk-client-mock) records the deferred scans, since SQS cannot run here.
 * The registry stands in for an ECR registry through LAMINA_REGISTRY_MIRRORS: images are named by their ECR
 * host, pulled from the proxy, and the proxy gets that registry's ECR token.
 */

const describeWithRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable()) console.warn('SKIPPED Lambda handler tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/LaminaStateless-ScanQueue';
const TABLES = SCAN_TABLES;
const CREATED = '2024-05-01T12:00:00Z';

const ecr = mockClient(ECRClient);
const sqs = mockClient(SQSClient);

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n';

function stanza(name: string, version: string, source = ''): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${source ? `Source: ${source}\n` : ''}Description: ${name}\n`;
}

/** A small Debian image; `marker` makes its layer (and so its digest) unique to one test. */
function debianImage(marker: string): Promise<BuiltImage> {
  const entries: TarEntrySpec[] = [
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', content: OS_RELEASE },
    { path: 'var/lib/dpkg/status', content: [stanza('base-files', '12.4+deb12u5'), stanza('zlib1g', '1:1.2.13.dfsg-1', 'zlib')].join('\n') },
    { path: `opt/${marker}`, content: marker },
  ];
  return buildImage({
    layers: [{ entries }, { entries: [{ path: `srv/${marker}`, content: randomBytes(64 * 1024).toString('base64') }] }],
    history: [
      { created: CREATED, created_by: '/bin/sh -c #(nop) ADD file:0123abcd in / ', author: 'lamina tests' },
      { created: CREATED, created_by: '/bin/sh -c #(nop)  ENV LANG=C.UTF-8', empty_layer: true },
      { created: CREATED, created_by: 'COPY srv /srv # buildkit', author: 'lamina tests' },
    ],
    config: { created: CREATED, author: 'lamina tests', config: { Cmd: ['bash'], Labels: { team: 'platform' } } },
  });
}

function json(result: APIGatewayProxyResult): Json {
  const bytes = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  return JSON.parse((result.headers?.['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8'));
}

describeWithRegistry('the Lambda handlers against dynalite and a real registry', () => {
  const saved = { ...process.env };
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dynamo: EmbeddedDynamo;
  let api: ApiHandler;
  let workerA: WorkerHandler;
  let workerB: WorkerHandler;
  const images: Record<'exact' | 'pushed' | 'raced' | 'slow', BuiltImage> = {} as never;

  const post = (body: object | string, headers: Record<string, string> = {}, handler = api) =>
    handler(
      restApiEvent('POST', '/v1/images/scan', { body: typeof body === 'string' ? body : JSON.stringify(body), headers }),
      lambdaContext('LaminaStateless-ApiHandler'),
    );
  const get = (id: string, options: { headers?: Record<string, string>; query?: Record<string, string> } = {}) =>
    api(restApiEvent('GET', `/v1/images/${id}`, options), lambdaContext('LaminaStateless-ApiHandler'));
  const blobGets = (repository: string) => proxy.hits(new RegExp(`^GET /v2/${repository}/blobs/`));

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic' });
    images.exact = await debianImage('exact');
    images.pushed = await debianImage('pushed');
    images.raced = await debianImage('raced');
    images.slow = await debianImage('slow');
    await pushImage(registry, 'team/exact', 'v1', images.exact);
    await pushImage(registry, 'team/pushed', 'v1', images.pushed);
    await pushImage(registry, 'team/raced', 'v1', images.raced);
    await pushImage(registry, 'team/slow', 'v1', images.slow);
    // The first fetch of the slow image's big layer never answers: the API runs out of budget on it.
    proxy = await startFaultProxy(registry, [{ match: new RegExp(`^GET /v2/team/slow/blobs/${images.slow.layers[1].digest}`), action: 'hang', times: 1 }]);

    dynamo = await startDynalite();
    // CDK creates the tables in AWS; here they are created as local mode creates them.
    for (const table of Object.values(TABLES)) await ensureKeyValueTable(dynamo.client, table);

    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
          expiresAt: new Date(Date.now() + 12 * 3600_000),
          proxyEndpoint: `https://${ECR_HOST}`,
        },
      ],
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'e2b1c0d4-0000-4000-8000-000000000001' });

    // The environment the stateless stack gives the API and worker functions, pointed at dynalite and the proxy.
    Object.assign(process.env, {
      ...scanFunctionEnv(dynamo.endpoint),
      LAMINA_SCAN_QUEUE_URL: QUEUE_URL,
      LAMINA_PLATFORM: 'linux/amd64',
      LAMINA_ALLOWED_REGISTRIES: '',
      LAMINA_DATA_DIR: '/tmp/lamina',
      LAMINA_INSECURE_REGISTRIES: proxy.host,
      LAMINA_REGISTRY_MIRRORS: JSON.stringify({ [ECR_HOST]: proxy.host }),
      LAMINA_API_BUDGET_MS: '4000',
    });
    api = loadBundledHandler<ApiHandler>('api');
    // Two worker containers, each with its own clients and caches, sharing only DynamoDB.
    workerA = loadBundledHandler<WorkerHandler>('ecr-worker');
    workerB = loadBundledHandler<WorkerHandler>('ecr-worker');
  }, 120_000);

  afterAll(async () => {
    process.env = saved;
    ecr.restore();
    sqs.restore();
    await proxy?.stop();
    await registry?.stop();
    await dynamo?.stop();
  });

  it('answers POST /v1/images/scan with 200 and the exact StackRox StorageImage, then GET /v1/images/{id} with the same image', async () => {
    const image = images.exact;
    const res = await post({ imageName: `${ECR_HOST}/team/exact:v1` });
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(false);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json' });
    const body = json(res);
    const component = { license: null, vulns: [], layerIndex: 0, priority: '0', source: 'OS', location: '', riskScore: 0, fixedBy: '', executables: [] };
    const name = { registry: ECR_HOST, remote: 'team/exact', tag: 'v1', fullName: `${ECR_HOST}/team/exact:v1` };
    expect(body).toEqual({
      id: image.manifestDigest,
      name,
      names: [name],
      metadata: {
        v1: {
          digest: image.configDigest,
          created: CREATED,
          author: 'lamina tests',
          layers: [
            { instruction: 'ADD', value: 'file:0123abcd in /', created: CREATED, author: 'lamina tests', empty: false },
            { instruction: 'ENV', value: 'LANG=C.UTF-8', created: CREATED, author: '', empty: true },
            { instruction: 'COPY', value: 'srv /srv # buildkit', created: CREATED, author: 'lamina tests', empty: false },
          ],
          user: 'root',
          command: ['bash'],
          entrypoint: [],
          volumes: [],
          labels: { team: 'platform' },
        },
        v2: { digest: image.manifestDigest },
        layerShas: image.layers.map((l) => l.digest),
        dataSource: null,
        version: '0',
      },
      scan: {
        scannerVersion: expect.stringMatching(/^\d+\.\d+\.\d+/),
        scanTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        components: [
          { ...component, name: 'base-files', version: '12.4+deb12u5' },
          { ...component, name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
        ],
        operatingSystem: 'debian:12',
        dataSource: { id: 'lamina', name: 'lamina', mirror: '' },
        // No advisory matching is wired into the service yet, and the service says so.
        notes: ['OS_CVES_UNAVAILABLE', 'PARTIAL_SCAN_DATA'],
        hash: expect.stringMatching(/^\d+$/),
      },
      signature: null,
      signatureVerificationData: null,
      components: 2,
      cves: 0,
      fixableCves: 0,
      lastUpdated: body.scan.scanTime,
      notPullable: false,
      isClusterLocal: false,
      priority: '0',
      riskScore: expect.any(Number),
      // No signature integration is configured: nothing is fetched, and StackRox notes both (API.md, signatures).
      notes: ['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA'],
    });

    // The mirror got the ECR registry's token, asked for by the registry id of the image's host.
    expect(ecr.commandCalls(GetAuthorizationTokenCommand).map((call) => call.args[0].input)).toContainEqual({ registryIds: ['123456789012'] });

    const again = await get(image.manifestDigest);
    expect(again.statusCode).toBe(200);
    expect(json(again)).toEqual(body);
    const withoutPrefix = await get(image.manifestDigest.slice('sha256:'.length));
    expect(json(withoutPrefix)).toEqual(body);
  });

  it('gzips for Accept-Encoding: gzip as a base64 body API Gateway decodes, and indents with ?pretty', async () => {
    const res = await get(images.exact.manifestDigest, { headers: { 'Accept-Encoding': 'gzip, deflate, br' }, query: { pretty: '' } });
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(res.headers).toMatchObject({ 'content-encoding': 'gzip', 'content-type': 'application/json', vary: 'Accept-Encoding' });
    const text = gunzipSync(Buffer.from(res.body, 'base64')).toString('utf8');
    expect(text.startsWith('{\n  "id": ')).toBe(true);
    expect(JSON.parse(text).id).toBe(images.exact.manifestDigest);
  });

  it('reads a base64-encoded request body and snake_case keys', async () => {
    const event = restApiEvent('POST', '/v1/images/scan', {
      body: JSON.stringify({ image_name: `${ECR_HOST}/team/exact:v1`, include_snoozed: true }),
      base64: true,
    });
    const res = await api(event, lambdaContext('LaminaStateless-ApiHandler'));
    expect(res.statusCode).toBe(200);
    expect(json(res).id).toBe(images.exact.manifestDigest);
  });

  it('answers bad requests, unknown images, missing tags, unknown clusters and metadata hosts with StackRox RuntimeError bodies', async () => {
    const empty = await post({ imageName: '' });
    expect(empty.statusCode).toBe(400);
    expect(json(empty)).toEqual({
      error: 'image name must be specified: invalid arguments',
      code: 3,
      message: 'image name must be specified: invalid arguments',
      details: [],
    });

    const malformed = await post('{"imageName": ');
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed).code).toBe(3);

    const missingId = `sha256:${'0'.repeat(64)}`;
    const unknown = await get(missingId);
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toEqual({
      error: `image with id "${missingId}" does not exist: not found`,
      code: 5,
      message: `image with id "${missingId}" does not exist: not found`,
      details: [],
    });

    const noManifest = await post({ imageName: `${ECR_HOST}/team/exact:no-such-tag` });
    expect(noManifest.statusCode).toBe(404);
    expect(json(noManifest).code).toBe(5);

    const cluster = await post({ imageName: 'nginx', cluster: 'remote' });
    expect(cluster.statusCode).toBe(404);
    expect(json(cluster).message).toBe('cluster "remote" not found, ensure cluster exists and have access: not found');

    const metadata = await post({ imageName: '169.254.169.254/latest/meta-data:x' });
    expect(metadata.statusCode).toBe(403);
    expect(json(metadata).code).toBe(7);
  });

  it('scans a pushed digest once when EventBridge delivers the ECR push event twice', async () => {
    const image = images.pushed;
    const event = JSON.stringify(ecrPushEvent('team/pushed', image.manifestDigest, 'v1'));
    const first = await workerA(sqsEvent([event]), lambdaContext('LaminaStateless-ScanWorker', 300_000));
    expect(first).toEqual({ batchItemFailures: [] });
    // The config blob and both layers, once each.
    expect(blobGets('team/pushed')).toBe(3);
    const requestsAfterFirst = proxy.hits(/^\S+ \/v2\/team\/pushed\//);

    const second = await workerB(
      sqsEvent([JSON.stringify(ecrPushEvent('team/pushed', image.manifestDigest, 'v1'))]),
      lambdaContext('LaminaStateless-ScanWorker', 300_000),
    );
    expect(second).toEqual({ batchItemFailures: [] });
    // Pinned by digest and already stored: the registry is not asked again at all.
    expect(proxy.hits(/^\S+ \/v2\/team\/pushed\//)).toBe(requestsAfterFirst);

    const stored = await get(image.manifestDigest);
    expect(stored.statusCode).toBe(200);
    expect(json(stored).names).toEqual([{ registry: ECR_HOST, remote: 'team/pushed', tag: 'v1', fullName: `${ECR_HOST}/team/pushed:v1` }]);
  });

  it('scans a digest once when two push events race in two worker containers', async () => {
    const image = images.raced;
    const body = () => JSON.stringify(ecrPushEvent('team/raced', image.manifestDigest, 'v1'));
    const [a, b] = await Promise.all([
      workerA(sqsEvent([body()]), lambdaContext('LaminaStateless-ScanWorker', 300_000)),
      workerB(sqsEvent([body()]), lambdaContext('LaminaStateless-ScanWorker', 300_000)),
    ]);
    expect(a).toEqual({ batchItemFailures: [] });
    expect(b).toEqual({ batchItemFailures: [] });
    // Each layer blob was read by one scan only; the other worker waited for its result.
    for (const layer of image.layers) expect(proxy.hits(new RegExp(`^GET /v2/team/raced/blobs/${layer.digest}`))).toBe(1);
    expect(json(await get(image.manifestDigest)).id).toBe(image.manifestDigest);
  });

  it('stores a StorageImage over 400 KB in chunks and reads it back whole', async () => {
    // Thousands of packages with random names and versions: too much entropy for gzip to bring under 400 KB.
    const count = 12_000;
    const stanzas: string[] = [];
    for (let i = 0; i < count; i++) stanzas.push(stanza(`pkg-${randomBytes(12).toString('hex')}`, `${i}.${randomBytes(4).toString('hex')}-1`));
    const image = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/os-release', content: OS_RELEASE },
            { path: 'var/lib/dpkg/status', content: stanzas.join('\n') },
          ],
        },
      ],
    });
    await pushImage(registry, 'team/huge', 'v1', image);

    const res = await post({ imageName: `${ECR_HOST}/team/huge:v1` }, { 'Accept-Encoding': 'gzip' });
    expect(res.statusCode).toBe(200);
    const scanned = json(res);
    expect(scanned.components).toBe(count);
    expect(Buffer.byteLength(JSON.stringify(scanned))).toBeGreaterThan(400 * 1024);

    const head = await dynamo.client.send(new GetItemCommand({ TableName: TABLES.images, Key: { pk: { S: image.manifestDigest }, sk: { S: 'scan' } } }));
    expect(Number(head.Item?.chunks?.N)).toBeGreaterThan(1);

    const read = await get(image.manifestDigest, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(read.statusCode).toBe(200);
    expect(json(read)).toEqual(scanned);
  }, 120_000);

  it('answers 503 / code 14 with Retry-After when a scan outlives the budget, defers it to the worker, and a retry returns the stored result', async () => {
    const image = images.slow;
    const fullName = `${ECR_HOST}/team/slow:v1`;
    sqs.resetHistory();
    const started = Date.now();
    const res = await post({ imageName: fullName });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '10' });
    expect(json(res)).toEqual({
      error: `scan of ${fullName} is in progress, retry`,
      code: 14,
      message: `scan of ${fullName} is in progress, retry`,
      details: [],
    });

    const sent = sqs.commandCalls(SendMessageCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0].args[0].input.QueueUrl).toBe(QUEUE_URL);
    const message = JSON.parse(sent[0].args[0].input.MessageBody!);
    expect(message).toEqual({ kind: 'lamina.deferred-scan', request: { imageName: fullName, force: false, includeSnoozed: false, cluster: '' } });

    // Nothing is stored yet: a GET says so.
    expect((await get(image.manifestDigest)).statusCode).toBe(404);

    const worked = await workerA(sqsEvent([sent[0].args[0].input.MessageBody!]), lambdaContext('LaminaStateless-ScanWorker', 300_000));
    expect(worked).toEqual({ batchItemFailures: [] });

    const retry = await post({ imageName: fullName });
    expect(retry.statusCode).toBe(200);
    const body = json(retry);
    expect(body.id).toBe(image.manifestDigest);
    expect(body.scan.operatingSystem).toBe('debian:12');
    // The hung request, then the worker's: the retry was answered from the store.
    expect(proxy.hits(new RegExp(`^GET /v2/team/slow/blobs/${image.layers[1].digest}`))).toBe(2);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  }, 60_000);
});
