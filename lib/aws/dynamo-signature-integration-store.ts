import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CodedError, GrpcCode } from '../errors';
import type { SignatureIntegrationStore, StoredIntegrations } from '../service/signature-integrations';
import { checkSignatureIntegration } from '../signatures/integrations';
import type { SignatureIntegration } from '../signatures/types';
import { ensurePkSkTable, isConditionFailed } from './dynamo-batch';

const KEY = { pk: { S: 'signature-integrations' }, sk: { S: 'set' } };

/** The set is one item: DynamoDB's limit is 400 KB, and a few hundred integrations of a few keys each fit well below. */
export const MAX_INTEGRATIONS_BYTES = 350 * 1024;

/**
 * The API's signature integrations in their own table, as one item: `integrations` (their JSON) and `revision`;
 * a write is a conditional put over the revision read, so it is atomic without transactions.
 */
export class DynamoSignatureIntegrationStore implements SignatureIntegrationStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Creates the table when it is missing (local mode and tests; CDK owns it in AWS). */
  async ensureTable(): Promise<void> {
    await ensurePkSkTable(this.client, this.tableName);
  }

  async load(): Promise<StoredIntegrations> {
    // Consistent: an integration answered by POST verifies the very next scan.
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: KEY, ConsistentRead: true }));
    if (!Item) return { integrations: [], revision: 0 };
    const revision = Number(Item.revision?.N);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Item.integrations?.S ?? '');
    } catch (err) {
      throw unreadable(this.tableName, (err as Error).message);
    }
    if (!Number.isSafeInteger(revision) || !Array.isArray(parsed)) throw unreadable(this.tableName, 'not a revision and an array of integrations');
    try {
      return { integrations: parsed.map((entry, index) => checkSignatureIntegration(entry, `integration ${index}`)), revision };
    } catch (err) {
      throw unreadable(this.tableName, (err as Error).message);
    }
  }

  async save(integrations: SignatureIntegration[], expected: number): Promise<boolean> {
    const body = JSON.stringify(integrations);
    if (Buffer.byteLength(body) > MAX_INTEGRATIONS_BYTES) {
      throw new CodedError(
        GrpcCode.FailedPrecondition,
        `the signature integrations would take ${Math.ceil(Buffer.byteLength(body) / 1024)} KB, more than the ${MAX_INTEGRATIONS_BYTES / 1024} KB they may hold together; remove unused ones first`,
      );
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...KEY, integrations: { S: body }, revision: { N: String(expected + 1) }, updatedAt: { S: new Date().toISOString() } },
          ConditionExpression: expected === 0 ? 'attribute_not_exists(pk)' : 'revision = :expected',
          ExpressionAttributeValues: expected === 0 ? undefined : { ':expected': { N: String(expected) } },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}

function unreadable(table: string, why: string): CodedError {
  // Never overwritten by a write either: every write reads the set first and fails the same way.
  return new CodedError(GrpcCode.DataLoss, `the signature integrations stored in table ${table} cannot be read (${why}); restore the item or delete it`);
}
