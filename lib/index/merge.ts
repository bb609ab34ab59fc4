import type { Evidence, OsPackage, OsRelease } from '../analyzers/types';
import type { ImagePath } from '../layers/types';
import type { LayerChanges } from './layer-cache';

/** One layer's contribution after analysis: its deletions and the evidence of each wanted file it holds. */
export interface AnalyzedLayer extends LayerChanges {
  files: Array<{ path: ImagePath; evidence: Evidence[] }>;
}

/** The merged view of all layers: the surviving OS identity and packages, each package with the layer that introduced it. */
export interface MergedImage {
  os?: OsRelease;
  packages: Array<{ pkg: OsPackage; layer: number }>;
}

interface FileState {
  evidence: Evidence[];
}

/** Removes every path for which `hidden` holds: what a whiteout or an opaque directory hides from lower layers. */
function hide(state: Map<ImagePath, FileState>, hidden: (path: ImagePath) => boolean): void {
  for (const path of state.keys()) if (hidden(path)) state.delete(path);
}

export function packageKey(pkg: OsPackage): string {
  return `${pkg.manager}|${pkg.name}|${pkg.architecture ?? ''}|${pkg.version}`;
}

function ownerKey(manager: string, name: string): string {
  return `${manager}|${name}`;
}

function currentPackages(state: Map<ImagePath, FileState>): Map<string, OsPackage> {
  const packages = new Map<string, OsPackage>();
  for (const { evidence } of state.values()) {
    for (const item of evidence) {
      if (item.kind !== 'os-packages') continue;
      for (const pkg of item.packages) packages.set(packageKey(pkg), pkg);
    }
  }
  return packages;
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
    for (const dir of layer.opaqueDirs) hide(state, (path) => dir === '' || path.startsWith(dir + '/'));
    for (const gone of layer.whiteouts) hide(state, (path) => path === gone || path.startsWith(gone + '/'));
    for (const file of layer.files) state.set(file.path, { evidence: file.evidence });

    const present = currentPackages(state);
    for (const key of introducedIn.keys()) if (!present.has(key)) introducedIn.delete(key);
    for (const key of present.keys()) if (!introducedIn.has(key)) introducedIn.set(key, index);
  });

  let os: OsRelease | undefined;
  let osPriority = -Infinity;
  const owned = new Map<string, ImagePath[]>();
  for (const { evidence } of state.values()) {
    for (const item of evidence) {
      if (item.kind === 'os' && item.priority > osPriority) {
        os = item.os;
        osPriority = item.priority;
      } else if (item.kind === 'owned-files') {
        const key = ownerKey(item.manager, item.owner);
        const files = owned.get(key);
        if (files) files.push(...item.files);
        else owned.set(key, [...item.files]);
      }
    }
  }

  const packages = [...currentPackages(state).entries()].map(([key, pkg]) => {
    const files = owned.get(ownerKey(pkg.manager, pkg.name));
    return { pkg: files ? { ...pkg, files } : pkg, layer: introducedIn.get(key) ?? 0 };
  });
  packages.sort((a, b) => a.layer - b.layer || a.pkg.name.localeCompare(b.pkg.name) || a.pkg.version.localeCompare(b.pkg.version));
  return { os, packages };
}
