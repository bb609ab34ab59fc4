import type { ImagePath, LayerFile } from '../layers/types';
import type { AnalysisResult, Analyzer, PackageRecord } from './types';

const MANIFEST = '/package.json';
const NODE_MODULES = 'node_modules';
const NODE_MODULES_SUFFIX = '/node_modules';
/** A package.json is a few KiB; the largest real ones (long `files` or `contributors` lists) stay far below this. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

function isNodeModules(dir: string): boolean {
  return dir === NODE_MODULES || dir.endsWith(NODE_MODULES_SUFFIX);
}

/**
 * Whether `path` is the manifest of an installed package: `…/node_modules/<name>/package.json` or
 * `…/node_modules/@scope/<name>/package.json`. Manifests deeper inside a package (`node_modules/x/lib/package.json`,
 * ES-module markers such as tslib's `modules/package.json`) and the application's own `package.json` are not.
 * String tests only: the selector asks this about every path of every layer.
 */
export function isInstalledPackageManifest(path: ImagePath): boolean {
  if (!path.endsWith(MANIFEST)) return false;
  const dir = path.slice(0, -MANIFEST.length);
  const slash = dir.lastIndexOf('/');
  if (slash < 0) return false;
  const name = dir.slice(slash + 1);
  // `.bin`, `.pnpm`, `.cache` hold no package of their own; `@scope` on its own is a directory of packages.
  if (name === '' || name[0] === '.' || name[0] === '@') return false;
  const parent = dir.slice(0, slash);
  if (isNodeModules(parent)) return true;
  const scopeSlash = parent.lastIndexOf('/');
  if (scopeSlash < 0) return false;
  const scope = parent.slice(scopeSlash + 1);
  return scope.length > 1 && scope[0] === '@' && isNodeModules(parent.slice(0, scopeSlash));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A trimmed string with no blanks inside, else undefined. */
function token(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || /\s/.test(trimmed) ? undefined : trimmed;
}

/** One licence statement: a string, or an object's `type` (`{ "type": "MIT", "url": … }`). */
function oneLicense(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : isObject(value) && typeof value.type === 'string' ? value.type : undefined;
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

/** Several licences offered as a choice, as one SPDX-style expression; compound members keep their grouping. */
function anyOf(licenses: string[]): string | undefined {
  const distinct = [...new Set(licenses)];
  if (distinct.length <= 1) return distinct[0];
  return distinct.map((license) => (/\s(?:AND|OR|WITH)\s/i.test(license) ? `(${license})` : license)).join(' OR ');
}

function licenseValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return anyOf(value.map(oneLicense).filter((license): license is string => license !== undefined));
  return oneLicense(value);
}

/**
 * The licence a manifest declares: `license` as a string (an SPDX expression) or as a legacy `{ type }` object, else
 * the legacy `licenses` array. npm documents that array as a choice of licences (its replacement is `(A OR B)`), so
 * several are joined with OR. Other values (numbers, null, objects without `type`) declare nothing.
 */
export function manifestLicense(manifest: Record<string, unknown>): string | undefined {
  return licenseValue(manifest.license) ?? licenseValue(manifest.licenses);
}

export type ManifestResult = { pkg: PackageRecord } | { problem: string; damaged: boolean };

/**
 * The package a `package.json` describes. The name is the manifest's own, not the directory's: an aliased
 * install (`npm i alias@npm:real@1.0.0`) puts `real`'s manifest in `node_modules/alias`, and advisories name `real`.
 */
export function parsePackageManifest(text: string): ManifestResult {
  let manifest: unknown;
  try {
    // Some published manifests start with a byte-order mark, which JSON.parse refuses and npm tolerates.
    manifest = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return { problem: `not valid JSON (${(error as Error).message})`, damaged: true };
  }
  if (!isObject(manifest)) return { problem: 'not a JSON object', damaged: true };
  const name = token(manifest.name);
  if (name === undefined) return { problem: 'no package name (name is missing or not a string); skipped', damaged: false };
  const version = token(manifest.version);
  if (version === undefined) return { problem: `${name} has no version (version is missing or not a string); skipped`, damaged: false };
  const pkg: PackageRecord = { ecosystem: 'npm', purlType: 'npm', name, version };
  const license = manifestLicense(manifest);
  if (license !== undefined) pkg.license = license;
  return { pkg };
}

/**
 * Installed npm packages: the `package.json` at the root of each package in a `node_modules` tree, nested copies
 * (`node_modules/a/node_modules/b`) and npm's own bundled tree included; every copy is a package of its own.
 * Lockfiles are not read: they say what would be installed, not what is.
 */
export const npmAnalyzer: Analyzer = {
  name: 'npm',
  version: 1,
  maxFileSize: MAX_MANIFEST_BYTES,
  wants: isInstalledPackageManifest,
  analyze(file: LayerFile): AnalysisResult {
    const result = parsePackageManifest(file.content.toString('utf8'));
    if ('pkg' in result) return { evidence: [{ kind: 'packages', packages: [result.pkg] }] };
    // A manifest that does not parse was damaged or cut short: what it would have said is unknown. One that parses
    // but names no version was read whole, and says no package.
    const notes = [`${file.path}: ${result.problem}`];
    return result.damaged ? { evidence: [], notes, unreadable: true } : { evidence: [], notes };
  },
};
