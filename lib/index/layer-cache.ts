import type { Evidence } from '../analyzers/types';
import type { ImagePath } from '../layers/types';

/** What one analyser found in one layer: evidence per file path, plus notes. Cached by (layer digest, analyser, version). */
export interface AnalyzerLayerResult {
  files: Array<{ path: ImagePath; evidence: Evidence[] }>;
  notes: string[];
  /**
   * Wanted files of the layer this analyser could not read, or not read whole (damaged, over a size limit, past the
   * layer's budget): the layer's result is partial. Absent when there are none.
   */
  unreadable?: ImagePath[];
}

/** The analyser-independent part of a layer: what it deletes from the layers below. */
export interface LayerChanges {
  whiteouts: ImagePath[];
  opaqueDirs: ImagePath[];
}

/** Per-layer results are content-addressed, so any key-value store will do (memory, DynamoDB, disk). */
export interface LayerCache {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** Bumped whenever the layer reader changes what it reports as whiteouts or opaque directories. */
export const LAYER_CHANGES_VERSION = 1;

/**
 * Bumped whenever the indexer changes what it stores for every analyser (2: `unreadable`, and empty evidence for
 * wanted files that were not read), so that results cached before are not taken for complete ones.
 */
export const ANALYZER_RESULT_VERSION = 2;

export function analyzerCacheKey(layerDigest: string, analyzer: { name: string; version: number }): string {
  return `${layerDigest}|${analyzer.name}@${analyzer.version}|result@${ANALYZER_RESULT_VERSION}`;
}

export function layerChangesCacheKey(layerDigest: string): string {
  return `${layerDigest}|layer-changes@${LAYER_CHANGES_VERSION}`;
}

/** A bounded in-process cache: warm Lambda containers and the local server reuse layer results across scans. */
export class MemoryLayerCache implements LayerCache {
  private readonly entries = new Map<string, unknown>();

  constructor(private readonly maxEntries = 5000) {}

  async get<T>(key: string): Promise<T | undefined> {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Re-insert to keep the map in least-recently-used order.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value as T;
  }

  async put<T>(key: string, value: T): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
