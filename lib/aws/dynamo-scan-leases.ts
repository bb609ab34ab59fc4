import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScanLeases, SharedFailure } from '../service/scan-leases';
import { isConditionFailed as conditionFailed } from './dynamo-batch';

export interface DynamoScanLeasesOptions {
  now?: () => number;
  /** Says a holder is gone for good (a dead process of this host): its lease is taken over at once. */
  isDeadHolder?: (holder: string) => boolean;
}

/**
 * Scan leases in the in-flight table: `expiresAt` doubles as the table's TTL attribute (epoch seconds) and
 * `expiresAtMs` is what is compared, so leases of tens of seconds expire when they should.
 */
export class DynamoScanLeases implements ScanLeases {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoScanLeasesOptions | (() => number) = {},
  ) {
    const settings = typeof options === 'function' ? { now: options } : options;
    this.now = settings.now ?? Date.now;
    this.isDeadHolder = settings.isDeadHolder;
  }

  private readonly isDeadHolder?: (holder: string) => boolean;

  async acquire(key: string, holder: string, ttlMs: number): Promise<boolean> {
    if (await this.put(key, holder, ttlMs, 'attribute_not_exists(pk) OR attribute_not_exists(expiresAtMs) OR expiresAtMs < :now OR holder = :holder', {}))
      return true;
    if (!this.isDeadHolder) return false;
    const current = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key }, sk: { S: 'lease' } }, ConsistentRead: true }),
    );
    const previous = current.Item?.holder?.S;
    if (!previous || !this.isDeadHolder(previous)) return false;
    return this.put(key, holder, ttlMs, 'holder = :previous', { ':previous': { S: previous } });
  }

  private async put(key: string, holder: string, ttlMs: number, condition: string, values: Record<string, { S: string }>): Promise<boolean> {
    const now = this.now();
    const expiresAtMs = now + ttlMs;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: key },
            sk: { S: 'lease' },
            holder: { S: holder },
            expiresAtMs: { N: String(expiresAtMs) },
            expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) },
          },
          // dynalite never expires TTL items, and DynamoDB may keep them for days: the expiry is checked here.
          ConditionExpression: condition,
          ExpressionAttributeValues: { ...(condition.includes(':now') ? { ':now': { N: String(now) }, ':holder': { S: holder } } : {}), ...values },
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  async recordFailure(key: string, failure: SharedFailure, ttlMs: number): Promise<void> {
    const untilMs = this.now() + ttlMs;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: key },
          sk: { S: 'failure' },
          code: { N: String(failure.code) },
          message: { S: failure.message.slice(0, 4000) },
          expiresAtMs: { N: String(untilMs) },
          expiresAt: { N: String(Math.ceil(untilMs / 1000)) },
        },
      }),
    );
  }

  async recentFailure(key: string): Promise<SharedFailure | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key }, sk: { S: 'failure' } }, ConsistentRead: true }));
    const item = out.Item;
    if (!item || Number(item.expiresAtMs?.N ?? 0) <= this.now()) return undefined;
    return { code: Number(item.code?.N ?? 2), message: item.message?.S ?? '' };
  }

  async release(key: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key }, sk: { S: 'lease' } },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
  }
}
