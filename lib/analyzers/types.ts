import type { ImagePath, LayerFile } from '../layers/types';

/** Operating system identity as found in an image. */
export interface OsRelease {
  /** os-release `ID` (lower case), e.g. `debian`, `ubuntu`, `alpine`, `rhel`, `centos`, `amzn`. */
  id: string;
  /** os-release `VERSION_ID`, e.g. `12`, `22.04`, `3.18.4`. May be "" (e.g. Debian sid). */
  versionId: string;
  /** `VERSION_CODENAME` when known (bookworm, jammy). */
  codename?: string;
  prettyName?: string;
  /** Related distributions (os-release ID_LIKE). */
  idLike?: string[];
}

/** Package managers whose databases are evidence of OS packages. */
export type PackageManager = 'dpkg' | 'apk' | 'rpm' | 'opkg';

/**
 * One installed package as its evidence records it, in any ecosystem. OS packages name their `manager` (the
 * inventory gives them the distribution's ecosystem); language packages name their OSV `ecosystem` and purl type.
 */
export interface PackageRecord {
  manager?: PackageManager;
  /** Language packages: the OSV ecosystem (`npm`, `PyPI`, `Maven`, `Go`, …). */
  ecosystem?: string;
  /** Language packages: the package-url type (`npm`, `pypi`, `maven`, `golang`, …). */
  purlType?: string;
  /** The name as the ecosystem spells it (dpkg Package, apk P, rpm NAME, npm name with scope). */
  name: string;
  /** Installed version as the ecosystem prints it (dpkg Version with epoch, apk V, rpm [EPOCH:]VERSION-RELEASE). */
  version: string;
  architecture?: string;
  /** Source package name, where the ecosystem has one. */
  sourceName?: string;
  sourceVersion?: string;
  /**
   * The licence as the evidence states it (rpm LICENSE, apk L, a package.json licence). Debian packages get theirs
   * from their DEP-5 copyright file when the layers are merged: its licences joined with ` AND `.
   */
  license?: string;
  /** rpm packages built in a module stream: the stream as `name:stream` (from MODULARITYLABEL `name:stream:version:context`). */
  module?: string;
  /** Files the package owns (normalised image paths), filled in when the database lists them. */
  files?: ImagePath[];
  /**
   * Where inside the evidence file the package was found, when that is not the file itself: the nested archive of
   * a jar in a war (`app.war:WEB-INF/lib/inner.jar`). The inventory's location is this, else the file's path.
   */
  location?: string;
}

/** An installed OS package as its package database records it. */
export interface OsPackage extends PackageRecord {
  manager: PackageManager;
  /** Source package name; equals `name` when the database names none. */
  sourceName: string;
  /** Source package version; equals `version` when the database names none. */
  sourceVersion: string;
}

/** What one evidence file says. Results are keyed by the file's path so that later layers can replace or delete them. */
export type Evidence =
  | { kind: 'os'; os: OsRelease /** higher wins when several files describe the OS */; priority: number }
  | {
      kind: 'packages';
      packages: PackageRecord[];
      /** stamped by the indexer */
      analyzer?: string;
      /** A newer location of the same database: while the image holds a file there, this one is not used. */
      supersededBy?: ImagePath;
    }
  | { kind: 'owned-files'; manager: PackageManager /** package name (dpkg: without `:arch`) */; owner: string; architecture?: string; files: ImagePath[] }
  /** The licence a package's own documentation states (Debian's machine-readable copyright file), for packages whose database names none. */
  | { kind: 'license'; manager: PackageManager; owner: string; license: string }
  /** Repositories the image's build installed OS packages from (a Red Hat content manifest's `content_sets`). */
  | { kind: 'content-sets'; contentSets: string[] };

/**
 * One analyser per evidence kind. It declares the paths it wants; the layer reader reads only those.
 * Changing what an analyser reports must bump `version`: per-layer results are cached by (layer digest, name, version).
 * A file the analyser cannot parse yields `{ evidence: [], notes: [...] }`, never a thrown error.
 */
export interface Analyzer {
  readonly name: string;
  readonly version: number;
  /** Byte limit per file for the paths this analyser reads. */
  readonly maxFileSize: number;
  /**
   * A lower byte limit for some of the wanted paths (at most `maxFileSize`), where those files are small in reality:
   * the indexer reads a wanted path up to the largest limit any analyser wanting it gives.
   */
  maxFileSizeFor?(path: ImagePath): number;
  wants(path: ImagePath): boolean;
  analyze(file: LayerFile): AnalysisResult;
}

export interface AnalysisResult {
  evidence: Evidence[];
  notes?: string[];
  /**
   * The file could not be read whole (damaged, truncated, not in the format its path promises): its evidence is
   * missing or incomplete. The notes say why; the indexer marks the layer, and so the scan, partial.
   */
  unreadable?: true;
}

/**
 * One file's bytes as an analyser consumes them while the layer streams by, for files that must not be held whole
 * (any executable may be a Go binary of 100 MB). The calls are synchronous: the tar entry does not move on until
 * `write` returns, which is all the backpressure there is, so a consumer does no I/O and keeps only what it needs.
 */
export interface StreamAnalysis {
  /**
   * The file's next bytes, in order. The chunk is valid during the call only (a view into a larger buffer): copy
   * what you keep. Returns false once it needs no more bytes; `end` is still called when the file ends.
   */
  write(chunk: Buffer): boolean;
  /**
   * Every byte of the file went by (or `write` declined more): what the file says. Not called if the layer fails. A
   * promise holds the layer's next file back until it settles (the other layers go on).
   */
  end(): AnalysisResult | Promise<AnalysisResult>;
}

/**
 * An analyser that reads files as they stream by instead of whole: it is offered every regular file of a layer (not
 * symlinks; a hard link to a streamed file of the same layer gets that file's result) and picks them by path, mode
 * and declared size. It is an Analyzer too, so it registers and caches like any other (by name and version); as a
 * pure stream analyser it wants no whole files (`wants` false, `maxFileSize` 0, empty `pathHints`).
 *
 * Every file it opens gets a result at its path, evidence or none: a file in a higher layer at the same path replaces
 * what lower layers' files said there. A file it does not open (not executable, say) does not, so it should open
 * every file that could replace one it reports on, and decline the rest of the bytes cheaply (`write` false).
 */
export interface StreamAnalyzer extends Analyzer {
  /** Called for every regular file of every layer: cheap, no allocation. */
  wantsStream(path: ImagePath, mode: number, size: number): boolean;
  openStream(path: ImagePath, mode: number, size: number): StreamAnalysis;
}

export function isStreamAnalyzer(analyzer: Analyzer): analyzer is StreamAnalyzer {
  const candidate = analyzer as Partial<StreamAnalyzer>;
  return typeof candidate.wantsStream === 'function' && typeof candidate.openStream === 'function';
}
