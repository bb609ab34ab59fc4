import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { createLaminaApp, type LaminaApp } from '../../infra/lamina-app';
import type { LaminaSettings } from '../../infra/settings';

const FIXTURE_HANDLER = resolve(__dirname, 'fixtures', 'handler.ts');
export const FIXTURE_ENTRIES = { api: FIXTURE_HANDLER, worker: FIXTURE_HANDLER, updater: FIXTURE_HANDLER };

export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' };

/** Both stacks with the stand-in handler, a fixed account and region, and the given settings. */
export function laminaTestApp(settings: Partial<LaminaSettings> = {}, context: Record<string, unknown> = {}): LaminaApp {
  return createLaminaApp({ app: new App({ context }), settings, entries: FIXTURE_ENTRIES, env: TEST_ENV });
}
