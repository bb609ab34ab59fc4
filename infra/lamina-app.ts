import { App, Aspects, Tags, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { suppressAcceptedFindings } from './nag-suppressions';
import { type LaminaSettings, parseSettings } from './settings';
import { LaminaStatefulStack } from './stateful-stack';
import { type LaminaEntries, LaminaStatelessStack } from './stateless-stack';

export interface LaminaAppOptions {
  readonly app?: App;
  /** Overrides of the CDK context settings (tests use these). */
  readonly settings?: Partial<LaminaSettings>;
  readonly entries?: LaminaEntries;
  readonly env?: Environment;
}

export interface LaminaApp {
  readonly app: App;
  readonly settings: LaminaSettings;
  readonly stateful: LaminaStatefulStack;
  readonly stateless: LaminaStatelessStack;
}

/** Both stacks, checked by cdk-nag AwsSolutions; every accepted finding carries its reason. */
export function createLaminaApp(options: LaminaAppOptions = {}): LaminaApp {
  const app = options.app ?? new App();
  const settings = parseSettings((key) =>
    options.settings && key in options.settings ? options.settings[key as keyof LaminaSettings] : app.node.tryGetContext(key),
  );
  const stateful = new LaminaStatefulStack(app, 'LaminaStateful', {
    env: options.env,
    description: 'lamina: DynamoDB tables (retained on delete)',
  });
  const stateless = new LaminaStatelessStack(app, 'LaminaStateless', {
    env: options.env,
    description: 'lamina: ScanImage API, scan worker, advisory updater, alarms',
    resources: stateful,
    settings,
    entries: options.entries,
  });
  stateless.addStackDependency(stateful);
  Tags.of(app).add('project', 'lamina');
  suppressAcceptedFindings(stateless, settings);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, settings, stateful, stateless };
}
