/**
 * OSV records already in the exact shape ./osv-parse's schema gives them, read without it: nearly every record of
 * an export is one, and the schema's preprocessing costs more than reading the file. Anything else (a null, a
 * number for a string, an empty timestamp, a wrong type) is left to the schema, which coerces it or says what is
 * wrong. The output is what the schema and its compaction make of the same input: the same fields in the same
 * order (content hashes depend on it), unknown fields dropped. test/vulndb/osv-canonical.test.ts holds them equal.
 */
import type { Osv } from './osv';

/** The field is not in canonical form: the schema decides. */
const DEFER = Symbol('defer');
type Read = (value: unknown) => unknown;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Object.prototype of any realm (a test's included), or none.
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
};

const text: Read = (v) => (typeof v === 'string' ? v : DEFER);
const timestamp: Read = (v) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : DEFER);
// The schema reads an empty timestamp as absent: that is a coercion, left to it.
const optionalTimestamp: Read = (v) => (v === '' ? DEFER : timestamp(v));
// The schema's records leave out a `__proto__` key, which JSON.parse makes an own property: left to it.
const record: Read = (v) => (isPlainObject(v) && !Object.hasOwn(v, '__proto__') ? v : DEFER);

// Every optional field of the schema reads null as absent.
const optional =
  (read: Read): Read =>
  (v) =>
    v === undefined || v === null ? undefined : read(v);

const required =
  (read: Read): Read =>
  (v) =>
    v === undefined ? DEFER : read(v);

function list(read: Read): Read {
  return (v) => {
    if (!Array.isArray(v)) return DEFER;
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) if ((out[i] = read(v[i])) === DEFER) return DEFER;
    return out;
  };
}

/** An object of these fields in this order, those absent left out; `valid` is the schema's refinement. */
function object(fields: Array<[string, Read]>, valid?: (out: Record<string, unknown>) => boolean): Read {
  return (v) => {
    if (!isPlainObject(v)) return DEFER;
    const out: Record<string, unknown> = {};
    for (const [key, read] of fields) {
      const value = read(v[key]);
      if (value === DEFER) return DEFER;
      if (value !== undefined) out[key] = value;
    }
    return valid && !valid(out) ? DEFER : out;
  };
}

const optionalText = optional(text);
const severity = object([
  ['type', required(text)],
  ['score', required(text)],
]);
const event = object(
  [
    ['introduced', optionalText],
    ['fixed', optionalText],
    ['last_affected', optionalText],
    ['limit', optionalText],
  ],
  (e) => Object.keys(e).length > 0,
);
const range = object([
  ['type', required(text)],
  ['repo', optionalText],
  ['events', required(list(event))],
  ['database_specific', optional(record)],
]);
const affected = object([
  [
    'package',
    optional(
      object([
        ['ecosystem', required(text)],
        ['name', required(text)],
        ['purl', optionalText],
      ]),
    ),
  ],
  ['severity', optional(list(severity))],
  ['ranges', optional(list(range))],
  ['versions', optional(list(text))],
  ['ecosystem_specific', optional(record)],
  ['database_specific', optional(record)],
]);
const reference = object([
  ['type', required(text)],
  ['url', required(text)],
]);
const osv = object([
  ['schema_version', optionalText],
  ['id', required((v) => (typeof v === 'string' && /^\S{1,256}$/.test(v) ? v : DEFER))],
  ['modified', required(timestamp)],
  ['published', optional(optionalTimestamp)],
  ['withdrawn', optional(optionalTimestamp)],
  ['aliases', optional(list(text))],
  ['related', optional(list(text))],
  ['upstream', optional(list(text))],
  ['summary', optionalText],
  ['details', optionalText],
  ['severity', optional(list(severity))],
  ['affected', optional(list(affected))],
  ['references', optional(list(reference))],
  ['database_specific', optional(record)],
]);

/** The record as the schema would give it, or undefined when the schema must read it. */
export function canonicalOsv(value: unknown): Osv | undefined {
  const out = osv(value);
  return out === DEFER ? undefined : (out as Osv);
}
