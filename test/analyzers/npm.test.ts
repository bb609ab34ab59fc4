import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { selectorFor } from '../../lib/analyzers';
import { isInstalledPackageManifest, npmAnalyzer, parsePackageManifest } from '../../lib/analyzers/npm';
import type { AnalysisResult, PackageRecord } from '../../lib/analyzers/types';
import { readLayer } from '../../lib/layers';
import { buildTar, type EntrySpec, streamOf } from '../layers/layer-fixtures';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const run = promisify(execFile);

function analyze(path: string, content: string | Buffer): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return npmAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

const npm = (name: string, version: string, license?: string): PackageRecord =>
  license === undefined ? { ecosystem: 'npm', purlType: 'npm', name, version } : { ecosystem: 'npm', purlType: 'npm', name, version, license };

const found = (...packages: PackageRecord[]): AnalysisResult => ({ evidence: [{ kind: 'packages', packages }] });

describe('npm analyser paths', () => {
  it('wants the manifest at the root of each installed package, scoped or not, nested or not', () => {
    for (const path of [
      'node_modules/ms/package.json',
      'app/node_modules/minimist/package.json',
      'app/node_modules/@babel/helper-string-parser/package.json',
      'app/node_modules/debug/node_modules/ms/package.json',
      'app/node_modules/@scope/a/node_modules/@scope/b/package.json',
      'usr/local/lib/node_modules/npm/package.json',
      'usr/local/lib/node_modules/npm/node_modules/semver/package.json',
      'usr/local/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json',
      // pnpm's store: every package copy is installed code.
      'app/node_modules/.pnpm/lodash@4.17.20/node_modules/lodash/package.json',
    ]) {
      expect([path, npmAnalyzer.wants(path)]).toEqual([path, true]);
    }
  });

  it('leaves out manifests deeper inside a package, the application, lockfiles and scope directories', () => {
    for (const path of [
      'package.json',
      'app/package.json',
      'node_modules/package.json',
      'app/node_modules/package.json',
      'app/node_modules/x/lib/package.json',
      'app/node_modules/x/test/fixtures/package.json',
      'app/node_modules/tslib/modules/package.json',
      'app/node_modules/@scope/package.json',
      'app/node_modules/@scope/x/dist/package.json',
      'app/node_modules/@/x/package.json',
      'app/node_modules/.bin/package.json',
      'app/node_modules/.package-lock.json',
      'app/package-lock.json',
      'app/node_modules/x/package.json5',
      'app/node_modules/x/package.jsonx',
      'app/node_modules/x/my-package.json',
      'app/my_node_modules/x/package.json',
      'app/node_modules_old/x/package.json',
      '@scope/x/package.json',
    ]) {
      expect([path, npmAnalyzer.wants(path)]).toEqual([path, false]);
    }
    expect(isInstalledPackageManifest).toBe(npmAnalyzer.wants);
  });

  it('declares no path hints (package trees are anywhere) and reads manifests up to 1 MiB', () => {
    expect('pathHints' in npmAnalyzer).toBe(false);
    expect(npmAnalyzer.maxFileSize).toBe(1024 * 1024);
    expect(npmAnalyzer.name).toBe('npm');
    expect(npmAnalyzer.version).toBe(1);
    const selector = selectorFor([npmAnalyzer]);
    expect(selector.limitFor('app/node_modules/ms/package.json')).toBe(1024 * 1024);
    expect(selector.limitFor('app/package.json')).toBeUndefined();
  });
});

describeWithShared('package.json files from trivy', () => {
  const fixture = (name: string, file: string): Buffer => readFileSync(peerFixture('pkgdb/npm-packagejson', name, file));
  const at = 'app/node_modules/x/package.json';

  it('bootstrap: name, version and SPDX licence string; the leading blank line and workspaces do not matter', () => {
    expect(analyze(at, fixture('trivy-package.json', 'package.json'))).toEqual(found(npm('bootstrap', '5.0.2', 'MIT')));
  });

  it('a legacy licence object gives its type', () => {
    expect(analyze(at, fixture('trivy-legacy_package.json', 'legacy_package.json'))).toEqual(found(npm('angular', '4.1.2', 'ISC')));
  });

  it('a legacy licence array is a choice: its types joined with OR', () => {
    expect(analyze(at, fixture('trivy-legacy_array_package.json', 'legacy_array_package.json'))).toEqual(found(npm('tv4', '1.3.0', 'Public Domain OR MIT')));
  });

  it('an array with an empty type keeps the others; an empty array declares nothing', () => {
    expect(analyze(at, fixture('trivy-mixed_array_license_package.json', 'mixed_array_license_package.json'))).toEqual(
      found(npm('mixed-array-license', '1.0.0', 'MIT')),
    );
    expect(analyze(at, fixture('trivy-empty_array_license_package.json', 'empty_array_license_package.json'))).toEqual(
      found(npm('empty-array-license', '1.0.0')),
    );
  });

  it('licences that are a number, null or an object without type declare nothing', () => {
    expect(analyze(at, fixture('trivy-invalid_license_package.json', 'invalid_license_package.json'))).toEqual(found(npm('weird-license', '1.0.0')));
    expect(analyze(at, fixture('trivy-null_license_package.json', 'null_license_package.json'))).toEqual(found(npm('null-license', '1.0.0')));
    expect(analyze(at, fixture('trivy-unknown_license_object_package.json', 'unknown_license_object_package.json'))).toEqual(
      found(npm('unknown-license-object', '1.0.0')),
    );
  });

  it('workspaces as a map are no obstacle', () => {
    expect(analyze(at, fixture('trivy-workspace_as_map_package.json', 'workspace_as_map_package.json'))).toEqual(found(npm('example', '1.0.0')));
  });

  it('a manifest without a version, or without a name, is skipped with a note (read whole: not unreadable)', () => {
    expect(analyze(at, fixture('trivy-without_version_package.json', 'without_version_package.json'))).toEqual({
      evidence: [],
      notes: [`${at}: angular has no version (version is missing or not a string); skipped`],
    });
    expect(analyze(at, fixture('trivy-without_name_and_version_package.json', 'without_name_and_version_package.json'))).toEqual({
      evidence: [],
      notes: [`${at}: no package name (name is missing or not a string); skipped`],
    });
  });

  it('lockfiles are never read: they say what would be installed, not what is', () => {
    for (const lock of ['package-lock.json', 'node_modules/.package-lock.json', 'node_modules/x/package-lock.json']) {
      expect(npmAnalyzer.wants(`app/${lock}`)).toBe(false);
    }
  });
});

/** Real packages from the npm registry, at versions with published advisories (and two with nested manifests). */
const REGISTRY_PACKAGES = [
  { spec: 'minimist@1.2.5', at: 'app/node_modules/minimist' }, // CVE-2021-44906
  { spec: 'debug@2.6.8', at: 'app/node_modules/debug' }, // CVE-2017-16137
  { spec: 'ms@2.0.0', at: 'app/node_modules/debug/node_modules/ms' },
  { spec: 'ms@2.0.0', at: 'usr/local/lib/node_modules/npm/node_modules/ms' },
  { spec: '@octokit/request-error@5.1.0', at: 'app/node_modules/@octokit/request-error' }, // CVE-2025-25289
  { spec: 'tslib@2.6.2', at: 'app/node_modules/tslib' }, // ships modules/package.json, an ES-module marker
];

interface PackedPackage {
  name: string;
  version: string;
  /** The tarball's files, paths relative to the package root. */
  files: Map<string, Buffer>;
}

/** The files of an npm tarball, with the top directory (`package/`) stripped. */
async function untar(tgz: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name.slice(header.name.indexOf('/') + 1), Buffer.concat(chunks));
      next();
    });
    stream.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    tar.on('finish', resolve);
    tar.on('error', reject);
  });
  Readable.from([tgz]).pipe(createGunzip()).pipe(tar);
  await done;
  return files;
}

describe('real packages from the npm registry, installed in a layer', () => {
  let packed: Map<string, PackedPackage> | undefined;
  let skipReason = '';
  let workDir: string | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lamina-npm-pack-'));
    const specs = [...new Set(REGISTRY_PACKAGES.map((p) => p.spec))];
    try {
      const { stdout } = await run('npm', ['pack', ...specs, '--ignore-scripts', '--json', '--pack-destination', workDir], {
        cwd: workDir,
        timeout: 90_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      const reports = JSON.parse(stdout) as Array<{ id: string; name: string; version: string; filename: string }>;
      packed = new Map();
      for (const report of reports) {
        const files = await untar(await readFile(join(workDir, report.filename)));
        packed.set(report.id, { name: report.name, version: report.version, files });
      }
    } catch (error) {
      skipReason = (error as Error).message.split('\n')[0];
      packed = undefined;
    }
  }, 120_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** The fetched packages; when they could not be fetched, says, visibly, that the test did not run. */
  function fetched(test: string): Map<string, PackedPackage> | undefined {
    if (packed) return packed;
    console.warn(`SKIPPED "${test}": npm pack could not fetch ${[...new Set(REGISTRY_PACKAGES.map((p) => p.spec))].join(', ')} (offline?): ${skipReason}`);
    return undefined;
  }

  it('the selector reads exactly the package roots of the layer, and each gives its registry name and version', async () => {
    const registry = fetched('npm registry packages in a layer');
    if (!registry) return;
    const entries: EntrySpec[] = [
      { name: 'app/package.json', content: JSON.stringify({ name: 'my-app', version: '1.0.0', dependencies: { debug: '2.6.8' } }) },
    ];
    for (const { spec, at } of REGISTRY_PACKAGES) {
      for (const [file, content] of registry.get(spec)?.files ?? []) entries.push({ name: `${at}/${file}`, content });
    }
    const contents = await readLayer(streamOf(await buildTar(entries)), selectorFor([npmAnalyzer]));
    expect([...contents.files.keys()].sort()).toEqual(REGISTRY_PACKAGES.map(({ at }) => `${at}/package.json`).sort());
    // tslib's ES-module marker is in the layer, and is not a package.
    expect(entries.map((entry) => entry.name)).toContain('app/node_modules/tslib/modules/package.json');

    for (const { spec, at } of REGISTRY_PACKAGES) {
      const file = contents.files.get(`${at}/package.json`);
      expect(file).toBeDefined();
      if (!file) continue;
      const result = npmAnalyzer.analyze(file);
      const published = registry.get(spec);
      expect(result.notes).toBeUndefined();
      expect(result.evidence).toHaveLength(1);
      const evidence = result.evidence[0];
      const pkg = evidence.kind === 'packages' ? evidence.packages[0] : undefined;
      expect([at, pkg?.name, pkg?.version]).toEqual([at, published?.name, published?.version]);
    }
  });

  it('licences as the packages publish them', () => {
    const registry = fetched('npm registry package licences');
    if (!registry) return;
    const manifest = (spec: string): string => registry.get(spec)?.files.get('package.json')?.toString('utf8') ?? '';
    expect(parsePackageManifest(manifest('minimist@1.2.5'))).toEqual({ pkg: npm('minimist', '1.2.5', 'MIT') });
    expect(parsePackageManifest(manifest('debug@2.6.8'))).toEqual({ pkg: npm('debug', '2.6.8', 'MIT') });
    expect(parsePackageManifest(manifest('ms@2.0.0'))).toEqual({ pkg: npm('ms', '2.0.0', 'MIT') });
    expect(parsePackageManifest(manifest('@octokit/request-error@5.1.0'))).toEqual({ pkg: npm('@octokit/request-error', '5.1.0', 'MIT') });
    expect(parsePackageManifest(manifest('tslib@2.6.2'))).toEqual({ pkg: npm('tslib', '2.6.2', '0BSD') });
  });
});

describe('package.json files written for the test', () => {
  const at = 'node_modules/x/package.json';

  it('a byte-order mark is tolerated, as npm tolerates it', () => {
    expect(analyze(at, `\ufeff${JSON.stringify({ name: 'bom', version: '1.0.0' })}`)).toEqual(found(npm('bom', '1.0.0')));
  });

  it('the name is the manifest’s, not the directory’s (aliased installs)', () => {
    expect(analyze('node_modules/alias/package.json', JSON.stringify({ name: 'real', version: '2.0.0' }))).toEqual(found(npm('real', '2.0.0')));
  });

  it('a legacy licenses array of objects or strings is a choice; compound members keep their grouping', () => {
    expect(analyze(at, JSON.stringify({ name: 'a', version: '1.0.0', licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] }))).toEqual(
      found(npm('a', '1.0.0', 'MIT OR Apache-2.0')),
    );
    expect(analyze(at, JSON.stringify({ name: 'a', version: '1.0.0', licenses: ['MIT', 'MIT', 'GPL-2.0-only WITH Classpath-exception-2.0'] }))).toEqual(
      found(npm('a', '1.0.0', 'MIT OR (GPL-2.0-only WITH Classpath-exception-2.0)')),
    );
    // `license` wins over `licenses`; blanks around a licence are trimmed.
    expect(analyze(at, JSON.stringify({ name: 'a', version: '1.0.0', license: ' (MIT OR ISC) ', licenses: [{ type: 'GPL-3.0' }] }))).toEqual(
      found(npm('a', '1.0.0', '(MIT OR ISC)')),
    );
  });

  it('names and versions that are not strings, or are blank, are skipped with a note', () => {
    expect(analyze(at, JSON.stringify({ name: 'n', version: 1 })).notes).toEqual([`${at}: n has no version (version is missing or not a string); skipped`]);
    expect(analyze(at, JSON.stringify({ name: ['n'], version: '1.0.0' })).notes).toEqual([`${at}: no package name (name is missing or not a string); skipped`]);
    expect(analyze(at, JSON.stringify({ name: 'n', version: '  ' })).evidence).toEqual([]);
    expect(analyze(at, JSON.stringify({ name: 'two words', version: '1.0.0' })).evidence).toEqual([]);
    // Blanks around are trimmed.
    expect(analyze(at, JSON.stringify({ name: ' n ', version: ' 1.0.0 ' }))).toEqual(found(npm('n', '1.0.0')));
  });

  it('a manifest that is not JSON, or not an object, is unreadable: its package is unknown', () => {
    const truncated = analyze(at, '{"name": "cut", "version": "1.0');
    expect(truncated.evidence).toEqual([]);
    expect(truncated.unreadable).toBe(true);
    expect(truncated.notes).toHaveLength(1);
    expect(truncated.notes?.[0]).toMatch(/^node_modules\/x\/package\.json: not valid JSON \(.+\)$/);
    expect(analyze(at, '["name", "version"]')).toEqual({ evidence: [], notes: [`${at}: not a JSON object`], unreadable: true });
    expect(analyze(at, 'null')).toEqual({ evidence: [], notes: [`${at}: not a JSON object`], unreadable: true });
  });

  it('random bytes give a note, never a throw', () => {
    for (let i = 0; i < 20; i++) {
      const result = analyze(at, randomBytes(512));
      expect(result.evidence).toEqual([]);
      expect(result.unreadable).toBe(true);
    }
  });
});
