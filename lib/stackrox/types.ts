/**
 * StackRox's `storage.Image` and its parts, as lamina keeps them in memory and in its store.
 *
 * Field names are the protobuf JSON names. Timestamps are RFC 3339 strings (null when unset), int64/uint64 values
 * are decimal strings, bytes are base64 strings, message fields are null when unset and one-of fields are absent
 * (undefined) when unset. `encode.ts` turns these into the exact JSON the StackRox gateway emits.
 */

/** RFC 3339 date-time, e.g. `2024-01-02T03:04:05.123456789Z`. */
export type Timestamp = string;
/** An int64 or uint64 as its decimal string, as protobuf JSON carries it. */
export type Int64String = string;
/** Bytes as standard base64, as protobuf JSON carries them. */
export type Base64 = string;

export interface V1ScanImageRequest {
  imageName: string;
  force: boolean;
  includeSnoozed: boolean;
  /** Cluster to delegate the scan to, by name or id; "" for none. */
  cluster: string;
}

export interface StorageImageName {
  registry: string;
  remote: string;
  tag: string;
  fullName: string;
}

export interface StorageImageLayer {
  instruction: string;
  value: string;
  created: Timestamp | null;
  author: string;
  empty: boolean;
}

export interface StorageV1Metadata {
  /** Config blob digest. */
  digest: string;
  created: Timestamp | null;
  author: string;
  layers: StorageImageLayer[];
  user: string;
  command: string[];
  entrypoint: string[];
  volumes: string[];
  labels: Record<string, string>;
}

export interface StorageV2Metadata {
  /** Manifest digest. */
  digest: string;
}

export interface StorageDataSource {
  id: string;
  name: string;
  mirror?: string;
}

export interface StorageImageMetadata {
  v1: StorageV1Metadata | null;
  v2: StorageV2Metadata | null;
  /** Layer digests, oldest first. */
  layerShas: string[];
  dataSource?: StorageDataSource | null;
  /** uint64: metadata format version (StackRox's is 0). */
  version: Int64String;
}

export type StorageCVSSV2AttackVector = 'ATTACK_LOCAL' | 'ATTACK_ADJACENT' | 'ATTACK_NETWORK';
export type CVSSV2AccessComplexity = 'ACCESS_HIGH' | 'ACCESS_MEDIUM' | 'ACCESS_LOW';
export type CVSSV2Authentication = 'AUTH_MULTIPLE' | 'AUTH_SINGLE' | 'AUTH_NONE';
export type StorageCVSSV2Impact = 'IMPACT_NONE' | 'IMPACT_PARTIAL' | 'IMPACT_COMPLETE';
export type StorageCVSSV2Severity = 'UNKNOWN' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface StorageCVSSV2 {
  vector: string;
  attackVector: StorageCVSSV2AttackVector;
  accessComplexity: CVSSV2AccessComplexity;
  authentication: CVSSV2Authentication;
  confidentiality: StorageCVSSV2Impact;
  integrity: StorageCVSSV2Impact;
  availability: StorageCVSSV2Impact;
  exploitabilityScore: number;
  impactScore: number;
  score: number;
  severity: StorageCVSSV2Severity;
}

export type StorageCVSSV3AttackVector = 'ATTACK_LOCAL' | 'ATTACK_ADJACENT' | 'ATTACK_NETWORK' | 'ATTACK_PHYSICAL';
export type CVSSV3Complexity = 'COMPLEXITY_LOW' | 'COMPLEXITY_HIGH';
export type CVSSV3Privileges = 'PRIVILEGE_NONE' | 'PRIVILEGE_LOW' | 'PRIVILEGE_HIGH';
export type CVSSV3UserInteraction = 'UI_NONE' | 'UI_REQUIRED';
export type StorageCVSSV3Scope = 'UNCHANGED' | 'CHANGED';
export type StorageCVSSV3Impact = 'IMPACT_NONE' | 'IMPACT_LOW' | 'IMPACT_HIGH';
export type StorageCVSSV3Severity = 'UNKNOWN' | 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface StorageCVSSV3 {
  vector: string;
  exploitabilityScore: number;
  impactScore: number;
  attackVector: StorageCVSSV3AttackVector;
  attackComplexity: CVSSV3Complexity;
  privilegesRequired: CVSSV3Privileges;
  userInteraction: CVSSV3UserInteraction;
  scope: StorageCVSSV3Scope;
  confidentiality: StorageCVSSV3Impact;
  integrity: StorageCVSSV3Impact;
  availability: StorageCVSSV3Impact;
  score: number;
  severity: StorageCVSSV3Severity;
}

export type StorageEmbeddedVulnerabilityScoreVersion = 'V2' | 'V3';

export type EmbeddedVulnerabilityVulnerabilityType =
  | 'UNKNOWN_VULNERABILITY'
  | 'IMAGE_VULNERABILITY'
  | 'K8S_VULNERABILITY'
  | 'ISTIO_VULNERABILITY'
  | 'NODE_VULNERABILITY'
  | 'OPENSHIFT_VULNERABILITY';

export type StorageVulnerabilitySeverity =
  | 'UNKNOWN_VULNERABILITY_SEVERITY'
  | 'LOW_VULNERABILITY_SEVERITY'
  | 'MODERATE_VULNERABILITY_SEVERITY'
  | 'IMPORTANT_VULNERABILITY_SEVERITY'
  | 'CRITICAL_VULNERABILITY_SEVERITY';

export type StorageVulnerabilityState = 'OBSERVED' | 'DEFERRED' | 'FALSE_POSITIVE';

export interface StorageEmbeddedVulnerability {
  cve: string;
  cvss: number;
  summary: string;
  link: string;
  /** One-of: absent when there is no fix. */
  fixedBy?: string;
  scoreVersion: StorageEmbeddedVulnerabilityScoreVersion;
  cvssV2: StorageCVSSV2 | null;
  cvssV3: StorageCVSSV3 | null;
  publishedOn: Timestamp | null;
  lastModified: Timestamp | null;
  vulnerabilityType: EmbeddedVulnerabilityVulnerabilityType;
  vulnerabilityTypes: EmbeddedVulnerabilityVulnerabilityType[];
  suppressed: boolean;
  suppressActivation: Timestamp | null;
  suppressExpiry: Timestamp | null;
  /** First time the service saw this CVE for this OS. */
  firstSystemOccurrence: Timestamp | null;
  /** First time the service saw this CVE in this image. */
  firstImageOccurrence: Timestamp | null;
  severity: StorageVulnerabilitySeverity;
  state: StorageVulnerabilityState;
}

export interface StorageLicense {
  name: string;
  type: string;
  url: string;
}

export interface StorageEmbeddedImageScanComponentExecutable {
  path: string;
  dependencies: string[];
}

/** StackRox StorageSourceType names. */
export type StorageSourceType = 'OS' | 'PYTHON' | 'JAVA' | 'RUBY' | 'NODEJS' | 'GO' | 'DOTNETCORERUNTIME' | 'INFRASTRUCTURE';

export interface StorageEmbeddedImageScanComponent {
  name: string;
  version: string;
  license: StorageLicense | null;
  vulns: StorageEmbeddedVulnerability[];
  /** One-of: index into metadata.v1.layers (empty layers counted). */
  layerIndex?: number;
  /** int64 */
  priority: Int64String;
  source: StorageSourceType;
  location: string;
  /** One-of: set when the component has at least one vulnerability. */
  topCvss?: number;
  riskScore: number;
  /** The version that fixes all fixable vulnerabilities of the component. */
  fixedBy: string;
  executables: StorageEmbeddedImageScanComponentExecutable[];
}

/** StackRox StorageImageScanNote names. */
export type StorageImageScanNote =
  | 'UNSET'
  | 'OS_UNAVAILABLE'
  | 'PARTIAL_SCAN_DATA'
  | 'OS_CVES_UNAVAILABLE'
  | 'OS_CVES_STALE'
  | 'LANGUAGE_CVES_UNAVAILABLE'
  | 'CERTIFIED_RHEL_SCAN_UNAVAILABLE';

export interface StorageImageScan {
  scannerVersion: string;
  scanTime: Timestamp | null;
  components: StorageEmbeddedImageScanComponent[];
  operatingSystem: string;
  dataSource: StorageDataSource | null;
  notes: StorageImageScanNote[];
  /** One-of, uint64: order-insensitive hash of the component set. */
  hash?: Int64String;
}

/** How a cosign signature is stored (StackRox CosignSignature.SignatureFormat). */
export type StorageCosignSignatureFormat = 'SIGNATURE_FORMAT_UNSPECIFIED' | 'SIMPLE_SIGNING' | 'DEAD_SIMPLE_SIGNING_ENVELOPE';

export interface StorageCosignSignature {
  rawSignature: Base64;
  signaturePayload: Base64;
  certPem: Base64;
  certChainPem: Base64;
  /** The Rekor bundle a simple-signing signature carries (cosign's annotation JSON), when it has one. */
  rekorBundle?: Base64;
  /** Absent on results stored before formats were recorded: those are simple signing. */
  signatureFormat?: StorageCosignSignatureFormat;
  /** DEAD_SIMPLE_SIGNING_ENVELOPE: the whole sigstore bundle, JSON; it supersedes the fields above. */
  sigstoreBundle?: Base64;
}

export interface StorageSignature {
  /** One-of `Signature`. */
  cosign?: StorageCosignSignature;
}

export interface StorageImageSignature {
  signatures: StorageSignature[];
  fetched: Timestamp | null;
}

export type StorageImageSignatureVerificationResultStatus =
  | 'UNSET'
  | 'VERIFIED'
  | 'FAILED_VERIFICATION'
  | 'INVALID_SIGNATURE_ALGO'
  | 'CORRUPTED_SIGNATURE'
  | 'GENERIC_ERROR';

export interface StorageImageSignatureVerificationResult {
  verificationTime: Timestamp | null;
  /** Id of the signature integration that verified (or failed to verify) the signature. */
  verifierId: string;
  status: StorageImageSignatureVerificationResultStatus;
  /** The reason, when verification failed. */
  description: string;
  /** Every name of this image that the integration verified. */
  verifiedImageReferences: string[];
}

export interface StorageImageSignatureVerificationData {
  results: StorageImageSignatureVerificationResult[];
}

export type StorageImageNote = 'MISSING_METADATA' | 'MISSING_SCAN_DATA' | 'MISSING_SIGNATURE' | 'MISSING_SIGNATURE_VERIFICATION_DATA';

export interface StorageImage {
  /** Manifest digest (or the digest the request named). */
  id: string;
  name: StorageImageName | null;
  /** Every name under which this digest was scanned. */
  names: StorageImageName[];
  metadata: StorageImageMetadata | null;
  scan: StorageImageScan | null;
  signatureVerificationData: StorageImageSignatureVerificationData | null;
  signature: StorageImageSignature | null;
  /** One-of: number of components. */
  components?: number;
  /** One-of: number of unique CVE ids. */
  cves?: number;
  /** One-of: number of unique CVE ids with a fix. */
  fixableCves?: number;
  lastUpdated: Timestamp | null;
  notPullable: boolean;
  isClusterLocal: boolean;
  /** int64 */
  priority: Int64String;
  riskScore: number;
  /** One-of: highest CVSS of any vulnerability. */
  topCvss?: number;
  notes: StorageImageNote[];
}
