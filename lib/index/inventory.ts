import { mapLimited } from '../concurrency';
import type { ResolvedImage } from '../image/types';
import { indexLayer, type LayerIndexPorts, type LayerIndexResult } from './indexer';
import { mergeLayers } from './merge';
import { packagesOf } from './packages';
import type { Inventory } from './types';

export interface IndexImageOptions {
  /** For each manifest layer, its index into metadata.v1.layers (history entries, empty ones counted). */
  historyIndex: number[];
  /** Layers fetched at once: overlaps network waits with decompression. */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface IndexedImage {
  inventory: Inventory;
  layersFromCache: number;
}

/** The indexer half of a scan: every layer indexed (or taken from the cache), then replayed into one inventory. */
export async function indexImage(resolved: ResolvedImage, ports: LayerIndexPorts, options: IndexImageOptions): Promise<IndexedImage> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let layers: LayerIndexResult[];
  try {
    layers = await mapLimited(resolved.manifest.layers, options.concurrency ?? 3, (descriptor) =>
      indexLayer(resolved.reference, descriptor, ports, controller.signal),
    );
  } catch (err) {
    // One failed layer stops the others' downloads.
    controller.abort(err);
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  const merged = mergeLayers(layers.map((result) => result.layer));
  const inventory: Inventory = {
    packages: packagesOf(merged.packages, merged.os, resolved.manifest.layers, options.historyIndex),
    partial: layers.some((result) => result.partial),
    warnings: layers.flatMap((result) => result.notes),
  };
  if (merged.os) inventory.os = merged.os;
  if (merged.contentSets) inventory.contentSets = merged.contentSets;
  return { inventory, layersFromCache: layers.filter((result) => result.fromCache).length };
}
