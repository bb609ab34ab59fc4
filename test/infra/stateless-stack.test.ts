import { Match, Template } from 'aws-cdk-lib/assertions';
import { ECR_PULL_ACTIONS } from '../../infra/stateless-stack';
import { laminaTestApp } from './test-app';

type Resource = { Properties: Record<string, any> };

const REPOSITORY_ARN = 'arn:aws:ecr:us-east-1:210987654321:repository/shared/base';

function functionByDescription(template: Template, description: string): Resource {
  const matches = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(description) } }));
  expect(matches).toHaveLength(1);
  return matches[0] as Resource;
}

function statementsOf(template: Template, roleLogicalIdPrefix: string): Record<string, any>[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
}

/** EventBridge rules with an event pattern (the ECR push rule), as opposed to the updater's schedule. */
function pushRules(template: Template): Resource[] {
  return (Object.values(template.findResources('AWS::Events::Rule')) as Resource[]).filter((rule) => rule.Properties.EventPattern);
}

type Suppression = { id: string; reason: string; applies_to?: unknown[] };

/** cdk-nag suppressions recorded on a function's role (logical id prefix). */
function suppressionsOf(template: Template, roleLogicalIdPrefix: string): Suppression[] {
  const roles = template.findResources('AWS::IAM::Role');
  return Object.entries(roles)
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(([, role]) => (role.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Suppression[]);
}

const importOf = (table: string) => ({ 'Fn::ImportValue': expect.stringMatching(new RegExp(`ExportsOutputFnGetAtt${table}[0-9A-F]{8}Arn`)) });

describe('stateless stack with two watched repositories', () => {
  const { stateless } = laminaTestApp({ ecrRepositories: ['team/app', REPOSITORY_ARN], reservedConcurrency: 8, allowedRegistries: ['ghcr.io'] });
  const template = Template.fromStack(stateless);

  describe('ScanImage API', () => {
    it('routes the StackRox endpoints (SBOM and signature integrations included) to the API function with IAM authorization', () => {
      const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as Resource[];
      expect(methods).toHaveLength(10);
      expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['DELETE', 'GET', 'GET', 'GET', 'PATCH', 'PATCH', 'POST', 'POST', 'POST', 'PUT']);
      for (const method of methods) {
        expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
        expect(method.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
        expect(method.Properties.RequestValidatorId).toEqual({ Ref: expect.stringMatching(/^ApiValidator/) });
      }
      const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart);
      expect(paths.sort()).toEqual(
        ['api', 'imagecves', 'images', 'images', 'sbom', 'scan', 'signatureintegrations', 'suppress', 'unsuppress', 'v1', 'v1', '{id}', '{id}'].sort(),
      );
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        RequestParameters: { 'method.request.path.id': true, 'method.request.querystring.includeSnoozed': false },
      });
    });

    it('passes every body as binary so gzip requests and responses survive', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'], EndpointConfiguration: { Types: ['REGIONAL'] } });
    });

    it('throttles the stage, traces it and writes JSON access logs', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        TracingEnabled: true,
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('^\\{"requestId":"\\$context.requestId"') },
        MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
      });
    });

    it('answers gateway errors with the StackRox RuntimeError body', () => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'THROTTLED',
        ResponseTemplates: { 'application/json': '{"error": $context.error.messageString, "code": 8, "message": $context.error.messageString, "details": []}' },
      });
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'ACCESS_DENIED',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code": 7,') },
      });
    });
  });

  describe('functions', () => {
    it('runs every function on Node 22, arm64, traced, with its own log group', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
      expect(functions).toHaveLength(3);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' }, Handler: 'index.handler' });
        expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.any(String) });
        expect(fn.Properties.Environment.Variables).toMatchObject({
          NODE_OPTIONS: '--enable-source-maps',
          LAMINA_DATA_DIR: '/tmp/lamina',
        });
        // The handlers name their Powertools service and namespace in code.
        expect(Object.keys(fn.Properties.Environment.Variables).filter((name) => name.startsWith('POWERTOOLS_'))).toEqual([]);
      }
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it('gives the API function the scan defaults and the resources it talks to', () => {
      const api = functionByDescription(template, 'ScanImage API');
      expect(api.Properties).toMatchObject({ MemorySize: 3008, EphemeralStorage: { Size: 4096 }, Timeout: 60, ReservedConcurrentExecutions: 8 });
      expect(api.Properties.Environment.Variables).toMatchObject({
        LAMINA_IMAGES_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefImages/) },
        LAMINA_LAYER_INDEX_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefLayerIndex/) },
        LAMINA_INFLIGHT_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefInFlight/) },
        LAMINA_ADVISORIES_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefAdvisories/) },
        LAMINA_SNOOZES_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefSnoozes/) },
        LAMINA_SIGNATURE_INTEGRATIONS_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefSignatureIntegrations/) },
        LAMINA_SCAN_QUEUE_URL: { Ref: expect.stringMatching(/^ScanQueue/) },
        LAMINA_PLATFORM: 'linux/amd64',
        // The configured registries, plus the account's own ECR registry for push scans.
        LAMINA_ALLOWED_REGISTRIES: { 'Fn::Join': ['', ['ghcr.io,123456789012.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
        LAMINA_CLUSTERS: '[]',
      });
      for (const removed of ['LAMINA_CONFIG_TABLE', 'LAMINA_RESULT_BUCKET', 'LAMINA_SIGNATURE_KEYS']) {
        expect(api.Properties.Environment.Variables).not.toHaveProperty(removed);
      }
    });

    it('lets the worker run longer than the API and leaves the updater a quarter hour', () => {
      expect(functionByDescription(template, 'scan worker').Properties).toMatchObject({ MemorySize: 3008, Timeout: 300 });
      expect(functionByDescription(template, 'scan worker').Properties.ReservedConcurrentExecutions).toBeUndefined();
      expect(functionByDescription(template, 'advisory updater').Properties).toMatchObject({ Timeout: 900 });
    });
  });

  describe('ECR push pipeline', () => {
    it('matches successful pushes to the watched repositories only', () => {
      expect(pushRules(template)).toHaveLength(1);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ecr'],
          'detail-type': ['ECR Image Action'],
          detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['team/app', 'shared/base'] },
        },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScanQueue'), 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScanDeadLetters'), 'Arn'] } },
          }),
        ],
      });
    });

    it('queues pushes encrypted, with a visibility timeout above the worker timeout and a dead-letter queue after three receives', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      const scanQueue = Object.entries(queues).find(([id]) => id.startsWith('ScanQueue'))![1];
      const workerTimeout = functionByDescription(template, 'scan worker').Properties.Timeout as number;
      expect(scanQueue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
      expect(scanQueue.Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^ScanDeadLetters/), 'Arn'] },
        maxReceiveCount: 3,
      });
      for (const queue of Object.values(queues)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      for (const policy of Object.values(template.findResources('AWS::SQS::QueuePolicy'))) {
        expect(policy.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        );
      }
    });

    it('feeds the worker small batches and lets it report partial failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScanQueue'), 'Arn'] },
        FunctionName: { Ref: Match.stringLikeRegexp('^ScanWorker') },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  it('runs the advisory updater on the hourly schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AdvisoryUpdater'), 'Arn'] } })],
    });
  });

  it('alarms on dead letters, function errors and throttles, and API 5xx', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    const watched = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`).sort();
    expect(watched).toEqual(
      [
        'AWS/ApiGateway/5XXError',
        'AWS/Lambda/Errors',
        'AWS/Lambda/Errors',
        'AWS/Lambda/Errors',
        'AWS/Lambda/Throttles',
        'AWS/Lambda/Throttles',
        'AWS/Lambda/Throttles',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
      ].sort(),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScanDeadLetters'), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  describe('permissions', () => {
    const scanningRoles = ['ApiHandlerFunctionServiceRole', 'ScanWorkerFunctionServiceRole'];

    it('lets the API and the worker pull only from the configured repositories, and log in to ECR', () => {
      for (const role of scanningRoles) {
        const statements = statementsOf(template, role);
        const pull = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ecr:') && a !== 'ecr:GetAuthorizationToken'));
        expect(pull).toEqual([
          {
            Effect: 'Allow',
            Action: ECR_PULL_ACTIONS,
            Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:123456789012:repository/team/app']] }, REPOSITORY_ARN],
          },
        ]);
        expect(statements).toContainEqual({ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' });
        expect(JSON.stringify(statements)).not.toContain('repository/*');
        // No wildcard is granted, so none is suppressed either.
        expect(JSON.stringify(suppressionsOf(template, role))).not.toContain('repository');
      }
    });

    it('lets the API and the worker write results, cache, leases and snoozes but only read advisories, and touch no bucket', () => {
      for (const role of scanningRoles) {
        const statements = statementsOf(template, role);
        const writable = (table: string) =>
          statements.some((s) => [s.Action].flat().includes('dynamodb:PutItem') && JSON.stringify(s.Resource).includes(`ExportsOutputFnGetAtt${table}`));
        const readable = (table: string) =>
          statements.some((s) => [s.Action].flat().includes('dynamodb:GetItem') && JSON.stringify(s.Resource).includes(`ExportsOutputFnGetAtt${table}`));
        for (const table of ['Images', 'LayerIndex', 'InFlight', 'Snoozes']) expect([table, writable(table)]).toEqual([table, true]);
        expect(['Advisories', readable('Advisories'), writable('Advisories')]).toEqual(['Advisories', true, false]);
        expect(JSON.stringify(statements)).not.toMatch(/s3:|Config|ResultSpill/);
      }
      // The API changes signature integrations; the worker reads them to verify.
      const grants = (role: string) => {
        const statements = statementsOf(template, role).filter((s) => JSON.stringify(s.Resource).includes('ExportsOutputFnGetAttSignatureIntegrations'));
        const actions = statements.flatMap((s) => [s.Action].flat());
        return [actions.includes('dynamodb:GetItem'), actions.includes('dynamodb:PutItem')];
      };
      expect(grants('ApiHandlerFunctionServiceRole')).toEqual([true, true]);
      expect(grants('ScanWorkerFunctionServiceRole')).toEqual([true, false]);
      expect(statementsOf(template, 'ApiHandlerFunctionServiceRole')).toContainEqual(
        expect.objectContaining({
          Action: expect.arrayContaining(['sqs:SendMessage']),
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ScanQueue/), 'Arn'] },
        }),
      );
    });

    it('lets the updater write advisories and touch nothing else of the data', () => {
      const statements = statementsOf(template, 'AdvisoryUpdaterFunctionServiceRole');
      const resources = JSON.stringify(statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:'))).map((s) => s.Resource));
      expect(resources).toContain('Advisories');
      expect(resources).not.toMatch(/Images|LayerIndex|InFlight|Snoozes|SignatureIntegrations/);
      expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['dynamodb:PutItem']), Resource: [importOf('Advisories')] }));
      expect(JSON.stringify(statements)).not.toMatch(/ecr:|s3:/);
    });
  });
});

describe('ECR push scans without any context', () => {
  // What `npx cdk deploy` with no context deploys.
  const template = Template.fromStack(laminaTestApp().stateless);
  const everyRepository = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:123456789012:repository/*']] };

  it('watches successful pushes to every repository of the account: one rule, no repository filter', () => {
    const rules = pushRules(template);
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
    });
    expect(rules[0].Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ScanQueue/), 'Arn'] } })]);
  });

  it('lets the API and the worker pull from every repository of this account and region, and log in to ECR', () => {
    for (const role of ['ApiHandlerFunctionServiceRole', 'ScanWorkerFunctionServiceRole']) {
      const statements = statementsOf(template, role);
      const pull = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ecr:') && a !== 'ecr:GetAuthorizationToken'));
      expect(pull).toEqual([{ Effect: 'Allow', Action: ECR_PULL_ACTIONS, Resource: everyRepository }]);
      expect(statements).toContainEqual({ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' });
    }
    expect(JSON.stringify(statementsOf(template, 'AdvisoryUpdaterFunctionServiceRole'))).not.toContain('ecr:');
  });

  it('suppresses the repository wildcard for cdk-nag with a written reason', () => {
    for (const role of ['ApiHandlerFunctionServiceRole', 'ScanWorkerFunctionServiceRole']) {
      const wildcard = suppressionsOf(template, role).filter((s) => JSON.stringify(s.applies_to ?? []).includes('repository'));
      expect(wildcard).toEqual([expect.objectContaining({ id: 'AwsSolutions-IAM5', reason: expect.stringMatching(/every ECR repository of this account/) })]);
      expect(wildcard[0].reason.length).toBeGreaterThan(80);
    }
  });

  it('is the same as ecrRepositories ["*"]', () => {
    const explicit = Template.fromStack(laminaTestApp({ ecrRepositories: ['*'] }).stateless);
    expect(pushRules(explicit).map((r) => r.Properties.EventPattern)).toEqual(pushRules(template).map((r) => r.Properties.EventPattern));
    expect(statementsOf(explicit, 'ScanWorkerFunctionServiceRole')).toContainEqual({ Effect: 'Allow', Action: ECR_PULL_ACTIONS, Resource: everyRepository });
  });
});

describe('stateless stack configured otherwise', () => {
  it('watches no pushes and grants no ECR access when ecrRepositories is an empty list', () => {
    const template = Template.fromStack(laminaTestApp({ ecrRepositories: [] }).stateless);
    expect(pushRules(template)).toHaveLength(0);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(JSON.stringify(statements)).not.toContain('ecr:');
  });

  it('narrows the push rule and the pull grant to a single listed repository', () => {
    const template = Template.fromStack(laminaTestApp({ ecrRepositories: ['team/app'] }).stateless);
    expect(pushRules(template).map((r) => r.Properties.EventPattern.detail)).toEqual([
      { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['team/app'] },
    ]);
    expect(statementsOf(template, 'ScanWorkerFunctionServiceRole')).toContainEqual({
      Effect: 'Allow',
      Action: ECR_PULL_ACTIONS,
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:123456789012:repository/team/app']] },
    });
  });

  it('lets the API and the worker invoke ScanImage on exactly the clusters behind API Gateway', () => {
    const clusters = [
      { id: 'eu', name: 'eu', endpoint: 'https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod' },
      { id: 'cn', name: 'cn', endpoint: 'https://f6g7h8i9j0.execute-api.cn-north-1.amazonaws.com.cn/prod/' },
      { id: 'plain', name: 'plain', endpoint: 'https://scanner.example.com' },
    ];
    const template = Template.fromStack(laminaTestApp({ clusters }).stateless);
    for (const role of ['ApiHandlerFunctionServiceRole', 'ScanWorkerFunctionServiceRole']) {
      const invoke = statementsOf(template, role).filter((s) => JSON.stringify(s.Action).includes('execute-api:'));
      expect(invoke).toEqual([
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: [
            'arn:aws:execute-api:eu-central-1:*:a1b2c3d4e5/*/POST/v1/images/scan',
            'arn:aws-cn:execute-api:cn-north-1:*:f6g7h8i9j0/*/POST/v1/images/scan',
          ],
        },
      ]);
    }
    expect(JSON.stringify(statementsOf(template, 'AdvisoryUpdaterFunctionServiceRole'))).not.toContain('execute-api:');
    expect(JSON.parse(functionByDescription(template, 'ScanImage API').Properties.Environment.Variables.LAMINA_CLUSTERS)).toEqual(clusters);
  });

  it('grants no execute-api access without clusters, or with clusters that are not API Gateway endpoints', () => {
    for (const clusters of [[], [{ id: 'plain', name: 'plain', endpoint: 'https://scanner.example.com/prod' }]]) {
      const template = Template.fromStack(laminaTestApp({ clusters }).stateless);
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(JSON.stringify(statements)).not.toContain('execute-api:');
    }
  });

  it('passes the chosen OSV ecosystems and base URL to the updater only', () => {
    const template = Template.fromStack(
      laminaTestApp({ osvEcosystems: ['Debian', 'Rocky Linux', 'PyPI'], osvBaseUrl: 'https://osv-mirror.example.com/exports' }).stateless,
    );
    expect(functionByDescription(template, 'advisory updater').Properties.Environment.Variables).toMatchObject({
      LAMINA_ADVISORIES_TABLE: { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefAdvisories/) },
      LAMINA_OSV_ECOSYSTEMS: 'Debian,Rocky Linux,PyPI',
      LAMINA_OSV_BASE_URL: 'https://osv-mirror.example.com/exports',
    });
    expect(Object.keys(functionByDescription(template, 'ScanImage API').Properties.Environment.Variables)).not.toContain('LAMINA_OSV_ECOSYSTEMS');
  });

  it('leaves the OSV settings to the updater defaults when they are unset', () => {
    const variables = functionByDescription(Template.fromStack(laminaTestApp().stateless), 'advisory updater').Properties.Environment.Variables;
    expect(Object.keys(variables).filter((name) => name.startsWith('LAMINA_OSV_') || name.startsWith('LAMINA_NVD_'))).toEqual([]);
  });

  it('opens the API without authorization when apiAuthorization is NONE, and applies the chosen limits', () => {
    const template = Template.fromStack(
      laminaTestApp({
        apiAuthorization: 'NONE',
        apiThrottleRateLimit: 5,
        apiThrottleBurstLimit: 10,
        scanMemoryMb: 4096,
        scanTimeoutSeconds: 30,
        workerTimeoutSeconds: 600,
        workerBatchSize: 5,
        updateSchedule: 'rate(6 hours)',
        platform: 'linux/arm64/v8',
      }).stateless,
    );
    template.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })] });
    expect(functionByDescription(template, 'ScanImage API').Properties).toMatchObject({ MemorySize: 4096, Timeout: 30 });
    expect(functionByDescription(template, 'ScanImage API').Properties.Environment.Variables.LAMINA_PLATFORM).toBe('linux/arm64/v8');
    const queue = Object.entries(template.findResources('AWS::SQS::Queue')).find(([id]) => id.startsWith('ScanQueue'))![1];
    expect(queue.Properties.VisibilityTimeout).toBe(3600);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5 });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });
});
