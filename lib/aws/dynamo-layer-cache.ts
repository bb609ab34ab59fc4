import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LayerCache } from '../index/layer-cache';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Items stay below DynamoDB's 400 KB limit; a layer result larger than this is simply not cached. */
const MAX_VALUE_BYTES = 380 * 1024;

/** Per-layer index results in DynamoDB, shared by every function instance; entries expire after `ttlDays` unused. */
export class DynamoLayerCache implements LayerCache {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly ttlDays = 30,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key }, sk: { S: 'layer' } } }));
    if (!Item?.value?.B) return undefined;
    // TTL deletion is lazy (and absent in dynalite): an expired entry is treated as missing.
    if (Item.expiresAt?.N && Number(Item.expiresAt.N) * 1000 < Date.now()) return undefined;
    return JSON.parse((await gunzipAsync(Item.value.B)).toString('utf8')) as T;
  }

  async put<T>(key: string, value: T): Promise<void> {
    const payload = await gzipAsync(Buffer.from(JSON.stringify(value), 'utf8'));
    if (payload.length > MAX_VALUE_BYTES) return;
    const expiresAt = Math.floor(Date.now() / 1000) + this.ttlDays * 86400;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: key }, sk: { S: 'layer' }, value: { B: payload }, expiresAt: { N: String(expiresAt) } },
      }),
    );
  }
}
