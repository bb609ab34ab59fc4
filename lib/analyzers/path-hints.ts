import type { ImagePath } from '../layers/types';
import type { Analyzer } from './types';

/**
 * Where an analyser's wanted paths can be, so that a selector can rule out most tar entries with a set lookup
 * instead of calling every analyser's `wants`. A superset: `wants` still decides for paths the hints admit.
 */
export interface PathHints {
  /** Paths wanted exactly. */
  exact?: readonly ImagePath[];
  /** Directories whose direct children may be wanted (e.g. `var/lib/dpkg/status.d`). */
  childrenOf?: readonly ImagePath[];
}

/** An analyser that says where its paths are. Analysers without hints are asked about every path. */
export interface HintedAnalyzer extends Analyzer {
  readonly pathHints: PathHints;
}

export function hasPathHints(analyzer: Analyzer): analyzer is HintedAnalyzer {
  return (analyzer as Partial<HintedAnalyzer>).pathHints !== undefined;
}

/** The directory part of a normalised image path ("" for a top-level entry). */
export function parentDir(path: ImagePath): ImagePath {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last segment of a normalised image path. */
export function baseName(path: ImagePath): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
