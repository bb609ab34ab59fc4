import type { OsPackage, OsRelease, PackageRecord } from '../../lib/analyzers/types';
import { packagesOf } from '../../lib/index/packages';
import type { Inventory, Package } from '../../lib/index/types';
import { componentsOf, type ComponentsOptions } from '../../lib/stackrox/components';
import type { StorageImageScanNote } from '../../lib/stackrox/types';
import { matchInventory } from '../../lib/vulndb/matcher';
import type { AdvisoryReader } from '../../lib/vulndb/store';

const EVIDENCE = {
  dpkg: 'var/lib/dpkg/status',
  apk: 'lib/apk/db/installed',
  rpm: 'var/lib/rpm/rpmdb.sqlite',
  opkg: 'usr/lib/opkg/status',
} as const;

/** A package as the inventory would report this record found in an image of `os`, at history index `layerIndex`. */
export function packageOf(record: PackageRecord, os?: OsRelease, options: { layerIndex?: number; location?: string; analyzer?: string } = {}): Package {
  const path = options.location ?? (record.manager ? EVIDENCE[record.manager] : 'app/package.json');
  const [pkg] = packagesOf([{ pkg: record, path, layer: 0, analyzer: options.analyzer ?? record.manager ?? 'test' }], os, [], [options.layerIndex ?? 0]);
  return pkg;
}

export function osPackage(record: OsPackage, os?: OsRelease, layerIndex = 0): Package {
  return packageOf(record, os, { layerIndex });
}

export function inventoryOf(os: OsRelease | undefined, packages: Package[], extra: Partial<Inventory> = {}): Inventory {
  return { ...(os ? { os } : {}), packages, partial: false, warnings: [], ...extra };
}

/** Matches and renders as StackRox components: what the matcher tests assert on. */
export async function matchAsStackRox(inventory: Inventory, store: AdvisoryReader, options: ComponentsOptions) {
  const match = await matchInventory(inventory, store);
  const notes: StorageImageScanNote[] = match.osAdvisoriesUnavailable ? ['OS_CVES_UNAVAILABLE'] : [];
  if (match.languageAdvisoriesUnavailable.length > 0) notes.push('LANGUAGE_CVES_UNAVAILABLE');
  return { ...match, notes, components: componentsOf(inventory, match.findings, options) };
}
