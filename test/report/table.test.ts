import { MIN_TABLE_WIDTH, NOT_FIXED, renderTable, wrap } from '../../lib/report/table';
import { countsByRating, FINDINGS, PACKAGES, reportInput } from './inputs';

const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const lines = (text: string) => text.replace(ANSI, '').split('\n');
const SEVERITY_WORDS = ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW', 'UNKNOWN'];
/** The first line of each table row: the one naming the vulnerability id. */
const rowLines = (text: string) => lines(text).filter((line) => /\b(CVE|GHSA)-[\w-]+\s+(CRITICAL|IMPORTANT|MODERATE|LOW|UNKNOWN)\b/.test(line));

describe('renderTable', () => {
  const input = reportInput({ notes: ['OS_CVES_UNAVAILABLE', 'PARTIAL_SCAN_DATA'] });

  it.each([80, 120, MIN_TABLE_WIDTH, 200])('never exceeds %i columns', (width) => {
    for (const color of [false, true]) {
      const text = renderTable(input, { width, color });
      for (const line of lines(text)) expect(line.length).toBeLessThanOrEqual(width);
    }
  });

  it('defaults to 80 columns and never goes below its minimum', () => {
    expect(renderTable(input)).toBe(renderTable(input, { width: 80 }));
    for (const line of lines(renderTable(input, { width: 10 }))) expect(line.length).toBeLessThanOrEqual(MIN_TABLE_WIDTH);
  });

  it.each([80, 120])('has one row per finding at %i columns, every id whole', (width) => {
    const rows = rowLines(renderTable(input, { width }));
    expect(rows).toHaveLength(FINDINGS.length);
    for (const finding of FINDINGS) expect(rows.some((row) => row.includes(` ${finding.id} `))).toBe(true);
  });

  it('shows package, installed version, id, severity, fix and layer of every finding at 120 columns', () => {
    const rows = rowLines(renderTable(input, { width: 120 })).map((row) => row.trim().split(/\s{2,}/));
    const expected = FINDINGS.map((f) => {
      const pkg = PACKAGES[f.packageIndex];
      return [pkg.name, pkg.version, f.id, f.rating ?? 'UNKNOWN', f.fixedVersion ?? NOT_FIXED, String(pkg.layer.index)];
    });
    expect(rows).toHaveLength(expected.length);
    expect(rows).toEqual(expect.arrayContaining(expected));
    expect(rows.find((row) => row[2] === 'CVE-2023-45853')).toEqual(['zlib1g', '1:1.2.13.dfsg-1', 'CVE-2023-45853', 'CRITICAL', 'not fixed', '0']);
  });

  it('keeps every character of wrapped cells at 80 columns', () => {
    const text = lines(renderTable(input, { width: 80 })).join('\n');
    // The long Maven name is wrapped over lines of its column; its pieces are all there.
    for (const piece of ['org.apache.', 'logging.log4j:', 'log4j-core', 'commons:commons-', '3.0.11-1~', 'deb12u2']) expect(text).toContain(piece);
  });

  it('sorts by severity, then package name', () => {
    const rows = rowLines(renderTable(input, { width: 120 })).map((row) => row.trim().split(/\s{2,}/));
    const ranks = rows.map((row) => SEVERITY_WORDS.indexOf(row[3]));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (let i = 1; i < rows.length; i++) if (ranks[i] === ranks[i - 1]) expect(rows[i - 1][0] <= rows[i][0]).toBe(true);
    expect(rows[rows.length - 1][2]).toBe('CVE-2024-12243');
  });

  it('counts findings by severity', () => {
    const counts = countsByRating(FINDINGS);
    const text = renderTable(input, { width: 120 });
    expect(text).toContain(
      `Total: ${FINDINGS.length} (CRITICAL: ${counts.CRITICAL}, IMPORTANT: ${counts.IMPORTANT}, MODERATE: ${counts.MODERATE}, LOW: ${counts.LOW}, UNKNOWN: ${counts.UNKNOWN})`,
    );
    expect(text).toContain('Total: 13 (CRITICAL: 5, IMPORTANT: 2, MODERATE: 3, LOW: 2, UNKNOWN: 1)');
    expect(text).toContain('13 findings of 12 vulnerabilities in 11 of 12 packages; 10 with a fixed version.');
  });

  it('names the image and its operating system', () => {
    const text = renderTable(input);
    expect(text).toContain('lamina 0.1.0 report for registry.example.com/shop/checkout:1.4.2');
    expect(text).toContain('Digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    expect(text).toContain('OS: debian:12 (Debian GNU/Linux 12 (bookworm))');
  });

  it('explains the notes in words', () => {
    const text = lines(renderTable(input, { width: 200 })).join('\n');
    expect(text).toContain('Notes:');
    expect(text).toContain('OS_CVES_UNAVAILABLE: no advisories for debian:12 are loaded, so OS packages were not checked; run `lamina db update`');
    expect(text).toContain('PARTIAL_SCAN_DATA: part of the image could not be read or matched; the results may be incomplete');
    const more = renderTable(
      reportInput({
        notes: ['OS_UNAVAILABLE', 'LANGUAGE_CVES_UNAVAILABLE', 'PARTIAL_SCAN_DATA', 'SOMETHING_NEW', 'UNSET', 'OS_UNAVAILABLE'],
        operatingSystem: 'unknown',
        languageAdvisoriesUnavailable: ['Maven', 'npm'],
        inventory: { packages: PACKAGES, partial: true, warnings: ['var/lib/dpkg/status: truncated', 'app.jar: unreadable'] },
      }),
      { width: 200 },
    );
    expect(more).toContain('OS: unknown');
    expect(more).toContain('OS_UNAVAILABLE: the operating system could not be identified');
    expect(more).toContain('LANGUAGE_CVES_UNAVAILABLE: no advisories are loaded for some language ecosystems of the image (Maven, npm)');
    expect(more).toContain('(2 indexing warnings)');
    expect(more).toContain('  SOMETHING_NEW: SOMETHING_NEW');
    expect(more).not.toContain('UNSET');
    expect(more.match(/OS_UNAVAILABLE:/g)).toHaveLength(1);
  });

  it('lists what could not be read or matched under Warnings, the first 20 and a count of the rest', () => {
    const few = renderTable(reportInput({ warnings: ['java: opt/app/broken.jar: not a readable zip archive: no end of central directory record'] }), {
      width: 200,
    });
    const section = few.slice(few.indexOf('Warnings:'));
    expect(section).toBe('Warnings:\n  java: opt/app/broken.jar: not a readable zip archive: no end of central directory record\n');
    const many = Array.from({ length: 25 }, (_, i) => `npm: srv/node_modules/pkg-${i}/package.json: not JSON`);
    const listed = lines(renderTable(reportInput({ warnings: many }), { width: 200 }));
    const start = listed.indexOf('Warnings:');
    expect(listed.slice(start + 1, -1)).toEqual([...many.slice(0, 20).map((warning) => `  ${warning}`), '  … and 5 more']);
    expect(renderTable(reportInput({ warnings: [] }))).not.toContain('Warnings:');
    expect(renderTable(reportInput())).not.toContain('Warnings:');
  });

  it('wraps notes with a hanging indent at 80 columns', () => {
    const noteLines = lines(renderTable(input, { width: 80 }));
    const start = noteLines.findIndex((line) => line.startsWith('  OS_CVES_UNAVAILABLE:'));
    expect(start).toBeGreaterThan(0);
    expect(noteLines[start + 1]).toMatch(/^ {4}\S/);
    expect(noteLines.slice(start, start + 2).join(' ')).toContain('OS packages');
  });

  it('says clearly when an image has no findings', () => {
    const clean = renderTable(reportInput({ findings: [] }));
    expect(clean).toContain('No vulnerabilities found in 12 packages.');
    expect(clean).not.toContain('PACKAGE');
    expect(clean).not.toContain('incomplete');
    expect(clean).not.toContain('Notes:');
  });

  it('does not call an incompletely scanned image clean', () => {
    const text = renderTable(reportInput({ findings: [], notes: ['OS_CVES_UNAVAILABLE'] }));
    expect(text).toContain('No vulnerabilities found in 12 packages.');
    expect(text).toMatch(/The scan is incomplete, so this does not mean the image is free of them/);
    expect(text).toContain('OS_CVES_UNAVAILABLE: no advisories for debian:12 are loaded');
  });

  it('says when there were no packages at all', () => {
    const text = renderTable(reportInput({ findings: [], inventory: { packages: [], partial: false, warnings: [] } }), { width: 120 });
    expect(text).toContain('No packages were found in the image, so there was nothing to check for vulnerabilities.');
  });

  it('colours severities only when asked, without changing the text', () => {
    expect(renderTable(input)).not.toContain(ESC);
    const colored = renderTable(input, { color: true });
    expect(colored).toContain('\u001b[1;31mCRITICAL\u001b[0m');
    expect(colored.replace(ANSI, '')).toBe(renderTable(input));
  });

  it('shows a finding whose package is missing from the inventory rather than failing', () => {
    const text = renderTable(reportInput({ findings: [{ ...FINDINGS[0], packageIndex: 99 }] }), { width: 120 });
    expect(text).toContain('(package #99)');
    expect(text).toContain('CVE-2023-45853');
  });
});

describe('wrap', () => {
  it('breaks after separators in the second half, at spaces, or hard', () => {
    expect(wrap('org.apache.logging.log4j:log4j-core', 17)).toEqual(['org.apache.', 'logging.log4j:', 'log4j-core']);
    expect(wrap('3.0.11-1~deb12u2', 10)).toEqual(['3.0.11-1~', 'deb12u2']);
    expect(wrap('not fixed', 5)).toEqual(['not', 'fixed']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('short', 10)).toEqual(['short']);
    expect(wrap('', 10)).toEqual(['']);
  });

  it('never gives a line longer than asked', () => {
    const text = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 and some words-with-dashes/and/slashes';
    for (let width = 1; width <= 40; width++) {
      const out = wrap(text, width);
      for (const line of out) expect(line.length).toBeLessThanOrEqual(width);
      expect(out.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    }
  });
});
