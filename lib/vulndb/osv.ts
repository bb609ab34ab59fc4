import { distributionOfEcosystem } from '../distros';
import { z } from 'zod';

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

/** Real records carry `null` where a field is absent, and YAML conversions turn numbers into strings and back. */
const text = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string());
const optionalText = z.preprocess((v) => (v === null ? undefined : v), text.optional());
const timestamp = text.refine((v) => !Number.isNaN(Date.parse(v)), 'not an RFC 3339 timestamp');
const optionalTimestamp = z.preprocess((v) => (v === null || v === '' ? undefined : v), timestamp.optional());
const record = z.preprocess((v) => (v === null ? undefined : v), z.record(z.string(), z.unknown()).optional());
const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === null ? undefined : v), z.array(item).optional());

const eventSchema = z
  .object({ introduced: optionalText, fixed: optionalText, last_affected: optionalText, limit: optionalText })
  .refine((e) => [e.introduced, e.fixed, e.last_affected, e.limit].some((v) => v !== undefined), 'empty range event');

const rangeSchema = z.object({
  type: text,
  repo: optionalText,
  events: z.array(eventSchema),
  database_specific: record,
});

const severitySchema = z.object({ type: text, score: text });

const affectedSchema = z.object({
  package: z.preprocess((v) => (v === null ? undefined : v), z.object({ ecosystem: text, name: text, purl: optionalText }).optional()),
  severity: list(severitySchema),
  ranges: list(rangeSchema),
  versions: list(text),
  ecosystem_specific: record,
  database_specific: record,
});

const osvSchema = z.object({
  schema_version: optionalText,
  id: text.refine((v) => /^\S{1,256}$/.test(v), 'id must be a non-empty token'),
  modified: timestamp,
  published: optionalTimestamp,
  withdrawn: optionalTimestamp,
  aliases: list(text),
  related: list(text),
  upstream: list(text),
  summary: optionalText,
  details: optionalText,
  severity: list(severitySchema),
  affected: list(affectedSchema),
  references: list(z.object({ type: text, url: text })),
  database_specific: record,
});

export class MalformedAdvisoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAdvisoryError';
  }
}

/** Drops keys whose value is undefined, so stored and compared records have one shape. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Validates one OSV record: `id` and `modified` are required, the known fields must have their types, unknown
 * fields are dropped. Nulls and numbers-for-strings are tolerated because real exports contain them.
 */
export function parseOsv(value: unknown): Osv {
  const result = osvSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const id = typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : '?';
    throw new MalformedAdvisoryError(`advisory ${id}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const osv = result.data;
  return compact({
    ...osv,
    affected: osv.affected?.map((a) =>
      compact({ ...a, package: a.package && compact(a.package), ranges: a.ranges?.map((r) => compact({ ...r, events: r.events.map(compact) })) }),
    ),
  }) as Osv;
}

/** Milliseconds plus the sub-millisecond digits, so `…33.375630Z` and `…33.375631Z` still order. */
export function compareTimestamps(a: string, b: string): number {
  const diff = Date.parse(a) - Date.parse(b);
  if (diff !== 0) return Math.sign(diff);
  const fraction = (t: string) => (/\.(\d+)/.exec(t)?.[1] ?? '').slice(3).padEnd(9, '0');
  return fraction(a) < fraction(b) ? -1 : fraction(a) > fraction(b) ? 1 : 0;
}

const CANONICAL_ECOSYSTEMS = [
  'AlmaLinux', 'Alpaquita', 'Alpine', 'Android', 'Azure Linux', 'Bioconductor', 'Bitnami', 'Chainguard', 'CRAN',
  'crates.io', 'Debian', 'GHC', 'GitHub Actions', 'Go', 'Hackage', 'Hex', 'Linux', 'Mageia', 'Maven', 'MinimOS',
  'npm', 'NuGet', 'openEuler', 'openSUSE', 'OSS-Fuzz', 'Packagist', 'Photon OS', 'Pub', 'PyPI', 'Red Hat',
  'Rocky Linux', 'RubyGems', 'SUSE', 'SwiftURL', 'Ubuntu', 'Wolfi',
];
const BY_LOWER = new Map(CANONICAL_ECOSYSTEMS.map((name) => [name.toLowerCase(), name]));
const LANGUAGE_ECOSYSTEMS = new Set(['npm', 'PyPI', 'Maven', 'Go', 'RubyGems', 'NuGet', 'crates.io', 'Packagist', 'Hex', 'Pub', 'CRAN', 'Hackage', 'SwiftURL', 'GitHub Actions']);

/**
 * The lookup form of an OSV ecosystem: canonical spelling of the base name, the release normalised the way the
 * distribution's descriptor says (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`, `Rocky Linux:9`), and no
 * suffix for language ecosystems (a `Maven:<repository>` suffix still means Maven coordinates).
 */
export function ecosystemKey(ecosystem: string): string {
  const [rawBase, ...rest] = ecosystem.trim().split(':');
  const base = BY_LOWER.get(rawBase.trim().toLowerCase()) ?? rawBase.trim();
  const suffix = rest.map((p) => p.trim());
  if (LANGUAGE_ECOSYSTEMS.has(base) || suffix.length === 0 || suffix.every((p) => p === '')) return base;
  const normalise = distributionOfEcosystem(base)?.normaliseRelease;
  return [base, ...(normalise ? normalise(suffix) : suffix)].join(':');
}

const CASE_INSENSITIVE = new Set(['NuGet', 'Packagist', 'crates.io', 'Debian', 'Ubuntu', 'Hex', 'Pub']);

/** Package name in lookup form: PEP 503 for PyPI, lower case where the ecosystem ignores case, as is elsewhere. */
export function packageNameKey(ecosystem: string, name: string): string {
  const base = ecosystemKey(ecosystem).split(':')[0];
  const trimmed = name.trim();
  if (base === 'PyPI') return trimmed.toLowerCase().replace(/[-_.]+/g, '-');
  if (CASE_INSENSITIVE.has(base)) return trimmed.toLowerCase();
  return trimmed;
}

/** The key findByPackages answers under: `<ecosystemKey>|<packageNameKey>`. */
export function packageKey(ecosystem: string, name: string): string {
  return `${ecosystemKey(ecosystem)}|${packageNameKey(ecosystem, name)}`;
}
