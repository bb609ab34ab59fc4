import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { ImageStore, StoredScan } from '../service/image-store';
import { batchGetAll, batchWriteAll, ensurePkSkTable } from './dynamo-batch';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** DynamoDB's item limit is 400 KB including attribute names; payload chunks stay well below it. */
export const CHUNK_BYTES = 350 * 1024;
const HEAD = 'scan';

function chunkKey(generation: string, index: number): string {
  return `chunk#${generation}#${String(index).padStart(5, '0')}`;
}

/**
 * Scan results keyed by image digest. A result is stored gzip'd; when it is still above the item limit it is
 * spread over chunk items first and the head item that names them is written last, so a reader never sees a
 * half-written result and a crash mid-write leaves the previous result intact.
 */
export class DynamoImageStore implements ImageStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(digest: string): Promise<StoredScan | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: digest }, sk: { S: HEAD } }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const chunkCount = Number(Item.chunks?.N ?? '0');
    const payload = chunkCount === 0 ? Buffer.from(Item.payload!.B!) : await this.readChunks(digest, Item.generation!.S!, chunkCount);
    return JSON.parse((await gunzipAsync(payload)).toString('utf8')) as StoredScan;
  }

  async put(scan: StoredScan): Promise<void> {
    const digest = scan.image.id;
    const payload = await gzipAsync(Buffer.from(JSON.stringify(scan), 'utf8'));
    const previous = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: digest }, sk: { S: HEAD } }, ProjectionExpression: 'generation, chunks' }),
    );
    const head: Record<string, AttributeValue> = {
      pk: { S: digest },
      sk: { S: HEAD },
      updatedAt: { S: new Date().toISOString() },
      ...(scan.dataVersion ? { dataVersion: { S: scan.dataVersion } } : {}),
    };
    if (payload.length <= CHUNK_BYTES) {
      head.payload = { B: payload };
      head.chunks = { N: '0' };
    } else {
      const generation = randomUUID();
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < payload.length; offset += CHUNK_BYTES) chunks.push(payload.subarray(offset, offset + CHUNK_BYTES));
      await this.writeChunks(digest, generation, chunks);
      head.generation = { S: generation };
      head.chunks = { N: String(chunks.length) };
    }
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: head }));
    const oldGeneration = previous.Item?.generation?.S;
    if (oldGeneration) await this.deleteChunks(digest, oldGeneration, Number(previous.Item?.chunks?.N ?? '0'));
  }

  private async readChunks(digest: string, generation: string, count: number): Promise<Buffer> {
    const parts = new Map<string, Buffer>();
    const keys = Array.from({ length: count }, (_, i) => chunkKey(generation, i));
    const items = await batchGetAll(
      this.client,
      this.tableName,
      keys.map((sk) => ({ pk: { S: digest }, sk: { S: sk } })),
      { consistent: true },
    );
    for (const item of items) parts.set(item.sk.S!, Buffer.from(item.data.B!));
    return Buffer.concat(
      keys.map((sk) => {
        const part = parts.get(sk);
        if (!part) throw new Error(`stored result of ${digest} is missing chunk ${sk}`);
        return part;
      }),
    );
  }

  private async writeChunks(digest: string, generation: string, chunks: Buffer[]): Promise<void> {
    const requests = chunks.map((data, i) => ({ PutRequest: { Item: { pk: { S: digest }, sk: { S: chunkKey(generation, i) }, data: { B: data } } } }));
    await this.batchWrite(requests);
  }

  private async deleteChunks(digest: string, generation: string, count: number): Promise<void> {
    const requests = Array.from({ length: count }, (_, i) => ({ DeleteRequest: { Key: { pk: { S: digest }, sk: { S: chunkKey(generation, i) } } } }));
    await this.batchWrite(requests);
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    // 10 per call, not DynamoDB's 25: keeps each call under its 16 MB request size with 350 KB chunks.
    await batchWriteAll(this.client, this.tableName, requests, 10);
  }
}

/** Creates a pk/sk string-keyed, on-demand table when it does not exist (local mode and tests; CDK owns it in AWS). */
export function ensureKeyValueTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return ensurePkSkTable(client, tableName);
}
