import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/** What the stateless stack needs from this one. */
export interface LaminaStatefulResources {
  readonly images: Table;
  readonly layerIndex: Table;
  readonly advisories: Table;
  readonly snoozes: Table;
  readonly inFlight: Table;
  readonly signatureIntegrations: Table;
}

/**
 * Everything that holds data and must outlive a redeploy of the functions: the tables.
 * Every table keys on string `pk` / `sk`, the shape the DynamoDB adapters in lib/aws write.
 */
export class LaminaStatefulStack extends Stack implements LaminaStatefulResources {
  /** Scan results by image digest (pk), gzip-compressed and chunked under sk. */
  readonly images: Table;
  /** Per-layer index cache: pk = layer digest × analyser@version; entries expire through `expiresAt`. */
  readonly layerIndex: Table;
  /** Advisory store (OSV records, per-package pages, NVD scores, cursors) in one table. */
  readonly advisories: Table;
  /** Snoozed CVEs by CVE id; snoozes with an expiry carry `expiresAt` for DynamoDB to drop them after it. */
  readonly snoozes: Table;
  /** Scan leases and idempotency records by digest; `expiresAt` lets DynamoDB drop stale ones. */
  readonly inFlight: Table;
  /** The signature integrations created through /v1/signatureintegrations, as one revisioned item. */
  readonly signatureIntegrations: Table;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.images = this.table('Images');
    this.layerIndex = this.table('LayerIndex', 'expiresAt');
    this.advisories = this.table('Advisories');
    // Expired snoozes are ignored by the reader; TTL only clears them out of the table later.
    this.snoozes = this.table('Snoozes', 'expiresAt');
    this.inFlight = this.table('InFlight', 'expiresAt');
    this.signatureIntegrations = this.table('SignatureIntegrations');
  }

  private table(id: string, timeToLiveAttribute?: string): Table {
    return new Table(this, id, {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute,
    });
  }
}
