import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context, SQSEvent } from 'aws-lambda';

/*
 * Event shapes as AWS delivers them: API Gateway REST API (v1) Lambda proxy integration, SQS batches, and the
 * EventBridge "ECR Image Action" event as AWS documents it for a completed push.
 */

const ACCOUNT = '123456789012';

/** API Gateway decodes path parameters but keeps `path` percent-encoded; a malformed encoding is passed on as it came. */
function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A REST API (v1) proxy event for `method path` on stage `prod`, with IAM caller identity as the stack configures. */
export function restApiEvent(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: string; base64?: boolean; headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Accept: '*/*',
    Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'roxctl/4.5.0',
    'X-Amzn-Trace-Id': `Root=1-67c5a1b2-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'X-Forwarded-For': '203.0.113.10',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    ...options.headers,
  };
  const byId = /^\/v1\/images\/([^/]+)$/.exec(path);
  const resource = path === '/v1/images/scan' ? '/v1/images/scan' : byId ? '/v1/images/{id}' : path;
  const query = options.query;
  const requestId = randomUUID();
  const body = options.body === undefined ? null : options.base64 ? Buffer.from(options.body).toString('base64') : options.body;
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query && Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: query && Object.keys(query).length > 0 ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: byId && path !== '/v1/images/scan' ? { id: decodedOrRaw(byId[1]) } : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'a1b2c3',
      resourcePath: resource,
      httpMethod: method,
      extendedRequestId: 'Ab1CdEfGhIjKlMn=',
      requestTime: '03/Mar/2025:12:00:00 +0000',
      path: `/prod${path}`,
      accountId: ACCOUNT,
      protocol: 'HTTP/1.1',
      stage: 'prod',
      domainPrefix: 'abcdef1234',
      requestTimeEpoch: Date.now(),
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: ACCOUNT,
        cognitoIdentityId: null,
        caller: 'AROAEXAMPLEID:ci',
        sourceIp: '203.0.113.10',
        principalOrgId: null,
        accessKey: 'ASIAEXAMPLEKEY',
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci/ci`,
        userAgent: 'roxctl/4.5.0',
        user: 'AROAEXAMPLEID:ci',
        apiKey: null,
        apiKeyId: null,
        clientCert: null,
      },
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      apiId: 'abcdef1234',
      authorizer: null,
    },
    body,
    isBase64Encoded: Boolean(options.base64),
  };
}

/** The example AWS documents for an ECR push ("Event for a completed image push"), for one repository and digest. */
export function ecrPushEvent(repository: string, digest: string, tag: string, region = 'us-east-1'): object {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: ACCOUNT,
    time: '2025-03-03T12:00:00Z',
    region,
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': digest,
      'action-type': 'PUSH',
      'image-tag': tag,
    },
  };
}

/** An SQS batch as the event source mapping hands it to the worker; each body is a message as sent. */
export function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: `AQEB${randomUUID().replace(/-/g, '')}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:LaminaStateless-ScanQueue`,
      awsRegion: 'us-east-1',
    })),
  };
}

export function lambdaContext(functionName: string, remainingMs = 30_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '3008',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2025/03/03/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, remainingMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
