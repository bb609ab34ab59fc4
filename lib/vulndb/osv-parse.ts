/**
 * Validation of OSV records as imports read them (the updater and `lamina db`), kept apart from ./osv so the scan
 * path, which only needs the types and lookup keys, does not bundle these schemas.
 */
// A namespace import, not `{ z }`: esbuild can then drop what goes unused (the other locales, JSON Schema, …).
import * as z from 'zod';
import { type Osv, withoutUndefined } from './osv';
import { canonicalOsv } from './osv-canonical';

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

/**
 * Validates one OSV record: `id` and `modified` are required, the known fields must have their types, unknown
 * fields are dropped. Nulls and numbers-for-strings are tolerated because real exports contain them.
 */
export function parseOsv(value: unknown): Osv {
  return canonicalOsv(value) ?? parseOsvBySchema(value);
}

/** parseOsv through the schema alone, whatever the record's shape (what canonicalOsv must agree with). */
export function parseOsvBySchema(value: unknown): Osv {
  const result = osvSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const id = typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : '?';
    throw new MalformedAdvisoryError(`advisory ${id}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const osv = result.data;
  return withoutUndefined({
    ...osv,
    affected: osv.affected?.map((a) =>
      withoutUndefined({
        ...a,
        package: a.package && withoutUndefined(a.package),
        ranges: a.ranges?.map((r) => withoutUndefined({ ...r, events: r.events.map(withoutUndefined) })),
      }),
    ),
  }) as Osv;
}
