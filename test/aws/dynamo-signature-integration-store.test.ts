import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { handleApiRequest } from '../../lib/api/routes';
import { createAwsApiServices } from '../../lib/aws/compose-aws';
import { DynamoSignatureIntegrationStore, MAX_INTEGRATIONS_BYTES } from '../../lib/aws/dynamo-signature-integration-store';
import { CodedError, GrpcCode } from '../../lib/errors';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import type { SignatureIntegration } from '../../lib/signatures/types';
import { generateKey } from '../signatures/cosign';
import { startDynalite } from '../support/dynalite';

const TABLE = 'lamina-signature-integrations-test';
const key = generateKey('ec-p256');
const integration = (id: string, name = id): SignatureIntegration => ({
  id: `io.stackrox.signatureintegration.${id}`,
  name,
  cosign: { publicKeys: [{ name: `${name}.pub`, publicKeyPemEnc: key.publicPem }] },
});

describe('DynamoSignatureIntegrationStore on dynalite with the real DynamoDB client', () => {
  let dynamo: EmbeddedDynamo;
  let store: DynamoSignatureIntegrationStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoSignatureIntegrationStore(dynamo.client, TABLE);
    await store.ensureTable();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('keeps the set as one item, written only over the revision it was read at', async () => {
    expect(await store.load()).toEqual({ integrations: [], revision: 0 });
    expect(await store.save([integration('a')], 0)).toBe(true);
    // A second writer that read revision 0 too is refused and writes nothing.
    expect(await store.save([integration('b')], 0)).toBe(false);
    expect(await store.load()).toEqual({ integrations: [integration('a')], revision: 1 });
    expect(await store.save([integration('a'), integration('b')], 1)).toBe(true);
    expect(await store.save([], 1)).toBe(false);
    expect((await store.load()).integrations.map((i) => i.name)).toEqual(['a', 'b']);
  });

  it('refuses a set above the item limit, and leaves an unreadable item in place with a DataLoss error', async () => {
    const many = Array.from({ length: Math.ceil(MAX_INTEGRATIONS_BYTES / 200) }, (_, i) => integration(`bulk-${i}`));
    const { revision } = await store.load();
    await expect(store.save(many, revision)).rejects.toMatchObject({
      code: GrpcCode.FailedPrecondition,
      message: expect.stringMatching(/remove unused ones first/),
    });

    const table = 'lamina-signature-integrations-corrupt';
    const corrupt = new DynamoSignatureIntegrationStore(dynamo.client, table);
    await corrupt.ensureTable();
    const item = { pk: { S: 'signature-integrations' }, sk: { S: 'set' }, revision: { N: '3' }, integrations: { S: '[{"id": "x"' } };
    await dynamo.client.send(new PutItemCommand({ TableName: table, Item: item }));
    const err = await corrupt.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ code: GrpcCode.DataLoss, message: expect.stringMatching(/cannot be read/) });
    // Writes read first, so they fail the same way and the item survives for repair.
    const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
    expect(Item?.integrations?.S).toBe(item.integrations.S);
  });

  it('serves /v1/signatureintegrations in Lambda from the table the stack names, beside the configured ones', async () => {
    const table = 'lamina-signature-integrations-lambda';
    await new DynamoSignatureIntegrationStore(dynamo.client, table).ensureTable();
    const env = {
      LAMINA_IMAGES_TABLE: 'i',
      LAMINA_LAYER_INDEX_TABLE: 'l',
      LAMINA_INFLIGHT_TABLE: 'f',
      LAMINA_SIGNATURE_INTEGRATIONS_TABLE: table,
      LAMINA_SIGNATURE_INTEGRATIONS: JSON.stringify([integration('declared', 'zz-declared')]),
    };
    const services = createAwsApiServices({ dynamo: dynamo.client, env });
    const call = (method: string, path: string, body?: unknown) =>
      handleApiRequest({ method, path, query: {}, headers: {}, body: body === undefined ? undefined : JSON.stringify(body) }, services);

    const created = await call('POST', '/v1/signatureintegrations', {
      name: 'ci',
      cosign: { public_keys: [{ name: 'ci.pub', public_key_pem_enc: key.publicPem }] },
    });
    expect(created.statusCode).toBe(200);
    const body = JSON.parse(String(created.body));
    expect(body).toEqual({
      id: expect.stringMatching(/^io\.stackrox\.signatureintegration\.[0-9a-f-]{36}$/),
      name: 'ci',
      cosign: { publicKeys: [{ name: 'ci.pub', publicKeyPemEnc: key.publicPem }] },
      cosignCertificates: [],
      transparencyLog: null,
    });
    const listed = JSON.parse(String((await call('GET', '/v1/signatureintegrations')).body));
    expect(listed.integrations.map((i: SignatureIntegration) => i.name)).toEqual(['ci', 'zz-declared']);
    // A second function (the worker) sees it through the same table.
    const worker = createAwsApiServices({ dynamo: dynamo.client, env });
    expect((await worker.signatureIntegrations!.current()).map((i) => i.name)).toEqual(['zz-declared', 'ci']);
    const refused = await call('DELETE', `/v1/signatureintegrations/${encodeURIComponent(integration('declared').id)}`);
    expect([refused.statusCode, JSON.parse(String(refused.body)).code]).toEqual([400, GrpcCode.FailedPrecondition]);
  });
});
