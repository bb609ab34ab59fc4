import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dotnetAnalyzer, packagesFromDepsJson, sharedFrameworkOf } from '../../lib/analyzers/dotnet';
import type { AnalysisResult, PackageRecord } from '../../lib/analyzers/types';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const APP = 'app/ExampleApp1.deps.json';
const NETCORE_DIR = 'usr/share/dotnet/shared/Microsoft.NETCore.App';
const ASPNET_DIR = 'usr/share/dotnet/shared/Microsoft.AspNetCore.App';

function analyze(path: string, content: string | Buffer | object): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dotnetAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

function analyzeFixture(fixture: string): AnalysisResult {
  const dir = peerFixture('pkgdb/dotnet-deps', fixture);
  return analyze(APP, readFileSync(`${dir}/${readdirSync(dir)[0]}`));
}

const nuget = (name: string, version: string): PackageRecord => ({ ecosystem: 'NuGet', purlType: 'nuget', name, version });

const packages = (...records: PackageRecord[]): AnalysisResult => ({ evidence: [{ kind: 'packages', packages: records }] });

describe('dotnet analyser paths', () => {
  it.each([
    APP,
    'MyApp.deps.json',
    `${NETCORE_DIR}/8.0.11/Microsoft.NETCore.App.deps.json`,
    `${ASPNET_DIR}/8.0.11/Microsoft.AspNetCore.App.deps.json`,
    'usr/share/dotnet/sdk/8.0.404/dotnet.deps.json',
  ])('wants %s', (path) => {
    expect(dotnetAnalyzer.wants(path)).toBe(true);
  });

  it.each(['app/.deps.json', 'app/MyApp.deps.json.bak', 'app/MyApp.runtimeconfig.json', 'app/MyApp.dll', 'app/deps.json'])('does not want %s', (path) => {
    expect(dotnetAnalyzer.wants(path)).toBe(false);
  });

  it('reads deps.json up to 16 MiB and declares no path hints (applications are anywhere)', () => {
    expect(dotnetAnalyzer.maxFileSize).toBe(16 * 1024 * 1024);
    expect('pathHints' in dotnetAnalyzer).toBe(false);
    expect(dotnetAnalyzer.name).toBe('dotnet');
    expect(dotnetAnalyzer.version).toBe(1);
  });

  it('recognises a shared framework by the host layout: shared/<name>/<version>/<name>.deps.json', () => {
    expect(sharedFrameworkOf(`${NETCORE_DIR}/8.0.11/Microsoft.NETCore.App.deps.json`)).toEqual({ name: 'Microsoft.NETCore.App', version: '8.0.11' });
    expect(sharedFrameworkOf(`root/.dotnet/shared/Microsoft.AspNetCore.App/9.0.0-rc.2.24474.3/Microsoft.AspNetCore.App.deps.json`)).toEqual({
      name: 'Microsoft.AspNetCore.App',
      version: '9.0.0-rc.2.24474.3',
    });
    expect(sharedFrameworkOf('shared/Microsoft.NETCore.App/6.0.36/Microsoft.NETCore.App.deps.json')).toEqual({
      name: 'Microsoft.NETCore.App',
      version: '6.0.36',
    });
    // Another file in the directory, a directory not named by a version, not under shared/, an unknown framework.
    expect(sharedFrameworkOf(`${NETCORE_DIR}/8.0.11/MyApp.deps.json`)).toBeUndefined();
    expect(sharedFrameworkOf(`${NETCORE_DIR}/latest/Microsoft.NETCore.App.deps.json`)).toBeUndefined();
    expect(sharedFrameworkOf('opt/Microsoft.NETCore.App/8.0.11/Microsoft.NETCore.App.deps.json')).toBeUndefined();
    expect(sharedFrameworkOf('usr/share/dotnet/shared/Contoso.App/1.0.0/Contoso.App.deps.json')).toBeUndefined();
  });
});

describeWithShared('deps.json files from other scanners', () => {
  it('happy: the package the runtime target loads; the project (the app itself) is not a package', () => {
    expect(analyzeFixture('trivy-happy.deps.json')).toEqual(packages(nuget('Newtonsoft.Json', '13.0.1')));
  });

  it('without-runtime: only libraries whose target entry has runtime or RID-specific assets are loaded', () => {
    // JsonDiffPatch has `runtime`, Libuv `runtimeTargets`. Microsoft.NETCore.App and NETStandard.Library list only
    // dependencies, Microsoft.NETCore.Platforms and System.Net.Http are empty, System.Collections.Immutable is
    // not in the runtime target at all.
    expect(analyzeFixture('trivy-without-runtime.deps.json')).toEqual(packages(nuget('JsonDiffPatch', '2.0.61'), nuget('Libuv', '1.9.1')));
  });

  it('self-contained: the bundled runtime packs are reported under the names advisories use, without `runtimepack.`', () => {
    expect(analyzeFixture('trivy-self-contained.deps.json')).toEqual(
      packages(
        nuget('Newtonsoft.Json', '13.0.1'),
        nuget('Microsoft.NETCore.App.Runtime.linux-x64', '8.0.0'),
        nuget('Microsoft.AspNetCore.App.Runtime.linux-x64', '8.0.0'),
      ),
    );
  });

  it('multi-project and ambiguous-root: several projects, none of them reported', () => {
    expect(analyzeFixture('trivy-multi-project.deps.json')).toEqual(packages(nuget('Newtonsoft.Json', '13.0.3')));
    expect(analyzeFixture('trivy-ambiguous-root.deps.json')).toEqual(packages(nuget('Newtonsoft.Json', '13.0.3')));
  });

  it('missing-target: the runtime target is not among the targets, so every package is reported, with a note', () => {
    expect(analyzeFixture('trivy-missing-target.deps.json')).toEqual({
      evidence: [{ kind: 'packages', packages: [nuget('Newtonsoft.Json', '13.0.1')] }],
      notes: [`${APP}: its runtime target ".NETCoreApp,Version=v5.0" is not among its targets: every package library is reported`],
    });
  });

  it('no-libraries: no package can be named (names come from `libraries`); the file is still evidence of none', () => {
    expect(analyzeFixture('trivy-no-libraries.deps.json')).toEqual({
      evidence: [{ kind: 'packages', packages: [] }],
      notes: [`${APP}: has no libraries section: no package can be named`],
    });
  });
});

/**
 * A shared framework's deps.json as the runtime installs ship it (shape of .NET 5 and later: one RID-specific
 * target holding the runtime pack, `libraries` naming it), trimmed to a few assets.
 */
function sharedFrameworkDeps(framework: string, version: string, rid: string | undefined): object {
  const target = rid
    ? `.NETCoreApp,Version=v${version.split('.').slice(0, 2).join('.')}/${rid}`
    : `.NETCoreApp,Version=v${version.split('.').slice(0, 2).join('.')}`;
  const pack = rid ? `${framework}.Runtime.${rid}/${version}` : `${framework}/${version}`;
  return {
    runtimeTarget: { name: target, signature: '' },
    compilationOptions: {},
    targets: {
      [target.split('/')[0]]: {},
      [target]: {
        [pack]: {
          runtime: { 'System.Private.CoreLib.dll': { assemblyVersion: '8.0.0.0', fileVersion: '8.0.1124.51707' } },
          native: { 'libcoreclr.so': { fileVersion: '0.0.0.0' } },
        },
      },
    },
    libraries: { [pack]: { type: 'package', serviceable: true, sha512: '', path: pack.toLowerCase() } },
  };
}

describe('installed shared frameworks', () => {
  it('.NET runtime: Microsoft.NETCore.App.Runtime.<rid> at the version of its directory', () => {
    const path = `${NETCORE_DIR}/8.0.11/Microsoft.NETCore.App.deps.json`;
    expect(analyze(path, sharedFrameworkDeps('Microsoft.NETCore.App', '8.0.11', 'linux-x64'))).toEqual(
      packages(nuget('Microsoft.NETCore.App.Runtime.linux-x64', '8.0.11')),
    );
  });

  it('ASP.NET Core on Alpine arm64: Microsoft.AspNetCore.App.Runtime.linux-musl-arm64', () => {
    const path = `${ASPNET_DIR}/8.0.11/Microsoft.AspNetCore.App.deps.json`;
    expect(analyze(path, sharedFrameworkDeps('Microsoft.AspNetCore.App', '8.0.11', 'linux-musl-arm64'))).toEqual(
      packages(nuget('Microsoft.AspNetCore.App.Runtime.linux-musl-arm64', '8.0.11')),
    );
  });

  it('the directory is what the host resolves: its version wins over the one inside the file', () => {
    const path = `${NETCORE_DIR}/6.0.36/Microsoft.NETCore.App.deps.json`;
    expect(analyze(path, sharedFrameworkDeps('Microsoft.NETCore.App', '6.0.35', 'linux-arm64'))).toEqual(
      packages(nuget('Microsoft.NETCore.App.Runtime.linux-arm64', '6.0.36')),
    );
  });

  it('a distribution-built runtime keeps its own RID (its advisories are the distribution’s)', () => {
    const path = `usr/lib/dotnet/shared/Microsoft.NETCore.App/8.0.11/Microsoft.NETCore.App.deps.json`;
    expect(analyze(path, sharedFrameworkDeps('Microsoft.NETCore.App', '8.0.11', 'ubuntu.24.04-x64'))).toEqual(
      packages(nuget('Microsoft.NETCore.App.Runtime.ubuntu.24.04-x64', '8.0.11')),
    );
  });

  it('.NET Core 2.x had no runtime packs: the framework meta-package name, as its advisories name it', () => {
    const path = `${ASPNET_DIR}/2.1.30/Microsoft.AspNetCore.App.deps.json`;
    expect(analyze(path, sharedFrameworkDeps('Microsoft.AspNetCore.App', '2.1.30', 'linux-x64'))).toEqual(
      packages(nuget('Microsoft.AspNetCore.App', '2.1.30')),
    );
  });

  it('3.0 and later without a RID in the file: the framework name, with a note', () => {
    const path = `${NETCORE_DIR}/8.0.11/Microsoft.NETCore.App.deps.json`;
    expect(analyze(path, sharedFrameworkDeps('Microsoft.NETCore.App', '8.0.11', undefined))).toEqual({
      evidence: [{ kind: 'packages', packages: [nuget('Microsoft.NETCore.App', '8.0.11')] }],
      notes: [`${path}: names no runtime identifier: the runtime is reported as Microsoft.NETCore.App`],
    });
  });

  it('a damaged framework deps.json is unreadable', () => {
    const path = `${NETCORE_DIR}/8.0.11/Microsoft.NETCore.App.deps.json`;
    const result = analyze(path, '{"runtimeTarget": ');
    expect(result.evidence).toEqual([]);
    expect(result.unreadable).toBe(true);
    expect(result.notes?.[0]).toMatch(/^usr\/share\/dotnet\/shared\/Microsoft\.NETCore\.App\/8\.0\.11\/Microsoft\.NETCore\.App\.deps\.json: not valid JSON/);
  });
});

describe('deps.json files written for the test', () => {
  const TARGET = '.NETCoreApp,Version=v8.0';

  function deps(target: Record<string, unknown>, libraries: Record<string, unknown>, runtimeTarget: unknown = { name: TARGET }): object {
    return { runtimeTarget, targets: { [TARGET]: target }, libraries };
  }
  const pkg = { type: 'package', serviceable: true, sha512: '' };
  const dll = (file: string) => ({ runtime: { [file]: {} } });

  it('compile-only entries and `_._` placeholders load nothing; native assets do', () => {
    const result = packagesFromDepsJson(
      JSON.stringify(
        deps(
          {
            'Compile.Only/1.0.0': { compileOnly: true, runtime: { 'lib/net8.0/Compile.Only.dll': {} } },
            'Placeholder/1.0.0': { runtime: { 'lib/net8.0/_._': {} } },
            'Native.Only/2.0.0': { native: { 'runtimes/linux-x64/native/libfoo.so': {} } },
            'Resources.Only/1.0.0': { resources: { 'de/Resources.Only.resources.dll': { locale: 'de' } } },
          },
          { 'Compile.Only/1.0.0': pkg, 'Placeholder/1.0.0': pkg, 'Native.Only/2.0.0': pkg, 'Resources.Only/1.0.0': pkg },
        ),
      ),
    );
    expect(result).toEqual({ packages: [nuget('Native.Only', '2.0.0')], notes: [] });
  });

  it('target keys match libraries whatever their case; names keep the libraries’ spelling', () => {
    const result = packagesFromDepsJson(
      JSON.stringify(deps({ 'newtonsoft.json/13.0.3': dll('lib/net6.0/Newtonsoft.Json.dll') }, { 'Newtonsoft.Json/13.0.3': pkg })),
    );
    expect(result.packages).toEqual([nuget('Newtonsoft.Json', '13.0.3')]);
  });

  it('old files give runtimeTarget as a string; types are compared without case; reference and project libraries are skipped', () => {
    const result = packagesFromDepsJson(
      JSON.stringify(
        deps(
          { 'A/1.0.0': dll('A.dll'), 'B/2.0.0': dll('B.dll'), 'C/3.0.0': dll('C.dll'), 'D/4.0.0': dll('D.dll') },
          { 'A/1.0.0': { type: 'Package' }, 'B/2.0.0': { type: 'project' }, 'C/3.0.0': { type: 'reference' }, 'D/4.0.0': {} },
          TARGET,
        ),
      ),
    );
    expect(result).toEqual({ packages: [nuget('A', '1.0.0')], notes: [] });
  });

  it('library keys that are not Name/Version are skipped with a note; the others are kept and the file is partial', () => {
    const path = APP;
    const result = analyze(
      path,
      deps({ 'Good/1.0.0': dll('Good.dll'), NoVersion: dll('NoVersion.dll') }, { NoVersion: pkg, 'Good/1.0.0': pkg, '/1.0.0': pkg, 'Bad Name/1.0': pkg }),
    );
    expect(result).toEqual({
      evidence: [{ kind: 'packages', packages: [nuget('Good', '1.0.0')] }],
      notes: [`${path}: 3 library key(s) not of the form Name/Version, first "NoVersion"; skipped`],
      unreadable: true,
    });
  });

  it('no runtime target named: every package is reported, with a note', () => {
    const result = packagesFromDepsJson(JSON.stringify({ targets: { [TARGET]: {} }, libraries: { 'A/1.0.0': pkg } }));
    expect(result).toEqual({ packages: [nuget('A', '1.0.0')], notes: ['names no runtime target: every package library is reported'] });
  });

  it('keys that are Object.prototype names are plain data', () => {
    const text =
      '{"runtimeTarget":{"name":"__proto__"},"targets":{"__proto__":{"A/1.0.0":{"runtime":{"A.dll":{}}}}},"libraries":{"__proto__":{"type":"package"},"A/1.0.0":{"type":"package"}}}';
    const result = packagesFromDepsJson(text);
    expect(result.packages).toEqual([nuget('A', '1.0.0')]);
    expect(result.notes).toEqual(['1 library key(s) not of the form Name/Version, first "__proto__"; skipped']);
  });

  it('not JSON, not an object, or a libraries section of the wrong type: a note, no evidence, unreadable', () => {
    for (const [content, why] of [
      ['{ "libraries": ', /: not valid JSON \(/],
      ['[1, 2]', /: not a deps\.json \(its top level is not an object\)$/],
      ['{"libraries": []}', /: its libraries section is not an object$/],
    ] as const) {
      const result = analyze(APP, content);
      expect(result.evidence).toEqual([]);
      expect(result.unreadable).toBe(true);
      expect(result.notes).toHaveLength(1);
      expect(result.notes?.[0]).toMatch(why);
    }
  });

  it('a UTF-8 byte-order mark is accepted', () => {
    const text = `\uFEFF${JSON.stringify(deps({ 'A/1.0.0': dll('A.dll') }, { 'A/1.0.0': pkg }))}`;
    expect(analyze(APP, text)).toEqual(packages(nuget('A', '1.0.0')));
  });

  it('random bytes give a note and no evidence, never a throw', () => {
    for (let i = 0; i < 20; i++) {
      const result = analyze(APP, randomBytes(1024));
      expect(result.evidence).toEqual([]);
      expect(result.unreadable).toBe(true);
      expect(result.notes?.[0]).toMatch(/^app\/ExampleApp1\.deps\.json: not /);
    }
  });
});
