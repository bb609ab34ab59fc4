import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = resolve(__dirname, '..', '..');
/** Under node_modules so jest does not transform the bundles again. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'lamina-handler-bundles', String(process.pid));
let serial = 0;

// The bundles go with the test file that made them.
afterAll(() => rmSync(OUT_DIR, { recursive: true, force: true }));

/**
 * Loads a Lambda handler the way Lambda runs it: functions/<name>.ts bundled by esbuild into one CommonJS file
 * with the AWS SDK left outside (the Node 22 runtime provides it; here node_modules does), as infra's
 * LaminaFunction bundles it. This is also how jest, which runs CommonJS, can load @middy/core (ES modules only).
 *
 * Each call is a fresh copy of the module: a new Lambda container, with its own clients and caches. The AWS SDK
 * stays shared with the test, so aws-sdk-client-mock applies to it.
 */
export function loadBundledModule<T>(name: 'api' | 'ecr-worker' | 'updater'): T {
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, `${name}-${++serial}.js`);
  buildSync({
    entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['@aws-sdk/*'],
    logLevel: 'error',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as T;
}

export function loadBundledHandler<T>(name: 'api' | 'ecr-worker' | 'updater'): T {
  return loadBundledModule<{ handler: T }>(name).handler;
}
