import type { OsPackage, OsRelease } from '../analyzers/types';
import { distributionOf } from '../distros';
import { purlOf } from '../index/purl';
import type { Inventory, Package } from '../index/types';

/** An OS package as the legacy inventory stored it: that shape predates opkg support. */
type LegacyOsPackage = OsPackage & { manager: 'dpkg' | 'apk' | 'rpm' };

/** The inventory shape stored before packages were neutral: StackRox-typed components with their OS package. */
interface LegacyInventory {
  os?: OsRelease;
  components: Array<{ name: string; version: string; layerIndex: number; location: string; license?: string; osPackage?: LegacyOsPackage }>;
  notes: string[];
  warnings: string[];
}

const EVIDENCE: Record<LegacyOsPackage['manager'], string> = { dpkg: 'var/lib/dpkg/status', apk: 'lib/apk/db/installed', rpm: 'var/lib/rpm' };

/** A stored inventory in today's shape: results stored by earlier versions are read, not lost. */
export function currentInventory(stored: Inventory | LegacyInventory): Inventory {
  if (Array.isArray((stored as Inventory).packages)) return stored as Inventory;
  const legacy = stored as LegacyInventory;
  const distribution = distributionOf(legacy.os);
  const ecosystem = legacy.os ? (distribution?.releaseEcosystem(legacy.os) ?? distribution?.operatingSystem(legacy.os)) : undefined;
  const packages = (legacy.components ?? []).flatMap((component): Package[] => {
    const pkg = component.osPackage;
    if (!pkg) return [];
    const result: Package = {
      ecosystem: ecosystem ?? pkg.manager,
      purlType: { dpkg: 'deb', apk: 'apk', rpm: 'rpm' }[pkg.manager],
      name: pkg.name,
      version: pkg.version,
      purl: purlOf(pkg, legacy.os, distribution),
      source: { name: pkg.sourceName, version: pkg.sourceVersion },
      licenses: component.license ? [component.license] : [],
      location: EVIDENCE[pkg.manager],
      layer: { digest: '', index: component.layerIndex },
      analyzer: pkg.manager,
      manager: pkg.manager,
    };
    if (pkg.architecture) result.architecture = pkg.architecture;
    return [result];
  });
  const inventory: Inventory = { packages, partial: (legacy.notes ?? []).includes('PARTIAL_SCAN_DATA'), warnings: legacy.warnings ?? [] };
  if (legacy.os) inventory.os = legacy.os;
  return inventory;
}
