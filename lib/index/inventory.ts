import { mapLimited } from '../concurrency';
import type { Descriptor, ResolvedImage } from '../image/types';
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

/** Layer positions, largest layer first: the longest downloads start at once rather than behind small layers. */
function largestFirst(descriptors: readonly Descriptor[]): number[] {
  return descriptors.map((_, index) => index).sort((a, b) => descriptors[b].size - descriptors[a].size || a - b);
}

/** The indexer half of a scan: every layer indexed (or taken from the cache), then replayed into one inventory. */
export async function indexImage(resolved: ResolvedImage, ports: LayerIndexPorts, options: IndexImageOptions): Promise<IndexedImage> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let layers: LayerIndexResult[];
  try {
    const descriptors = resolved.manifest.layers;
    const order = largestFirst(descriptors);
    const indexed = await mapLimited(order, options.concurrency ?? 3, (index) => indexLayer(resolved.reference, descriptors[index], ports, controller.signal));
    layers = new Array<LayerIndexResult>(descriptors.length);
    order.forEach((index, at) => {
      layers[index] = indexed[at];
    });
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
