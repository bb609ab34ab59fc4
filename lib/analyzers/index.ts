import type { FileSelector, ImagePath } from '../layers/types';
import { apkAnalyzer } from './apk';
import { composerAnalyzer } from './composer';
import { contentManifestAnalyzer } from './content-manifest';
import { dotnetAnalyzer } from './dotnet';
import { dpkgAnalyzer, dpkgCopyrightAnalyzer } from './dpkg';
import { gemspecAnalyzer } from './gemspec';
import { goBinaryAnalyzer } from './gobinary';
import { javaAnalyzer } from './java';
import { npmAnalyzer } from './npm';
import { opkgAnalyzer } from './opkg';
import { osReleaseAnalyzer } from './os-release';
import { hasPathHints, parentDir, type HintedAnalyzer } from './path-hints';
import { pythonAnalyzer } from './python';
import { rustAuditAnalyzer } from './rust-audit';
import { rpmAnalyzer } from './rpm';
import { yarnPnpAnalyzer } from './yarn-pnp';
import type { Analyzer } from './types';

export { formatOperatingSystem } from './os-release';
export type { HintedAnalyzer, PathHints } from './path-hints';

/** The analysers a scan runs, in a stable order (results are combined in this order). */
export function defaultAnalyzers(): Analyzer[] {
  return [
    osReleaseAnalyzer,
    dpkgAnalyzer,
    dpkgCopyrightAnalyzer,
    apkAnalyzer,
    rpmAnalyzer,
    opkgAnalyzer,
    contentManifestAnalyzer,
    npmAnalyzer,
    yarnPnpAnalyzer,
    pythonAnalyzer,
    javaAnalyzer,
    gemspecAnalyzer,
    composerAnalyzer,
    dotnetAnalyzer,
    goBinaryAnalyzer,
    rustAuditAnalyzer,
  ];
}

function raise(limits: Map<ImagePath, number>, path: ImagePath, limit: number): void {
  limits.set(path, Math.max(limits.get(path) ?? 0, limit));
}

/**
 * The layer reader's file selector: called for every tar entry of every layer, so paths are ruled out by a set
 * lookup on the path and on its directory; only analysers that declare no hints are asked about every path.
 */
export function selectorFor(analyzers: Analyzer[]): FileSelector {
  const exactLimits = new Map<ImagePath, number>();
  const byParent = new Map<ImagePath, HintedAnalyzer[]>();
  const unhinted: Analyzer[] = [];
  for (const analyzer of analyzers) {
    if (!hasPathHints(analyzer)) {
      unhinted.push(analyzer);
      continue;
    }
    for (const path of analyzer.pathHints.exact ?? []) {
      if (analyzer.wants(path)) raise(exactLimits, path, analyzer.maxFileSize);
    }
    for (const dir of analyzer.pathHints.childrenOf ?? []) {
      const list = byParent.get(dir);
      if (list) list.push(analyzer);
      else byParent.set(dir, [analyzer]);
    }
  }

  return {
    limitFor(path: ImagePath): number | undefined {
      let limit = exactLimits.get(path);
      const candidates = byParent.get(parentDir(path));
      if (candidates) {
        for (const analyzer of candidates) {
          if (analyzer.wants(path)) limit = Math.max(limit ?? 0, analyzer.maxFileSize);
        }
      }
      for (const analyzer of unhinted) {
        if (analyzer.wants(path)) limit = Math.max(limit ?? 0, analyzer.maxFileSize);
      }
      return limit;
    },
  };
}
