import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createScanPorts, SCANNER } from '../compose';
import { configFromEnv } from '../config';
import { ImageService } from '../service/image-service';
import type { V1ScanImageRequest } from '../stackrox/types';
import { DynamoImageStore } from './dynamo-image-store';
import { DynamoLayerCache } from './dynamo-layer-cache';
import { DynamoScanLeases } from './dynamo-scan-leases';
import { EcrCredentialSource } from './ecr-credentials';

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

export interface AwsServiceOptions {
  dynamo?: DynamoDBClient;
  sqs?: SQSClient;
  credentials?: EcrCredentialSource;
  env?: NodeJS.ProcessEnv;
}

/** The ImageService as it runs in Lambda: DynamoDB for results, layer cache and leases; ECR credentials; SQS hand-off. */
export function createAwsImageService(options: AwsServiceOptions = {}): ImageService {
  const env = options.env ?? process.env;
  const names = resourceNamesFromEnv(env);
  const config = configFromEnv(env);
  const dynamo = options.dynamo ?? new DynamoDBClient({});
  const sqs = names.scanQueueUrl ? (options.sqs ?? new SQSClient({})) : undefined;
  const scan = createScanPorts(config, {
    credentials: options.credentials ?? new EcrCredentialSource(),
    layerCache: new DynamoLayerCache(dynamo, names.layerIndexTable),
  });
  return new ImageService({
    scan,
    store: new DynamoImageStore(dynamo, names.imagesTable),
    leases: new DynamoScanLeases(dynamo, names.inFlightTable),
    scanner: SCANNER,
    platform: config.platform,
    defer: sqs
      ? async (request) => {
          const message: DeferredScanMessage = { kind: 'lamina.deferred-scan', request };
          await sqs.send(new SendMessageCommand({ QueueUrl: names.scanQueueUrl, MessageBody: JSON.stringify(message) }));
        }
      : undefined,
  });
}
