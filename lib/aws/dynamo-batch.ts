import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

import { backoffDelay, sleep } from '../backoff';
import { mapLimited } from '../concurrency';

export type Item = Record<string, AttributeValue>;

/** A conditional write refused because its condition did not hold (by class, or by name across SDK copies). */
export function isConditionFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

/** Keys one BatchGetItem takes. */
export const GET_BATCH = 100;
const WRITE_BATCH = 25;
const MAX_ROUNDS = 10;

const pause = (round: number) => sleep(backoffDelay(round, 50, 1000));

/** BatchGetItem calls in flight at once: a scan's lookups are latency-bound, not throughput-bound. */
export const GET_CONCURRENCY = 8;

/** BatchGetItem over any number of keys, 100 at a time and several batches at once, retrying unprocessed keys with backoff. */
export async function batchGetAll(
  client: DynamoDBClient,
  tableName: string,
  keys: Item[],
  options: { consistent?: boolean; projection?: string[] } = {},
): Promise<Item[]> {
  const names = options.projection ? Object.fromEntries(options.projection.map((name, i) => [`#p${i}`, name])) : undefined;
  const getBatch = async (batch: Item[]): Promise<Item[]> => {
    const items: Item[] = [];
    let pending = batch;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchGetItem on ${tableName}: ${pending.length} keys still unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await pause(round);
      const out = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: pending,
              ConsistentRead: options.consistent,
              ...(names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {}),
            },
          },
        }),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = (out.UnprocessedKeys?.[tableName]?.Keys as Item[] | undefined) ?? [];
    }
    return items;
  };
  const batches: Item[][] = [];
  for (let start = 0; start < keys.length; start += GET_BATCH) batches.push(keys.slice(start, start + GET_BATCH));
  return (await mapLimited(batches, GET_CONCURRENCY, getBatch)).flat();
}

/**
 * BatchWriteItem over any number of puts and deletes, 25 at a time (or `batchSize`, for large items that must keep
 * a call under 16 MB), retrying unprocessed items with backoff.
 */
export async function batchWriteAll(client: DynamoDBClient, tableName: string, requests: WriteRequest[], batchSize = WRITE_BATCH): Promise<void> {
  for (let start = 0; start < requests.length; start += batchSize) {
    let pending = requests.slice(start, start + batchSize);
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchWriteItem on ${tableName}: ${pending.length} items still unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await pause(round);
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = out.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

/** Bytes DynamoDB counts for an item: attribute names plus values (UTF-8 strings, binary lengths, numbers approximated). */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.N !== undefined) return Math.ceil(value.N.length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M);
  return 0;
}

/** Creates a pk/sk string-keyed, on-demand table when it does not exist (local mode and tests), and waits until it is active. */
export async function ensurePkSkTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await client
      .send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
      .catch((createErr: unknown) => {
        // Another process created it between our describe and create.
        if (!(createErr instanceof Error && createErr.name === 'ResourceInUseException')) throw createErr;
      });
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become active`);
}
