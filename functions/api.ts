import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handleApiRequest } from '../lib/api/routes';
import { fromApiGatewayEvent, toApiGatewayResult } from '../lib/aws/apigateway';
import { createAwsImageService } from '../lib/aws/compose-aws';

/** API Gateway gives up after 29 s; answer before that and let the worker finish the scan. */
const API_BUDGET_MS = Number(process.env.LAMINA_API_BUDGET_MS ?? 25_000);

const logger = new Logger({ serviceName: 'lamina-api' });
const metrics = new Metrics({ namespace: 'Lamina', serviceName: 'lamina-api' });
// Created once per container: clients, caches and token caches live across invocations.
const service = createAwsImageService();

async function apiHandler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const request = fromApiGatewayEvent(event);
  const budget = Math.max(1000, Math.min(API_BUDGET_MS, context.getRemainingTimeInMillis() - 2000));
  const response = await handleApiRequest(request, service, logger, AbortSignal.timeout(budget));
  metrics.addMetric(response.statusCode < 400 ? 'RequestSucceeded' : response.statusCode < 500 ? 'RequestRejected' : 'RequestFailed', MetricUnit.Count, 1);
  return toApiGatewayResult(response, request);
}

export const handler = middy(apiHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
