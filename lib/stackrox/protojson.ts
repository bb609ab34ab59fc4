/** Scalar encodings of protobuf JSON (as Go's protojson writes them), used by the StorageImage encoder. */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Seconds between 0001-01-01 and 9999-12-31T23:59:59, the range a google.protobuf.Timestamp may hold. */
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

interface Instant {
  seconds: number;
  nanos: number;
}

function parseRfc3339(text: string): Instant | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  // Date rolls 31 February over into March: such a date is not a date.
  if (date.getUTCDate() !== day) return undefined;
  const offsetMinutes = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  const seconds = date.getTime() / 1000 - offsetMinutes * 60;
  const nanos = Number((m[7] ?? '').padEnd(9, '0').slice(0, 9));
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return undefined;
  return { seconds, nanos };
}

function instantOf(value: string | Date): Instant | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) return undefined;
    const seconds = Math.floor(ms / 1000);
    if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return undefined;
    return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
  }
  return parseRfc3339(value);
}

/**
 * A timestamp as protojson prints it: UTC, `Z`, and 0, 3, 6 or 9 fractional digits
 * (`2024-01-02T03:04:05Z`, `…05.120Z`, `…05.123456789Z`). Undefined when the value is not a valid timestamp.
 */
export function formatTimestamp(value: string | Date | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const instant = instantOf(value);
  if (!instant) return undefined;
  const base = new Date(instant.seconds * 1000).toISOString().slice(0, 19);
  let fraction = `.${String(instant.nanos).padStart(9, '0')}`;
  if (fraction.endsWith('000')) fraction = fraction.slice(0, -3);
  if (fraction.endsWith('000')) fraction = fraction.slice(0, -3);
  if (fraction === '.000') fraction = '';
  return `${base}${fraction}Z`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp, or undefined when it cannot be read. */
export function timestampMillis(value: string | Date | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const instant = instantOf(value);
  return instant ? instant.seconds * 1000 + Math.floor(instant.nanos / 1e6) : undefined;
}

/** A timestamp in its canonical form, or null when there is none or it cannot be read. */
export function timestampOrNull(value: string | Date | null | undefined): string | null {
  return formatTimestamp(value) ?? null;
}

/**
 * A float32 field as protojson prints it: the shortest decimal that reads back as the same float32,
 * so a score stored as float32 5.9 prints `5.9`, not `5.900000095367432`. NaN and infinities are strings.
 */
export function float32(value: number | undefined | null): number | string {
  if (value === undefined || value === null) return 0;
  if (Number.isNaN(value)) return 'NaN';
  const single = Math.fround(value);
  if (single === Infinity) return 'Infinity';
  if (single === -Infinity) return '-Infinity';
  if (single === 0) return 0;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return single;
}

/** An int32 field: a JSON number, truncated toward zero and wrapped like Go's int32 conversion. */
export function int32(value: number | undefined | null): number {
  if (value === undefined || value === null || !Number.isFinite(value)) return 0;
  return Math.trunc(value) | 0;
}

/** An int64/uint64 field: its decimal string. */
export function int64String(value: string | number | bigint | undefined | null): string {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)).toString() : '0';
  return /^-?\d+$/.test(value.trim()) ? BigInt(value.trim()).toString() : '0';
}

/** A bytes field: standard base64 with padding. */
export function bytes(value: string | Uint8Array | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return Buffer.from(value).toString('base64');
}

/** A string field: "" when unset. */
export function str(value: string | undefined | null): string {
  return typeof value === 'string' ? value : '';
}

/** A bool field: false when unset. */
export function bool(value: boolean | undefined | null): boolean {
  return value === true;
}

/** A repeated string field: [] when unset. */
export function strings(values: readonly string[] | undefined | null): string[] {
  return Array.isArray(values) ? values.map(str) : [];
}
