/** Severities as reports show them: the four ratings and UNKNOWN for findings nothing rates, and the order rows follow. */
import type { Package } from '../index/types';
import type { Finding, Rating } from '../vulndb/findings';
import type { ReportInput } from './types';

export type Severity = Rating | 'UNKNOWN';

/** Highest first. */
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW', 'UNKNOWN'];

export function severityOf(finding: Pick<Finding, 'rating'>): Severity {
  return finding.rating ?? 'UNKNOWN';
}

/** 0 for CRITICAL up to 4 for UNKNOWN. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The CVSS score a finding is rated by: v3's, else v2's. */
export function cvssScoreOf(finding: Pick<Finding, 'cvssV3' | 'cvssV2'>): number | undefined {
  return finding.cvssV3?.score ?? finding.cvssV2?.score;
}

/** A stand-in for a finding whose packageIndex is outside the inventory (a bug upstream), so it is still shown. */
function missingPackage(index: number): Package {
  return {
    ecosystem: 'unknown',
    purlType: 'generic',
    name: `(package #${index})`,
    version: '?',
    purl: '',
    licenses: [],
    location: '',
    layer: { digest: '', index: -1 },
    analyzer: '',
  };
}

export function packageOf(input: Pick<ReportInput, 'inventory'>, finding: Pick<Finding, 'packageIndex'>): Package {
  return input.inventory.packages[finding.packageIndex] ?? missingPackage(finding.packageIndex);
}

export interface ReportRow {
  finding: Finding;
  pkg: Package;
  severity: Severity;
}

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Findings with their packages, by severity (highest first), then package name, version, id. */
export function orderedRows(input: Pick<ReportInput, 'inventory' | 'findings'>): ReportRow[] {
  return input.findings
    .map((finding) => ({ finding, pkg: packageOf(input, finding), severity: severityOf(finding) }))
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        text(a.pkg.name, b.pkg.name) ||
        text(a.pkg.version, b.pkg.version) ||
        text(a.finding.id, b.finding.id) ||
        a.finding.packageIndex - b.finding.packageIndex,
    );
}
