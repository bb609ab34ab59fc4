/**
 * Filters and the exit-code gate every report format shares: `--severity`, `--ignore-unfixed`, `--ignore-file` (the
 * file itself is read by ./ignore-file).
 */
import type { Package } from '../index/types';
import type { Finding } from '../vulndb/findings';
import type { IgnoreEntry } from './ignore-file';
import { packageOf, SEVERITIES, severityOf, type Severity } from './severity';
import type { ReportInput } from './types';

const SEVERITY_NAMES: Record<string, Severity> = {
  low: 'LOW',
  moderate: 'MODERATE',
  medium: 'MODERATE',
  important: 'IMPORTANT',
  high: 'IMPORTANT',
  critical: 'CRITICAL',
  unknown: 'UNKNOWN',
};

export type SeveritiesResult = { severities: ReadonlySet<Severity>; error?: undefined } | { severities?: undefined; error: string };

/**
 * `--severity`'s value: a comma-separated list of LOW, MODERATE, IMPORTANT, CRITICAL and UNKNOWN (findings nothing
 * rates), any case; Trivy's MEDIUM and HIGH mean MODERATE and IMPORTANT.
 */
export function parseSeverities(text: string): SeveritiesResult {
  const words = text
    .split(',')
    .map((word) => word.trim())
    .filter((word) => word !== '');
  const accepted = `${SEVERITIES.join(', ')} (or MEDIUM, HIGH)`;
  if (words.length === 0) return { error: `--severity names no severity; use a comma-separated list of ${accepted}` };
  const severities = new Set<Severity>();
  for (const word of words) {
    const severity = SEVERITY_NAMES[word.toLowerCase()];
    if (!severity) return { error: `--severity: unknown severity "${word}"; use a comma-separated list of ${accepted}` };
    severities.add(severity);
  }
  return { severities };
}

export interface FilterOptions {
  /** Keep only findings of these severities; every severity when absent. */
  severities?: ReadonlySet<Severity>;
  /** Drop findings without a fixed version. */
  ignoreUnfixed?: boolean;
  /** Ignore-file entries; expired ones hide nothing. */
  ignore?: readonly IgnoreEntry[];
}

export interface FilterResult {
  /** The findings left, in the order given. */
  findings: Finding[];
  /** Findings the severity and fix filters kept that an ignore entry hides, with the first entry that hides each. */
  ignored: Array<{ finding: Finding; entry: IgnoreEntry }>;
  /** Every expired entry: it no longer hides anything, and the caller should say so. */
  expired: IgnoreEntry[];
}

const sameId = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

/** Whether an entry speaks for a finding of a package: by the finding's id or an alias, and its package names if any. */
export function entryMatches(entry: IgnoreEntry, finding: Finding, pkg: Package): boolean {
  if (!sameId(entry.id, finding.id) && !finding.aliases.some((alias) => sameId(entry.id, alias))) return false;
  return !entry.packages || entry.packages.some((name) => name === pkg.name || name === pkg.source?.name);
}

/** Severity and fix filters first (they decide what is in scope), then ignore entries on what is left. */
export function applyFilters(input: Pick<ReportInput, 'inventory' | 'findings'>, options: FilterOptions): FilterResult {
  const active = (options.ignore ?? []).filter((entry) => !entry.expired);
  const findings: Finding[] = [];
  const ignored: FilterResult['ignored'] = [];
  for (const finding of input.findings) {
    if (options.severities && !options.severities.has(severityOf(finding))) continue;
    if (options.ignoreUnfixed && !finding.fixedVersion) continue;
    const pkg = packageOf(input, finding);
    const entry = active.find((candidate) => entryMatches(candidate, finding, pkg));
    if (entry) ignored.push({ finding, entry });
    else findings.push(finding);
  }
  return { findings, ignored, expired: (options.ignore ?? []).filter((entry) => entry.expired) };
}

/** The exit status a scan ends with: `exitCode` when any finding is left, else 0. */
export function gate(findings: readonly unknown[], exitCode: number): number {
  return findings.length > 0 ? exitCode : 0;
}

export type { Severity };
