import type { ImageConfig, ResolvedImage } from './types';

export type HistoryEntry = NonNullable<ImageConfig['history']>[number];

/** The config's history entries that are objects (a hostile config may hold anything). */
export function historyOf(config: ImageConfig): HistoryEntry[] {
  const history: unknown = config.history;
  if (!Array.isArray(history)) return [];
  return history.filter((entry): entry is HistoryEntry => entry !== null && typeof entry === 'object' && !Array.isArray(entry));
}

/**
 * For each manifest layer, the index into `metadata.v1.layers` of the history entry that produced it: the i-th
 * non-empty history entry. Identity when the config has no history (metadata then has one entry per layer).
 * When the counts disagree, layers beyond the non-empty entries map to the last history entry, so every index is valid.
 */
export function historyIndexForLayer(resolved: ResolvedImage): number[] {
  const history = historyOf(resolved.config ?? {});
  const layers = resolved.manifest.layers;
  if (history.length === 0) return layers.map((_, index) => index);
  const producing: number[] = [];
  history.forEach((entry, index) => {
    if (entry.empty_layer !== true) producing.push(index);
  });
  return layers.map((_, index) => producing[index] ?? history.length - 1);
}
