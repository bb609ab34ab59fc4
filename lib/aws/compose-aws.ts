import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createImageService } from '../compose';
import { configFromEnv, type LaminaConfig } from '../config';
import type { CredentialProvider } from '../image/registry';
import type { ApiServices } from '../api/routes';
import type { ClusterDelegation } from '../service/clusters';
import type { ImageService } from '../service/image-service';
import { SignatureIntegrationService } from '../service/signature-integration-service';
import { SnoozeService } from '../service/snooze-service';
import type { ScanObserver } from '../service/scan-observer';
import type { SnoozeStore } from '../service/snoozes';
import type { SignatureIntegrationSource } from '../signatures/step';
import type { V1ScanImageRequest } from '../stackrox/types';
import { CachedAdvisoryStore } from '../vulndb/cached-store';
import type { AdvisoryStore } from '../vulndb/store';
import { DynamoAdvisoryStore } from './dynamo-advisory-store';
import { DynamoImageStore } from './dynamo-image-store';
import { DynamoLayerCache } from './dynamo-layer-cache';
import { DynamoScanLeases } from './dynamo-scan-leases';
import { DynamoSignatureIntegrationStore } from './dynamo-signature-integration-store';
import { DynamoSnoozeStore } from './dynamo-snooze-store';
import { EcrCredentialSource, parseEcrHost } from './ecr-credentials';
import { awsClusterDelegation } from './execute-api-signer';

/** Table and queue names the CDK stack passes to every function. */
export interface AwsResourceNames {
  imagesTable: string;
  layerIndexTable: string;
  inFlightTable: string;
  scanQueueUrl?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function resourceNamesFromEnv(env: NodeJS.ProcessEnv = process.env): AwsResourceNames {
  return {
    imagesTable: required(env, 'LAMINA_IMAGES_TABLE'),
    layerIndexTable: required(env, 'LAMINA_LAYER_INDEX_TABLE'),
    inFlightTable: required(env, 'LAMINA_INFLIGHT_TABLE'),
    scanQueueUrl: env.LAMINA_SCAN_QUEUE_URL,
  };
}

/** A scan that outlives API Gateway's 29 s goes to the worker queue, in the same envelope the worker reads. */
export interface DeferredScanMessage {
  kind: 'lamina.deferred-scan';
  request: V1ScanImageRequest;
}

/** Mirrors of private ECR hosts get that registry's GetAuthorizationToken credentials, and no other host does. */
export function ecrAliasesForMirrors(mirrors: Record<string, string> = {}): Record<string, { registryId: string; region: string }> {
  const aliases: Record<string, { registryId: string; region: string }> = {};
  for (const [host, mirror] of Object.entries(mirrors)) {
    const ecr = parseEcrHost(host);
    if (ecr) aliases[mirror] = ecr;
  }
  return aliases;
}

export interface ScanTables {
  images: string;
  layerIndex: string;
  inFlight: string;
}

/** Everything that differs between Lambda and local mode; the service built from it is the same. */
export interface DynamoImageServiceOptions {
  dynamo: DynamoDBClient;
  tables: ScanTables;
  config: LaminaConfig;
  /** Registry credentials asked before LAMINA_REGISTRY_CREDENTIALS and Docker's config.json. */
  credentials?: CredentialProvider;
  /** Where a scan that ran out of request time goes on (the SQS worker in AWS). */
  defer?: (request: V1ScanImageRequest) => Promise<void>;
  leaseTtlMs?: number;
  pollIntervalMs?: number;
  /** Judges a lease holder dead for good (local mode: a process of this host that is gone). */
  isDeadHolder?: (holder: string) => boolean;
  shutdown?: AbortSignal;
  observer?: ScanObserver;
  /** Advisories to match against (the advisory table); without them scans carry OS_CVES_UNAVAILABLE. */
  advisories?: AdvisoryStore;
  /** Global CVE snoozes applied to every answer (the snooze table). */
  snoozes?: SnoozeStore;
  /** Delegated scanners a request's `cluster` may name. */
  clusters?: ClusterDelegation;
  /** The signature integrations in force (the integrations table's and the configuration's). */
  signatureIntegrations?: SignatureIntegrationSource;
}

/**
 * The ImageService over DynamoDB: results by digest, the per-layer index cache and the scan leases that make
 * concurrent requests and workers scan a digest once. Lambda and local mode (dynalite) both build it here.
 */
export function createDynamoImageService(options: DynamoImageServiceOptions): ImageService {
  const { dynamo, tables, config } = options;
  return createImageService(config, new DynamoImageStore(dynamo, tables.images), {
    credentials: options.credentials,
    layerCache: new DynamoLayerCache(dynamo, tables.layerIndex),
    leases: new DynamoScanLeases(dynamo, tables.inFlight, { isDeadHolder: options.isDeadHolder }),
    defer: options.defer,
    leaseTtlMs: options.leaseTtlMs,
    pollIntervalMs: options.pollIntervalMs,
    shutdown: options.shutdown,
    observer: options.observer,
    advisories: options.advisories,
    snoozes: options.snoozes,
    clusters: options.clusters,
    signatureIntegrations: options.signatureIntegrations,
  });
}

/** Hands a deferred scan to the worker queue. */
export function sqsDefer(sqs: SQSClient, queueUrl: string): (request: V1ScanImageRequest) => Promise<void> {
  return async (request) => {
    const message: DeferredScanMessage = { kind: 'lamina.deferred-scan', request };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
  };
}

export interface AwsServiceOptions {
  /** Default: a client from the environment; `AWS_ENDPOINT_URL_DYNAMODB` points it elsewhere (dynalite in tests). */
  dynamo?: DynamoDBClient;
  sqs?: SQSClient;
  credentials?: CredentialProvider;
  env?: NodeJS.ProcessEnv;
  /** Told about every scan (the handler's logger and metrics). */
  observer?: ScanObserver;
  /** The API's and the configuration's signature integrations; built from the environment when absent. */
  signatureIntegrations?: SignatureIntegrationService;
  /** The configuration `env` gives, when the caller has read it already. */
  config?: LaminaConfig;
}

/**
 * The signature integrations of a function: LAMINA_SIGNATURE_INTEGRATIONS, plus the API's in
 * LAMINA_SIGNATURE_INTEGRATIONS_TABLE when the stack gives the function that table.
 */
export function awsSignatureIntegrations(dynamo: DynamoDBClient, config: LaminaConfig, env: NodeJS.ProcessEnv): SignatureIntegrationService {
  const table = env.LAMINA_SIGNATURE_INTEGRATIONS_TABLE;
  return new SignatureIntegrationService({
    store: table ? new DynamoSignatureIntegrationStore(dynamo, table) : undefined,
    configured: config.signatureIntegrations,
  });
}

/** The ImageService as it runs in Lambda: tables and queue from the stack's environment, ECR credentials, SQS hand-off. */
export function createAwsImageService(options: AwsServiceOptions = {}): ImageService {
  const env = options.env ?? process.env;
  const names = resourceNamesFromEnv(env);
  const config = options.config ?? configFromEnv(env);
  const sqs = names.scanQueueUrl ? (options.sqs ?? new SQSClient({})) : undefined;
  const dynamo = options.dynamo ?? new DynamoDBClient({});
  return createDynamoImageService({
    dynamo,
    // Cached per data version for the container's life: warm scans skip most advisory reads.
    advisories: env.LAMINA_ADVISORIES_TABLE ? new CachedAdvisoryStore(new DynamoAdvisoryStore(dynamo, env.LAMINA_ADVISORIES_TABLE)) : undefined,
    snoozes: env.LAMINA_SNOOZES_TABLE ? new DynamoSnoozeStore(dynamo, env.LAMINA_SNOOZES_TABLE) : undefined,
    clusters: awsClusterDelegation(env),
    signatureIntegrations: options.signatureIntegrations ?? awsSignatureIntegrations(dynamo, config, env),
    tables: { images: names.imagesTable, layerIndex: names.layerIndexTable, inFlight: names.inFlightTable },
    config,
    credentials: options.credentials ?? new EcrCredentialSource({ aliases: ecrAliasesForMirrors(config.registryMirrors) }),
    defer: sqs && names.scanQueueUrl ? sqsDefer(sqs, names.scanQueueUrl) : undefined,
    observer: options.observer,
  });
}

/**
 * The API's services in Lambda: the ImageService, the snooze endpoints over the same snooze table, and the
 * signature integrations scans verify against.
 */
export function createAwsApiServices(options: AwsServiceOptions = {}): ApiServices {
  const env = options.env ?? process.env;
  const dynamo = options.dynamo ?? new DynamoDBClient({});
  const table = env.LAMINA_SNOOZES_TABLE;
  // Read once: the image service and the integrations routes share the configuration and the integrations.
  const config = options.config ?? configFromEnv(env);
  const signatureIntegrations = options.signatureIntegrations ?? awsSignatureIntegrations(dynamo, config, env);
  return {
    images: createAwsImageService({ ...options, dynamo, config, signatureIntegrations }),
    snoozes: table ? new SnoozeService(new DynamoSnoozeStore(dynamo, table)) : undefined,
    signatureIntegrations,
  };
}
