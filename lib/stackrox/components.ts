/** Rendering an inventory and its findings as StackRox components and vulnerabilities. */
import type { Inventory, Package } from '../index/types';
import type { Finding, Rating } from '../vulndb/findings';
import { safeCompare, type MatchResult } from '../vulndb/matcher';
import { inventoryNotes } from './storage-image';
import type {
  StorageEmbeddedImageScanComponent,
  StorageEmbeddedVulnerability,
  StorageImage,
  StorageImageScanNote,
  StorageSourceType,
  StorageVulnerabilitySeverity,
} from './types';

/** StackRox's source type per OSV ecosystem of a language package; Rust and PHP have none of their own. */
const LANGUAGE_SOURCES: Record<string, StorageSourceType> = {
  npm: 'NODEJS',
  PyPI: 'PYTHON',
  Maven: 'JAVA',
  RubyGems: 'RUBY',
  Go: 'GO',
  NuGet: 'DOTNETCORERUNTIME',
};

export function sourceOf(pkg: Package): StorageSourceType {
  if (pkg.manager) return 'OS';
  return LANGUAGE_SOURCES[pkg.ecosystem.split(':')[0]] ?? 'INFRASTRUCTURE';
}

/** A component as the inventory found it, before matching: no vulnerabilities yet. */
export function componentOf(pkg: Package): StorageEmbeddedImageScanComponent {
  const license = pkg.licenses[0];
  return {
    name: pkg.name,
    version: pkg.version,
    license: license ? { name: license, type: '', url: '' } : null,
    vulns: [],
    layerIndex: pkg.layer.index,
    priority: '0',
    source: sourceOf(pkg),
    // StackRox gives OS packages no location; language packages have the path of their evidence.
    location: pkg.manager ? '' : pkg.location,
    riskScore: 0,
    fixedBy: '',
    executables: [],
  };
}

const SEVERITY: Record<Rating, StorageVulnerabilitySeverity> = {
  LOW: 'LOW_VULNERABILITY_SEVERITY',
  MODERATE: 'MODERATE_VULNERABILITY_SEVERITY',
  IMPORTANT: 'IMPORTANT_VULNERABILITY_SEVERITY',
  CRITICAL: 'CRITICAL_VULNERABILITY_SEVERITY',
};

export interface VulnerabilityContext {
  /** When this CVE was first seen in this image (kept across re-scans), else now. */
  firstImageOccurrence: string;
  firstSystemOccurrence: string | null;
}

/** The StackRox vulnerability of one finding, before snoozes are applied. */
export function vulnerabilityOf(finding: Finding, context: VulnerabilityContext): StorageEmbeddedVulnerability {
  const v3 = finding.cvssV3?.parsed;
  const v2 = finding.cvssV2?.parsed;
  const vuln: StorageEmbeddedVulnerability = {
    cve: finding.id,
    cvss: v3?.score ?? v2?.score ?? 0,
    summary: finding.summary,
    link: finding.links[0] ?? '',
    scoreVersion: v3 || !v2 ? 'V3' : 'V2',
    cvssV2: v2 ?? null,
    cvssV3: v3 ?? null,
    publishedOn: finding.published ?? null,
    lastModified: finding.modified ?? null,
    vulnerabilityType: 'IMAGE_VULNERABILITY',
    vulnerabilityTypes: ['IMAGE_VULNERABILITY'],
    suppressed: false,
    suppressActivation: null,
    suppressExpiry: null,
    firstSystemOccurrence: context.firstSystemOccurrence,
    firstImageOccurrence: context.firstImageOccurrence,
    severity: finding.rating ? SEVERITY[finding.rating] : 'UNKNOWN_VULNERABILITY_SEVERITY',
    state: 'OBSERVED',
  };
  if (finding.fixedVersion) vuln.fixedBy = finding.fixedVersion;
  return vuln;
}

function firstOccurrences(previous: StorageImage | undefined): Map<string, string> {
  const seen = new Map<string, string>();
  for (const component of previous?.scan?.components ?? []) {
    for (const vuln of component.vulns) {
      const when = vuln.firstImageOccurrence;
      if (when && (!seen.has(vuln.cve) || Date.parse(when) < Date.parse(seen.get(vuln.cve)!))) seen.set(vuln.cve, when);
    }
  }
  return seen;
}

export interface ComponentsOptions {
  now: Date;
  /** The image as last stored: CVEs it already had keep their firstImageOccurrence. */
  previous?: StorageImage;
}

/** Every package as a StackRox component with its vulnerabilities and the highest fix among them. */
export function componentsOf(inventory: Inventory, findings: Finding[], options: ComponentsOptions): StorageEmbeddedImageScanComponent[] {
  const byPackage = new Map<number, Finding[]>();
  for (const finding of findings) {
    const list = byPackage.get(finding.packageIndex);
    if (list) list.push(finding);
    else byPackage.set(finding.packageIndex, [finding]);
  }
  const firstSeen = firstOccurrences(options.previous);
  const now = options.now.toISOString();
  return inventory.packages.flatMap((pkg, index) => {
    // Files of an OS package are that package's: not a component of their own.
    if (pkg.owner) return [];
    const base = componentOf(pkg);
    const own = byPackage.get(index);
    if (!own) return [base];
    const vulns = own.map((finding) => vulnerabilityOf(finding, { firstImageOccurrence: firstSeen.get(finding.id) ?? now, firstSystemOccurrence: null }));
    const compare = safeCompare(pkg.ecosystem);
    let fixedBy = '';
    for (const vuln of vulns) if (vuln.fixedBy && (!fixedBy || compare(vuln.fixedBy, fixedBy) > 0)) fixedBy = vuln.fixedBy;
    return [{ ...base, vulns, fixedBy }];
  });
}

/** The scan part of a StorageImage: components with their vulnerabilities, and the notes the inventory and match call for. */
export function scanOf(
  inventory: Inventory,
  match: Pick<MatchResult, 'findings' | 'osAdvisoriesUnavailable' | 'languageAdvisoriesUnavailable'> | undefined,
  options: ComponentsOptions,
): { components: StorageEmbeddedImageScanComponent[]; notes: StorageImageScanNote[] } {
  const notes = inventoryNotes(inventory);
  // Without an advisory store, say so rather than claim a clean image.
  if (!match || match.osAdvisoriesUnavailable) notes.push('OS_CVES_UNAVAILABLE');
  const hasLanguagePackages = inventory.packages.some((p) => p.manager === undefined && !p.owner);
  if (hasLanguagePackages && (!match || match.languageAdvisoriesUnavailable.length > 0)) notes.push('LANGUAGE_CVES_UNAVAILABLE');
  return { components: componentsOf(inventory, match?.findings ?? [], options), notes };
}
