import type { Analyzer } from './analyzers/types';
import type { ImageSource, ResolvedImage } from './image/types';
import { indexImage, type IndexedImage } from './index/inventory';
import type { LayerReader } from './index/indexer';
import type { LayerCache } from './index/layer-cache';
import type { ReadLayerOptions } from './layers/types';
import { historyIndexForLayer } from './image/history';

/** Everything the indexer talks to, passed in so that Lambda, the local server, the CLI and tests run the same core. */
export interface ScanPorts {
  source: ImageSource;
  readLayer: LayerReader;
  /** True for failures of a layer's content (bomb, corrupt tar): the scan goes on, marked partial. */
  isContentError(err: unknown): boolean;
  layerCache: LayerCache;
  analyzers: Analyzer[];
  readOptions?: ReadLayerOptions;
  layerConcurrency?: number;
}

/** The indexer half of a scan: the image's layers turned into an inventory, attributed to history entries. */
export function indexResolvedImage(resolved: ResolvedImage, ports: ScanPorts, signal?: AbortSignal): Promise<IndexedImage> {
  return indexImage(resolved, ports, {
    historyIndex: historyIndexForLayer(resolved),
    concurrency: ports.layerConcurrency,
    signal,
  });
}
