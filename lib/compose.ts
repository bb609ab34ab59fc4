import { SCANNER as SCANNER_IDENTITY } from './scanner';
import { defaultAnalyzers } from './analyzers';
import type { LaminaConfig } from './config';
import { RegistryClient, type CredentialProvider } from './image/registry';
import { MemoryLayerCache, type LayerCache } from './index/layer-cache';
import { isLayerContentError, readLayer } from './layers';
import type { ReadLayerOptions } from './layers/types';
import type { ScanPorts } from './scan';
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
}

/** Wires the scan core's ports from configuration: the one place that picks concrete adapters. */
export function createScanPorts(config: LaminaConfig, options: ComposeOptions = {}): ScanPorts {
  return {
    source: new RegistryClient({
      credentials: options.credentials,
      insecureRegistries: config.insecureRegistries,
      platform: config.platform,
      allowedRegistries: config.allowedRegistries,
      allowedPrivateHosts: config.allowedPrivateHosts,
    }),
    readLayer,
    isContentError: isLayerContentError,
    readOptions: options.readOptions,
    layerCache: options.layerCache ?? new MemoryLayerCache(),
    analyzers: defaultAnalyzers(),
  };
}

export function createImageService(config: LaminaConfig, store: ImageStore, options: ComposeOptions = {}): ImageService {
  return new ImageService({
    scan: createScanPorts(config, options),
    store,
    scanner: SCANNER,
    platform: config.platform,
    advisories: options.advisories,
    snoozes: options.snoozes,
    clusters: options.clusters,
  });
}
