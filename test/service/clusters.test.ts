import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest } from '../../lib/api/http-types';
import { handleApiRequest, type ApiServices } from '../../lib/api/routes';
import { awsClusterDelegation, executeApiRegion, executeApiSigners, ExecuteApiSigner } from '../../lib/aws/execute-api-signer';
import { createScanPorts, SCANNER } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import type { ResolvedImage } from '../../lib/image/types';
import type { Inventory } from '../../lib/index/types';
import type { ScanPorts } from '../../lib/scan';
import { createApiServer } from '../../lib/server/http-server';
import { HttpScanForwarder, parseClusters, StaticClusterDirectory, type ClusterConfig, type HttpScanForwarderOptions } from '../../lib/service/clusters';
import { ImageService } from '../../lib/service/image-service';
import type { StoredScan } from '../../lib/service/image-store';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { SnoozeService } from '../../lib/service/snooze-service';
import { MemorySnoozeStore } from '../../lib/service/snoozes';
import { notFound } from '../../lib/stackrox/errors';
import { componentOf } from '../../lib/stackrox/components';
import { assembleStorageImage } from '../../lib/stackrox/storage-image';
import { inventoryOf, osPackage } from '../support/packages';
import type { StorageEmbeddedVulnerability } from '../../lib/stackrox/types';
import { testVulnerability } from '../support/vulnerabilities';

const DIGEST = `sha256:${'7a'.repeat(32)}`;
const NAME = `registry.internal.example/team/app@${DIGEST}`;
const T0 = new Date('2025-04-01T08:00:00.000Z');

function vuln(cve: string, cvss: number): StorageEmbeddedVulnerability {
  return testVulnerability(cve, { cvss, severity: 'MODERATE_VULNERABILITY_SEVERITY' });
}

/** What the remote deployment has already scanned: one component with two CVEs. */
function storedScan(): StoredScan {
  const reference = { registry: 'registry.internal.example', remote: 'team/app', tag: '', digest: DIGEST, fullName: NAME };
  const os = { id: 'alpine', versionId: '3.20.1' };
  const inventory: Inventory = inventoryOf(os, [
    osPackage({ manager: 'apk', name: 'musl', version: '1.2.5-r0', sourceName: 'musl', sourceVersion: '1.2.5-r0' }, os),
  ]);
  const resolved: ResolvedImage = {
    reference,
    manifestDigest: DIGEST,
    configDigest: `sha256:${'c1'.repeat(32)}`,
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c1'.repeat(32)}`, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'02'.repeat(32)}`, size: 1 }],
    },
    config: { created: '2025-03-01T00:00:00Z', history: [{ created: '2025-03-01T00:00:00Z', created_by: 'ADD rootfs /' }] },
  };
  const image = assembleStorageImage({
    reference,
    names: [{ registry: reference.registry, remote: reference.remote, tag: '', fullName: NAME }],
    resolved,
    inventory,
    components: [{ ...componentOf(inventory.packages[0]), vulns: [vuln('CVE-2025-0100', 6.1), vuln('CVE-2025-0101', 4.2)] }],
    scanTime: T0,
    scanner: SCANNER,
    operatingSystem: 'alpine:v3.20',
  });
  return { image, inventory };
}

/** The remote's registry: nothing is there, so anything not already stored is 404 / code 5. */
function offlinePorts(): ScanPorts {
  const ports = createScanPorts(configFromEnv({}));
  ports.source = {
    resolve: async (reference) => {
      throw notFound(`manifest for ${reference.fullName} not found`);
    },
    openBlob: async () => {
      throw new Error('no blobs here');
    },
  };
  return ports;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A server that records each request and answers as told. */
async function startRawServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; seen: Captured[] }> {
  const seen: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(req, res);
    });
  });
  return { url: await listen(server), server, seen };
}

describe('cluster configuration', () => {
  it('reads LAMINA_CLUSTERS as the CDK app writes it (JSON.stringify of the settings)', () => {
    const settings = [
      { id: 'vpc-a', name: 'Private VPC', endpoint: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod' },
      { id: 'dc2', name: 'dc2', endpoint: 'https://scanner.dc2.example.com/' },
    ];
    expect(parseClusters(JSON.stringify(settings))).toEqual(settings);
    expect(parseClusters(undefined)).toEqual([]);
    expect(parseClusters('')).toEqual([]);
    expect(parseClusters('[]')).toEqual([]);
    expect(parseClusters('[{"id": "local", "name": "local", "endpoint": "http://127.0.0.1:8080"}]')).toHaveLength(1);
  });

  it('refuses malformed configuration, naming the entry at fault', () => {
    const cases: [string, string][] = [
      ['{', 'LAMINA_CLUSTERS is not JSON: '],
      ['{}', 'LAMINA_CLUSTERS value: '],
      ['[{"id": "a b", "name": "x", "endpoint": "https://x.example"}]', 'LAMINA_CLUSTERS 0.id: must be 1-64 letters, digits, ".", "_" or "-"'],
      ['[{"id": "a", "name": "", "endpoint": "https://x.example"}]', 'LAMINA_CLUSTERS 0.name: must not be empty'],
      ['[{"id": "a", "name": "a", "endpoint": "http://x.example"}]', 'LAMINA_CLUSTERS 0.endpoint: must be an https:// URL'],
      ['[{"id": "a", "name": "a", "endpoint": "x.example"}]', 'LAMINA_CLUSTERS 0.endpoint: must be an https:// URL'],
      ['[{"id": "a", "name": "a", "endpoint": "https://u:p@x.example"}]', 'LAMINA_CLUSTERS 0.endpoint: must not carry credentials'],
      ['[{"id": "a", "name": "a", "endpoint": "https://x.example/?k=v"}]', 'LAMINA_CLUSTERS 0.endpoint: must not have a query or fragment'],
      ['[{"id": "a", "name": "a", "endpoint": "https://x.example", "region": "eu-west-1"}]', 'LAMINA_CLUSTERS 0: '],
      [
        '[{"id": "a", "name": "a", "endpoint": "https://x.example"}, {"id": "a", "name": "b", "endpoint": "https://y.example"}]',
        'LAMINA_CLUSTERS value: cluster ids must be unique',
      ],
    ];
    for (const [text, message] of cases) {
      expect(() => parseClusters(text)).toThrow(message);
    }
  });

  it('matches a request by id first, then by exact name', async () => {
    const directory = new StaticClusterDirectory([
      { id: 'prod', name: 'staging', endpoint: 'https://a.example' },
      { id: 'staging', name: 'Staging EU', endpoint: 'https://b.example' },
    ]);
    expect((await directory.find('staging'))?.endpoint).toBe('https://b.example');
    expect((await directory.find('prod'))?.endpoint).toBe('https://a.example');
    expect((await directory.find('Staging EU'))?.id).toBe('staging');
    expect(await directory.find('staging eu')).toBeUndefined();
    expect(await directory.find('')).toBeUndefined();
  });
});

describe('ScanImage delegated to a cluster', () => {
  let remote: Server;
  let remoteUrl: string;
  let downUrl: string;
  let local: ApiServices;
  let localSnoozes: SnoozeService;
  const clusters = (): ClusterConfig[] => [
    { id: 'c-7f3a', name: 'private-vpc', endpoint: `${remoteUrl}/` },
    { id: 'down', name: 'down', endpoint: downUrl },
  ];

  function localServices(forwarder: HttpScanForwarderOptions = {}, list: ClusterConfig[] = clusters()): ApiServices {
    const snoozes = new MemorySnoozeStore();
    localSnoozes = new SnoozeService(snoozes, { now: () => T0 });
    const images = new ImageService({
      scan: offlinePorts(),
      store: new MemoryImageStore(),
      scanner: SCANNER,
      now: () => T0,
      snoozes,
      clusters: { directory: new StaticClusterDirectory(list), forwarder: new HttpScanForwarder(forwarder) },
    });
    return { images, snoozes: localSnoozes };
  }

  beforeAll(async () => {
    const store = new MemoryImageStore();
    await store.put(storedScan());
    const remoteService = new ImageService({ scan: offlinePorts(), store, scanner: SCANNER, now: () => T0 });
    remote = createApiServer((request, signal) => handleApiRequest(request, remoteService, undefined, signal));
    remoteUrl = await listen(remote);
    // A port that was just free and is closed again: connections to it are refused.
    const gone = createServer();
    downUrl = await listen(gone);
    await close(gone);
  });

  afterAll(async () => {
    await close(remote);
  });

  beforeEach(() => {
    local = localServices();
  });

  async function scan(body: Record<string, unknown>, services = local): Promise<{ status: number; headers: Record<string, string>; json: Json }> {
    const request: ApiRequest = { method: 'POST', path: '/v1/images/scan', query: {}, headers: {}, body: JSON.stringify(body) };
    const response = await handleApiRequest(request, services);
    return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body.toString('utf8')) };
  }

  it('forwards to the cluster named by id or by name and relays its image unchanged', async () => {
    const direct: Json = await (await fetch(`${remoteUrl}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName: NAME }) })).json();
    expect(direct.id).toBe(DIGEST);
    for (const cluster of ['c-7f3a', 'private-vpc']) {
      const answer = await scan({ imageName: NAME, cluster });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual(direct);
    }
    // snake_case on the way in works as for any request.
    expect((await scan({ image_name: NAME, cluster: 'private-vpc', include_snoozed: true })).json).toEqual(direct);
  });

  it('answers an unknown cluster, or any cluster when none are configured, with 404 / code 5', async () => {
    const message = 'cluster "elsewhere" not found, ensure cluster exists and have access: not found';
    expect(await scan({ imageName: NAME, cluster: 'elsewhere' })).toMatchObject({ status: 404, json: { error: message, code: 5, message, details: [] } });
    const none = localServices({}, []);
    expect((await scan({ imageName: NAME, cluster: 'c-7f3a' }, none)).json.code).toBe(5);
    const bare = new ImageService({ scan: offlinePorts(), store: new MemoryImageStore(), scanner: SCANNER });
    await expect(bare.scanImage({ imageName: NAME, force: false, includeSnoozed: false, cluster: 'c-7f3a' })).rejects.toMatchObject({ code: 5 });
  });

  it("relays the cluster's own errors with their code and message", async () => {
    const missing = `registry.internal.example/team/app@sha256:${'00'.repeat(32)}`;
    const answer = await scan({ imageName: missing, cluster: 'c-7f3a', force: true });
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({
      error: `manifest for ${missing} not found: not found`,
      code: 5,
      message: `manifest for ${missing} not found: not found`,
      details: [],
    });
  });

  it('sends the request with the cluster cleared, includeSnoozed set, as JSON to <endpoint>/v1/images/scan', async () => {
    const raw = await startRawServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(storedScan().image)));
    try {
      const services = localServices({}, [{ id: 'raw', name: 'raw', endpoint: `${raw.url}/stage/` }]);
      expect((await scan({ imageName: NAME, cluster: 'raw', force: true }, services)).status).toBe(200);
      expect(raw.seen).toHaveLength(1);
      expect(raw.seen[0]).toMatchObject({ method: 'POST', url: '/stage/v1/images/scan' });
      expect(raw.seen[0].headers['content-type']).toBe('application/json');
      expect(raw.seen[0].headers.authorization).toBeUndefined();
      expect(JSON.parse(raw.seen[0].body)).toEqual({ imageName: NAME, force: true, includeSnoozed: true });
    } finally {
      await close(raw.server);
    }
  });

  it("applies this deployment's snoozes to the forwarded answer", async () => {
    await localSnoozes.suppress({ cves: ['CVE-2025-0100'], durationMs: 0 });
    const hidden = await scan({ imageName: NAME, cluster: 'c-7f3a' });
    expect(hidden.json.scan.components[0].vulns.map((v: Json) => v.cve)).toEqual(['CVE-2025-0101']);
    expect(hidden.json.cves).toBe(1);
    const shown = await scan({ imageName: NAME, cluster: 'c-7f3a', includeSnoozed: true });
    expect(shown.json.scan.components[0].vulns[0]).toMatchObject({
      cve: 'CVE-2025-0100',
      suppressed: true,
      state: 'DEFERRED',
      suppressActivation: '2025-04-01T08:00:00Z',
      suppressExpiry: null,
    });
    expect(shown.json.cves).toBe(2);
  });

  it('answers 503 / code 14 when the cluster cannot be reached', async () => {
    const answer = await scan({ imageName: NAME, cluster: 'down' });
    expect(answer.status).toBe(503);
    expect(answer.json.code).toBe(14);
    expect(answer.json.message.startsWith(`cluster "down" is unreachable at ${downUrl}: `)).toBe(true);
    expect(answer.json.message).toMatch(/ECONNREFUSED/);
  });

  it('answers 503 / code 14 with Retry-After when the cluster does not answer in time', async () => {
    const silent = await startRawServer(() => undefined);
    try {
      const services = localServices({ timeoutMs: 300 }, [{ id: 'slow', name: 'slow', endpoint: silent.url }]);
      const answer = await scan({ imageName: NAME, cluster: 'slow' }, services);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('10');
      expect(answer.json).toMatchObject({ code: 14, message: `cluster "slow" did not answer the scan of ${NAME} in time, retry` });
    } finally {
      await close(silent.server);
    }
  });

  it('turns answers that are not StackRox ones into clear errors', async () => {
    let reply: (res: ServerResponse) => void = () => undefined;
    const odd = await startRawServer((_req, res) => reply(res));
    try {
      const services = localServices({}, [{ id: 'odd', name: 'odd', endpoint: odd.url }]);
      const cases: [(res: ServerResponse) => void, number, number, string, string?][] = [
        [
          (res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'),
          503,
          14,
          'cluster "odd" answered HTTP 502 with a body that is not JSON',
        ],
        [(res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), 500, 13, 'cluster "odd" answered HTTP 200 with a body that is not JSON'],
        [(res) => res.writeHead(200).end('[1, 2]'), 500, 13, 'cluster "odd" answered with something that is not an image'],
        [(res) => res.writeHead(403).end('{"message": "Forbidden"}'), 403, 7, 'cluster "odd" answered HTTP 403: Forbidden'],
        [
          (res) => res.writeHead(429, { 'retry-after': '30' }).end('{"message": "Too Many Requests"}'),
          429,
          8,
          'cluster "odd" answered HTTP 429: Too Many Requests',
          '30',
        ],
        [
          (res) =>
            res
              .writeHead(503, { 'retry-after': '10' })
              .end('{"error": "scan of x is in progress, retry", "code": 14, "message": "scan of x is in progress, retry", "details": []}'),
          503,
          14,
          'scan of x is in progress, retry',
          '10',
        ],
      ];
      for (const [answer, status, code, message, retry] of cases) {
        reply = answer;
        const result = await scan({ imageName: NAME, cluster: 'odd' }, services);
        expect({ message, status: result.status, code: result.json.code, text: result.json.message, retry: result.headers['retry-after'] }).toEqual({
          message,
          status,
          code,
          text: message,
          retry,
        });
      }
    } finally {
      await close(odd.server);
    }
  });
});

/** SigV4 worked out independently with node:crypto, from the AWS documentation of the algorithm. */
function expectedSignature(input: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  signedHeaders: string[];
  body: string;
  secret: string;
  region: string;
  amzDate: string;
}): string {
  const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  const lower = Object.fromEntries(Object.entries(input.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const canonicalHeaders = input.signedHeaders.map((name) => `${name}:${lower[name].trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [input.method, input.url.pathname, '', canonicalHeaders, input.signedHeaders.join(';'), sha256(input.body)].join('\n');
  const day = input.amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/execute-api/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secret}`, day), input.region), 'execute-api'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

describe('SigV4 for API Gateway clusters', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  it('recognises execute-api hosts and their region', () => {
    expect(executeApiRegion('abc123defg.execute-api.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(executeApiRegion('ABC123DEFG.execute-api.us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
    expect(executeApiRegion('abc123defg.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(executeApiRegion('abc123defg-vpce-0123456789abcdef0.execute-api.ap-southeast-2.vpce.amazonaws.com')).toBe('ap-southeast-2');
    for (const host of [
      'scanner.example.com',
      '127.0.0.1',
      'execute-api.eu-west-1.amazonaws.com',
      'abc.execute-api.eu-west-1.amazonaws.com.evil.example',
      'abc.s3.eu-west-1.amazonaws.com',
    ]) {
      expect({ host, region: executeApiRegion(host) }).toEqual({ host, region: undefined });
    }
    const signerFor = executeApiSigners(credentials);
    expect(signerFor(new URL('https://scanner.example.com/v1/images/scan'))).toBeUndefined();
    expect(signerFor(new URL('https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/v1/images/scan'))).toBeInstanceOf(ExecuteApiSigner);
  });

  it('signs with the execute-api scope and a signature that checks out', async () => {
    const signer = new ExecuteApiSigner('eu-west-1', credentials, () => new Date('2025-04-01T08:00:00Z'));
    const url = new URL('https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/v1/images/scan');
    const body = '{"imageName":"alpine:3.20","force":false,"includeSnoozed":true}';
    const headers = await signer.sign({ method: 'POST', url, headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
    expect(headers.host).toBeUndefined();
    expect(headers['x-amz-date']).toBe('20250401T080000Z');
    const match =
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250401\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        headers.authorization,
      );
    expect(match).not.toBeNull();
    const signedHeaders = match![1].split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date']));
    expect(signedHeaders).toEqual([...signedHeaders].sort());
    expect(match![2]).toBe(
      expectedSignature({
        method: 'POST',
        url,
        headers: { ...headers, host: url.host },
        signedHeaders,
        body,
        secret: credentials.secretAccessKey,
        region: 'eu-west-1',
        amzDate: '20250401T080000Z',
      }),
    );
  });

  it('sends session tokens and reaches the cluster with the signed headers', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    let remoteUrl = '';
    // API Gateway's host cannot be reached from here: the request is signed for it, then delivered to a local server.
    const deliver: typeof fetch = async (input, init) => {
      const target = new URL(String(input));
      seen.push({ url: target.href, headers: init?.headers as Record<string, string> });
      return fetch(`${remoteUrl}${target.pathname}`, init);
    };
    const raw = await startRawServer((_req, res) => res.writeHead(200).end(JSON.stringify(storedScan().image)));
    remoteUrl = raw.url;
    try {
      const forwarder = new HttpScanForwarder({ fetch: deliver, signerFor: executeApiSigners({ ...credentials, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE' }) });
      const cluster = { id: 'apigw', name: 'apigw', endpoint: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod' };
      const image = await forwarder.forward(cluster, { imageName: NAME, force: false, includeSnoozed: true, cluster: '' });
      expect(image.id).toBe(DIGEST);
      expect(seen[0].url).toBe('https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/v1/images/scan');
      expect(seen[0].headers['x-amz-security-token']).toBe('IQoJb3JpZ2luX2VjEXAMPLE');
      expect(raw.seen[0].headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-security-token[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(raw.seen[0].headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    } finally {
      await close(raw.server);
    }
  });
});

describe('clusters from the Lambda environment', () => {
  it('builds the delegation from LAMINA_CLUSTERS, none when unset, and fails on malformed configuration', async () => {
    expect(awsClusterDelegation({})).toBeUndefined();
    expect(awsClusterDelegation({ LAMINA_CLUSTERS: '[]' })).toBeUndefined();
    const delegation = awsClusterDelegation({
      LAMINA_CLUSTERS: JSON.stringify([{ id: 'a', name: 'Alpha', endpoint: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod' }]),
    });
    expect(await delegation?.directory.find('Alpha')).toMatchObject({ id: 'a' });
    expect(() => awsClusterDelegation({ LAMINA_CLUSTERS: '[{"id": "a"}]' })).toThrow(/^LAMINA_CLUSTERS 0\.name: /);
  });
});
