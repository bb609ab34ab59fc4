import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

/** What the stateless stack needs from this one. */
export interface LaminaStatefulResources {
  readonly images: Table;
  readonly layerIndex: Table;
  readonly advisories: Table;
  readonly snoozes: Table;
  readonly config: Table;
  readonly inFlight: Table;
  readonly resultSpill: Bucket;
}

/**
 * Everything that holds data and must outlive a redeploy of the functions: the tables and the result bucket.
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
  /** Clusters, registries and signature keys managed at run time. */
  readonly config: Table;
  /** Scan leases and idempotency records by digest; `expiresAt` lets DynamoDB drop stale ones. */
  readonly inFlight: Table;
  /** Results too large for a DynamoDB item. */
  readonly resultSpill: Bucket;
  /** Server access logs of the result bucket. */
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.images = this.table('Images');
    this.layerIndex = this.table('LayerIndex', 'expiresAt');
    this.advisories = this.table('Advisories');
    // Expired snoozes are ignored by the reader; TTL only clears them out of the table later.
    this.snoozes = this.table('Snoozes', 'expiresAt');
    this.config = this.table('Config');
    this.inFlight = this.table('InFlight', 'expiresAt');

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    NagSuppressions.addResourceSuppressions(this.accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This bucket is the server access log destination of ResultSpill; logging it into itself would loop.' },
    ]);

    this.resultSpill = new Bucket(this, 'ResultSpill', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'result-spill/',
      lifecycleRules: [
        { id: 'expire-noncurrent-results', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
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
