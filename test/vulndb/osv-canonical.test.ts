import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalOsv } from '../../lib/vulndb/osv-canonical';
import { parseOsv, parseOsvBySchema } from '../../lib/vulndb/osv-parse';
import { advisoryFixture } from '../support/shared-fixtures';

/** Every OSV JSON record the repository and ../shared hold. */
function records(): Array<[string, unknown]> {
  const found: Array<[string, unknown]> = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) found.push([path, JSON.parse(readFileSync(path, 'utf8'))]);
    }
  };
  walk(join(__dirname, '../scan/data/osv'));
  walk(join(__dirname, 'vendors/data'));
  walk(advisoryFixture('osv'));
  return found.filter(([, value]) => typeof value === 'object' && value !== null && 'id' in value && 'modified' in value);
}

const FULL = {
  schema_version: '1.6.0',
  id: 'GHSA-aaaa-bbbb-cccc',
  modified: '2025-01-02T03:04:05.123456Z',
  published: '2024-12-01T00:00:00Z',
  withdrawn: '2025-02-01T00:00:00Z',
  aliases: ['CVE-2024-1'],
  related: ['CVE-2024-2'],
  upstream: ['CVE-2024-3'],
  summary: 'summary',
  details: 'details',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', extra: 1 }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad', purl: 'pkg:npm/left-pad', extra: true },
      severity: [{ type: 'Ubuntu', score: 'high' }],
      ranges: [
        {
          type: 'SEMVER',
          repo: 'https://example.org/repo',
          events: [{ introduced: '0' }, { fixed: '1.2.3' }, { last_affected: '1.2.2' }, { limit: '2.0.0' }],
          database_specific: { versions: [{ introduced: '0' }] },
        },
      ],
      versions: ['1.0.0', '1.1.0'],
      ecosystem_specific: { urgency: 'medium', constructor: 'x' },
      database_specific: { source: 'https://example.org' },
      unknown: 'dropped',
    },
  ],
  references: [{ type: 'WEB', url: 'https://example.org', extra: 'x' }],
  database_specific: { severity: 'HIGH', nested: { a: [1, 2] } },
  credits: [{ name: 'dropped' }],
};

/** Paths of every value in a JSON value. */
function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (typeof value === 'object' && value !== null) return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  return [at];
}

/** The record with the value at `path` replaced (or deleted, for `undefined`). */
function mutate(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (replacement === undefined && Array.isArray(parent)) parent.splice(last as number, 1);
  else if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

const REPLACEMENTS: unknown[] = [undefined, null, '', 'text', 7, 0, true, [], {}, ['x'], [{}], { introduced: '0' }, '2025-01-01T00:00:00Z', 'not a time'];

/** What a parse gives: the record as JSON (key order included), or the error's message. */
function outcome(parse: (value: unknown) => unknown, value: unknown): string {
  try {
    return `ok ${JSON.stringify(parse(value))}`;
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

describe('OSV records read without the schema', () => {
  it('read every real record exactly as the schema does, and take the fast way for them', () => {
    const all = records();
    expect(all.length).toBeGreaterThan(10);
    for (const [name, value] of all) {
      expect({ name, outcome: outcome(parseOsv, value) }).toEqual({ name, outcome: outcome(parseOsvBySchema, value) });
      expect({ name, canonical: canonicalOsv(value) !== undefined }).toEqual({ name, canonical: true });
    }
  });

  it('agree with the schema on every field of a record mutated every way, or leave the record to it', () => {
    const seeds = [
      FULL,
      ...records()
        .slice(0, 5)
        .map(([, value]) => value),
    ];
    let fast = 0;
    let compared = 0;
    for (const seed of seeds) {
      for (const path of paths(seed)) {
        for (const replacement of path.length === 0 ? [null, [], 'x'] : REPLACEMENTS) {
          const value = path.length === 0 ? replacement : mutate(seed, path, replacement);
          const canonical = canonicalOsv(value);
          compared++;
          if (canonical === undefined) {
            expect(outcome(parseOsv, value)).toBe(outcome(parseOsvBySchema, value));
            continue;
          }
          fast++;
          expect({ path, replacement, outcome: `ok ${JSON.stringify(canonical)}` }).toEqual({ path, replacement, outcome: outcome(parseOsvBySchema, value) });
        }
      }
    }
    // Both ways were taken, many times.
    expect(fast).toBeGreaterThan(100);
    expect(compared - fast).toBeGreaterThan(100);
  });

  it('leave a record with a __proto__ key in a record field to the schema', () => {
    const value = JSON.parse('{"id":"X-1","modified":"2025-01-01T00:00:00Z","database_specific":{"__proto__":{"a":1},"b":2}}');
    expect(canonicalOsv(value)).toBeUndefined();
    expect(parseOsv(value)).toEqual(parseOsvBySchema(value));
  });
});
