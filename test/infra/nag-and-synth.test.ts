import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { createLaminaApp } from '../../infra/lamina-app';
import { DEFAULT_ENTRIES } from '../../infra/stateless-stack';
import { laminaTestApp, TEST_ENV } from './test-app';

const REPO_ROOT = resolve(__dirname, '..', '..');

function nagFindings(stack: Stack, level: 'findError' | 'findWarning'): string[] {
  return Annotations.fromStack(stack)
    [level]('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    .map((finding) => `${finding.id}: ${String(finding.entry.data).split(':')[0]}`);
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the defaults (every repository of the account watched)', {}],
    [
      'watched repositories and clusters',
      {
        ecrRepositories: ['team/app', 'arn:aws:ecr:us-east-1:210987654321:repository/shared/base'],
        clusters: [{ id: 'vpc', name: 'private', endpoint: 'https://scanner.example.com' }],
        reservedConcurrency: 4,
      },
    ],
    [
      'clusters behind API Gateway',
      {
        clusters: [
          { id: 'eu', name: 'eu', endpoint: 'https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod' },
          { id: 'cn', name: 'cn', endpoint: 'https://f6g7h8i9j0.execute-api.cn-north-1.amazonaws.com.cn/prod' },
          { id: 'plain', name: 'plain', endpoint: 'https://scanner.example.com' },
        ],
      },
    ],
    ['every repository of the account, explicitly', { ecrRepositories: ['*'] }],
    ['no watched repository', { ecrRepositories: [] }],
    ['an API without IAM authorization', { apiAuthorization: 'NONE' as const }],
  ])('reports no unsuppressed error or warning with %s', (_name, settings) => {
    const { stateful, stateless } = laminaTestApp(settings);
    for (const stack of [stateful, stateless]) {
      expect(nagFindings(stack, 'findError')).toEqual([]);
      expect(nagFindings(stack, 'findWarning')).toEqual([]);
    }
  });

  it('records a reason for every accepted finding in the template metadata', () => {
    const { stateless } = laminaTestApp({ ecrRepositories: ['team/app'] });
    const template = Template.fromStack(stateless).toJSON() as {
      Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }>;
    };
    const suppressions = Object.values(template.Resources).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(new Set(suppressions.map((s) => s.id))).toEqual(
      new Set(['AwsSolutions-L1', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SQS3', 'AwsSolutions-COG4', 'AwsSolutions-APIG3']),
    );
    for (const suppression of suppressions) expect(suppression.reason.length).toBeGreaterThan(40);
  });
});

const missingEntries = Object.values(DEFAULT_ENTRIES).filter((entry) => !existsSync(entry));
const describeWithHandlers = missingEntries.length === 0 ? describe : describe.skip;

describeWithHandlers(
  `the real handlers${missingEntries.length ? ` (skipped: missing ${missingEntries.map((e) => e.replace(`${REPO_ROOT}/`, '')).join(', ')})` : ''}`,
  () => {
    it('bundle with the local esbuild into small CommonJS files with source maps', () => {
      const { stateless } = createLaminaApp({ env: TEST_ENV, settings: { ecrRepositories: ['team/app'] } });
      const assembly = stateless.node.root as unknown as { synth(): { directory: string } };
      const outdir = assembly.synth().directory;
      const bundles = readdirSync(outdir).filter((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'index.js')));
      expect(bundles).toHaveLength(3);
      for (const bundle of bundles) {
        const code = readFileSync(join(outdir, bundle, 'index.js'), 'utf8');
        expect(existsSync(join(outdir, bundle, 'index.js.map'))).toBe(true);
        expect(code).toMatch(/module\.exports|exports\.handler|handler:/);
        // Only Node built-ins and the runtime's AWS SDK may stay outside the bundle.
        const external = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        expect(external.filter((name) => !name.startsWith('@aws-sdk/') && !isBuiltin(name))).toEqual([]);
      }
    });

    it('synthesize with `cdk synth` from cdk.json, offline and without credentials', async () => {
      const outdir = mkdtempSync(join(tmpdir(), 'lamina-cdk-'));
      try {
        const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DEFAULT_ACCOUNT: '', CDK_DEFAULT_REGION: '' };
        await promisify(execFile)(process.execPath, [require.resolve('aws-cdk/bin/cdk'), 'synth', '--quiet', '--output', outdir, '--no-version-reporting'], {
          cwd: REPO_ROOT,
          env,
          timeout: 120_000,
        });
        expect(existsSync(join(outdir, 'LaminaStateful.template.json'))).toBe(true);
        expect(existsSync(join(outdir, 'LaminaStateless.template.json'))).toBe(true);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });
  },
);
