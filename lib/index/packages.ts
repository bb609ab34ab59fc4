import type { OsRelease } from '../analyzers/types';
import { distributionOf } from '../distros';
import type { Descriptor } from '../image/types';
import type { MergedPackage } from './merge';
import { purlOf, purlTypeOf } from './purl';
import type { Package } from './types';

/** The one place where evidence becomes packages: ecosystem, purl, layer and location worked out for every record. */
export function packagesOf(merged: MergedPackage[], os: OsRelease | undefined, layers: Descriptor[], historyIndex: number[]): Package[] {
  const distribution = distributionOf(os);
  const osEcosystem = os ? (distribution?.releaseEcosystem(os) ?? distribution?.operatingSystem(os) ?? `${os.id}:${os.versionId}`) : undefined;
  return merged.map(({ pkg, path, layer, analyzer, owner }) => {
    const purlType = purlTypeOf(pkg);
    const result: Package = {
      ecosystem: pkg.manager ? (osEcosystem ?? purlType) : (pkg.ecosystem ?? purlType),
      purlType,
      name: pkg.name,
      version: pkg.version,
      purl: purlOf(pkg, os, distribution),
      licenses: pkg.license ? [pkg.license] : [],
      location: pkg.location ?? path,
      layer: { digest: layers[layer]?.digest ?? '', index: historyIndex[layer] ?? layer },
      analyzer,
    };
    if (pkg.sourceName !== undefined || pkg.sourceVersion !== undefined) {
      result.source = { name: pkg.sourceName ?? pkg.name, version: pkg.sourceVersion ?? pkg.version };
    }
    if (pkg.architecture) result.architecture = pkg.architecture;
    if (pkg.manager) result.manager = pkg.manager;
    if (pkg.module) result.module = pkg.module;
    if (owner) result.owner = owner;
    return result;
  });
}
