import { NagSuppressions } from 'cdk-nag';
import { clusterInvokeArns } from './cluster-access';
import type { LaminaFunction } from './lamina-function';
import type { LaminaSettings } from './settings';
import type { LaminaStatelessStack } from './stateless-stack';

const LAMBDA_BASIC_EXECUTION = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const API_GATEWAY_LOGS = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/** Findings of cdk-nag AwsSolutions that lamina accepts, each with the reason it is acceptable. */
export function suppressAcceptedFindings(stack: LaminaStatelessStack, settings: LaminaSettings): void {
  const functions: LaminaFunction[] = [stack.apiFunction, stack.workerFunction, stack.updaterFunction];
  const pullsFromEcr = settings.ecrRepositories.length > 0;
  for (const fn of functions) {
    const logsInToEcr = pullsFromEcr && fn !== stack.updaterFunction;
    NagSuppressions.addResourceSuppressions(fn.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is the runtime lamina is built and tested for (esbuild target node22); moving to a newer runtime is a tested change, not an automatic one.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(
      fn.function.role!,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch log streams, which are created at run time under its log group.',
          appliesTo: [LAMBDA_BASIC_EXECUTION],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Resource "*" is required by actions without resource-level permissions: xray:PutTraceSegments/PutTelemetryRecords for active tracing' +
            (logsInToEcr ? ', and ecr:GetAuthorizationToken, the registry login before pulling the configured repositories.' : '.'),
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
  if (settings.ecrRepositories.includes('*')) {
    for (const fn of [stack.apiFunction, stack.workerFunction]) {
      NagSuppressions.addResourceSuppressions(
        fn.function.role!,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Push scans cover every ECR repository of this account and region by default (ecrRepositories unset or ["*"]), including repositories created after the deploy, ' +
              'so the pull grant names repository/* of this account and region; the actions only read images (no push or delete). Set ecrRepositories to narrow it.',
            appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:ecr:.*:repository\\/\\*$/g' }],
          },
        ],
        true,
      );
    }
  }
  const clusterApis = clusterInvokeArns(settings.clusters);
  if (clusterApis.length > 0) {
    for (const fn of [stack.apiFunction, stack.workerFunction]) {
      NagSuppressions.addResourceSuppressions(
        fn.function.role!,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Forwarding to the configured clusters behind API Gateway: the ARN names the exact API id, region and POST /v1/images/scan route; ' +
              'the account is not part of a cluster endpoint URL and the stage may be any, so those two parts are wildcards.',
            appliesTo: clusterApis.map((arn) => `Resource::${arn}`),
          },
        ],
        true,
      );
    }
  }
  NagSuppressions.addResourceSuppressions(
    stack.api,
    [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the policy API Gateway documents for its account-wide execution logging role.',
        appliesTo: [API_GATEWAY_LOGS],
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          settings.apiAuthorization === 'IAM'
            ? 'Callers are AWS principals (StackRox-style clients, CI roles) authenticated by SigV4 with AWS_IAM authorization; there are no end users for a Cognito user pool.'
            : 'The operator set apiAuthorization to NONE (for example behind a private network or a separate gateway); see infra/README.md.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL by default (it costs more than the idle service); the API is IAM-authorized and stage-throttled. Associate a web ACL when exposing it with apiAuthorization NONE.',
      },
      ...(settings.apiAuthorization === 'NONE'
        ? [{ id: 'AwsSolutions-APIG4', reason: 'The operator set apiAuthorization to NONE deliberately; see infra/README.md for when that is appropriate.' }]
        : []),
    ],
    true,
  );
}
