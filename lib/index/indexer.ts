import { posix } from 'node:path';
import { selectorFor } from '../analyzers';
import type { Analyzer, Evidence } from '../analyzers/types';
import type { Descriptor, ImageReference, ImageSource } from '../image/types';
import type { FileSelector, ImagePath, LayerContents, LayerFile, ReadLayerOptions } from '../layers/types';
import { analyzerCacheKey, layerChangesCacheKey, type AnalyzerLayerResult, type LayerCache, type LayerChanges } from './layer-cache';
import type { AnalyzedLayer } from './merge';

export type LayerReader = (stream: NodeJS.ReadableStream, selector: FileSelector, options?: ReadLayerOptions) => Promise<LayerContents>;

export interface LayerIndexPorts {
  source: ImageSource;
  readLayer: LayerReader;
  layerCache: LayerCache;
  analyzers: Analyzer[];
  /** Decides whether a failure reading a layer's content leaves a partial scan (true) or fails the scan (false). */
  isContentError(err: unknown): boolean;
  readOptions?: ReadLayerOptions;
}

export interface LayerIndexResult {
  layer: AnalyzedLayer;
  notes: string[];
  /** The layer could not be read whole: the inventory may miss what it holds. */
  partial: boolean;
  fromCache: boolean;
}

function runAnalyzer(analyzer: Analyzer, files: LayerFile[]): AnalyzerLayerResult {
  const result: AnalyzerLayerResult = { files: [], notes: [] };
  for (const file of files) {
    if (!analyzer.wants(file.path)) continue;
    try {
      const { evidence, notes } = analyzer.analyze(file);
      const stamped = evidence.map((item) => (item.kind === 'packages' ? { ...item, analyzer: analyzer.name } : item));
      result.files.push({ path: file.path, evidence: stamped });
      if (notes) result.notes.push(...notes.map((note) => `${analyzer.name}: ${note}`));
    } catch (err) {
      // Analysers should not throw; one that does loses its file, never the scan.
      result.files.push({ path: file.path, evidence: [] });
      result.notes.push(`${analyzer.name}: ${file.path}: ${(err as Error).message}`);
    }
  }
  return result;
}

/** Wanted symlinks stand for their target's content when the target is in the same layer, else for nothing. */
function filesWithSymlinks(contents: LayerContents): LayerFile[] {
  const files = [...contents.files.values()];
  for (const link of contents.symlinks.values()) {
    const target = link.target.startsWith('/')
      ? posix.normalize(link.target).slice(1)
      : posix.normalize(posix.join(posix.dirname(link.path), link.target));
    const resolved = contents.files.get(target);
    files.push(resolved ? { ...resolved, path: link.path } : { path: link.path, content: Buffer.alloc(0), mode: 0o777, size: 0 });
  }
  return files;
}

function combine(changes: LayerChanges, results: AnalyzerLayerResult[]): AnalyzedLayer {
  const byPath = new Map<ImagePath, Evidence[]>();
  for (const result of results) {
    for (const file of result.files) {
      const evidence = byPath.get(file.path);
      if (evidence) evidence.push(...file.evidence);
      else byPath.set(file.path, [...file.evidence]);
    }
  }
  return {
    whiteouts: changes.whiteouts,
    opaqueDirs: changes.opaqueDirs,
    files: [...byPath.entries()].map(([path, evidence]) => ({ path, evidence })),
  };
}

/**
 * Indexes one layer: analysers whose (layer digest, name, version) result is cached are not run again, and the
 * layer is not fetched at all when every analyser and the layer's whiteouts are cached.
 */
export async function indexLayer(
  reference: ImageReference,
  descriptor: Descriptor,
  ports: LayerIndexPorts,
  signal?: AbortSignal,
): Promise<LayerIndexResult> {
  const cachedChanges = await ports.layerCache.get<LayerChanges>(layerChangesCacheKey(descriptor.digest));
  const results = new Map<Analyzer, AnalyzerLayerResult>();
  for (const analyzer of ports.analyzers) {
    const cached = await ports.layerCache.get<AnalyzerLayerResult>(analyzerCacheKey(descriptor.digest, analyzer));
    if (cached) results.set(analyzer, cached);
  }
  const missing = ports.analyzers.filter((analyzer) => !results.has(analyzer));
  if (cachedChanges && missing.length === 0) {
    const ordered = ports.analyzers.map((analyzer) => results.get(analyzer)!);
    return { layer: combine(cachedChanges, ordered), notes: ordered.flatMap((r) => r.notes), partial: false, fromCache: true };
  }

  let contents: LayerContents;
  try {
    const stream = await ports.source.openBlob(reference, descriptor, { signal });
    contents = await ports.readLayer(stream, selectorFor(missing), { ...ports.readOptions, signal });
  } catch (err) {
    if (!ports.isContentError(err)) throw err;
    const note = `layer ${descriptor.digest} was not indexed: ${(err as Error).message}`;
    return { layer: { whiteouts: [], opaqueDirs: [], files: [] }, notes: [note], partial: true, fromCache: false };
  }

  const files = filesWithSymlinks(contents);
  const changes: LayerChanges = { whiteouts: contents.whiteouts, opaqueDirs: contents.opaqueDirs };
  await ports.layerCache.put(layerChangesCacheKey(descriptor.digest), changes);
  for (const analyzer of missing) {
    const result = runAnalyzer(analyzer, files);
    results.set(analyzer, result);
    await ports.layerCache.put(analyzerCacheKey(descriptor.digest, analyzer), result);
  }
  const ordered = ports.analyzers.map((analyzer) => results.get(analyzer)!);
  const notes = [...contents.notes.map((note) => `layer ${descriptor.digest}: ${note}`), ...ordered.flatMap((r) => r.notes)];
  return { layer: combine(changes, ordered), notes, partial: false, fromCache: false };
}
