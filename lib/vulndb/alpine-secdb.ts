import type { Osv } from './osv';

/** secdb carries no dates: converted advisories are ordered by content alone. */
const SECDB_MODIFIED = '1970-01-01T00:00:00Z';
const CVE = /^CVE-\d{4}-\d+/;

type Secfixes = Record<string, unknown>;

/** Alpine secdb: the official `{distroversion, packages: [{pkg: {name, secfixes}}]}` or one package `{name, secfixes}`. */
export function isAlpineSecdb(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (Array.isArray(v.packages) && 'distroversion' in v) || (typeof v.name === 'string' && typeof v.secfixes === 'object' && v.secfixes !== null);
}

/** `v3.18` from `distroversion`, or from the file's path (`alpine/3.18/main/openssl.json`, `v3.18-main-openssl.json`). */
export function alpineRelease(distroversion: unknown, path: string): string | undefined {
  const fromField = typeof distroversion === 'string' ? /^v?(\d+\.\d+)/.exec(distroversion.trim())?.[1] : undefined;
  if (fromField) return `v${fromField}`;
  const fromPath = /(?:^|[/\\])v?(\d+\.\d+)(?:[/\\-])/.exec(path)?.[1];
  return fromPath ? `v${fromPath}` : undefined;
}

function packageAdvisories(release: string, name: string, secfixes: Secfixes): Osv[] {
  const fixes = new Map<string, string>();
  for (const [version, ids] of Object.entries(secfixes)) {
    // Version "0" lists CVEs that never affected the Alpine package.
    if (version === '0' || !Array.isArray(ids)) continue;
    for (const raw of ids) {
      const cve = typeof raw === 'string' ? CVE.exec(raw.trim())?.[0] : undefined;
      if (cve && !fixes.has(cve)) fixes.set(cve, version);
    }
  }
  return [...fixes].map(([cve, fixed]) => ({
    id: `ALPINE-SECDB-${release}-${name}-${cve}`,
    modified: SECDB_MODIFIED,
    aliases: [cve],
    summary: `${name}: ${cve} fixed in ${fixed}`,
    affected: [
      {
        package: { ecosystem: `Alpine:${release}`, name, purl: `pkg:apk/alpine/${name}` },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      },
    ],
    references: [{ type: 'ADVISORY', url: `https://security.alpinelinux.org/vuln/${cve}` }],
    database_specific: { source: 'alpine-secdb' },
  }));
}

/**
 * OSV-shaped advisories from Alpine secdb: one per (release, package, CVE), fixed in the secfixes version.
 * Throws when the release cannot be told.
 */
export function secdbToOsv(value: Record<string, unknown>, path: string): Osv[] {
  const release = alpineRelease(value.distroversion, path);
  if (!release) throw new Error('Alpine secdb without a release (no distroversion, none in the path)');
  if (Array.isArray(value.packages)) {
    return value.packages.flatMap((entry: unknown) => {
      const pkg = (entry as { pkg?: { name?: unknown; secfixes?: unknown } } | null)?.pkg;
      return typeof pkg?.name === 'string' && typeof pkg.secfixes === 'object' && pkg.secfixes !== null
        ? packageAdvisories(release, pkg.name, pkg.secfixes as Secfixes)
        : [];
    });
  }
  return packageAdvisories(release, value.name as string, value.secfixes as Secfixes);
}
