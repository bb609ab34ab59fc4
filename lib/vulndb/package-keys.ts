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
  /** The CPEs of the streams the image's repositories belong to, when they are known (see ./platforms). */
  platforms?: readonly string[];
  /** The binary package's own name, also looked up when the distribution's advisories name binaries too. */
  binaryName?: string;
}

/**
 * The advisory lookup for one package, or undefined when no advisory source covers it. OS packages are looked up
 * in their release's ecosystem under the name and version the distribution's advisories use, with the image's
 * `platforms` when they are known.
 */
export function queryFor(pkg: Package, inventory: Pick<Inventory, 'os'>, platforms?: readonly string[]): PackageQuery | undefined {
  // An OS package's files are matched through the distribution's advisories, not again as a language package.
  if (pkg.owner) return undefined;
  if (!pkg.manager) return { ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version };
  const ecosystem = releaseEcosystem(inventory.os);
  const distribution = distributionOf(inventory.os);
  if (!ecosystem || !distribution) return undefined;
  const source = pkg.source ?? { name: pkg.name, version: pkg.version };
  const matching = {
    ...(pkg.module ? { module: pkg.module } : {}),
    ...(distribution.modularAdvisories ? { strictModules: true } : {}),
    ...(platforms ? { platforms } : {}),
  };
  switch (distribution.advisoryPackage) {
    case 'source':
      return { ecosystem, name: source.name, version: source.version, ...matching };
    case 'source-name':
      return {
        ecosystem,
        name: source.name,
        version: pkg.version,
        ...matching,
        ...(distribution.binaryAdvisories && pkg.name !== source.name ? { binaryName: pkg.name } : {}),
      };
    case 'binary':
      return { ecosystem, name: pkg.name, version: pkg.version, ...matching };
  }
}
