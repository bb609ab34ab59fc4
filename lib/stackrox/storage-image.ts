/** Assembling the StorageImage a scan answers with, and the views of it clients ask for. */
import { distributionOf } from '../distros';
import type { ImageReference, ResolvedImage } from '../image/types';
import type { Inventory } from '../index/types';
import { buildMetadata } from './metadata';
import { timestampOrNull } from './protojson';
import { componentRiskScore, imageRiskScore, scanCounts, scanHash, topCvss, uniqueCveCount } from './scores';
import type {
  StorageDataSource,
  StorageEmbeddedImageScanComponent,
  StorageEmbeddedVulnerability,
  StorageImage,
  StorageImageMetadata,
  StorageImageName,
  StorageImageNote,
  StorageImageScanNote,
  StorageImageSignature,
  StorageImageSignatureVerificationData,
} from './types';

/** The scan notes an inventory calls for: no OS found or one lamina does not know, or part of the image unread. */
export function inventoryNotes(inventory: Pick<Inventory, 'os' | 'partial'>): StorageImageScanNote[] {
  const notes: StorageImageScanNote[] = [];
  if (!distributionOf(inventory.os)) notes.push('OS_UNAVAILABLE');
  if (inventory.partial) notes.push('PARTIAL_SCAN_DATA');
  return notes;
}

/** Notes that each mean part of the scan is missing; any of them adds PARTIAL_SCAN_DATA. */
const PARTIAL_NOTES: ReadonlySet<StorageImageScanNote> = new Set(['OS_UNAVAILABLE', 'OS_CVES_UNAVAILABLE', 'LANGUAGE_CVES_UNAVAILABLE']);

export interface StorageImageInput {
  reference: ImageReference;
  /** Every name this digest was scanned under, this one included. */
  names: StorageImageName[];
  resolved: ResolvedImage;
  inventory: Inventory;
  /** The image's components, already matched against advisories. */
  components: StorageEmbeddedImageScanComponent[];
  scanTime: Date;
  scanner: { version: string; dataSource: StorageDataSource };
  /** `<ID>:<VERSION_ID>` (see formatOperatingSystem); `unknown` when absent. */
  operatingSystem?: string;
  /** Built from `resolved` when absent. */
  metadata?: StorageImageMetadata;
  /** Scan notes; the inventory's notes when absent. PARTIAL_SCAN_DATA is added when called for. */
  scanNotes?: readonly StorageImageScanNote[];
  /** Image notes (MISSING_SIGNATURE…). */
  notes?: readonly StorageImageNote[];
  signature?: StorageImageSignature | null;
  signatureVerificationData?: StorageImageSignatureVerificationData | null;
}

function nameOf(reference: ImageReference): StorageImageName {
  return { registry: reference.registry, remote: reference.remote, tag: reference.tag, fullName: reference.fullName };
}

/** Distinct scan notes in the order given, with PARTIAL_SCAN_DATA after them when part of the scan is missing. */
export function scanNotesWithPartial(notes: readonly StorageImageScanNote[]): StorageImageScanNote[] {
  const distinct = [...new Set(notes.filter((note) => note !== 'UNSET'))];
  if (distinct.some((note) => PARTIAL_NOTES.has(note)) && !distinct.includes('PARTIAL_SCAN_DATA')) distinct.push('PARTIAL_SCAN_DATA');
  return distinct;
}

/** A component with its topCvss (one-of: only with vulnerabilities) and riskScore worked out from its vulnerabilities. */
export function withComponentStats(component: StorageEmbeddedImageScanComponent): StorageEmbeddedImageScanComponent {
  const { topCvss: _previous, ...rest } = component;
  const top = topCvss(component.vulns);
  return { ...rest, ...(top === undefined ? {} : { topCvss: top }), riskScore: componentRiskScore(component) };
}

/**
 * Recomputes everything derived from the scan: each component's topCvss and riskScore, the image's
 * components/cves/fixableCves/topCvss one-ofs, scan.hash and riskScore (image age measured at `now`).
 */
export function withScanStats(image: StorageImage, now: Date): StorageImage {
  const { components: _c, cves: _v, fixableCves: _f, topCvss: _t, ...rest } = image;
  if (!image.scan) return { ...rest, riskScore: imageRiskScore(image, now) };
  const components = image.scan.components.map(withComponentStats);
  const scan = { ...image.scan, components, hash: scanHash(components) };
  const updated: StorageImage = { ...rest, scan, ...scanCounts(components) };
  return { ...updated, riskScore: imageRiskScore(updated, now) };
}

/** The StorageImage of a finished scan, with counts, scores and hash worked out. */
export function assembleStorageImage(input: StorageImageInput): StorageImage {
  const scanTime = timestampOrNull(input.scanTime) ?? new Date().toISOString();
  const image: StorageImage = {
    id: input.reference.digest ?? input.resolved.manifestDigest,
    name: nameOf(input.reference),
    names: input.names,
    metadata: input.metadata ?? buildMetadata(input.resolved, input.scanTime),
    scan: {
      scannerVersion: input.scanner.version,
      scanTime,
      components: input.components,
      operatingSystem: input.operatingSystem || 'unknown',
      dataSource: { id: input.scanner.dataSource.id, name: input.scanner.dataSource.name, mirror: input.scanner.dataSource.mirror ?? '' },
      notes: scanNotesWithPartial(input.scanNotes ?? inventoryNotes(input.inventory)),
    },
    signatureVerificationData: input.signatureVerificationData ?? null,
    signature: input.signature ?? null,
    lastUpdated: scanTime,
    notPullable: false,
    isClusterLocal: false,
    priority: '0',
    riskScore: 0,
    notes: [...new Set(input.notes ?? [])],
  };
  return withScanStats(image, input.scanTime);
}

/** Snoozed: suppressed, or in any state other than OBSERVED. */
export function isSnoozed(vuln: Pick<StorageEmbeddedVulnerability, 'suppressed' | 'state'>): boolean {
  return vuln.suppressed === true || (vuln.state !== undefined && vuln.state !== 'OBSERVED');
}

/**
 * Without includeSnoozed, removes snoozed vulnerabilities from every component and recomputes only `cves`;
 * fixableCves, topCvss and riskScore keep counting them, as StackRox's do. Components left empty stay.
 */
export function applySnoozeFilter(image: StorageImage, includeSnoozed: boolean): StorageImage {
  if (includeSnoozed || !image.scan) return image;
  const components = image.scan.components.map((component) => ({
    ...component,
    vulns: component.vulns.filter((vuln) => !isSnoozed(vuln)),
  }));
  const filtered: StorageImage = { ...image, scan: { ...image.scan, components } };
  if (image.cves !== undefined) filtered.cves = uniqueCveCount(components);
  return filtered;
}
