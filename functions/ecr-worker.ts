import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsImageService } from '../lib/aws/compose-aws';
import { metricsObserver } from '../lib/aws/scan-metrics';
import { allObservers, loggingObserver } from '../lib/service/scan-observer';
import { processScanQueue } from '../lib/aws/scan-queue';
import type { ImageService } from '../lib/service/image-service';

const logger = new Logger({ serviceName: 'lamina-worker' });
const metrics = new Metrics({ namespace: 'Lamina', serviceName: 'lamina-worker' });

/** Built once per container, at init. */
const service: ImageService = createAwsImageService({ observer: allObservers(loggingObserver(logger), metricsObserver(metrics)) });

/** Drains the scan queue: ECR push events and scans handed off by the API; failed records are retried by SQS. */
export const handler = middy((event: SQSEvent): Promise<SQSBatchResponse> => processScanQueue(event, service, logger))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
