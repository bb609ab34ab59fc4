/**
 * StorageImage → the JSON the StackRox REST gateway emits: fields in proto declaration order, defaults emitted
 * (`""`, `0`, `false`, `[]`, `{}`, unset messages `null`), one-of fields absent when unset, int64/uint64 as strings,
 * float32 printed at float32 precision, timestamps in protojson's RFC 3339 form.
 * Tolerant of missing fields (older stored results): each prints as its default.
 */
import { bool, bytes, float32, formatTimestamp, int32, int64String, str, strings } from './protojson';
import type {
  StorageCosignSignature,
  StorageCVSSV2,
  StorageCVSSV3,
  StorageDataSource,
  StorageEmbeddedImageScanComponent,
  StorageEmbeddedImageScanComponentExecutable,
  StorageEmbeddedVulnerability,
  StorageImage,
  StorageImageLayer,
  StorageImageMetadata,
  StorageImageName,
  StorageImageScan,
  StorageImageSignature,
  StorageImageSignatureVerificationData,
  StorageImageSignatureVerificationResult,
  StorageLicense,
  StorageSignature,
  StorageV1Metadata,
  StorageV2Metadata,
} from './types';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

type Loose<T> = { [K in keyof T]?: T[K] | null } | null | undefined;

/** A message field: null when unset, as protojson with EmitUnpopulated prints it. */
function message<T>(value: Loose<T>, encode: (value: NonNullable<Loose<T>>) => JsonObject): JsonObject | null {
  return value === null || value === undefined ? null : encode(value);
}

function repeated<T>(values: readonly T[] | null | undefined, encode: (value: T) => JsonValue): JsonValue[] {
  return Array.isArray(values) ? values.map(encode) : [];
}

function timestamp(value: string | Date | null | undefined): string | null {
  return formatTimestamp(value) ?? null;
}

function enumName<T extends string>(value: T | null | undefined, fallback: T): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

export function encodeImageName(name: Loose<StorageImageName>): JsonObject {
  return { registry: str(name?.registry), remote: str(name?.remote), tag: str(name?.tag), fullName: str(name?.fullName) };
}

export function encodeDataSource(source: Loose<StorageDataSource>): JsonObject {
  return { id: str(source?.id), name: str(source?.name), mirror: str(source?.mirror) };
}

export function encodeImageLayer(layer: Loose<StorageImageLayer>): JsonObject {
  return {
    instruction: str(layer?.instruction),
    value: str(layer?.value),
    created: timestamp(layer?.created),
    author: str(layer?.author),
    empty: bool(layer?.empty),
  };
}

/** A map field: protojson prints entries sorted by key. */
function encodeLabels(labels: Record<string, string> | null | undefined): JsonObject {
  const out: JsonObject = {};
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of entries) out[key] = str(value);
  return out;
}

export function encodeV1Metadata(v1: Loose<StorageV1Metadata>): JsonObject {
  return {
    digest: str(v1?.digest),
    created: timestamp(v1?.created),
    author: str(v1?.author),
    layers: repeated(v1?.layers, encodeImageLayer),
    user: str(v1?.user),
    command: strings(v1?.command),
    entrypoint: strings(v1?.entrypoint),
    volumes: strings(v1?.volumes),
    labels: encodeLabels(v1?.labels),
  };
}

export function encodeV2Metadata(v2: Loose<StorageV2Metadata>): JsonObject {
  return { digest: str(v2?.digest) };
}

export function encodeImageMetadata(metadata: Loose<StorageImageMetadata>): JsonObject {
  return {
    v1: message(metadata?.v1, encodeV1Metadata),
    v2: message(metadata?.v2, encodeV2Metadata),
    layerShas: strings(metadata?.layerShas),
    dataSource: message(metadata?.dataSource, encodeDataSource),
    version: int64String(metadata?.version),
  };
}

export function encodeCvssV2(cvss: Loose<StorageCVSSV2>): JsonObject {
  return {
    vector: str(cvss?.vector),
    attackVector: enumName(cvss?.attackVector, 'ATTACK_LOCAL'),
    accessComplexity: enumName(cvss?.accessComplexity, 'ACCESS_HIGH'),
    authentication: enumName(cvss?.authentication, 'AUTH_MULTIPLE'),
    confidentiality: enumName(cvss?.confidentiality, 'IMPACT_NONE'),
    integrity: enumName(cvss?.integrity, 'IMPACT_NONE'),
    availability: enumName(cvss?.availability, 'IMPACT_NONE'),
    exploitabilityScore: float32(cvss?.exploitabilityScore),
    impactScore: float32(cvss?.impactScore),
    score: float32(cvss?.score),
    severity: enumName(cvss?.severity, 'UNKNOWN'),
  };
}

export function encodeCvssV3(cvss: Loose<StorageCVSSV3>): JsonObject {
  return {
    vector: str(cvss?.vector),
    exploitabilityScore: float32(cvss?.exploitabilityScore),
    impactScore: float32(cvss?.impactScore),
    attackVector: enumName(cvss?.attackVector, 'ATTACK_LOCAL'),
    attackComplexity: enumName(cvss?.attackComplexity, 'COMPLEXITY_LOW'),
    privilegesRequired: enumName(cvss?.privilegesRequired, 'PRIVILEGE_NONE'),
    userInteraction: enumName(cvss?.userInteraction, 'UI_NONE'),
    scope: enumName(cvss?.scope, 'UNCHANGED'),
    confidentiality: enumName(cvss?.confidentiality, 'IMPACT_NONE'),
    integrity: enumName(cvss?.integrity, 'IMPACT_NONE'),
    availability: enumName(cvss?.availability, 'IMPACT_NONE'),
    score: float32(cvss?.score),
    severity: enumName(cvss?.severity, 'UNKNOWN'),
  };
}

export function encodeVulnerability(vuln: Loose<StorageEmbeddedVulnerability>): JsonObject {
  const out: JsonObject = {
    cve: str(vuln?.cve),
    cvss: float32(vuln?.cvss),
    summary: str(vuln?.summary),
    link: str(vuln?.link),
  };
  if (typeof vuln?.fixedBy === 'string') out.fixedBy = vuln.fixedBy;
  out.scoreVersion = enumName(vuln?.scoreVersion, 'V2');
  out.cvssV2 = message(vuln?.cvssV2, encodeCvssV2);
  out.cvssV3 = message(vuln?.cvssV3, encodeCvssV3);
  out.publishedOn = timestamp(vuln?.publishedOn);
  out.lastModified = timestamp(vuln?.lastModified);
  out.vulnerabilityType = enumName(vuln?.vulnerabilityType, 'UNKNOWN_VULNERABILITY');
  out.vulnerabilityTypes = strings(vuln?.vulnerabilityTypes);
  out.suppressed = bool(vuln?.suppressed);
  out.suppressActivation = timestamp(vuln?.suppressActivation);
  out.suppressExpiry = timestamp(vuln?.suppressExpiry);
  out.firstSystemOccurrence = timestamp(vuln?.firstSystemOccurrence);
  out.firstImageOccurrence = timestamp(vuln?.firstImageOccurrence);
  out.severity = enumName(vuln?.severity, 'UNKNOWN_VULNERABILITY_SEVERITY');
  out.state = enumName(vuln?.state, 'OBSERVED');
  return out;
}

export function encodeLicense(license: Loose<StorageLicense>): JsonObject {
  return { name: str(license?.name), type: str(license?.type), url: str(license?.url) };
}

function encodeExecutable(executable: Loose<StorageEmbeddedImageScanComponentExecutable>): JsonObject {
  return { path: str(executable?.path), dependencies: strings(executable?.dependencies) };
}

export function encodeComponent(component: Loose<StorageEmbeddedImageScanComponent>): JsonObject {
  const out: JsonObject = {
    name: str(component?.name),
    version: str(component?.version),
    license: message(component?.license, encodeLicense),
    vulns: repeated(component?.vulns, encodeVulnerability),
  };
  if (typeof component?.layerIndex === 'number') out.layerIndex = int32(component.layerIndex);
  out.priority = int64String(component?.priority);
  out.source = enumName(component?.source, 'OS');
  out.location = str(component?.location);
  if (typeof component?.topCvss === 'number') out.topCvss = float32(component.topCvss);
  out.riskScore = float32(component?.riskScore);
  out.fixedBy = str(component?.fixedBy);
  out.executables = repeated(component?.executables, encodeExecutable);
  return out;
}

export function encodeImageScan(scan: Loose<StorageImageScan>): JsonObject {
  const out: JsonObject = {
    scannerVersion: str(scan?.scannerVersion),
    scanTime: timestamp(scan?.scanTime),
    components: repeated(scan?.components, encodeComponent),
    operatingSystem: str(scan?.operatingSystem),
    dataSource: message(scan?.dataSource, encodeDataSource),
    notes: strings(scan?.notes),
  };
  if (scan?.hash !== undefined && scan.hash !== null) out.hash = int64String(scan.hash);
  return out;
}

function encodeCosignSignature(signature: Loose<StorageCosignSignature>): JsonObject {
  return {
    rawSignature: bytes(signature?.rawSignature),
    signaturePayload: bytes(signature?.signaturePayload),
    certPem: bytes(signature?.certPem),
    certChainPem: bytes(signature?.certChainPem),
    rekorBundle: bytes(signature?.rekorBundle),
    signatureFormat: enumName(signature?.signatureFormat, 'SIGNATURE_FORMAT_UNSPECIFIED'),
    sigstoreBundle: bytes(signature?.sigstoreBundle),
  };
}

function encodeSignature(signature: Loose<StorageSignature>): JsonObject {
  return signature?.cosign ? { cosign: encodeCosignSignature(signature.cosign) } : {};
}

export function encodeImageSignature(signature: Loose<StorageImageSignature>): JsonObject {
  return { signatures: repeated(signature?.signatures, encodeSignature), fetched: timestamp(signature?.fetched) };
}

function encodeVerificationResult(result: Loose<StorageImageSignatureVerificationResult>): JsonObject {
  return {
    verificationTime: timestamp(result?.verificationTime),
    verifierId: str(result?.verifierId),
    status: enumName(result?.status, 'UNSET'),
    description: str(result?.description),
    verifiedImageReferences: strings(result?.verifiedImageReferences),
  };
}

export function encodeSignatureVerificationData(data: Loose<StorageImageSignatureVerificationData>): JsonObject {
  return { results: repeated(data?.results, encodeVerificationResult) };
}

/** The whole image as the gateway prints it. */
export function encodeStorageImage(image: Loose<StorageImage>): JsonObject {
  const out: JsonObject = {
    id: str(image?.id),
    name: message(image?.name, encodeImageName),
    names: repeated(image?.names, encodeImageName),
    metadata: message(image?.metadata, encodeImageMetadata),
    scan: message(image?.scan, encodeImageScan),
    signatureVerificationData: message(image?.signatureVerificationData, encodeSignatureVerificationData),
    signature: message(image?.signature, encodeImageSignature),
  };
  if (typeof image?.components === 'number') out.components = int32(image.components);
  if (typeof image?.cves === 'number') out.cves = int32(image.cves);
  if (typeof image?.fixableCves === 'number') out.fixableCves = int32(image.fixableCves);
  out.lastUpdated = timestamp(image?.lastUpdated);
  out.notPullable = bool(image?.notPullable);
  out.isClusterLocal = bool(image?.isClusterLocal);
  out.priority = int64String(image?.priority);
  out.riskScore = float32(image?.riskScore);
  if (typeof image?.topCvss === 'number') out.topCvss = float32(image.topCvss);
  out.notes = strings(image?.notes);
  return out;
}

/** The image's JSON text; `pretty` indents by two spaces as the gateway's `?pretty` does. */
export function toJson(image: StorageImage, options: { pretty?: boolean } = {}): string {
  return JSON.stringify(encodeStorageImage(image), null, options.pretty ? 2 : undefined);
}
