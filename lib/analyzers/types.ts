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
export type PackageManager = 'dpkg' | 'apk' | 'rpm';

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
  license?: string;
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
  | { kind: 'packages'; packages: PackageRecord[] /** stamped by the indexer */; analyzer?: string }
  | { kind: 'owned-files'; manager: PackageManager /** package name (dpkg: without `:arch`) */; owner: string; architecture?: string; files: ImagePath[] };

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
