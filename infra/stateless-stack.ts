import { resolve } from 'node:path';
import { Duration, Size, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
  type MethodOptions,
} from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { clusterInvokeArns } from './cluster-access';
import { LaminaFunction } from './lamina-function';
import { type LaminaSettings, isRepositoryArn, repositoryName } from './settings';
import { addStackRoxGatewayResponses } from './stackrox-gateway-responses';
import type { LaminaStatefulResources } from './stateful-stack';

/** Handler files of the three functions; tests point these at small local handlers. */
export interface LaminaEntries {
  readonly api: string;
  readonly worker: string;
  readonly updater: string;
}

const FUNCTIONS_DIR = resolve(__dirname, '..', 'functions');

export const DEFAULT_ENTRIES: LaminaEntries = {
  api: resolve(FUNCTIONS_DIR, 'api.ts'),
  worker: resolve(FUNCTIONS_DIR, 'ecr-worker.ts'),
  updater: resolve(FUNCTIONS_DIR, 'updater.ts'),
};

export interface LaminaStatelessStackProps extends StackProps {
  readonly resources: LaminaStatefulResources;
  readonly settings: LaminaSettings;
  readonly entries?: LaminaEntries;
}

/** ECR actions needed to read an image: manifests, layer URLs and descriptions. */
export const ECR_PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:DescribeImages'];

/** The redeployable half: API, functions, ECR push pipeline, advisory schedule and alarms. */
export class LaminaStatelessStack extends Stack {
  readonly api: RestApi;
  readonly apiFunction: LaminaFunction;
  readonly workerFunction: LaminaFunction;
  readonly updaterFunction: LaminaFunction;
  readonly scanQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly ecrPushRule?: Rule;
  readonly updateRule: Rule;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: LaminaStatelessStackProps) {
    super(scope, id, props);
    const { resources, settings } = props;
    const entries = props.entries ?? DEFAULT_ENTRIES;
    const logRetention = settings.logRetentionDays as RetentionDays;

    this.deadLetterQueue = new Queue(this, 'ScanDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of ScanQueue; it needs no dead-letter queue of its own.' },
    ]);
    const workerTimeout = Duration.seconds(settings.workerTimeoutSeconds);
    this.scanQueue = new Queue(this, 'ScanQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS advises six times the function timeout, so retries of a batch never overlap a running one.
      visibilityTimeout: Duration.seconds(settings.workerTimeoutSeconds * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });

    const environment: Record<string, string> = {
      LAMINA_IMAGES_TABLE: resources.images.tableName,
      LAMINA_LAYER_INDEX_TABLE: resources.layerIndex.tableName,
      LAMINA_INFLIGHT_TABLE: resources.inFlight.tableName,
      LAMINA_ADVISORIES_TABLE: resources.advisories.tableName,
      LAMINA_SNOOZES_TABLE: resources.snoozes.tableName,
      LAMINA_SIGNATURE_INTEGRATIONS_TABLE: resources.signatureIntegrations.tableName,
      LAMINA_SCAN_QUEUE_URL: this.scanQueue.queueUrl,
      LAMINA_PLATFORM: settings.platform,
      // The account's own ECR registry stays scannable (push scans) when the list narrows what the API may pull.
      LAMINA_ALLOWED_REGISTRIES:
        settings.allowedRegistries.length > 0 ? [...settings.allowedRegistries, `${this.account}.dkr.ecr.${this.region}.${this.urlSuffix}`].join(',') : '',
      LAMINA_CLUSTERS: JSON.stringify(settings.clusters),
      ...(settings.signatureIntegrations.length > 0 ? { LAMINA_SIGNATURE_INTEGRATIONS: JSON.stringify(settings.signatureIntegrations) } : {}),
    };
    const scanResources = {
      memorySize: settings.scanMemoryMb,
      ephemeralStorageSize: Size.mebibytes(settings.scanEphemeralStorageMb),
      environment,
      logRetention,
    };

    this.apiFunction = new LaminaFunction(this, 'ApiHandler', {
      ...scanResources,
      entry: entries.api,
      description: 'lamina ScanImage API (API Gateway proxy)',
      timeout: Duration.seconds(settings.scanTimeoutSeconds),
      reservedConcurrentExecutions: settings.reservedConcurrency,
    });
    this.workerFunction = new LaminaFunction(this, 'ScanWorker', {
      ...scanResources,
      entry: entries.worker,
      description: 'lamina scan worker: ECR pushes and scans deferred by the API',
      timeout: workerTimeout,
    });
    this.updaterFunction = new LaminaFunction(this, 'AdvisoryUpdater', {
      entry: entries.updater,
      description: 'lamina advisory updater',
      memorySize: 1024,
      ephemeralStorageSize: Size.mebibytes(2048),
      timeout: Duration.minutes(15),
      environment: updaterEnvironment(resources, settings),
      logRetention,
    });

    this.grantScanning(this.apiFunction.function, resources);
    this.grantScanning(this.workerFunction.function, resources);
    this.scanQueue.grantSendMessages(this.apiFunction.function);
    // The API changes signature integrations; the worker only verifies against them.
    resources.signatureIntegrations.grantReadWriteData(this.apiFunction.function);
    resources.signatureIntegrations.grantReadData(this.workerFunction.function);
    resources.advisories.grantReadWriteData(this.updaterFunction.function);
    this.grantEcrPull(settings.ecrRepositories, [this.apiFunction.function, this.workerFunction.function]);
    this.grantClusterForwarding(settings, [this.apiFunction.function, this.workerFunction.function]);

    this.workerFunction.function.addEventSource(new SqsEventSource(this.scanQueue, { batchSize: settings.workerBatchSize, reportBatchItemFailures: true }));
    // By default (ecrRepositories ["*"]) every push to the account's registry in this region is scanned.
    if (settings.ecrRepositories.length > 0) {
      const everyRepository = settings.ecrRepositories.includes('*');
      this.ecrPushRule = new Rule(this, 'EcrPushRule', {
        description: everyRepository
          ? 'Successful ECR pushes to any repository of the account, to be scanned'
          : 'Successful ECR pushes to the watched repositories, to be scanned',
        eventPattern: {
          source: ['aws.ecr'],
          detailType: ['ECR Image Action'],
          detail: {
            'action-type': ['PUSH'],
            result: ['SUCCESS'],
            ...(everyRepository ? {} : { 'repository-name': settings.ecrRepositories.map(repositoryName) }),
          },
        },
        // A push EventBridge cannot deliver lands with the scans that failed, under the same alarm.
        targets: [new SqsQueue(this.scanQueue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8 })],
      });
    }

    this.updateRule = new Rule(this, 'AdvisoryUpdateSchedule', {
      description: 'Refreshes the advisory store',
      schedule: Schedule.expression(settings.updateSchedule),
      targets: [new LambdaFunction(this.updaterFunction.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });

    this.api = this.restApi(settings, logRetention);
    this.addAlarms();
  }

  /** API and worker scan: they read and write results, layer cache, leases and snoozes, and read advisories. */
  private grantScanning(fn: IFunction, resources: LaminaStatefulResources): void {
    for (const table of [resources.images, resources.layerIndex, resources.inFlight, resources.snoozes]) table.grantReadWriteData(fn);
    resources.advisories.grantReadData(fn);
  }

  /** Pull rights on the watched repositories: `repository/*` of this account and region by default, else the listed ones. */
  private grantEcrPull(repositories: string[], functions: IFunction[]): void {
    if (repositories.length === 0) return;
    const arns = repositories.map((repository) =>
      isRepositoryArn(repository) ? repository : this.formatArn({ service: 'ecr', resource: 'repository', resourceName: repository }),
    );
    for (const fn of functions) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ECR_PULL_ACTIONS, resources: arns }));
      // GetAuthorizationToken is account-wide; it has no resource-level permissions.
      fn.addToRolePolicy(new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    }
  }

  /** The functions that read LAMINA_CLUSTERS may invoke ScanImage on the clusters behind API Gateway, and nothing else there. */
  private grantClusterForwarding(settings: LaminaSettings, functions: IFunction[]): void {
    const arns = clusterInvokeArns(settings.clusters);
    if (arns.length === 0) return;
    for (const fn of functions) fn.addToRolePolicy(new PolicyStatement({ actions: ['execute-api:Invoke'], resources: arns }));
  }

  private restApi(settings: LaminaSettings, logRetention: RetentionDays): RestApi {
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention });
    const api = new RestApi(this, 'ScanImageApi', {
      restApiName: 'lamina',
      description: 'StackRox-compatible ScanImage API',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Every body passes base64-encoded, so gzip request and response bodies survive the gateway untouched.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'prod',
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        tracingEnabled: true,
        throttlingRateLimit: settings.apiThrottleRateLimit,
        throttlingBurstLimit: settings.apiThrottleBurstLimit,
      },
    });
    addStackRoxGatewayResponses(api);

    // The StackRox request rules (camel or snake keys, unknown keys ignored, error bodies) live in the handler.
    const validator = new RequestValidator(this, 'ApiValidator', {
      restApi: api,
      requestValidatorName: 'lamina',
      validateRequestParameters: true,
      // No body models: bodies are checked by the handler, which answers with StackRox error codes.
      validateRequestBody: true,
    });
    const authorizationType = settings.apiAuthorization === 'IAM' ? AuthorizationType.IAM : AuthorizationType.NONE;
    const integration = new LambdaIntegration(this.apiFunction.function, { proxy: true });
    const method = (extra: Partial<MethodOptions> = {}): MethodOptions => ({ authorizationType, requestValidator: validator, ...extra });

    const v1 = api.root.addResource('v1');
    const images = v1.addResource('images');
    images.addResource('scan').addMethod('POST', integration, method());
    images
      .addResource('{id}')
      .addMethod('GET', integration, method({ requestParameters: { 'method.request.path.id': true, 'method.request.querystring.includeSnoozed': false } }));
    // roxctl image sbom asks StackRox's /api/v1/images/sbom.
    api.root.addResource('api').addResource('v1').addResource('images').addResource('sbom').addMethod('POST', integration, method());
    const imageCves = v1.addResource('imagecves');
    imageCves.addResource('suppress').addMethod('PATCH', integration, method());
    imageCves.addResource('unsuppress').addMethod('PATCH', integration, method());
    const signatureIntegrations = v1.addResource('signatureintegrations');
    signatureIntegrations.addMethod('GET', integration, method());
    signatureIntegrations.addMethod('POST', integration, method());
    const signatureIntegration = signatureIntegrations.addResource('{id}');
    for (const verb of ['GET', 'PUT', 'DELETE']) {
      signatureIntegration.addMethod(verb, integration, method({ requestParameters: { 'method.request.path.id': true } }));
    }
    return api;
  }

  private addAlarms(): void {
    this.alarm(
      'ScanDeadLettersVisible',
      'Scans failed three times and wait in the dead-letter queue',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      0,
    );
    for (const [name, fn] of [
      ['Api', this.apiFunction],
      ['Worker', this.workerFunction],
      ['Updater', this.updaterFunction],
    ] as const) {
      this.alarm(`${name}Errors`, `lamina ${name.toLowerCase()} function errors`, fn.function.metricErrors({ period: Duration.minutes(5) }), 0);
      this.alarm(`${name}Throttles`, `lamina ${name.toLowerCase()} function throttles`, fn.function.metricThrottles({ period: Duration.minutes(5) }), 0);
    }
    // Unreachable or failing registries answer 503 by design, so a single 5xx is not yet an incident.
    this.alarm('Api5xx', 'lamina API 5xx answers', this.api.metricServerError({ period: Duration.minutes(5) }), 4);
  }

  private alarm(id: string, description: string, metric: IMetric, above: number): void {
    this.alarms.push(
      new Alarm(this, `${id}Alarm`, {
        alarmDescription: description,
        metric,
        threshold: above,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}

/** The updater's table, plus the advisory sources the operator chose; unset keys keep the updater's own defaults. */
function updaterEnvironment(resources: LaminaStatefulResources, settings: LaminaSettings): Record<string, string> {
  const environment: Record<string, string> = { LAMINA_ADVISORIES_TABLE: resources.advisories.tableName };
  if (settings.advisorySources !== undefined) environment.LAMINA_ADVISORY_SOURCES = settings.advisorySources.join(',');
  if (settings.osvEcosystems !== undefined) environment.LAMINA_OSV_ECOSYSTEMS = settings.osvEcosystems.join(',');
  if (settings.osvBaseUrl !== undefined) environment.LAMINA_OSV_BASE_URL = settings.osvBaseUrl;
  return environment;
}
