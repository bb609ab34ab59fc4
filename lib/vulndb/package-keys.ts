import { distributionOf, releaseEcosystem } from '../distros';
import type { Inventory, Package } from '../index/types';

/** What to look up for one package: the OSV ecosystem (with release), the package name and the version to compare. */
export interface PackageQuery {
  ecosystem: string;
  name: string;
  version: string;
  /** The rpm module stream the package was installed from (`nodejs:18`), when it is modular. */
  module?: string;
  /** Entries without a module stream are for non-modular builds only (the distribution's `modularAdvisories`). */
  strictModules?: boolean;
}

/**
 * The advisory lookup for one package, or undefined when no advisory source covers it. OS packages are looked up
 * in their release's ecosystem under the name and version the distribution's advisories use.
 */
export function queryFor(pkg: Package, inventory: Pick<Inventory, 'os'>): PackageQuery | undefined {
  // An OS package's files are matched through the distribution's advisories, not again as a language package.
  if (pkg.owner) return undefined;
  if (!pkg.manager) return { ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version };
  const ecosystem = releaseEcosystem(inventory.os);
  const distribution = distributionOf(inventory.os);
  if (!ecosystem || !distribution) return undefined;
  const source = pkg.source ?? { name: pkg.name, version: pkg.version };
  const module = { ...(pkg.module ? { module: pkg.module } : {}), ...(distribution.modularAdvisories ? { strictModules: true } : {}) };
  switch (distribution.advisoryPackage) {
    case 'source':
      return { ecosystem, name: source.name, version: source.version, ...module };
    case 'source-name':
      return { ecosystem, name: source.name, version: pkg.version, ...module };
    case 'binary':
      return { ecosystem, name: pkg.name, version: pkg.version, ...module };
  }
}
