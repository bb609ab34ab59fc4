import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createScanApi, type ScanApi } from '../lib/api/scan-api';
import { fromApiGatewayEvent, toApiGatewayResult } from '../lib/aws/apigateway';
import { createAwsApiServices } from '../lib/aws/compose-aws';
import { configFromEnv } from '../lib/config';
import { metricsObserver } from '../lib/aws/scan-metrics';
import { allObservers, loggingObserver } from '../lib/service/scan-observer';

/** API Gateway gives up after 29 s; answer before that and let the worker finish the scan. */
const DEFAULT_API_BUDGET_MS = 25_000;

const logger = new Logger({ serviceName: 'lamina-api' });
const metrics = new Metrics({ namespace: 'Lamina', serviceName: 'lamina-api' });

/** Built once per container, at init: clients, caches and ECR tokens live across invocations. */
const api: ScanApi = createScanApi(createAwsApiServices({ observer: allObservers(loggingObserver(logger), metricsObserver(metrics)) }), {
  logger,
  budgetMs: configFromEnv().apiBudgetMs ?? DEFAULT_API_BUDGET_MS,
  onResponse: (response, _request, facts) => {
    metrics.addMetric(response.statusCode < 400 ? 'RequestSucceeded' : response.statusCode < 500 ? 'RequestRejected' : 'RequestFailed', MetricUnit.Count, 1);
    if (facts.cacheHit) metrics.addMetric('AnsweredFromStore', MetricUnit.Count, 1);
  },
});

async function apiHandler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const request = fromApiGatewayEvent(event);
  const response = await api(request, { remainingMs: context.getRemainingTimeInMillis() });
  return toApiGatewayResult(response, request);
}

export const handler = middy(apiHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
