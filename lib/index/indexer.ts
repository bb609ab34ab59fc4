import { posix } from 'node:path';
import { selectorFor } from '../analyzers';
import { type AnalysisResult, type Analyzer, type Evidence, isStreamAnalyzer, type StreamAnalysis, type StreamAnalyzer } from '../analyzers/types';
import type { Descriptor, ImageReference, ImageSource } from '../image/types';
import type { FileSelector, FileStream, ImagePath, LayerContents, LayerFile, LayerSymlink, ReadLayerOptions } from '../layers/types';
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
  /**
   * The layer, or a wanted file in it, could not be read whole (a corrupt layer, a damaged package database, a file
   * over its size limit or past the layer's budget): the inventory may miss what it holds.
   */
  partial: boolean;
  fromCache: boolean;
}

/** Past this many unread files an analyser's notes only count the rest. */
const MAX_UNREAD_NOTES = 20;
/**
 * Owned file paths one analyser keeps from one layer. Real images own a few hundred thousand files; without a cap,
 * 256 MiB of file lists of one-letter lines (a layer of a few hundred KiB) would become about 90 million strings.
 */
export const MAX_OWNED_PATHS_PER_LAYER = 2_000_000;

interface OpenAnalysis {
  analyzer: StreamAnalyzer;
  analysis?: StreamAnalysis;
  /** Still wants bytes. */
  active: boolean;
  result?: AnalysisResult;
  error?: unknown;
}

/**
 * One streamed file, fanned out to each stream analyser that opened it; what each said once the file ended. A
 * consumer that throws loses its file, as an analyser's `analyze` that throws does (see runAnalyzer).
 */
class StreamedFile implements FileStream {
  constructor(private readonly open: OpenAnalysis[]) {}

  write(chunk: Buffer): boolean {
    let wanted = false;
    for (const entry of this.open) {
      if (!entry.active) continue;
      try {
        entry.active = entry.analysis!.write(chunk);
      } catch (err) {
        entry.active = false;
        entry.error = err;
      }
      wanted ||= entry.active;
    }
    return wanted;
  }

  end(): void | Promise<void> {
    let pending: Array<Promise<void>> | undefined;
    for (const entry of this.open) {
      entry.active = false;
      if (entry.error === undefined) {
        try {
          const result = entry.analysis!.end();
          if (result instanceof Promise) {
            (pending ??= []).push(
              result.then(
                (settled) => {
                  entry.result = settled;
                },
                (err: unknown) => {
                  entry.error = err;
                },
              ),
            );
          } else {
            entry.result = result;
          }
        } catch (err) {
          entry.error = err;
        }
      }
      // What the consumer kept while reading (buffers, windows) goes now; only its result stays.
      entry.analysis = undefined;
    }
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  /** The analyser's result for this file; undefined when it did not open it. Throws what the analyser threw. */
  resultOf(analyzer: Analyzer): AnalysisResult | undefined {
    const entry = this.open.find((candidate) => candidate.analyzer === analyzer);
    if (!entry) return undefined;
    if (entry.error !== undefined) throw entry.error;
    return entry.result ?? { evidence: [], notes: ['the file ended before its analysis did'], unreadable: true };
  }
}

/** Adds `streamFor` for the stream analysers among `analyzers`: every regular file is offered to each of them. */
function withStreams(selector: FileSelector, analyzers: Analyzer[]): FileSelector {
  const streaming = analyzers.filter(isStreamAnalyzer);
  if (streaming.length === 0) return selector;
  return {
    limitFor: (path) => selector.limitFor(path),
    streamFor(path: ImagePath, mode: number, size: number): FileStream | undefined {
      let open: OpenAnalysis[] | undefined;
      for (const analyzer of streaming) {
        if (!analyzer.wantsStream(path, mode, size)) continue;
        const entry: OpenAnalysis = { analyzer, active: true };
        try {
          entry.analysis = analyzer.openStream(path, mode, size);
        } catch (err) {
          entry.active = false;
          entry.error = err;
        }
        (open ??= []).push(entry);
      }
      return open ? new StreamedFile(open) : undefined;
    },
  };
}

/**
 * The layer reader's selector for these analysers, with the lower per-path limits some analysers give
 * (`maxFileSizeFor`): a path is read up to the largest limit of the analysers that want it. Stream analysers among
 * them are offered every regular file (`streamFor`).
 */
export function layerSelector(analyzers: Analyzer[]): FileSelector {
  return withStreams(wholeFileSelector(analyzers), analyzers);
}

function wholeFileSelector(analyzers: Analyzer[]): FileSelector {
  const selector = selectorFor(analyzers);
  if (!analyzers.some((analyzer) => analyzer.maxFileSizeFor)) return selector;
  return {
    limitFor(path: ImagePath): number | undefined {
      const limit = selector.limitFor(path);
      if (limit === undefined) return undefined;
      let refined: number | undefined;
      for (const analyzer of analyzers) {
        if (!analyzer.wants(path)) continue;
        const own = Math.min(analyzer.maxFileSize, analyzer.maxFileSizeFor?.(path) ?? analyzer.maxFileSize);
        refined = Math.max(refined ?? 0, own);
      }
      return refined === undefined ? limit : Math.min(limit, refined);
    },
  };
}

/** Each path comes once: files and unread paths of a layer are distinct, and each is one entry. */
function markUnreadable(result: AnalyzerLayerResult, path: ImagePath): void {
  if (result.unreadable) result.unreadable.push(path);
  else result.unreadable = [path];
}

/**
 * Runs one analyser over the layer's wanted files. A wanted file the layer holds but whose content was not read
 * (`unread`) gets no evidence at all: it still replaces the lower layers' file at that path, so that their evidence,
 * which that file superseded, is not reported as current; and the result is marked unreadable (the scan is partial).
 * A stream analyser's results for the files it read as they streamed by (`streamed`) are taken the same way.
 */
function runAnalyzer(analyzer: Analyzer, files: LayerFile[], unread: Map<ImagePath, string>, streamed?: Map<ImagePath, FileStream>): AnalyzerLayerResult {
  const result: AnalyzerLayerResult = { files: [], notes: [] };
  let ownedRoom = MAX_OWNED_PATHS_PER_LAYER;
  const analyses: Array<{ path: ImagePath; run: () => AnalysisResult | undefined }> = [];
  for (const file of files) {
    if (analyzer.wants(file.path)) analyses.push({ path: file.path, run: () => analyzer.analyze(file) });
  }
  if (streamed && isStreamAnalyzer(analyzer)) {
    for (const [path, stream] of streamed) {
      if (stream instanceof StreamedFile) analyses.push({ path, run: () => stream.resultOf(analyzer) });
    }
  }
  for (const file of analyses) {
    try {
      const analysis = file.run();
      if (analysis === undefined) continue;
      const { evidence, notes, unreadable } = analysis;
      let capped = false;
      const stamped = evidence.map((item): Evidence => {
        if (item.kind === 'packages') return { ...item, analyzer: analyzer.name };
        if (item.kind !== 'owned-files') return item;
        if (item.files.length <= ownedRoom) {
          ownedRoom -= item.files.length;
          return item;
        }
        capped = true;
        const kept = item.files.slice(0, ownedRoom);
        ownedRoom = 0;
        return { ...item, files: kept };
      });
      result.files.push({ path: file.path, evidence: stamped });
      if (notes) result.notes.push(...notes.map((note) => `${analyzer.name}: ${note}`));
      if (capped) {
        result.notes.push(`${analyzer.name}: ${file.path}: the layer's file lists name more than ${MAX_OWNED_PATHS_PER_LAYER} paths; the rest are left out`);
      }
      if (unreadable || capped) {
        markUnreadable(result, file.path);
        if (!notes?.length && !capped) result.notes.push(`${analyzer.name}: ${file.path} could not be read whole`);
      }
    } catch (err) {
      // Analysers should not throw; one that does loses its file, never the scan.
      result.files.push({ path: file.path, evidence: [] });
      result.notes.push(`${analyzer.name}: ${file.path}: ${(err as Error).message}`);
      markUnreadable(result, file.path);
    }
  }
  let noted = 0;
  for (const [path, reason] of unread) {
    if (!analyzer.wants(path)) continue;
    result.files.push({ path, evidence: [] });
    markUnreadable(result, path);
    if (noted++ < MAX_UNREAD_NOTES) {
      result.notes.push(`${analyzer.name}: ${path} was not read (${reason}): what it holds is unknown, and lower layers' ${path} is not used`);
    }
  }
  if (noted > MAX_UNREAD_NOTES) result.notes.push(`${analyzer.name}: ${noted - MAX_UNREAD_NOTES} more wanted files of this layer were not read`);
  return result;
}

function symlinkTarget(link: LayerSymlink): ImagePath {
  return link.target.startsWith('/') ? posix.normalize(link.target).slice(1) : posix.normalize(posix.join(posix.dirname(link.path), link.target));
}

/**
 * Wanted symlinks stand for their target's content when the target is in the same layer, else for nothing; a
 * symlink to a file of this layer that was not read is not read either (it joins `unread`).
 */
function filesWithSymlinks(contents: LayerContents): { files: LayerFile[]; unread: Map<ImagePath, string> } {
  const files = [...contents.files.values()];
  const unread = new Map(contents.unread ?? []);
  for (const link of contents.symlinks.values()) {
    const target = symlinkTarget(link);
    const resolved = contents.files.get(target);
    const skipped = resolved ? undefined : unread.get(target);
    if (skipped !== undefined) unread.set(link.path, `symbolic link to ${target}, which was not read: ${skipped}`);
    else files.push(resolved ? { ...resolved, path: link.path } : { path: link.path, content: Buffer.alloc(0), mode: 0o777, size: 0 });
  }
  return { files, unread };
}

/** True when some analyser could not read a file of the layer: the inventory may miss what the layer holds. */
function anyUnreadable(results: AnalyzerLayerResult[]): boolean {
  return results.some((result) => (result.unreadable?.length ?? 0) > 0);
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
export async function indexLayer(reference: ImageReference, descriptor: Descriptor, ports: LayerIndexPorts, signal?: AbortSignal): Promise<LayerIndexResult> {
  const cachedChanges = await ports.layerCache.get<LayerChanges>(layerChangesCacheKey(descriptor.digest));
  const results = new Map<Analyzer, AnalyzerLayerResult>();
  for (const analyzer of ports.analyzers) {
    const cached = await ports.layerCache.get<AnalyzerLayerResult>(analyzerCacheKey(descriptor.digest, analyzer));
    if (cached) results.set(analyzer, cached);
  }
  const missing = ports.analyzers.filter((analyzer) => !results.has(analyzer));
  if (cachedChanges && missing.length === 0) {
    const ordered = ports.analyzers.map((analyzer) => results.get(analyzer)!);
    return { layer: combine(cachedChanges, ordered), notes: ordered.flatMap((r) => r.notes), partial: anyUnreadable(ordered), fromCache: true };
  }

  let contents: LayerContents;
  try {
    const stream = await ports.source.openBlob(reference, descriptor, { signal });
    contents = await ports.readLayer(stream, layerSelector(missing), { ...ports.readOptions, signal });
  } catch (err) {
    if (!ports.isContentError(err)) throw err;
    const note = `layer ${descriptor.digest} was not indexed: ${(err as Error).message}`;
    return { layer: { whiteouts: [], opaqueDirs: [], files: [] }, notes: [note], partial: true, fromCache: false };
  }

  const { files, unread } = filesWithSymlinks(contents);
  const changes: LayerChanges = { whiteouts: contents.whiteouts, opaqueDirs: contents.opaqueDirs };
  await ports.layerCache.put(layerChangesCacheKey(descriptor.digest), changes);
  for (const analyzer of missing) {
    const result = runAnalyzer(analyzer, files, unread, contents.streamed);
    results.set(analyzer, result);
    await ports.layerCache.put(analyzerCacheKey(descriptor.digest, analyzer), result);
  }
  const ordered = ports.analyzers.map((analyzer) => results.get(analyzer)!);
  const notes = [...contents.notes.map((note) => `layer ${descriptor.digest}: ${note}`), ...ordered.flatMap((r) => r.notes)];
  return { layer: combine(changes, ordered), notes, partial: anyUnreadable(ordered), fromCache: false };
}
