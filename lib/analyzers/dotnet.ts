import type { ImagePath, LayerFile } from '../layers/types';
import { baseName, parentDir } from './path-hints';
import type { Analyzer, AnalysisResult, PackageRecord } from './types';

const DEPS_JSON = '.deps.json';
/** deps.json of large applications (and of the SDK's tools) are a few MiB. */
const MAX_DEPS_BYTES = 16 * 1024 * 1024;
/** The SDK names the runtime it bundles into a self-contained app `runtimepack.<runtime pack id>`. */
const RUNTIME_PACK_PREFIX = 'runtimepack.';

/**
 * Shared frameworks the host installs under `<dotnet root>/shared/<name>/<version>/`, each with its
 * `<name>.deps.json`. Windows Desktop has no Linux build but costs nothing to know; AspNetCore.All is 2.x only.
 */
const SHARED_FRAMEWORKS = new Set(['Microsoft.NETCore.App', 'Microsoft.AspNetCore.App', 'Microsoft.AspNetCore.All', 'Microsoft.WindowsDesktop.App']);
/** A framework directory is named by its version (`8.0.11`, `9.0.0-rc.2.24473.5`). */
const FRAMEWORK_VERSION = /^(\d+)\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

const nuget = (name: string, version: string): PackageRecord => ({ ecosystem: 'NuGet', purlType: 'nuget', name, version });

export interface SharedFramework {
  /** `Microsoft.NETCore.App`, `Microsoft.AspNetCore.App`, … */
  name: string;
  /** The version directory's name. */
  version: string;
}

/** The shared framework whose deps.json `path` is (`…/shared/Microsoft.NETCore.App/8.0.11/Microsoft.NETCore.App.deps.json`). */
export function sharedFrameworkOf(path: ImagePath): SharedFramework | undefined {
  const versionDir = parentDir(path);
  const frameworkDir = parentDir(versionDir);
  const name = baseName(frameworkDir);
  if (!SHARED_FRAMEWORKS.has(name) || baseName(path) !== `${name}${DEPS_JSON}` || baseName(parentDir(frameworkDir)) !== 'shared') return undefined;
  const version = baseName(versionDir);
  return FRAMEWORK_VERSION.test(version) ? { name, version } : undefined;
}

/** `runtimeTarget` is `{ "name": ".NETCoreApp,Version=v8.0/linux-x64" }`, or that string in old files. */
function runtimeTargetName(root: JsonObject): string | undefined {
  const target = own(root, 'runtimeTarget');
  if (typeof target === 'string') return target;
  const name = isObject(target) ? own(target, 'name') : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** The runtime identifier of a RID-specific target name (`.NETCoreApp,Version=v8.0/linux-musl-x64` → `linux-musl-x64`). */
function ridOf(targetName: string | undefined): string | undefined {
  const slash = targetName?.lastIndexOf('/') ?? -1;
  const rid = slash < 0 ? undefined : targetName?.slice(slash + 1);
  return rid && /^[0-9A-Za-z._-]+$/.test(rid) ? rid : undefined;
}

function frameworkMajor(framework: SharedFramework): number {
  return Number(FRAMEWORK_VERSION.exec(framework.version)?.[1] ?? 0);
}

/**
 * The NuGet name vulnerability advisories give an installed shared framework. GitHub's advisories for .NET 3.0 and
 * later name the runtime packs, one per runtime identifier (`Microsoft.NETCore.App.Runtime.linux-x64`,
 * `Microsoft.AspNetCore.App.Runtime.linux-musl-arm64`), at the runtime's version; the RID is the one the
 * framework's deps.json targets. Frameworks 1.x and 2.x had no runtime packs: their advisories name the
 * framework's meta-package (`Microsoft.NETCore.App`, `Microsoft.AspNetCore.App`), as does a framework whose RID
 * is unknown.
 */
export function sharedFrameworkPackage(framework: SharedFramework, rid: string | undefined): PackageRecord {
  const name = frameworkMajor(framework) >= 3 && rid ? `${framework.name}.Runtime.${rid}` : framework.name;
  return nuget(name, framework.version);
}

/** An asset list (`runtime`, `runtimeTargets`, `native`) naming a file; `_._` marks an empty folder in a package. */
function hasAssets(assets: unknown): boolean {
  return isObject(assets) && Object.keys(assets).some((file) => file !== '_._' && !file.endsWith('/_._'));
}

/** Whether the host loads anything of a target entry: code or native libraries, not only dependencies or resources. */
function loadsAssets(entry: unknown): boolean {
  if (!isObject(entry) || own(entry, 'compileOnly') === true) return false;
  return hasAssets(own(entry, 'runtime')) || hasAssets(own(entry, 'runtimeTargets')) || hasAssets(own(entry, 'native'));
}

export interface DepsJsonResult {
  packages: PackageRecord[];
  notes: string[];
  /** The file is not JSON, not a deps.json, or has entries that could not be read. */
  unreadable?: true;
}

function parseJson(text: string): { root: JsonObject } | { error: string } {
  let root: unknown;
  try {
    root = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    return { error: `not valid JSON (${(err as Error).message})` };
  }
  return isObject(root) ? { root } : { error: 'not a deps.json (its top level is not an object)' };
}

/**
 * The NuGet packages an application's deps.json says the host loads. Names and versions come from the `libraries`
 * keys (`Name/Version`). Libraries of type `package` are reported, and `runtimepack` (the runtime a self-contained
 * app bundles, named without the SDK's `runtimepack.` prefix, as advisories name runtime packs). `project`
 * libraries are the application and its own projects: no advisory is about them, and a project named like a
 * NuGet package would match that package's advisories, so they are not reported; nor are `reference` libraries.
 *
 * Only libraries the runtime target (`runtimeTarget.name`) loads count: an entry in `targets[<that>]` with runtime,
 * RID-specific or native assets. A library missing from it, or whose entry lists only dependencies (meta-packages,
 * or packages whose assemblies the framework supersedes, which the SDK empties), is not loaded. When the file names
 * no runtime target that it has, which libraries load is unknown: every package is reported, with a note.
 */
export function packagesFromDepsJson(text: string): DepsJsonResult {
  const parsed = parseJson(text);
  if ('error' in parsed) return { packages: [], notes: [parsed.error], unreadable: true };
  const { root } = parsed;
  const libraries = own(root, 'libraries');
  if (libraries === undefined) return { packages: [], notes: ['has no libraries section: no package can be named'] };
  if (!isObject(libraries)) return { packages: [], notes: ['its libraries section is not an object'], unreadable: true };

  const notes: string[] = [];
  const targetName = runtimeTargetName(root);
  const targets = own(root, 'targets');
  const target = targetName !== undefined && isObject(targets) ? own(targets, targetName) : undefined;
  let entries: Map<string, unknown> | undefined;
  if (isObject(target)) {
    // NuGet ids are case-insensitive; old SDKs wrote some target keys in lower case.
    entries = new Map(Object.entries(target).map(([key, entry]) => [key.toLowerCase(), entry]));
  } else {
    notes.push(
      targetName === undefined
        ? 'names no runtime target: every package library is reported'
        : `its runtime target "${targetName}" is not among its targets: every package library is reported`,
    );
  }

  const packages: PackageRecord[] = [];
  const malformed: string[] = [];
  for (const [key, library] of Object.entries(libraries)) {
    const type = isObject(library) ? own(library, 'type') : undefined;
    const kind = typeof type === 'string' ? type.toLowerCase() : '';
    if (kind !== 'package' && kind !== 'runtimepack') continue;
    const slash = key.indexOf('/');
    let name = slash < 0 ? '' : key.slice(0, slash);
    const version = slash < 0 ? '' : key.slice(slash + 1);
    if (name === '' || version === '' || /[\s/]/.test(name) || /[\s/]/.test(version)) {
      malformed.push(key);
      continue;
    }
    if (entries && !loadsAssets(entries.get(key.toLowerCase()))) continue;
    if (kind === 'runtimepack' && name.startsWith(RUNTIME_PACK_PREFIX) && name.length > RUNTIME_PACK_PREFIX.length) {
      name = name.slice(RUNTIME_PACK_PREFIX.length);
    }
    packages.push(nuget(name, version));
  }
  if (malformed.length > 0) {
    notes.push(`${malformed.length} library key(s) not of the form Name/Version, first ${JSON.stringify(malformed[0])}; skipped`);
    return { packages, notes, unreadable: true };
  }
  return { packages, notes };
}

/** An installed shared framework, from its deps.json (for the RID) and its directory (for its name and version). */
export function sharedFrameworkFromDepsJson(framework: SharedFramework, text: string): DepsJsonResult {
  const parsed = parseJson(text);
  if ('error' in parsed) return { packages: [], notes: [parsed.error], unreadable: true };
  const rid = ridOf(runtimeTargetName(parsed.root));
  const pkg = sharedFrameworkPackage(framework, rid);
  // From 3.0 on advisories name runtime packs: without a RID the runtime cannot be named as they name it.
  const notes =
    pkg.name === framework.name && rid === undefined && frameworkMajor(framework) >= 3
      ? [`names no runtime identifier: the runtime is reported as ${framework.name}`]
      : [];
  return { packages: [pkg], notes };
}

/**
 * .NET: applications' `*.deps.json` (the NuGet packages they load) and installed shared frameworks
 * (`…/dotnet/shared/Microsoft.NETCore.App/<version>/Microsoft.NETCore.App.deps.json`, which every runtime
 * install has, and likewise ASP.NET Core's), reported as the runtime pack advisories name. No path hints: apps
 * live anywhere, so `wants` is one suffix test.
 */
export const dotnetAnalyzer: Analyzer = {
  name: 'dotnet',
  version: 1,
  maxFileSize: MAX_DEPS_BYTES,
  wants(path: ImagePath): boolean {
    return path.endsWith(DEPS_JSON) && baseName(path).length > DEPS_JSON.length;
  },
  analyze(file: LayerFile): AnalysisResult {
    const text = file.content.toString('utf8');
    const framework = sharedFrameworkOf(file.path);
    const { packages, notes, unreadable } = framework ? sharedFrameworkFromDepsJson(framework, text) : packagesFromDepsJson(text);
    const prefixed = notes.map((note) => `${file.path}: ${note}`);
    if (unreadable && packages.length === 0) return { evidence: [], notes: prefixed, unreadable };
    const result: AnalysisResult = { evidence: [{ kind: 'packages', packages }] };
    if (prefixed.length > 0) result.notes = prefixed;
    if (unreadable) result.unreadable = unreadable;
    return result;
  },
};
