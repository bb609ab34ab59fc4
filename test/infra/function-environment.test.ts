import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { LaminaSettings } from '../../infra/settings';
import { laminaTestApp } from './test-app';

const REPO_ROOT = resolve(__dirname, '..', '..');
/** Where the code the functions run lives: the handlers and the core they bundle. */
const SOURCE_DIRS = ['lib', 'functions'];

/** Variables nothing in lib/ or functions/ reads, but the Lambda runtime does; each with the reason it is set. */
const READ_BY_THE_RUNTIME: Record<string, string> = {
  NODE_OPTIONS: 'Node reads --enable-source-maps, so stack traces point into the TypeScript sources through the bundled source maps',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.[cm]?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Environment variable names the source reads: `env.NAME`, `process.env.NAME`, `env?.NAME`, `env['NAME']`, and a
 * string literal handed to a reader next to the environment, as in `required(env, 'LAMINA_IMAGES_TABLE')`.
 */
function namesReadBySource(): Set<string> {
  const name = '([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)';
  const patterns = [
    new RegExp(`\\benv\\s*\\??\\.\\s*${name}\\b`, 'g'),
    new RegExp(`\\benv\\s*\\[\\s*['"\`]${name}['"\`]\\s*\\]`, 'g'),
    new RegExp(`\\(\\s*(?:process\\.)?env\\s*,\\s*['"\`]${name}['"\`]`, 'g'),
    new RegExp(`\\(\\s*['"\`]${name}['"\`]\\s*,\\s*(?:process\\.)?env\\b`, 'g'),
  ];
  const names = new Set<string>();
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(resolve(REPO_ROOT, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of patterns) for (const match of text.matchAll(pattern)) names.add(match[1]);
    }
  }
  return names;
}

/** Every variable of every function as `[variable, function description]`. */
function variablesOf(settings: Partial<LaminaSettings>): [string, string][] {
  const template = Template.fromStack(laminaTestApp(settings).stateless);
  return Object.values(template.findResources('AWS::Lambda::Function')).flatMap((fn) =>
    Object.keys(fn.Properties.Environment?.Variables ?? {}).map((variable): [string, string] => [variable, fn.Properties.Description]),
  );
}

describe('function environment', () => {
  const read = namesReadBySource();

  it('finds the readers in lib/ and functions/ (the grep itself works)', () => {
    // One name per way of reading: a required() literal, env.X in lib/, env.X in functions/.
    for (const known of ['LAMINA_IMAGES_TABLE', 'LAMINA_SNOOZES_TABLE', 'LAMINA_OSV_ECOSYSTEMS']) expect([known, read.has(known)]).toEqual([known, true]);
  });

  it.each<[string, Partial<LaminaSettings>]>([
    ['the defaults', {}],
    [
      'every setting that adds or fills a variable',
      {
        ecrRepositories: ['team/app'],
        allowedRegistries: ['ghcr.io'],
        clusters: [{ id: 'eu', name: 'eu', endpoint: 'https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod' }],
        osvEcosystems: ['Debian'],
        osvBaseUrl: 'https://osv-mirror.example.com',
        platform: 'linux/arm64',
      },
    ],
  ])('sets only variables that code reads, with %s', (_name, settings) => {
    const unread = variablesOf(settings).filter(([variable]) => !read.has(variable) && !(variable in READ_BY_THE_RUNTIME));
    expect(unread.map(([variable, fn]) => `${variable} (${fn})`)).toEqual([]);
  });

  it('keeps the runtime exceptions in use, so the list cannot go stale', () => {
    const variables = new Set(variablesOf({}).map(([variable]) => variable));
    for (const variable of Object.keys(READ_BY_THE_RUNTIME)) {
      expect([variable, variables.has(variable), read.has(variable)]).toEqual([variable, true, false]);
    }
  });
});
