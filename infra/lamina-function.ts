import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface LaminaFunctionProps {
  /** TypeScript file exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly ephemeralStorageSize?: Size;
  readonly timeout?: Duration;
  readonly reservedConcurrentExecutions?: number;
  readonly logRetention?: RetentionDays;
}

/** The house Lambda: Node 22 on arm64, traced, bundled locally by esbuild (no Docker), with its own log group. */
export class LaminaFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LaminaFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      memorySize: props.memorySize ?? 1024,
      ephemeralStorageSize: props.ephemeralStorageSize ?? Size.mebibytes(512),
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      // Only variables the code reads (test/infra/function-environment.test.ts); the handlers name their Powertools
      // service and metrics namespace in code, so no POWERTOOLS_* variable is set.
      environment: {
        ...props.environment,
        // Read by Node itself: stack traces point into the TypeScript sources through the bundled source maps.
        NODE_OPTIONS: '--enable-source-maps',
        // /tmp is the only writable path in Lambda.
        LAMINA_DATA_DIR: '/tmp/lamina',
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        // The Node 22 runtime ships AWS SDK v3; everything else is bundled.
        externalModules: ['@aws-sdk/*'],
      },
    });
  }
}
