/**
 * The `--ignore-file` of `lamina scan`, in its own module so that its YAML parser loads only when a scan has one.
 *
 * Ignore file (YAML or JSON; YAML is a superset of JSON, one parser reads both):
 *
 *     ignore:
 *       - id: CVE-2023-45853            # required: the finding's id or any of its aliases (CVE, GHSA, DSA…), any case
 *         reason: minizip is not built  # required: why it is accepted, for the reviewer of the file
 *         expires: 2026-12-31           # optional: YYYY-MM-DD (hides through that day, UTC) or an RFC 3339 timestamp
 *         packages: [zlib1g]            # optional: only these packages (name, or source package name such as `openssl`)
 *
 * A top-level list of entries (without `ignore:`) is read the same. An expired entry hides nothing and is reported
 * back so the caller can warn; an invalid file yields problems naming the file and the entry.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export interface IgnoreEntry {
  /** A vulnerability id or alias, as written. */
  id: string;
  reason: string;
  /** `expires` as written (a Date from a YAML 1.1 timestamp is given as its ISO form). */
  expires?: string;
  /** The first instant the entry no longer applies: the day after a date, the timestamp itself. */
  expiresAt?: Date;
  /** Whether `expiresAt` is at or before the `now` the file was read at. */
  expired: boolean;
  /** Package names (or source package names) the entry is limited to; every package when absent. */
  packages?: string[];
  /** Where it was read: the file name, the entry's index in its list (from 0; messages count from 1), its line when known. */
  source: { file: string; index: number; line?: number };
}

export interface IgnoreFile {
  entries: IgnoreEntry[];
  /** Why the file, or one of its entries, is invalid; a caller should refuse to scan with a file that has any. */
  problems: string[];
}

const ENTRY_KEYS = new Set(['id', 'reason', 'expires', 'packages']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value);

/** The first instant after `expires`, or a problem. */
function expiryOf(value: unknown): { written: string; at: Date } | { problem: string } {
  if (value instanceof Date) {
    // A YAML 1.1 timestamp: a date alone reads as its midnight (UTC), and means that whole day as a string date does.
    if (Number.isNaN(value.getTime())) return { problem: 'expires is not a valid date' };
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? expiryOf(iso.slice(0, 10)) : { written: iso, at: value };
  }
  if (typeof value !== 'string') return { problem: `expires must be a date YYYY-MM-DD or an RFC 3339 timestamp, not ${kindOf(value)}` };
  const written = value.trim();
  const date = DATE.exec(written);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const start = new Date(Date.UTC(year, month - 1, day));
    if (start.getUTCFullYear() !== year || start.getUTCMonth() !== month - 1 || start.getUTCDate() !== day) {
      return { problem: `expires "${written}" is not a calendar date` };
    }
    // A date is the last day the entry applies: it expires when the next day begins (UTC).
    return { written, at: new Date(start.getTime() + 24 * 3600 * 1000) };
  }
  if (TIMESTAMP.test(written)) {
    const at = new Date(written.replace(' ', 'T'));
    if (!Number.isNaN(at.getTime())) return { written, at };
  }
  return { problem: `expires "${written}" must be a date YYYY-MM-DD or an RFC 3339 timestamp with a time zone (2026-12-31T18:00:00Z)` };
}

function entryOf(raw: unknown, where: IgnoreEntry['source'], now: Date, problems: string[]): IgnoreEntry | undefined {
  const at = `${where.file}: entry ${where.index + 1}${where.line !== undefined ? ` (line ${where.line})` : ''}`;
  const problem = (text: string) => {
    problems.push(`${at}: ${text}`);
    return undefined;
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return problem(`expected a mapping with id and reason, got ${kindOf(raw)}${typeof raw === 'string' ? ` "${raw}"` : ''}`);
  }
  const record = raw as Record<string, unknown>;
  const before = problems.length;
  const unknown = Object.keys(record).filter((key) => !ENTRY_KEYS.has(key));
  if (unknown.length > 0)
    problem(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; an entry has ${[...ENTRY_KEYS].join(', ')}`);
  const id = typeof record.id === 'string' ? record.id.trim() : '';
  if (record.id === undefined || record.id === null) problem('id is required (a CVE, GHSA or other advisory id)');
  else if (typeof record.id !== 'string') problem(`id must be a string, not ${kindOf(record.id)}`);
  else if (id === '' || /\s/.test(id)) problem(`id "${record.id}" is not a vulnerability id`);
  const reason = typeof record.reason === 'string' ? record.reason.trim() : '';
  if (record.reason === undefined || record.reason === null) problem(`reason is required${id ? ` for ${id}` : ''}: say why the vulnerability is accepted`);
  else if (typeof record.reason !== 'string') problem(`reason must be a string, not ${kindOf(record.reason)}`);
  else if (reason === '') problem(`reason must not be empty${id ? ` for ${id}` : ''}`);

  let expiry: { written: string; at: Date } | undefined;
  if (record.expires !== undefined && record.expires !== null) {
    const parsed = expiryOf(record.expires);
    if ('problem' in parsed) problem(parsed.problem);
    else expiry = parsed;
  }

  let packages: string[] | undefined;
  if (record.packages !== undefined && record.packages !== null) {
    const list = typeof record.packages === 'string' ? [record.packages] : record.packages;
    if (!Array.isArray(list)) problem(`packages must be a list of package names, not ${kindOf(record.packages)}`);
    else if (list.length === 0) problem('packages is empty, so the entry would match nothing; leave it out to match every package');
    else if (list.some((name) => typeof name !== 'string' || name.trim() === '')) problem('packages must be a list of non-empty package names');
    else packages = list.map((name: string) => name.trim());
  }

  if (problems.length > before) return undefined;
  const entry: IgnoreEntry = { id, reason, expired: false, source: where };
  if (expiry) {
    entry.expires = expiry.written;
    entry.expiresAt = expiry.at;
    entry.expired = expiry.at.getTime() <= now.getTime();
  }
  if (packages) entry.packages = packages;
  return entry;
}

/** The entries of an ignore file (YAML or JSON) read at `now`, and every problem found; `name` names the file in messages. */
export function parseIgnoreFile(text: string, name: string, now: Date): IgnoreFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      entries: [],
      problems: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return `${name}: line ${line}, column ${col}: ${error.message}`;
      }),
    };
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { entries: [], problems: [`${name}: ${(err as Error).message}`] };
  }
  // An empty file ignores nothing.
  if (root === null || root === undefined) return { entries: [], problems: [] };

  let list: unknown;
  let listNode: unknown = doc.contents;
  if (Array.isArray(root)) {
    list = root;
  } else if (typeof root === 'object' && !(root instanceof Date)) {
    const record = root as Record<string, unknown>;
    const extra = Object.keys(record).filter((key) => key !== 'ignore');
    if (extra.length > 0) {
      return {
        entries: [],
        problems: [`${name}: unknown top-level key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}; expected "ignore"`],
      };
    }
    list = record.ignore ?? [];
    listNode = isMap(doc.contents) ? doc.contents.get('ignore', true) : undefined;
    if (!Array.isArray(list)) return { entries: [], problems: [`${name}: "ignore" must be a list of entries, not ${kindOf(list)}`] };
  } else {
    return { entries: [], problems: [`${name}: expected a mapping with an "ignore" list, or a list of entries; got ${kindOf(root)}`] };
  }

  const items = isSeq(listNode) ? (listNode.items as Node[]) : [];
  const entries: IgnoreEntry[] = [];
  const problems: string[] = [];
  (list as unknown[]).forEach((raw, index) => {
    const offset = items[index]?.range?.[0];
    const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
    const entry = entryOf(raw, { file: name, index, ...(line !== undefined ? { line } : {}) }, now, problems);
    if (entry) entries.push(entry);
  });
  return { entries, problems };
}
