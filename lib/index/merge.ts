import type { Evidence, OsRelease, PackageManager, PackageRecord } from '../analyzers/types';
import type { ImagePath } from '../layers/types';
import type { LayerChanges } from './layer-cache';

/** One layer's contribution after analysis: its deletions and the evidence of each wanted file it holds. */
export interface AnalyzedLayer extends LayerChanges {
  files: Array<{ path: ImagePath; evidence: Evidence[] }>;
}

/** A package that survives to the final image: its record, the evidence file it came from and the layer that introduced it. */
export interface MergedPackage {
  pkg: PackageRecord;
  /** Path of the evidence file. */
  path: ImagePath;
  /** Index into the manifest's layers. */
  layer: number;
  /** The analyser whose evidence it is. */
  analyzer: string;
  /** The OS package owning the evidence file (language packages only). */
  owner?: { manager: PackageManager; name: string };
}

/** The merged view of all layers: the surviving OS identity and packages, each package with the layer that introduced it. */
export interface MergedImage {
  os?: OsRelease;
  packages: MergedPackage[];
  /** The repositories every surviving content manifest names, sorted; absent when there are none. */
  contentSets?: string[];
}

interface FileState {
  evidence: Evidence[];
}

/** Removes every path for which `hidden` holds: what a whiteout or an opaque directory hides from lower layers. */
function hide(state: Map<ImagePath, FileState>, hidden: (path: ImagePath) => boolean): void {
  for (const path of state.keys()) if (hidden(path)) state.delete(path);
}

/**
 * What makes two records the same installed package: for OS packages the database entry, wherever the database
 * file is; for language packages also the evidence path, since every installed copy is a package of its own.
 */
export function packageKey(pkg: PackageRecord, path: ImagePath): string {
  const where = pkg.manager ? pkg.manager : `${pkg.ecosystem ?? ''}|${pkg.location ?? path}`;
  return `${where}|${pkg.name}|${pkg.architecture ?? ''}|${pkg.version}`;
}

function ownerKey(manager: string, name: string): string {
  return `${manager}|${name}`;
}

interface Found {
  pkg: PackageRecord;
  path: ImagePath;
  analyzer: string;
}

/** A database file whose newer location the image also holds says nothing: neither its packages nor their files. */
function isSuperseded(evidence: Evidence[], state: Map<ImagePath, FileState>): boolean {
  return evidence.some((item) => item.kind === 'packages' && item.supersededBy !== undefined && state.has(item.supersededBy));
}

function currentPackages(state: Map<ImagePath, FileState>): Map<string, Found> {
  const packages = new Map<string, Found>();
  for (const [path, { evidence }] of state) {
    if (isSuperseded(evidence, state)) continue;
    for (const item of evidence) {
      if (item.kind !== 'packages') continue;
      for (const pkg of item.packages) packages.set(packageKey(pkg, path), { pkg, path, analyzer: item.analyzer ?? '' });
    }
  }
  return packages;
}

/** For each evidence path of a language package, the OS package whose files include it. */
function ownersOf(paths: Set<ImagePath>, owned: Map<string, Set<ImagePath>>): Map<ImagePath, { manager: PackageManager; name: string }> {
  const owners = new Map<ImagePath, { manager: PackageManager; name: string }>();
  if (paths.size === 0) return owners;
  for (const [key, files] of owned) {
    const [manager, name] = key.split('|') as [PackageManager, string];
    for (const file of files) if (paths.has(file) && !owners.has(file)) owners.set(file, { manager, name });
  }
  return owners;
}

/** An OS package with the files it owns and, when its database names no licence, the one its documentation states. */
function withFilesAndLicense(pkg: PackageRecord, owned: Map<string, Set<ImagePath>>, licensed: Map<string, string>): PackageRecord {
  if (!pkg.manager) return pkg;
  const key = ownerKey(pkg.manager, pkg.name);
  const files = owned.get(key);
  const license = pkg.license ? undefined : licensed.get(key);
  if (!files && !license) return pkg;
  return { ...pkg, ...(files ? { files: [...files] } : {}), ...(license ? { license } : {}) };
}

/**
 * Replays layers oldest first, as the container runtime would: opaque directories and whiteouts hide what lower
 * layers had, a file in a higher layer replaces the same path below. A package is attributed to the layer from
 * which it has been present without interruption; a package missing from the final databases is gone.
 */
export function mergeLayers(layers: AnalyzedLayer[]): MergedImage {
  const state = new Map<ImagePath, FileState>();
  const introducedIn = new Map<string, number>();

  layers.forEach((layer, index) => {
    for (const dir of layer.opaqueDirs) hide(state, (path) => dir === '' || path.startsWith(`${dir}/`));
    for (const gone of layer.whiteouts) hide(state, (path) => path === gone || path.startsWith(`${gone}/`));
    for (const file of layer.files) state.set(file.path, { evidence: file.evidence });

    const present = currentPackages(state);
    for (const key of introducedIn.keys()) if (!present.has(key)) introducedIn.delete(key);
    for (const key of present.keys()) if (!introducedIn.has(key)) introducedIn.set(key, index);
  });

  let os: OsRelease | undefined;
  let osPriority = -Infinity;
  const owned = new Map<string, Set<ImagePath>>();
  const licensed = new Map<string, string>();
  const contentSets = new Set<string>();
  for (const { evidence } of state.values()) {
    if (isSuperseded(evidence, state)) continue;
    for (const item of evidence) {
      if (item.kind === 'os' && item.priority > osPriority) {
        os = item.os;
        osPriority = item.priority;
      } else if (item.kind === 'owned-files') {
        const key = ownerKey(item.manager, item.owner);
        const files = owned.get(key);
        // dpkg's `.list` and `.md5sums` name the same files: each is owned once.
        if (files) for (const file of item.files) files.add(file);
        else owned.set(key, new Set(item.files));
      } else if (item.kind === 'license') {
        licensed.set(ownerKey(item.manager, item.owner), item.license);
      } else if (item.kind === 'content-sets') {
        for (const name of item.contentSets) contentSets.add(name);
      }
    }
  }

  const current = [...currentPackages(state).entries()];
  const owners = ownersOf(new Set(current.filter(([, found]) => !found.pkg.manager).map(([, found]) => found.path)), owned);
  const packages = current.map(([key, { pkg, path, analyzer }]): MergedPackage => {
    const merged: MergedPackage = { pkg: withFilesAndLicense(pkg, owned, licensed), path, layer: introducedIn.get(key) ?? 0, analyzer };
    const owner = pkg.manager ? undefined : owners.get(path);
    if (owner) merged.owner = owner;
    return merged;
  });
  packages.sort((a, b) => a.layer - b.layer || a.pkg.name.localeCompare(b.pkg.name) || a.pkg.version.localeCompare(b.pkg.version));
  return contentSets.size > 0 ? { os, packages, contentSets: [...contentSets].sort() } : { os, packages };
}
