import { PackageURL } from 'packageurl-js';
import type { OsRelease, PackageManager, PackageRecord } from '../analyzers/types';
import type { Distribution } from '../distros';

/**
 * purl-spec registers no type for opkg; its proposal (package-url/purl-spec#279) names it `opkg`, with the vendor
 * (`openwrt`) as namespace, as `apk` does. That is used rather than `generic`, which would lose the namespace and
 * the arch and distro qualifiers.
 */
const MANAGER_PURL_TYPE: Record<PackageManager, string> = { dpkg: 'deb', apk: 'apk', rpm: 'rpm', opkg: 'opkg' };

/** The purl type of a record: its manager's for OS packages, its own for language packages. */
export function purlTypeOf(pkg: PackageRecord): string {
  return pkg.manager ? MANAGER_PURL_TYPE[pkg.manager] : (pkg.purlType ?? 'generic');
}

/** Splits a name at its last `/` (npm scopes, Go module paths) or at `:` (Maven group:artifact) into namespace and name. */
function namespaced(type: string, name: string): [string | undefined, string] {
  const separator = type === 'maven' ? name.indexOf(':') : name.lastIndexOf('/');
  if (separator <= 0) return [undefined, name];
  return [name.slice(0, separator), name.slice(separator + 1)];
}

/** The package-url of a record found in an image of `os` (package-url spec, with the distro qualifier of OS packages). */
export function purlOf(pkg: PackageRecord, os: OsRelease | undefined, distribution: Distribution | undefined): string {
  const type = purlTypeOf(pkg);
  const qualifiers: Record<string, string> = {};
  if (pkg.architecture) qualifiers.arch = pkg.architecture;
  let version = pkg.version;
  if (pkg.manager) {
    // rpm purls carry the epoch as a qualifier; deb and apk keep it in the version as their tools print it.
    if (pkg.manager === 'rpm') {
      const epoch = /^(\d+):(.*)$/.exec(version);
      if (epoch) {
        qualifiers.epoch = epoch[1];
        version = epoch[2];
      }
    }
    if (os && distribution) qualifiers.distro = distribution.purlDistro(os);
    const namespace = distribution?.purlNamespace ?? os?.id;
    return new PackageURL(type, namespace, pkg.name, version, Object.keys(qualifiers).length > 0 ? qualifiers : undefined).toString();
  }
  const [namespace, name] = namespaced(type, pkg.name);
  return new PackageURL(
    type,
    namespace,
    type === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name,
    version,
    Object.keys(qualifiers).length > 0 ? qualifiers : undefined,
  ).toString();
}
