import { SCANNER as SCANNER_IDENTITY } from './scanner';
import { defaultAnalyzers } from './analyzers';
import type { LaminaConfig } from './config';
import { RegistryClient, type CredentialProvider } from './image/registry';
import { MemoryLayerCache, type LayerCache } from './index/layer-cache';
import { isLayerContentError, readLayer } from './layers';
import type { ReadLayerOptions } from './layers/types';
import { MirroredImageSource } from './image/mirrored-source';
import type { ScanPorts } from './scan';
import type { ScanLeases } from './service/scan-leases';
import type { ScanObserver } from './service/scan-observer';
import { CosignSignatureFetcher } from './signatures/fetch';
import { SignatureStep, type SignatureIntegrationSource } from './signatures/step';
import { StoredTrustRootSource, type TrustRootSource } from './signatures/stored-trust-root';
import type { SignatureIntegration } from './signatures/types';
import type { V1ScanImageRequest } from './stackrox/types';
import { ImageService, type ScannerIdentity } from './service/image-service';
import type { ImageStore } from './service/image-store';
import type { ClusterDelegation } from './service/clusters';
import type { SnoozeStore } from './service/snoozes';
import type { AdvisoryStore } from './vulndb/store';

export const SCANNER: ScannerIdentity = SCANNER_IDENTITY;

export interface ComposeOptions {
  credentials?: CredentialProvider;
  layerCache?: LayerCache;
  readOptions?: ReadLayerOptions;
  /** Advisories to match against; without them scans carry OS_CVES_UNAVAILABLE. */
  advisories?: AdvisoryStore;
  snoozes?: SnoozeStore;
  /** Delegated scanners a request's `cluster` may name. */
  clusters?: ClusterDelegation;
  /** One scan per digest across processes (DynamoDB leases in AWS and local mode). */
  leases?: ScanLeases;
  /** Where a scan that ran out of request time goes on (the SQS worker in AWS, the background in local mode). */
  defer?: (request: V1ScanImageRequest) => Promise<void>;
  leaseTtlMs?: number;
  pollIntervalMs?: number;
  /** Aborted when the process shuts down: scans stop and release their leases. */
  shutdown?: AbortSignal;
  /** The signature integrations in force (the API's and the configuration's); the configuration's alone when absent. */
  signatureIntegrations?: SignatureIntegrationSource;
  /** Told about every scan (logs, metrics). */
  observer?: ScanObserver;
  /** The configured platform was asked for explicitly: images of another platform are an error. */
  requirePlatform?: boolean;
}

/** The registry client of a configuration; scan ports and the signature step share one (its tokens, its policy). */
export function createRegistryClient(config: LaminaConfig, options: Pick<ComposeOptions, 'credentials'> = {}): RegistryClient {
  return new RegistryClient({
    credentials: options.credentials,
    insecureRegistries: config.insecureRegistries,
    platform: config.platform,
    allowedRegistries: config.allowedRegistries,
    allowedPrivateHosts: config.allowedPrivateHosts,
  });
}

/**
 * The signature step: cosign signatures read through `registry` (mirrors followed) and verified against
 * `integrations` (the configuration's by default). While there are none, nothing is fetched.
 */
export function createSignatureStep(
  config: LaminaConfig,
  registry: RegistryClient,
  integrations: readonly SignatureIntegration[] | SignatureIntegrationSource = config.signatureIntegrations ?? [],
  trustRoot?: TrustRootSource,
): SignatureStep {
  return new SignatureStep({ integrations, fetcher: new CosignSignatureFetcher(registry, { mirrors: config.registryMirrors }), trustRoot });
}

/** The Sigstore trusted root the updater keeps beside the advisories, else the one @sigstore/tuf ships. */
export function storedTrustRoot(advisories: AdvisoryStore | undefined): TrustRootSource | undefined {
  return advisories ? new StoredTrustRootSource(advisories) : undefined;
}

/** Wires the scan core's ports from configuration: the one place that picks concrete adapters. */
export function createScanPorts(config: LaminaConfig, options: ComposeOptions = {}, registry = createRegistryClient(config, options)): ScanPorts {
  const mirrors = config.registryMirrors ?? {};
  return {
    source: Object.keys(mirrors).length > 0 ? new MirroredImageSource(registry, mirrors) : registry,
    readLayer,
    isContentError: isLayerContentError,
    readOptions: options.readOptions,
    layerCache: options.layerCache ?? new MemoryLayerCache(),
    analyzers: defaultAnalyzers(),
  };
}

export function createImageService(config: LaminaConfig, store: ImageStore, options: ComposeOptions = {}): ImageService {
  const registry = createRegistryClient(config, options);
  return new ImageService({
    scan: createScanPorts(config, options, registry),
    signatures: createSignatureStep(config, registry, options.signatureIntegrations, storedTrustRoot(options.advisories)),
    store,
    scanner: SCANNER,
    platform: config.platform,
    advisories: options.advisories,
    snoozes: options.snoozes,
    clusters: options.clusters,
    leases: options.leases,
    defer: options.defer,
    leaseTtlMs: options.leaseTtlMs,
    pollIntervalMs: options.pollIntervalMs,
    scanTimeoutMs: config.scanTimeoutMs,
    shutdown: options.shutdown,
    observer: options.observer,
    requirePlatform: options.requirePlatform,
  });
}
