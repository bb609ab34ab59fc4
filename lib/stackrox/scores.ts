/**
 * Risk scores, counts and the scan hash of a StorageImage, as StackRox's risk multipliers and FillScanStats compute
 * them. Arithmetic is rounded to float32 at each step, as the Go code's float32 arithmetic is.
 */
import { createHash } from 'node:crypto';
import { timestampMillis } from './protojson';
import type { StorageEmbeddedImageScanComponent, StorageEmbeddedVulnerability, StorageImage } from './types';

const f = Math.fround;

/** Components whose presence helps an attacker (central/risk/multipliers/image/risky_component.go). */
export const RISKY_COMPONENTS: ReadonlySet<string> = new Set([
  'apk',
  'apt',
  'bash',
  'curl',
  'dnf',
  'netcat',
  'nmap',
  'rpm',
  'sh',
  'tcsh',
  'telnet',
  'wget',
  'yum',
]);

const VULN_SATURATION = 100;
const VULN_MAX_SCORE = 4;
const DAY_MS = 24 * 60 * 60 * 1000;
const GO_ZERO_TIME_MS = -62135596800000;

/** The severity's weight: LOW 2.0, MODERATE 5.5, IMPORTANT 8.0 (v3) or 8.5 (v2), CRITICAL 9.5. */
export function severityWeight(vuln: Pick<StorageEmbeddedVulnerability, 'severity' | 'scoreVersion'>): number {
  switch (vuln.severity) {
    case 'LOW_VULNERABILITY_SEVERITY':
      return 2.0;
    case 'MODERATE_VULNERABILITY_SEVERITY':
      return 5.5;
    case 'IMPORTANT_VULNERABILITY_SEVERITY':
      return vuln.scoreVersion === 'V2' ? 8.5 : 8.0;
    case 'CRITICAL_VULNERABILITY_SEVERITY':
      return 9.5;
    default:
      return 0;
  }
}

interface VulnTally {
  sum: number;
  count: number;
}

/** Σ s²/10 over a component's vulnerabilities of known severity, and how many there were. */
function tallyComponent(component: Pick<StorageEmbeddedImageScanComponent, 'vulns'>): VulnTally {
  let sum = 0;
  let count = 0;
  for (const vuln of component.vulns ?? []) {
    if (!vuln.severity || vuln.severity === 'UNKNOWN_VULNERABILITY_SEVERITY') continue;
    const weight = f(severityWeight(vuln));
    sum = f(sum + f(f(weight * weight) / 10));
    count++;
  }
  return { sum, count };
}

/** `min(4, 1 + sum/100*3)`: the vulnerability multiplier, undefined when no vulnerability of known severity counts. */
function vulnerabilityMultiplier(tally: VulnTally): number | undefined {
  if (tally.count === 0) return undefined;
  if (tally.sum > VULN_SATURATION) return VULN_MAX_SCORE;
  return f(1 + f(f(tally.sum / VULN_SATURATION) * (VULN_MAX_SCORE - 1)));
}

/** A component's riskScore: its vulnerability multiplier alone, 0 when it has no vulnerability of known severity. */
export function componentRiskScore(component: Pick<StorageEmbeddedImageScanComponent, 'vulns'>): number {
  return vulnerabilityMultiplier(tallyComponent(component)) ?? 0;
}

function riskyComponentMultiplier(components: readonly StorageEmbeddedImageScanComponent[]): number | undefined {
  const present = new Set(components.map((c) => c.name).filter((name) => RISKY_COMPONENTS.has(name)));
  if (present.size === 0) return undefined;
  return Math.min(1.5, f(1 + f(f(present.size / 10) / 2)));
}

function componentCountMultiplier(components: readonly StorageEmbeddedImageScanComponent[]): number | undefined {
  const count = new Set(components.map((c) => `${c.name}:${c.version}`)).size;
  if (count < 10) return undefined;
  return Math.min(1.5, f(1 + f(f((count - 10) / 10) / 2)));
}

function imageAgeMultiplier(created: string | null | undefined, now: Date): number | undefined {
  const createdMs = timestampMillis(created);
  // Go's zero time (0001-01-01) counts as "no creation time", as in StackRox.
  if (createdMs === undefined || createdMs === GO_ZERO_TIME_MS) return undefined;
  const days = Math.trunc((now.getTime() - createdMs) / DAY_MS);
  if (days < 90) return undefined;
  return Math.min(1.5, f(1 + f(f((days - 90) / 180) * 0.5)));
}

/**
 * The image riskScore: the product of the multipliers that apply (vulnerabilities, components useful to attackers,
 * component count ≥ 10, age ≥ 90 days since metadata.v1.created); 0 when none applies.
 */
export function imageRiskScore(image: Pick<StorageImage, 'scan' | 'metadata'>, now: Date): number {
  const components = image.scan?.components ?? [];
  let sum = 0;
  let count = 0;
  for (const component of components) {
    const tally = tallyComponent(component);
    sum = f(sum + tally.sum);
    count += tally.count;
  }
  const multipliers = [
    vulnerabilityMultiplier({ sum, count }),
    riskyComponentMultiplier(components),
    componentCountMultiplier(components),
    imageAgeMultiplier(image.metadata?.v1?.created, now),
  ].filter((m): m is number => m !== undefined);
  if (multipliers.length === 0) return 0;
  return multipliers.reduce((product, m) => f(product * m), 1);
}

/** Highest CVSS among the vulnerabilities, undefined when there are none. */
export function topCvss(vulns: readonly Pick<StorageEmbeddedVulnerability, 'cvss'>[]): number | undefined {
  if (vulns.length === 0) return undefined;
  return vulns.reduce((top, v) => Math.max(top, f(v.cvss ?? 0)), 0);
}

export interface ScanCounts {
  components: number;
  cves: number;
  /** Absent when vulnerabilities exist but none says whether it has a fix (StackRox's FillScanStats rule). */
  fixableCves?: number;
  topCvss?: number;
}

/** `components`, `cves` (unique ids), `fixableCves` (unique ids with a non-empty fixedBy) and `topCvss`. */
export function scanCounts(components: readonly StorageEmbeddedImageScanComponent[]): ScanCounts {
  const fixable = new Map<string, boolean>();
  let fixedByProvided = false;
  const all = components.flatMap((c) => c.vulns ?? []);
  for (const vuln of all) {
    if (!fixable.has(vuln.cve)) fixable.set(vuln.cve, false);
    if (typeof vuln.fixedBy !== 'string') continue;
    fixedByProvided = true;
    if (vuln.fixedBy !== '') fixable.set(vuln.cve, true);
  }
  const counts: ScanCounts = { components: components.length, cves: fixable.size };
  if (fixable.size === 0 || fixedByProvided) counts.fixableCves = [...fixable.values()].filter(Boolean).length;
  if (fixable.size > 0) counts.topCvss = topCvss(all);
  return counts;
}

/** Unique CVE ids in the components. */
export function uniqueCveCount(components: readonly Pick<StorageEmbeddedImageScanComponent, 'vulns'>[]): number {
  return new Set(components.flatMap((c) => (c.vulns ?? []).map((v) => v.cve))).size;
}

const UINT64 = (1n << 64n) - 1n;

/**
 * `scan.hash`: an order-insensitive uint64 of the component set, the sum mod 2^64 of the first 8 bytes of
 * sha256(name, version, source, location) of each distinct component, as a decimal string.
 */
export function scanHash(components: readonly Pick<StorageEmbeddedImageScanComponent, 'name' | 'version' | 'source' | 'location'>[]): string {
  const keys = new Set(components.map((c) => [c.name, c.version, c.source, c.location].join('\u0000')));
  let hash = 0n;
  for (const key of keys) {
    hash = (hash + createHash('sha256').update(key, 'utf8').digest().readBigUInt64BE(0)) & UINT64;
  }
  return hash.toString();
}
