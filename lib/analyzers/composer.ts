import type { ImagePath, LayerFile } from '../layers/types';
import type { AnalysisResult, Analyzer, PackageRecord } from './types';

const INSTALLED = 'vendor/composer/installed.json';
const INSTALLED_SUFFIX = `/${INSTALLED}`;
/** Large applications have a few hundred packages and an installed.json of a few MiB. */
const MAX_INSTALLED_BYTES = 16 * 1024 * 1024;

/** Composer's record of the packages in a `vendor` directory, wherever the application is. */
export function isInstalledJson(path: ImagePath): boolean {
  return path === INSTALLED || path.endsWith(INSTALLED_SUFFIX);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function token(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || /\s/.test(trimmed) ? undefined : trimmed;
}

/**
 * The version as Packagist advisories spell it. Composer records a tagged release under its tag, so many packages
 * (symfony/*, twig/twig, phpmailer/phpmailer) are installed as `v5.4.21`; Packagist's normalised version, the
 * FriendsOfPHP advisories and OSV's Packagist records (from GitHub advisories) list `5.4.21`, and so do purls. The
 * `v` is dropped only before a digit: branch versions (`dev-main`, `2.x-dev`) are kept as Composer wrote them.
 */
export function packagistVersion(version: string): string {
  return (version[0] === 'v' || version[0] === 'V') && version.charCodeAt(1) >= 48 && version.charCodeAt(1) <= 57 ? version.slice(1) : version;
}

/** Composer's `license` is an array; several licences are a choice (Composer's documented disjunctive form). */
function licenseOf(value: unknown): string | undefined {
  const listed = (Array.isArray(value) ? value : [value])
    .filter((license): license is string => typeof license === 'string')
    .map((license) => license.trim())
    .filter((license) => license !== '');
  const distinct = [...new Set(listed)];
  if (distinct.length <= 1) return distinct[0];
  return distinct.map((license) => (/\s(?:AND|OR|WITH)\s/i.test(license) ? `(${license})` : license)).join(' OR ');
}

export interface InstalledJson {
  packages: PackageRecord[];
  /** Entries that were skipped, and why. */
  notes: string[];
  /** The file is not an installed.json at all (not JSON, or neither of Composer's shapes). */
  damaged: boolean;
}

/**
 * The packages of `vendor/composer/installed.json`: Composer 1 writes a JSON array of packages, Composer 2 an
 * object whose `packages` holds them (with `dev` and `dev-package-names`). Development packages are reported too:
 * if they are listed they are in `vendor`, installed in the image.
 */
export function parseInstalledJson(text: string): InstalledJson {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return { packages: [], notes: [`not valid JSON (${(error as Error).message})`], damaged: true };
  }
  const entries = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.packages) ? json.packages : undefined;
  if (entries === undefined) return { packages: [], notes: ['neither a package array (Composer 1) nor an object with packages (Composer 2)'], damaged: true };
  const result: InstalledJson = { packages: [], notes: [], damaged: false };
  entries.forEach((entry: unknown, index: number) => {
    if (!isObject(entry)) {
      result.notes.push(`package ${index} is not an object; skipped`);
      return;
    }
    const name = token(entry.name);
    if (name === undefined) {
      result.notes.push(`package ${index} has no valid name; skipped`);
      return;
    }
    const version = token(entry.version);
    if (version === undefined) {
      result.notes.push(`package ${index} (${name}) has no valid version; skipped`);
      return;
    }
    const pkg: PackageRecord = { ecosystem: 'Packagist', purlType: 'composer', name, version: packagistVersion(version) };
    const license = licenseOf(entry.license);
    if (license !== undefined) pkg.license = license;
    result.packages.push(pkg);
  });
  return result;
}

/** PHP packages Composer installed: `vendor/composer/installed.json`, never composer.lock. */
export const composerAnalyzer: Analyzer = {
  name: 'composer',
  version: 1,
  maxFileSize: MAX_INSTALLED_BYTES,
  wants: isInstalledJson,
  analyze(file: LayerFile): AnalysisResult {
    const { packages, notes, damaged } = parseInstalledJson(file.content.toString('utf8'));
    const prefixed = notes.map((note) => `${file.path}: ${note}`);
    if (damaged) return { evidence: [], notes: prefixed, unreadable: true };
    const evidence: AnalysisResult['evidence'] = [{ kind: 'packages', packages }];
    // As with a package database, a skipped entry is a package that could not be read: the result is partial.
    return prefixed.length > 0 ? { evidence, notes: prefixed, unreadable: true } : { evidence };
  },
};
