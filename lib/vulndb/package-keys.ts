import type { OsPackage, OsRelease } from '../analyzers/types';
import type { InventoryComponent } from '../index/types';

/** What to look up for one component: the OSV ecosystem (with release), the package name and the version to compare. */
export interface PackageQuery {
  ecosystem: string;
  name: string;
  version: string;
}

function majorMinor(version: string): string | undefined {
  return /^(\d+)\.(\d+)/.exec(version)?.slice(1, 3).join('.');
}

function major(version: string): string | undefined {
  return /^(\d+)/.exec(version)?.[1];
}

/**
 * The OSV ecosystem of an image's distribution release: `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`,
 * `Rocky Linux:9`, `AlmaLinux:9`, `Wolfi`, `Chainguard`. Undefined when OSV publishes nothing for it.
 */
export function osEcosystem(os: OsRelease | undefined): string | undefined {
  if (!os) return undefined;
  switch (os.id) {
    case 'debian': {
      const release = major(os.versionId);
      return release ? `Debian:${release}` : undefined;
    }
    case 'ubuntu': {
      const release = majorMinor(os.versionId);
      if (!release) return undefined;
      const [year, month] = release.split('.').map(Number);
      // Ubuntu's long-term releases are the April releases of even years.
      return year % 2 === 0 && month === 4 ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
    }
    case 'alpine': {
      const release = majorMinor(os.versionId);
      return release ? `Alpine:v${release}` : undefined;
    }
    case 'rocky': {
      const release = major(os.versionId);
      return release ? `Rocky Linux:${release}` : undefined;
    }
    case 'almalinux': {
      const release = major(os.versionId);
      return release ? `AlmaLinux:${release}` : undefined;
    }
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    default:
      return undefined;
  }
}

/** Debian, Ubuntu and Alpine advisories name the source package; RPM distributions name binary packages. */
function osQuery(ecosystem: string, pkg: OsPackage): PackageQuery {
  if (pkg.manager === 'rpm') return { ecosystem, name: pkg.name, version: pkg.version };
  if (pkg.manager === 'apk') return { ecosystem, name: pkg.sourceName, version: pkg.version };
  return { ecosystem, name: pkg.sourceName, version: pkg.sourceVersion };
}

/** The advisory lookup for one inventory component, or undefined when no advisory source covers it. */
export function queryFor(component: InventoryComponent, os: OsRelease | undefined): PackageQuery | undefined {
  if (component.source === 'OS') {
    const ecosystem = osEcosystem(os);
    return ecosystem && component.osPackage ? osQuery(ecosystem, component.osPackage) : undefined;
  }
  return undefined;
}
