/**
 * The OSV record types and the lookup keys the matcher uses at scan time. Parsing records (zod schemas) lives in
 * ./osv-parse, which only imports and the updater load, so the scan functions' bundles do not carry it.
 */
import { distributionOfEcosystem } from '../distros';
import { memoizedByText } from '../memo';

/** One OSV range event: exactly one of the four keys is meaningful. */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string;
}

export interface OsvAffected {
  package?: OsvPackage;
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvReference {
  type: string;
  url: string;
}

/** References in the order given, each URL once; absent URLs are skipped. */
export function distinctReferences(entries: ReadonlyArray<readonly [type: string, url: string | undefined]>): OsvReference[] {
  const urls = new Set<string>();
  const references: OsvReference[] = [];
  for (const [type, url] of entries) {
    if (!url || urls.has(url)) continue;
    urls.add(url);
    references.push({ type, url });
  }
  return references;
}

/** An advisory in the OSV schema (https://ossf.github.io/osv-schema/), the fields lamina reads. */
export interface Osv {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: OsvReference[];
  database_specific?: Record<string, unknown>;
}

/** Milliseconds plus the sub-millisecond digits, so `…33.375630Z` and `…33.375631Z` still order. */
export function compareTimestamps(a: string, b: string): number {
  const diff = Date.parse(a) - Date.parse(b);
  if (diff !== 0) return Math.sign(diff);
  const fraction = (t: string) => (/\.(\d+)/.exec(t)?.[1] ?? '').slice(3).padEnd(9, '0');
  return fraction(a) < fraction(b) ? -1 : fraction(a) > fraction(b) ? 1 : 0;
}

const CANONICAL_ECOSYSTEMS = [
  'AlmaLinux',
  'Alpaquita',
  'Alpine',
  'Android',
  'Azure Linux',
  'Bioconductor',
  'Bitnami',
  'Chainguard',
  'CRAN',
  'crates.io',
  'Debian',
  'GHC',
  'GitHub Actions',
  'Go',
  'Hackage',
  'Hex',
  'Linux',
  'Mageia',
  'Maven',
  'MinimOS',
  'npm',
  'NuGet',
  'openEuler',
  'openSUSE',
  'OSS-Fuzz',
  'Packagist',
  'Photon OS',
  'Pub',
  'PyPI',
  'Red Hat',
  'Rocky Linux',
  'RubyGems',
  'SUSE',
  'SwiftURL',
  'Ubuntu',
  'Wolfi',
];
const BY_LOWER = new Map(CANONICAL_ECOSYSTEMS.map((name) => [name.toLowerCase(), name]));
const LANGUAGE_ECOSYSTEMS = new Set([
  'npm',
  'PyPI',
  'Maven',
  'Go',
  'RubyGems',
  'NuGet',
  'crates.io',
  'Packagist',
  'Hex',
  'Pub',
  'CRAN',
  'Hackage',
  'SwiftURL',
  'GitHub Actions',
]);

/**
 * The lookup form of an OSV ecosystem: canonical spelling of the base name, the release normalised the way the
 * distribution's descriptor says (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`, `Rocky Linux:9`), and no
 * suffix for language ecosystems (a `Maven:<repository>` suffix still means Maven coordinates). Remembered: a scan
 * asks for the same few spellings thousands of times.
 */
export const ecosystemKey: (ecosystem: string) => string = memoizedByText(normalisedEcosystem);

function normalisedEcosystem(ecosystem: string): string {
  const [rawBase, ...rest] = ecosystem.trim().split(':');
  const base = BY_LOWER.get(rawBase.trim().toLowerCase()) ?? rawBase.trim();
  const suffix = rest.map((p) => p.trim());
  if (LANGUAGE_ECOSYSTEMS.has(base) || suffix.length === 0 || suffix.every((p) => p === '')) return base;
  const normalise = distributionOfEcosystem(base)?.normaliseRelease;
  return [base, ...(normalise ? normalise(suffix) : suffix)].join(':');
}

const ECOSYSTEM_BASES = new Map<string, string>();

/** The base name of an ecosystem's lookup form (`Debian` of `Debian:12`): every lookup and every entry a match reads asks. */
function ecosystemBase(ecosystem: string): string {
  let base = ECOSYSTEM_BASES.get(ecosystem);
  if (base === undefined) {
    if (ECOSYSTEM_BASES.size >= 4096) ECOSYSTEM_BASES.clear();
    ECOSYSTEM_BASES.set(ecosystem, (base = ecosystemKey(ecosystem).split(':')[0]));
  }
  return base;
}

const CASE_INSENSITIVE = new Set(['NuGet', 'Packagist', 'crates.io', 'Debian', 'Ubuntu', 'Hex', 'Pub']);

/** Package name in lookup form: PEP 503 for PyPI, lower case where the ecosystem ignores case, as is elsewhere. */
export function packageNameKey(ecosystem: string, name: string): string {
  const base = ecosystemBase(ecosystem);
  const trimmed = name.trim();
  if (base === 'PyPI') return trimmed.toLowerCase().replace(/[-_.]+/g, '-');
  if (CASE_INSENSITIVE.has(base)) return trimmed.toLowerCase();
  return trimmed;
}

/** The key findByPackages answers under: `<ecosystemKey>|<packageNameKey>`. */
export function packageKey(ecosystem: string, name: string): string {
  return `${ecosystemKey(ecosystem)}|${packageNameKey(ecosystem, name)}`;
}

/** Drops the keys whose value is undefined, so stored and compared records have one shape. */
export function withoutUndefined<T extends object>(value: T): T {
  // A loop, not Object.fromEntries(Object.entries(…)): this runs for every record and range of an import.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}
