import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyFilters, gate, parseSeverities } from '../../lib/report/filter';
import { type IgnoreEntry, type IgnoreFile, parseIgnoreFile } from '../../lib/report/ignore-file';
import type { Severity } from '../../lib/report/severity';
import { FINDINGS, reportInput } from './inputs';

const DATA = join(__dirname, 'data');
const NOW = new Date('2025-06-01T12:00:00Z');

const severities = (text: string): ReadonlySet<Severity> => {
  const result = parseSeverities(text);
  if (result.error !== undefined) throw new Error(result.error);
  return result.severities;
};
const ids = (list: Array<{ id: string; packageIndex: number }>) => list.map((f) => `${f.id}@${f.packageIndex}`);
/** Entries of a file that must be valid. */
const entries = (text: string, name = 'ignore.yaml', now = NOW): IgnoreEntry[] => {
  const file = parseIgnoreFile(text, name, now);
  expect(file.problems).toEqual([]);
  return file.entries;
};

describe('parseSeverities', () => {
  it('reads the four ratings in any case and order', () => {
    expect([...severities('LOW,MODERATE,IMPORTANT,CRITICAL')].sort()).toEqual(['CRITICAL', 'IMPORTANT', 'LOW', 'MODERATE']);
    expect([...severities('critical, Important')]).toEqual(['CRITICAL', 'IMPORTANT']);
  });

  it("takes Trivy's MEDIUM and HIGH for MODERATE and IMPORTANT", () => {
    expect([...severities('medium,HIGH')]).toEqual(['MODERATE', 'IMPORTANT']);
    expect([...severities('HIGH,IMPORTANT')]).toEqual(['IMPORTANT']);
  });

  it('takes UNKNOWN for findings nothing rates', () => {
    expect([...severities('unknown,CRITICAL')]).toEqual(['UNKNOWN', 'CRITICAL']);
  });

  it('names the word it does not know and the accepted ones', () => {
    const result = parseSeverities('HIGH,SEVERE');
    expect(result.severities).toBeUndefined();
    expect(result.error).toContain('"SEVERE"');
    expect(result.error).toMatch(/LOW, MODERATE|CRITICAL, IMPORTANT/);
  });

  it('refuses a list naming no severity', () => {
    expect(parseSeverities('').error).toMatch(/names no severity/);
    expect(parseSeverities(' , ').error).toMatch(/names no severity/);
  });
});

describe('applyFilters', () => {
  const input = reportInput();

  it('keeps everything without options', () => {
    const result = applyFilters(input, {});
    expect(result.findings).toEqual(FINDINGS);
    expect(result.ignored).toEqual([]);
    expect(result.expired).toEqual([]);
  });

  it('keeps only the severities asked for, synonyms included', () => {
    const high = applyFilters(input, { severities: severities('HIGH,CRITICAL') }).findings;
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((f) => f.rating === 'CRITICAL' || f.rating === 'IMPORTANT')).toBe(true);
    expect(high).toHaveLength(FINDINGS.filter((f) => f.rating === 'CRITICAL' || f.rating === 'IMPORTANT').length);
    const medium = applyFilters(input, { severities: severities('medium') }).findings;
    expect(ids(medium)).toEqual(['CVE-2023-5678@1', 'CVE-2023-5678@2', 'CVE-2024-29041@7']);
  });

  it('selects unrated findings with UNKNOWN, and drops them otherwise', () => {
    expect(ids(applyFilters(input, { severities: severities('UNKNOWN') }).findings)).toEqual(['CVE-2024-12243@6']);
    const rated = applyFilters(input, { severities: severities('LOW,MODERATE,IMPORTANT,CRITICAL') }).findings;
    expect(rated.map((f) => f.id)).not.toContain('CVE-2024-12243');
    expect(rated).toHaveLength(FINDINGS.length - 1);
  });

  it('drops findings without a fixed version with ignoreUnfixed', () => {
    const fixed = applyFilters(input, { ignoreUnfixed: true }).findings;
    expect(fixed.every((f) => f.fixedVersion)).toBe(true);
    expect(ids(FINDINGS.filter((f) => !fixed.includes(f)))).toEqual(['CVE-2023-45853@0', 'CVE-2005-2541@5', 'CVE-2024-12243@6']);
  });

  it('hides a finding by its id, any case, and says which entry hid it', () => {
    const ignore = entries('- id: cve-2023-6246\n  reason: no untrusted input reaches syslog\n');
    const result = applyFilters(input, { ignore });
    expect(result.findings.map((f) => f.id)).not.toContain('CVE-2023-6246');
    expect(result.findings).toHaveLength(FINDINGS.length - 1);
    expect(result.ignored).toEqual([{ finding: FINDINGS.find((f) => f.id === 'CVE-2023-6246'), entry: ignore[0] }]);
  });

  it('hides a finding by an alias: the GHSA of a CVE, the CVE of a GHSA', () => {
    const ignore = entries(`
ignore:
  - id: GHSA-rv95-896h-c2vc
    reason: no user-supplied redirects
  - id: CVE-2023-45133
    reason: build-time only
`);
    const result = applyFilters(input, { ignore });
    expect(ids(result.ignored.map((i) => i.finding))).toEqual(['CVE-2024-29041@7', 'GHSA-67hx-6x53-jw92@8']);
    expect(result.ignored.map((i) => i.entry.id)).toEqual(['GHSA-rv95-896h-c2vc', 'CVE-2023-45133']);
  });

  it('limits an entry to the packages it names, by name or source package name', () => {
    const byName = entries('- id: CVE-2023-5678\n  reason: r\n  packages: [libssl3]\n');
    expect(ids(applyFilters(input, { ignore: byName }).ignored.map((i) => i.finding))).toEqual(['CVE-2023-5678@1']);
    // Debian's openssl source package builds both libssl3 and openssl.
    const bySource = entries('- id: CVE-2023-5678\n  reason: r\n  packages: openssl\n');
    expect(ids(applyFilters(input, { ignore: bySource }).ignored.map((i) => i.finding))).toEqual(['CVE-2023-5678@1', 'CVE-2023-5678@2']);
    const other = entries('- id: CVE-2023-5678\n  reason: r\n  packages: [libc6]\n');
    expect(applyFilters(input, { ignore: other }).ignored).toEqual([]);
  });

  it('applies the severity and fix filters before ignore entries, so ignored lists only what would have shown', () => {
    const ignore = entries('- id: CVE-2005-2541\n  reason: build-time only\n- id: CVE-2023-45853\n  reason: no minizip\n');
    const result = applyFilters(input, { ignore, severities: severities('CRITICAL,IMPORTANT'), ignoreUnfixed: true });
    expect(result.ignored).toEqual([]);
    expect(result.findings.every((f) => f.fixedVersion && (f.rating === 'CRITICAL' || f.rating === 'IMPORTANT'))).toBe(true);
  });

  it('lets expired entries hide nothing and reports every one of them', () => {
    const ignore = entries(`
- id: CVE-2023-45853
  reason: no minizip
  expires: 2025-05-31
- id: CVE-2024-4068
  reason: fixed upstream soon
  expires: 2025-06-01
- id: CVE-2099-0001
  reason: matches nothing
  expires: 2020-01-01T00:00:00Z
`);
    expect(ignore.map((e) => e.expired)).toEqual([true, false, true]);
    const result = applyFilters(input, { ignore });
    expect(result.findings.map((f) => f.id)).toContain('CVE-2023-45853');
    expect(result.findings.map((f) => f.id)).not.toContain('CVE-2024-4068');
    expect(result.expired.map((e) => e.id)).toEqual(['CVE-2023-45853', 'CVE-2099-0001']);
  });

  it('keeps the findings in the order given', () => {
    const result = applyFilters(input, { severities: severities('LOW,CRITICAL') });
    const positions = result.findings.map((f) => FINDINGS.indexOf(f));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });
});

describe('parseIgnoreFile', () => {
  let yamlFile: IgnoreFile;
  let jsonFile: IgnoreFile;
  let malformed: IgnoreFile;

  beforeAll(() => {
    yamlFile = parseIgnoreFile(readFileSync(join(DATA, 'ignore.yaml'), 'utf8'), 'ignore.yaml', NOW);
    jsonFile = parseIgnoreFile(readFileSync(join(DATA, 'ignore.json'), 'utf8'), 'ignore.json', NOW);
    malformed = parseIgnoreFile(readFileSync(join(DATA, 'malformed.yaml'), 'utf8'), 'malformed.yaml', NOW);
  });

  it('reads the documented YAML shape', () => {
    expect(yamlFile.problems).toEqual([]);
    const [zlib, express, tar] = yamlFile.entries;
    expect(zlib).toMatchObject({
      id: 'CVE-2023-45853',
      reason: 'zlib1g is built without minizip, the vulnerable code is not shipped',
      expires: '2026-12-31',
      expired: false,
      packages: ['zlib1g'],
      source: { file: 'ignore.yaml', index: 0, line: 3 },
    });
    // A date is the last day the entry applies.
    expect(zlib.expiresAt?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(express).toMatchObject({ id: 'GHSA-rv95-896h-c2vc', expired: false, source: { index: 1, line: 9 } });
    expect(express.packages).toBeUndefined();
    expect(tar).toMatchObject({ id: 'CVE-2005-2541', expired: true });
  });

  it('reads JSON, a top-level list and timestamps', () => {
    expect(jsonFile.problems).toEqual([]);
    expect(jsonFile.entries.map((e) => e.id)).toEqual(['CVE-2023-5678', 'cve-2023-45133']);
    expect(jsonFile.entries[1].expiresAt?.toISOString()).toBe('2026-12-31T18:00:00.000Z');
    expect(jsonFile.entries[0].source).toEqual({ file: 'ignore.json', index: 0, line: 2 });
  });

  it('filters the sample image as the files say', () => {
    const input = reportInput();
    const result = applyFilters(input, { ignore: [...yamlFile.entries, ...jsonFile.entries] });
    expect(ids(result.ignored.map((i) => i.finding))).toEqual([
      'CVE-2023-45853@0',
      'CVE-2023-5678@1',
      'CVE-2023-5678@2',
      'CVE-2024-29041@7',
      'GHSA-67hx-6x53-jw92@8',
    ]);
    expect(result.expired.map((e) => e.id)).toEqual(['CVE-2005-2541']);
    expect(result.findings.map((f) => f.id)).toContain('CVE-2005-2541');
  });

  it('reads an empty file, or an empty list, as ignoring nothing', () => {
    for (const text of ['', '# nothing yet\n', 'ignore:\n', 'ignore: []\n', '[]'])
      expect(parseIgnoreFile(text, 'x.yaml', NOW)).toEqual({ entries: [], problems: [] });
  });

  it('names the file, the entry and its line for every problem of a malformed file', () => {
    expect(malformed.entries.map((e) => e.id)).toEqual(['CVE-2023-45853']);
    expect(malformed.problems).toEqual([
      'malformed.yaml: entry 2 (line 4): reason is required for CVE-2024-0727: say why the vulnerability is accepted',
      'malformed.yaml: entry 3 (line 5): unknown key "expiry"; an entry has id, reason, expires, packages',
      'malformed.yaml: entry 3 (line 5): reason must not be empty for CVE-2023-6246',
      'malformed.yaml: entry 4 (line 8): expected a mapping with id and reason, got string "CVE-2024-4068"',
      'malformed.yaml: entry 5 (line 9): expires "31/12/2026" must be a date YYYY-MM-DD or an RFC 3339 timestamp with a time zone (2026-12-31T18:00:00Z)',
      'malformed.yaml: entry 5 (line 9): packages is empty, so the entry would match nothing; leave it out to match every package',
    ]);
  });

  it.each([
    ['a missing id', '- reason: r\n', /entry 1 \(line 1\): id is required/],
    ['an id that is no string', '- id: 2023\n  reason: r\n', /id must be a string, not number/],
    ['a reason that is no string', '- id: CVE-2023-1\n  reason: [a]\n', /reason must be a string, not a list/],
    ['a date that does not exist', '- id: CVE-2023-1\n  reason: r\n  expires: 2026-02-30\n', /expires "2026-02-30" is not a calendar date/],
    ['a timestamp without zone', '- id: CVE-2023-1\n  reason: r\n  expires: 2026-02-01T10:00:00\n', /with a time zone/],
    ['packages that are no list', '- id: CVE-2023-1\n  reason: r\n  packages: {a: 1}\n', /packages must be a list of package names, not object/],
    ['a blank package name', '- id: CVE-2023-1\n  reason: r\n  packages: [zlib1g, ""]\n', /non-empty package names/],
    ['a scalar document', 'CVE-2023-1\n', /^x\.yaml: expected a mapping with an "ignore" list, or a list of entries; got string$/],
    ['ignore that is no list', 'ignore: {id: CVE-2023-1}\n', /"ignore" must be a list of entries, not object/],
    ['an unknown top-level key', 'ignores:\n  - id: CVE-2023-1\n', /unknown top-level key "ignores"; expected "ignore"/],
    ['a YAML syntax error', 'ignore:\n  - id: CVE-2023-1\n    reason: "unterminated\n', /^x\.yaml: line \d+, column \d+: /],
    ['a duplicate key', '- id: CVE-2023-1\n  id: CVE-2023-2\n  reason: r\n', /^x\.yaml: line 2, column 3: .*unique/],
    ['broken JSON', '[{"id": "CVE-2023-1", "reason": "r"}', /^x\.yaml: line 1, column \d+: /],
    ['several documents', '- id: CVE-2023-1\n  reason: r\n---\n- id: CVE-2023-2\n  reason: r\n', /^x\.yaml: line \d+, column \d+: /],
  ])('refuses %s with a clear message', (_name, text, message) => {
    const file = parseIgnoreFile(text, 'x.yaml', NOW);
    expect(file.problems.length).toBeGreaterThan(0);
    expect(file.problems.join('\n')).toMatch(message);
    for (const problem of file.problems) expect(problem.startsWith('x.yaml: ')).toBe(true);
  });

  it('decides expiry at the time it is given', () => {
    const text = '- id: CVE-2023-45853\n  reason: r\n  expires: 2026-12-31\n';
    expect(entries(text, 'x', new Date('2026-12-31T23:59:59Z'))[0].expired).toBe(false);
    expect(entries(text, 'x', new Date('2027-01-01T00:00:00Z'))[0].expired).toBe(true);
  });

  it('reads a YAML 1.1 timestamp (a Date) as an expiry', () => {
    const [date, time] = entries(
      '%YAML 1.1\n---\n- id: CVE-2023-45853\n  reason: r\n  expires: 2025-06-01\n- id: CVE-2023-5678\n  reason: r\n  expires: 2025-06-01 10:00:00Z\n',
    );
    expect(date).toMatchObject({ expires: '2025-06-01', expired: false });
    expect(date.expiresAt?.toISOString()).toBe('2025-06-02T00:00:00.000Z');
    expect(time).toMatchObject({ expires: '2025-06-01T10:00:00.000Z', expired: true });
  });
});

describe('gate', () => {
  it('returns the exit code when any finding remains, else 0', () => {
    expect(gate(FINDINGS, 1)).toBe(1);
    expect(gate(FINDINGS.slice(0, 1), 4)).toBe(4);
    expect(gate([], 4)).toBe(0);
    expect(gate(FINDINGS, 0)).toBe(0);
  });

  it('gates what the filters leave', () => {
    const input = reportInput();
    const ignore = entries('- id: CVE-2023-45853\n  reason: no minizip\n- id: CVE-2022-42889\n  reason: no interpolation of user input\n');
    const critical = applyFilters(input, { severities: severities('CRITICAL'), ignore });
    expect(gate(critical.findings, 3)).toBe(3);
    const fixable = applyFilters(input, { severities: severities('UNKNOWN'), ignoreUnfixed: true });
    expect(gate(fixable.findings, 3)).toBe(0);
  });
});
