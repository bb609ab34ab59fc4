import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Snooze, SnoozeStore } from '../service/snoozes';
import { batchGetAll, batchWriteAll, ensurePkSkTable, type Item } from './dynamo-batch';

const SORT_KEY = 'snooze';

function key(cve: string): Item {
  return { pk: { S: cve }, sk: { S: SORT_KEY } };
}

/**
 * Global CVE snoozes, one item per vulnerability id: `pk` = the id, `sk` = `snooze`, `activation` and `expiry`
 * (RFC 3339; no `expiry` = indefinitely) and `expiresAt` (epoch seconds) for a table with TTL on that attribute.
 * TTL deletes late and not at all in dynalite, so expiry is always checked by the reader (`isActive`), never
 * left to the table.
 */
export class DynamoSnoozeStore implements SnoozeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Creates the table when it is missing (local mode and tests; CDK owns it in AWS). */
  async ensureTable(): Promise<void> {
    await ensurePkSkTable(this.client, this.tableName);
  }

  async put(snoozes: Snooze[]): Promise<void> {
    // One write per id: the last snooze given for an id wins, as it would when written one after another.
    const byCve = new Map(snoozes.map((snooze) => [snooze.cve, snooze]));
    const requests: WriteRequest[] = [...byCve.values()].map((snooze) => ({ PutRequest: { Item: toItem(snooze) } }));
    await batchWriteAll(this.client, this.tableName, requests);
  }

  async remove(cves: string[]): Promise<void> {
    const requests: WriteRequest[] = [...new Set(cves)].map((cve) => ({ DeleteRequest: { Key: key(cve) } }));
    await batchWriteAll(this.client, this.tableName, requests);
  }

  async get(cves: string[]): Promise<Map<string, Snooze>> {
    const unique = [...new Set(cves)];
    const snoozes = new Map<string, Snooze>();
    if (unique.length === 0) return snoozes;
    // Consistent reads: a snooze answered by PATCH is in force for the very next request.
    const items = await batchGetAll(this.client, this.tableName, unique.map(key), { consistent: true });
    for (const item of items) {
      const snooze = fromItem(item);
      if (snooze) snoozes.set(snooze.cve, snooze);
    }
    return snoozes;
  }
}

function toItem(snooze: Snooze): Item {
  const item: Item = { ...key(snooze.cve), activation: { S: snooze.activation } };
  if (snooze.expiry !== undefined) {
    item.expiry = { S: snooze.expiry };
    const seconds = Math.ceil(Date.parse(snooze.expiry) / 1000);
    if (Number.isFinite(seconds)) item.expiresAt = { N: String(seconds) };
  }
  return item;
}

function fromItem(item: Item): Snooze | undefined {
  const cve = item.pk?.S;
  const activation = item.activation?.S;
  if (!cve || !activation) return undefined;
  const expiry = item.expiry?.S;
  return expiry === undefined ? { cve, activation } : { cve, activation, expiry };
}
