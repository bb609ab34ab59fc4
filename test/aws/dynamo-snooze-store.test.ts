import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { handleApiRequest } from '../../lib/api/routes';
import { createAwsApiServices } from '../../lib/aws/compose-aws';
import { DynamoImageStore, ensureKeyValueTable } from '../../lib/aws/dynamo-image-store';
import { DynamoSnoozeStore } from '../../lib/aws/dynamo-snooze-store';
import { SCANNER } from '../../lib/compose';
import { assembleStorageImage } from '../../lib/stackrox/storage-image';
import type { Item } from '../../lib/aws/dynamo-batch';
import { SnoozeService } from '../../lib/service/snooze-service';
import { isActive } from '../../lib/service/snoozes';
import { startDynalite } from '../support/dynalite';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';

const TABLE = 'lamina-snoozes-test';

/**
 * The real dynalite client, except that every other batch call leaves half its work unprocessed, as DynamoDB
 * does under throttling or above 16 MB; dynalite itself never does.
 */
function stingyClient(client: DynamoDBClient, counts: { gets: number; writes: number }): DynamoDBClient {
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof BatchGetItemCommand) {
      counts.gets++;
      const request = command.input.RequestItems![TABLE];
      const keys = request.Keys ?? [];
      if (keys.length < 2 || counts.gets % 2 === 0) return client.send(command);
      const half = Math.ceil(keys.length / 2);
      const out: BatchGetItemCommandOutput = await client.send(
        new BatchGetItemCommand({ RequestItems: { [TABLE]: { ...request, Keys: keys.slice(0, half) } } }),
      );
      return { ...out, UnprocessedKeys: { [TABLE]: { ...request, Keys: keys.slice(half) } } };
    }
    if (command instanceof BatchWriteItemCommand) {
      counts.writes++;
      const requests = command.input.RequestItems![TABLE];
      if (requests.length < 2 || counts.writes % 2 === 0) return client.send(command);
      const half = Math.ceil(requests.length / 2);
      const out: BatchWriteItemCommandOutput = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: requests.slice(0, half) } }));
      return { ...out, UnprocessedItems: { [TABLE]: requests.slice(half) } };
    }
    return client.send(command as never);
  };
  return { send } as unknown as DynamoDBClient;
}

describe('DynamoSnoozeStore against dynalite', () => {
  let dynamo: EmbeddedDynamo;
  let store: DynamoSnoozeStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoSnoozeStore(dynamo.client, TABLE);
    await store.ensureTable();
    await store.ensureTable(); // idempotent
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  const rawItem = async (cve: string): Promise<Item | undefined> =>
    (await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: cve }, sk: { S: 'snooze' } }, ConsistentRead: true }))).Item;

  it('stores one item per CVE with its activation, expiry and a TTL hint, and reads them back', async () => {
    await store.put([
      { cve: 'CVE-2024-1000', activation: '2025-03-01T10:00:00.000Z', expiry: '2025-03-02T10:00:00.500Z' },
      { cve: 'CVE-2024-1001', activation: '2025-03-01T10:00:00.000Z' },
    ]);
    expect(await rawItem('CVE-2024-1000')).toEqual({
      pk: { S: 'CVE-2024-1000' },
      sk: { S: 'snooze' },
      activation: { S: '2025-03-01T10:00:00.000Z' },
      expiry: { S: '2025-03-02T10:00:00.500Z' },
      expiresAt: { N: String(Math.ceil(Date.parse('2025-03-02T10:00:00.500Z') / 1000)) },
    });
    expect(await rawItem('CVE-2024-1001')).toEqual({ pk: { S: 'CVE-2024-1001' }, sk: { S: 'snooze' }, activation: { S: '2025-03-01T10:00:00.000Z' } });

    const found = await store.get(['CVE-2024-1000', 'CVE-2024-1001', 'CVE-2024-1002', 'CVE-2024-1000']);
    expect([...found.keys()].sort()).toEqual(['CVE-2024-1000', 'CVE-2024-1001']);
    expect(found.get('CVE-2024-1000')).toEqual({ cve: 'CVE-2024-1000', activation: '2025-03-01T10:00:00.000Z', expiry: '2025-03-02T10:00:00.500Z' });
    expect(found.get('CVE-2024-1001')).toEqual({ cve: 'CVE-2024-1001', activation: '2025-03-01T10:00:00.000Z' });
    expect((await store.get([])).size).toBe(0);
  });

  it('keeps returning an expired snooze (TTL is only a hint) so the reader decides it no longer applies', async () => {
    await store.put([{ cve: 'CVE-2020-0001', activation: '2020-01-01T00:00:00Z', expiry: '2020-01-02T00:00:00Z' }]);
    const snooze = (await store.get(['CVE-2020-0001'])).get('CVE-2020-0001')!;
    expect(snooze.expiry).toBe('2020-01-02T00:00:00Z');
    expect(isActive(snooze, new Date())).toBe(false);
  });

  it('replaces a snooze when the CVE is snoozed again, and removes snoozes', async () => {
    await store.put([{ cve: 'CVE-2024-2000', activation: '2025-01-01T00:00:00Z', expiry: '2025-01-02T00:00:00Z' }]);
    await store.put([{ cve: 'CVE-2024-2000', activation: '2025-02-01T00:00:00Z' }]);
    expect(await rawItem('CVE-2024-2000')).toEqual({ pk: { S: 'CVE-2024-2000' }, sk: { S: 'snooze' }, activation: { S: '2025-02-01T00:00:00Z' } });
    // The same id twice in one batch is one write (BatchWriteItem refuses duplicate keys); the last one wins.
    await store.put([
      { cve: 'CVE-2024-2001', activation: '2025-01-01T00:00:00Z' },
      { cve: 'CVE-2024-2001', activation: '2025-01-05T00:00:00Z' },
    ]);
    expect((await store.get(['CVE-2024-2001'])).get('CVE-2024-2001')?.activation).toBe('2025-01-05T00:00:00Z');
    await store.remove(['CVE-2024-2000', 'CVE-2024-2001', 'CVE-2024-2001', 'CVE-2099-0001']);
    expect((await store.get(['CVE-2024-2000', 'CVE-2024-2001'])).size).toBe(0);
    await store.remove([]);
  });

  it('reads and writes hundreds of ids in batches of 100 reads and 25 writes', async () => {
    const cves = Array.from({ length: 260 }, (_, i) => `CVE-2023-${String(30000 + i)}`);
    await store.put(cves.map((cve) => ({ cve, activation: '2025-03-01T00:00:00Z' })));
    const found = await store.get([...cves, 'CVE-1999-0001']);
    expect(found.size).toBe(260);
    expect(cves.every((cve) => found.get(cve)?.activation === '2025-03-01T00:00:00Z')).toBe(true);
    await store.remove(cves);
    expect((await store.get(cves)).size).toBe(0);
  });

  it('retries keys and writes DynamoDB leaves unprocessed until every one is done', async () => {
    const counts = { gets: 0, writes: 0 };
    const stingy = new DynamoSnoozeStore(stingyClient(dynamo.client, counts), TABLE);
    const cves = Array.from({ length: 130 }, (_, i) => `CVE-2022-${String(40000 + i)}`);
    await stingy.put(cves.map((cve) => ({ cve, activation: '2025-03-01T00:00:00Z', expiry: '2099-01-01T00:00:00Z' })));
    expect(counts.writes).toBeGreaterThan(Math.ceil(130 / 25));
    const found = await stingy.get(cves);
    expect(found.size).toBe(130);
    expect(counts.gets).toBeGreaterThan(2);
    await stingy.remove(cves);
    expect((await store.get(cves)).size).toBe(0);
  });

  it('backs the SnoozeService: suppress, then unsuppress, with the expiry the service worked out', async () => {
    const service = new SnoozeService(store, { now: () => new Date('2025-05-05T05:05:05.005Z') });
    await service.suppress({ cves: ['GHSA-jfh8-c2jp-5v3q', 'CVE-2024-3000'], durationMs: 86_400_000 });
    const found = await store.get(['GHSA-jfh8-c2jp-5v3q', 'CVE-2024-3000']);
    expect(found.get('GHSA-jfh8-c2jp-5v3q')).toEqual({
      cve: 'GHSA-jfh8-c2jp-5v3q',
      activation: '2025-05-05T05:05:05.005Z',
      expiry: '2025-05-06T05:05:05.005Z',
    });
    await service.unsuppress(['CVE-2024-3000']);
    expect([...(await store.get(['GHSA-jfh8-c2jp-5v3q', 'CVE-2024-3000'])).keys()]).toEqual(['GHSA-jfh8-c2jp-5v3q']);
  });
});

describe('the Lambda composition with the snooze table', () => {
  let dynamo: EmbeddedDynamo;
  const env = {
    LAMINA_IMAGES_TABLE: 'images',
    LAMINA_LAYER_INDEX_TABLE: 'layers',
    LAMINA_INFLIGHT_TABLE: 'inflight',
    LAMINA_SNOOZES_TABLE: 'snoozes',
    LAMINA_CLUSTERS: JSON.stringify([{ id: 'c1', name: 'vpc', endpoint: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod' }]),
  };
  const digest = `sha256:${'d1'.repeat(32)}`;

  beforeAll(async () => {
    dynamo = await startDynalite();
    for (const table of [env.LAMINA_IMAGES_TABLE, env.LAMINA_LAYER_INDEX_TABLE, env.LAMINA_INFLIGHT_TABLE]) await ensureKeyValueTable(dynamo.client, table);
    await new DynamoSnoozeStore(dynamo.client, env.LAMINA_SNOOZES_TABLE).ensureTable();
    const reference = { registry: 'registry.example.com', remote: 'app', tag: '', digest, fullName: `registry.example.com/app@${digest}` };
    const inventory = { packages: [], partial: false, warnings: [] };
    const vuln = {
      cve: 'CVE-2024-5000',
      cvss: 7.5,
      summary: '',
      link: '',
      scoreVersion: 'V3' as const,
      cvssV2: null,
      cvssV3: null,
      publishedOn: null,
      lastModified: null,
      vulnerabilityType: 'IMAGE_VULNERABILITY' as const,
      vulnerabilityTypes: ['IMAGE_VULNERABILITY' as const],
      suppressed: false,
      suppressActivation: null,
      suppressExpiry: null,
      firstSystemOccurrence: null,
      firstImageOccurrence: null,
      severity: 'IMPORTANT_VULNERABILITY_SEVERITY' as const,
      state: 'OBSERVED' as const,
    };
    const image = assembleStorageImage({
      reference,
      names: [{ registry: reference.registry, remote: reference.remote, tag: '', fullName: reference.fullName }],
      resolved: {
        reference,
        manifestDigest: digest,
        configDigest: digest,
        manifest: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 },
          layers: [],
        },
        config: {},
      },
      inventory,
      components: [
        {
          name: 'busybox',
          version: '1.36.1-r0',
          license: null,
          vulns: [vuln],
          layerIndex: 0,
          priority: '0',
          source: 'OS',
          location: '',
          riskScore: 0,
          fixedBy: '',
          executables: [],
        },
      ],
      scanTime: new Date(),
      scanner: SCANNER,
    });
    await new DynamoImageStore(dynamo.client, env.LAMINA_IMAGES_TABLE).put({ image, inventory });
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('serves suppress and unsuppress from the snooze table and applies them to stored images; clusters come from LAMINA_CLUSTERS', async () => {
    const services = createAwsApiServices({ dynamo: dynamo.client, env, credentials: { credentialsFor: async () => undefined } });
    const call = async (method: string, path: string, body?: string, query: Record<string, string> = {}) => {
      const response = await handleApiRequest({ method, path, query, headers: {}, body }, services);
      return { status: response.statusCode, json: JSON.parse(response.body.toString('utf8')) };
    };
    expect(await call('PATCH', '/v1/imagecves/suppress', '{"cves": ["CVE-2024-5000"], "duration": "3600s"}')).toEqual({ status: 200, json: {} });
    const hidden = await call('GET', `/v1/images/${digest}`);
    expect(hidden.json.scan.components[0].vulns).toEqual([]);
    expect(hidden.json.cves).toBe(0);
    const shown = await call('GET', `/v1/images/${digest}`, undefined, { includeSnoozed: 'true' });
    expect(shown.json.scan.components[0].vulns[0]).toMatchObject({ cve: 'CVE-2024-5000', suppressed: true, state: 'DEFERRED' });
    expect(Date.parse(shown.json.scan.components[0].vulns[0].suppressExpiry) - Date.parse(shown.json.scan.components[0].vulns[0].suppressActivation)).toBe(
      3_600_000,
    );
    expect(await call('PATCH', '/v1/imagecves/unsuppress', '{"cves": ["CVE-2024-5000"]}')).toEqual({ status: 200, json: {} });
    expect((await call('GET', `/v1/images/${digest}`)).json.cves).toBe(1);

    const unknown = await call('POST', '/v1/images/scan', JSON.stringify({ imageName: 'alpine', cluster: 'nowhere' }));
    expect(unknown).toMatchObject({ status: 404, json: { code: 5, message: 'cluster "nowhere" not found, ensure cluster exists and have access: not found' } });
  });
});
