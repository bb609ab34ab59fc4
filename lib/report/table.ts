/** A scan as a terminal table: one row per finding, then counts by severity, the OS and the scan notes in words. */
import { distinctNotes, explainNote, INCOMPLETE_NOTES } from './notes';
import { shownWarnings } from '../warnings';
import { orderedRows, SEVERITIES, type Severity } from './severity';
import type { ReportInput } from './types';

export interface TableOptions {
  /** Columns available; no line is longer. Values below MIN_TABLE_WIDTH are taken as MIN_TABLE_WIDTH. Default 80. */
  width?: number;
  /** ANSI colours for severities and headings (escape codes do not count towards the width). Default false. */
  color?: boolean;
}

export const MIN_TABLE_WIDTH = 40;
export const NOT_FIXED = 'not fixed';

const HEADERS = ['PACKAGE', 'VERSION', 'VULNERABILITY', 'SEVERITY', 'FIXED', 'LAYER'] as const;
const SEVERITY_COLUMN = 3;
const GAP = '  ';

const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';
const COLORS: Record<Severity, string> = {
  CRITICAL: '\u001b[1;31m',
  IMPORTANT: '\u001b[31m',
  MODERATE: '\u001b[33m',
  LOW: '\u001b[36m',
  UNKNOWN: '\u001b[2m',
};

/** Characters a version, name or id may be broken after when it does not fit. */
const BREAK_AFTER = new Set(['/', ':', '-', '.', '+', '~', '@', '_', ',', '=']);

/**
 * `text` in lines of at most `width` characters: at the last space that fits, else after a separator in the second
 * half of the line (so `1:1.2.13.dfsg-1` breaks after a dot, not after one letter), else hard at `width`.
 */
export function wrap(text: string, width: number, nextWidth = width): string[] {
  const lines: string[] = [];
  let rest = text.trim();
  let size = Math.max(1, width);
  while (rest.length > size) {
    let cut = -1;
    let skip = 0;
    if (rest[size] === ' ') {
      cut = size;
      skip = 1;
    } else {
      const space = rest.lastIndexOf(' ', size - 1);
      if (space > 0) {
        cut = space;
        skip = 1;
      } else {
        for (let end = size; end >= Math.ceil(size / 2) && end > 1; end--) {
          if (BREAK_AFTER.has(rest[end - 1])) {
            cut = end;
            break;
          }
        }
      }
    }
    if (cut <= 0) cut = size;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut + skip).trimStart();
    size = Math.max(1, nextWidth);
  }
  lines.push(rest);
  return lines;
}

/** Lines of prose of at most `width`, continuation lines indented by `hang`. */
function paragraph(text: string, width: number, indent = '', hang = indent): string[] {
  return wrap(text, width - indent.length, width - hang.length).map((line, index) => (index === 0 ? indent : hang) + line);
}

/** Column widths that fit `width`: the widest flexible column gives way first, then any column. */
function columnWidths(natural: number[], width: number): number[] {
  const widths = [...natural];
  const budget = width - GAP.length * (widths.length - 1);
  const total = () => widths.reduce((sum, w) => sum + w, 0);
  // The versions give way first, then the package name (each to 10 columns); the id, severity and layer keep their width.
  const floor = (columns: number[]) => natural.map((w, i) => (columns.includes(i) ? Math.min(w, 10) : w));
  const phases = [floor([1, 4]), floor([0, 1, 4]), natural.map((w) => Math.min(w, 4)), natural.map(() => 1)];
  for (const floors of phases) {
    while (total() > budget) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) if (widths[i] > floors[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
      if (widest < 0) break;
      widths[widest]--;
    }
  }
  return widths;
}

function renderRows(cells: string[][], severities: Array<Severity | undefined>, width: number, color: boolean): string[] {
  const natural = HEADERS.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const widths = columnWidths(natural, width);
  const lines: string[] = [];
  cells.forEach((row, index) => {
    const wrapped = row.map((cell, column) => wrap(cell, widths[column]));
    const height = Math.max(...wrapped.map((cell) => cell.length));
    for (let line = 0; line < height; line++) {
      const parts = wrapped.map((cell, column) => {
        const text = cell[line] ?? '';
        const padded = column === wrapped.length - 1 ? text : text.padEnd(widths[column]);
        if (!color || text === '') return padded;
        const severity = severities[index];
        if (index === 0) return `${BOLD}${text}${RESET}${padded.slice(text.length)}`;
        if (column === SEVERITY_COLUMN && severity) return `${COLORS[severity]}${text}${RESET}${padded.slice(text.length)}`;
        return padded;
      });
      lines.push(parts.join(GAP).trimEnd());
    }
    if (index === 0) lines.push(widths.map((w) => '-'.repeat(w)).join(GAP));
  });
  return lines;
}

function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}

/** The report as text for a terminal of `width` columns, ending with a newline. */
export function renderTable(input: ReportInput, options: TableOptions = {}): string {
  const width = Math.max(MIN_TABLE_WIDTH, Math.floor(options.width ?? 80));
  const color = options.color ?? false;
  const heading = (text: string) => (color ? `${BOLD}${text}${RESET}` : text);
  const out: string[] = [];
  const prose = (text: string, indent = '', hang = indent) => out.push(...paragraph(text, width, indent, hang));

  const { image, inventory } = input;
  prose(`${input.tool.name} ${input.tool.version} report for ${image.fullName}`);
  if (image.digest && !image.fullName.includes(image.digest)) prose(`Digest: ${image.digest}`);
  const distribution = image.distribution && image.distribution !== input.operatingSystem ? ` (${image.distribution})` : '';
  prose(`OS: ${input.operatingSystem || 'unknown'}${distribution}`);
  out.push('');

  const rows = orderedRows(input);
  const notes = distinctNotes(input.notes);
  const packages = inventory.packages.filter((pkg) => !pkg.owner).length;
  if (rows.length === 0) {
    if (packages === 0) prose('No packages were found in the image, so there was nothing to check for vulnerabilities.');
    else prose(`No vulnerabilities found in ${plural(packages, 'package')}.`);
    if (notes.some((note) => INCOMPLETE_NOTES.has(note)))
      prose('The scan is incomplete, so this does not mean the image is free of them: see the notes below.');
  } else {
    const cells = [
      [...HEADERS],
      ...rows.map(({ finding, pkg, severity }) => [
        pkg.name,
        pkg.version,
        finding.id,
        severity,
        finding.fixedVersion ?? NOT_FIXED,
        pkg.layer.index >= 0 ? String(pkg.layer.index) : '?',
      ]),
    ];
    out.push(...renderRows(cells, [undefined, ...rows.map((row) => row.severity)], width, color));
    out.push('');
    const counts = new Map<Severity, number>(SEVERITIES.map((s) => [s, 0]));
    for (const row of rows) counts.set(row.severity, counts.get(row.severity)! + 1);
    prose(`Total: ${rows.length} (${SEVERITIES.map((s) => `${s}: ${counts.get(s)}`).join(', ')})`, '', '  ');
    const ids = new Set(rows.map((row) => row.finding.id)).size;
    const affected = new Set(rows.map((row) => row.finding.packageIndex)).size;
    const fixable = rows.filter((row) => row.finding.fixedVersion).length;
    prose(
      `${plural(rows.length, 'finding')} of ${plural(ids, 'vulnerability', 'vulnerabilities')} in ${affected} of ${plural(packages, 'package')}; ${fixable} with a fixed version.`,
    );
  }

  if (input.signatures && input.signatures.length > 0) {
    out.push('');
    out.push(heading('Signatures:'));
    for (const line of input.signatures) prose(line, '  ', '    ');
  }

  if (notes.length > 0) {
    out.push('');
    out.push(heading('Notes:'));
    for (const note of notes) prose(`${note}: ${explainNote(note, input)}`, '  ', '    ');
  }

  const warnings = shownWarnings(input.warnings);
  if (warnings.length > 0) {
    out.push('');
    out.push(heading('Warnings:'));
    for (const warning of warnings) prose(warning, '  ', '    ');
  }
  return `${out.join('\n')}\n`;
}
