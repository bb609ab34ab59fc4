// The advisories and inventories of the match bench (./match-bench.ts, ./match-once.ts): OSV records generated in the
// proportions of OSV's full export, Red Hat's and ALAS 2023's records as lamina's sources write them, and the images
// matched against them.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { PackageRecord } from '../lib/analyzers/types';
import { packagesOf } from '../lib/index/packages';
import type { Inventory } from '../lib/index/types';
import type { Osv } from '../lib/vulndb/osv';
export const INVENTORY = Number(process.env.BENCH_INVENTORY ?? 2_000);
const DEBIAN_12 = { id: 'debian', versionId: '12' };

/**
 * How OSV's full export splits, roughly: a fifth distribution advisories, two fifths npm (half of them malicious-package
 * reports naming one package each), the rest PyPI, Maven and Go.
 */
const KINDS = ['debian', 'debian', 'npm', 'npm', 'malicious', 'malicious', 'pypi', 'pypi', 'maven', 'go'] as const;
type Kind = (typeof KINDS)[number];
/** Distinct packages per kind (about 12 advisories per Debian source package, as Debian 12 has); the inventory takes its packages from these. */
const PACKAGES: Record<Kind, number> = { debian: 5_000, npm: 20_000, malicious: 50_000, pypi: 10_000, maven: 10_000, go: 10_000 };
/** An inventory's share of each kind, as in an application image on Debian. */
const INVENTORY_SHARE: Partial<Record<Kind, number>> = { debian: 0.6, npm: 0.25, pypi: 0.1, maven: 0.05 };
/** Records per zip: OSV publishes one per ecosystem, and one zip of several hundred thousand entries takes yazl minutes. */
const SHARD = 50_000;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function packageName(kind: Kind, i: number): string {
  switch (kind) {
    case 'debian':
      return `src${i}`;
    case 'npm':
      return i % 4 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`;
    case 'malicious':
      return `typo-pkg-${i}`;
    case 'pypi':
      return `py-lib-${i}`;
    case 'maven':
      return `org.example${i % 53}:artifact-${i}`;
    case 'go':
      return `github.com/example${i % 89}/module-${i}`;
  }
}

const ECOSYSTEM: Record<Kind, string> = { debian: 'Debian:12', npm: 'npm', malicious: 'npm', pypi: 'PyPI', maven: 'Maven', go: 'Go' };
const LONG_TEXT =
  'An issue in the request parser allows a remote attacker to cause a denial of service or possibly execute code via a crafted ' +
  'header. The flaw is caused by improper validation of the length field before copying into a fixed-size buffer. ';

function references(cve: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({ type: i === 0 ? 'ADVISORY' : 'WEB', url: `https://example.org/advisories/${cve}/${i}` }));
}

/** Advisory `n` of kind KINDS[n % 10], for package `k % PACKAGES[kind]`, fixed in a revision that grows with `k`. */
function advisory(n: number): Osv {
  const kind = KINDS[n % KINDS.length];
  const k = Math.floor(n / KINDS.length);
  const name = packageName(kind, k % PACKAGES[kind]);
  const revision = Math.floor(k / PACKAGES[kind]);
  const cve = `CVE-2025-${String(10_000 + n)}`;
  const unfixed = k % 10 === 3;
  const severity = n % 3 === 0 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] : undefined;
  const base = { modified: '2026-01-01T00:00:00Z', published: '2025-06-01T00:00:00Z' };
  const pkg = { ecosystem: ECOSYSTEM[kind], name };
  if (kind === 'debian') {
    const events = unfixed ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed: `1.0-${revision + 1}` }];
    return {
      ...base,
      id: `DEBIAN-${cve}`,
      upstream: [cve],
      details: `Generated advisory ${n} for ${name}: ${LONG_TEXT}`,
      severity,
      affected: [{ package: pkg, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: { urgency: 'medium' } }],
    };
  }
  if (kind === 'malicious') {
    return {
      ...base,
      id: `MAL-2025-${n}`,
      summary: `Malicious code in ${name} (npm)`,
      details: '\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\nThe package runs an install script.',
      affected: [{ package: pkg, versions: ['1.0.0', '1.0.1'], database_specific: { source: 'https://github.com/ossf/malicious-packages' } }],
      database_specific: { 'malicious-packages-origins': [{ source: 'ossf-package-analysis', sha256: 'a'.repeat(64) }] },
    };
  }
  const fixed = `${revision + 1}.${n % 7}.0`;
  const events = unfixed ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }];
  const affected =
    kind === 'pypi'
      ? { ranges: [{ type: 'ECOSYSTEM', events }], versions: Array.from({ length: 24 }, (_, v) => `${Math.floor(v / 6)}.${v % 6}.0`) }
      : {
          ranges: [{ type: kind === 'npm' || kind === 'go' ? 'SEMVER' : 'ECOSYSTEM', events }],
          database_specific: { source: 'https://github.com/advisories' },
        };
  return {
    ...base,
    id: kind === 'pypi' ? `PYSEC-2025-${n}` : kind === 'go' ? `GO-2025-${n}` : `GHSA-${n.toString(36).padStart(4, '0')}-bench-${kind}`,
    aliases: [cve],
    summary: `${name} is vulnerable to a denial of service`,
    details: `${LONG_TEXT}${LONG_TEXT}Upgrade to ${fixed} or later.`,
    severity,
    affected: [{ package: pkg, ...affected }],
    references: references(cve, 5),
    database_specific: { cwe_ids: ['CWE-787'], severity: 'HIGH', github_reviewed: true },
  };
}

// --- RPM distributions: Red Hat's records (converted from its CSAF VEX, as the redhat-csaf source writes them) and
// ALAS 2023's, for images of 500 rpm packages.

/** Red Hat CVE documents and the source packages they name: about 16 each, a few packages (the kernel's kind) far more. */
export const RPM = { redhatRecords: 40_000, redhatSources: 2_500, alasRecords: 3_000, alasPackages: 800, inventory: 500 };
export const RHEL_9 = { id: 'rhel', versionId: '9.4' };
export const AMAZON_2023 = { id: 'amzn', versionId: '2023' };
export const RHEL_REPOSITORIES: Record<string, string[]> = {
  'rhel-9-for-x86_64-baseos-rpms': ['cpe:/o:redhat:enterprise_linux:9::baseos'],
  'rhel-9-for-x86_64-appstream-rpms': ['cpe:/a:redhat:enterprise_linux:9::appstream'],
};

const rhSource = (i: number) => `rh-src${i}`;
const alPackage = (i: number) => `al-pkg${i}`;

/** Red Hat record `n`: one RHEL 8 and one RHEL 9 entry (an AppStream one in a module stream now and then), a tenth unfixed. */
function redhatAdvisory(n: number): Osv {
  const source = n % 20 === 0 ? n % 25 : n % RPM.redhatSources;
  const name = rhSource(source);
  const cve = `CVE-2024-${String(20_000 + n)}`;
  const fixedIn = (release: string) => (n % 10 === 3 ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed: `1.${n % 9}-${(n % 13) + 1}.${release}` }]);
  const appstream = n % 3 === 0;
  const entry = (major: string, cpe: string, module?: string) => ({
    package: { ecosystem: `Red Hat:${major}`, name, purl: `pkg:rpm/redhat/${name}?arch=src` },
    ranges: [{ type: 'ECOSYSTEM', events: fixedIn(`el${major}`) }],
    ecosystem_specific: { severity: n % 4 === 0 ? 'Important' : 'Moderate', ...(module ? { rpm_module: module } : {}), cpes: [cpe] },
  });
  return {
    id: `REDHAT-${cve}`,
    modified: '2026-01-01T00:00:00Z',
    published: '2025-06-01T00:00:00Z',
    aliases: [cve],
    related: [`RHSA-2025:${n}`],
    summary: `${name}: ${LONG_TEXT.slice(0, 90)}`,
    details: LONG_TEXT,
    severity: n % 2 === 0 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }] : undefined,
    affected: [
      entry('8', appstream ? 'cpe:/a:redhat:enterprise_linux:8::appstream' : 'cpe:/o:redhat:enterprise_linux:8::baseos'),
      entry(
        '9',
        appstream ? 'cpe:/a:redhat:enterprise_linux:9::appstream' : 'cpe:/o:redhat:enterprise_linux:9::baseos',
        n % 30 === 0 ? `${name}:2` : undefined,
      ),
    ],
    references: [
      { type: 'ADVISORY', url: `https://access.redhat.com/security/cve/${cve}` },
      { type: 'ADVISORY', url: `https://access.redhat.com/errata/RHSA-2025:${n}` },
    ],
    database_specific: { source: 'redhat-csaf' },
  };
}

/** ALAS 2023 record `n`, as the alas source writes an `<update>`: the binary packages it lists, each fixed in its EVR. */
function alasAdvisory(n: number): Osv {
  const name = alPackage(n % RPM.alasPackages);
  const fixed = `2.${n % 7}-${(n % 5) + 1}.amzn2023.0.${n % 3}`;
  const cve = `CVE-2025-${String(50_000 + n)}`;
  return {
    id: `ALAS2023-2025-${n}`,
    modified: '2026-01-01T00:00:00Z',
    published: '2025-06-01T00:00:00Z',
    aliases: [cve],
    summary: `Important: ${name}`,
    details: LONG_TEXT,
    affected: [name, `${name}-libs`, `${name}-devel`].map((binary) => ({
      package: { ecosystem: 'Amazon Linux:2023', name: binary, purl: `pkg:rpm/amazon/${binary}?distro=amazon-2023` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ecosystem_specific: { severity: 'important' },
    })),
    references: [{ type: 'ADVISORY', url: `https://alas.aws.amazon.com/AL2023/ALAS-2025-${n}.html` }],
    database_specific: { source: 'alas' },
  };
}

/** The Red Hat and ALAS records after the OSV export's. */
function rpmAdvisory(n: number): Osv {
  return n < RPM.redhatRecords ? redhatAdvisory(n) : alasAdvisory(n - RPM.redhatRecords);
}

/** 500 installed rpm packages: two binaries per Red Hat source package, or an ALAS package and its `-libs`. */
export function rpmInventory(os: typeof RHEL_9): Inventory {
  const redhat = os.id === 'rhel';
  const records: PackageRecord[] = Array.from({ length: RPM.inventory }, (_, i) => {
    const j = Math.floor(i / 2);
    const version = redhat ? `1.${j % 9}-${(j % 11) + 1}.el9` : `2.${j % 7}-${(j % 4) + 1}.amzn2023.0.1`;
    const source = redhat ? rhSource((j * 7) % RPM.redhatSources) : alPackage((j * 3) % RPM.alasPackages);
    const name = i % 2 === 0 ? source : `${source}-libs`;
    const module = redhat && j % 40 === 0 ? `${source}:2` : undefined;
    return { manager: 'rpm', name, version, architecture: 'x86_64', sourceName: source, sourceVersion: version, ...(module ? { module } : {}) };
  });
  const packages = packagesOf(
    records.map((pkg) => ({ pkg, path: 'var/lib/rpm/rpmdb.sqlite', layer: 0, analyzer: 'rpm' })),
    os,
    [],
    [0],
  );
  return { os, packages, partial: false, warnings: [], ...(redhat ? { contentSets: Object.keys(RHEL_REPOSITORIES) } : {}) };
}

/** A deflated zip of one JSON file per record, as OSV's exports are. */
export async function writeExport(path: string, from: number, to: number, recordOf: (n: number) => Osv = advisory): Promise<void> {
  const zip = new ZipFile();
  for (let n = from; n < to; n++) {
    const record = recordOf(n);
    // A stream is deflated as the zip reaches it; addBuffer would start every entry's deflate at once.
    zip.addReadStream(Readable.from([Buffer.from(JSON.stringify(record))]), `${record.id}.json`);
  }
  zip.end();
  await new Promise<void>((done, fail) => zip.outputStream.pipe(createWriteStream(path)).on('close', done).on('error', fail));
}

/** The export as zips of SHARD records each. */
export async function writeExports(dir: string, count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let from = 0; from < count; from += SHARD) {
    const path = join(dir, `export-${paths.length}.zip`);
    await writeExport(path, from, Math.min(count, from + SHARD));
    paths.push(path);
  }
  const rpm = join(dir, 'export-rpm.zip');
  await writeExport(rpm, 0, RPM.redhatRecords + RPM.alasRecords, rpmAdvisory);
  return [...paths, rpm];
}

function installed(kind: Kind, i: number): PackageRecord {
  const name = packageName(kind, (i * 7) % PACKAGES[kind]);
  if (kind === 'debian') {
    const version = `1.0-${(i % 25) + 1}`;
    return { manager: 'dpkg', name: `lib${name}`, version, sourceName: name, sourceVersion: version };
  }
  const purlType = { npm: 'npm', malicious: 'npm', pypi: 'pypi', maven: 'maven', go: 'golang' }[kind];
  return { ecosystem: ECOSYSTEM[kind], purlType, name, version: `${i % 30}.${i % 7}.1` };
}

export function inventory(): Inventory {
  const records: PackageRecord[] = [];
  for (const kind of Object.keys(INVENTORY_SHARE) as Kind[]) {
    const count = Math.round(INVENTORY * (INVENTORY_SHARE[kind] ?? 0));
    for (let i = 0; i < count; i++) records.push(installed(kind, i));
  }
  const packages = packagesOf(
    records.map((pkg) => ({ pkg, path: pkg.manager ? 'var/lib/dpkg/status' : 'app/lockfile', layer: 0, analyzer: pkg.manager ? 'dpkg' : 'lockfile' })),
    DEBIAN_12,
    [],
    [0],
  );
  return { os: DEBIAN_12, packages, partial: false, warnings: [] };
}

export async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await action();
  return { ms: performance.now() - started, value };
}
