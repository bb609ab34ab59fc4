/** A realistic scanned image for the report tests: Debian 12 packages, an npm app and Java jars, with their findings. */
import type { Package } from '../../lib/index/types';
import type { ReportInput } from '../../lib/report/types';
import type { SbomImage } from '../../lib/sbom/types';
import { parseCvssV2, parseCvssV3 } from '../../lib/vulndb/cvss';
import type { Finding, Rating } from '../../lib/vulndb/findings';

const layer = (hex: string, index: number) => ({ digest: `sha256:${hex.repeat(64 / hex.length)}`, index });
const BASE = layer('a1', 0);
const TOOLS = layer('b2', 3);
const APP = layer('c3', 7);

const deb = (name: string, version: string, source: string, layerOf = BASE): Package => ({
  ecosystem: 'Debian:12',
  purlType: 'deb',
  name,
  version,
  purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=debian-12`,
  source: { name: source, version },
  architecture: 'amd64',
  licenses: [],
  location: 'var/lib/dpkg/status',
  layer: layerOf,
  analyzer: 'dpkg',
  manager: 'dpkg',
});

const lang = (ecosystem: string, purlType: string, name: string, version: string, location: string, purl: string): Package => ({
  ecosystem,
  purlType,
  name,
  version,
  purl,
  licenses: [],
  location,
  layer: APP,
  analyzer: purlType === 'maven' ? 'java' : purlType,
});

export const PACKAGES: Package[] = [
  /* 0 */ deb('zlib1g', '1:1.2.13.dfsg-1', 'zlib'),
  /* 1 */ deb('libssl3', '3.0.11-1~deb12u2', 'openssl', TOOLS),
  /* 2 */ deb('openssl', '3.0.11-1~deb12u2', 'openssl', TOOLS),
  /* 3 */ deb('libc6', '2.36-9+deb12u3', 'glibc'),
  /* 4 */ deb('bash', '5.2.15-2+b2', 'bash'),
  /* 5 */ deb('tar', '1.34+dfsg-1.2', 'tar'),
  /* 6 */ deb('libgnutls30', '3.7.9-2+deb12u2', 'gnutls28'),
  /* 7 */ lang('npm', 'npm', 'express', '4.18.2', 'usr/src/app/node_modules/express/package.json', 'pkg:npm/express@4.18.2'),
  /* 8 */ lang('npm', 'npm', '@babel/traverse', '7.22.5', 'usr/src/app/node_modules/@babel/traverse/package.json', 'pkg:npm/%40babel/traverse@7.22.5'),
  /* 9 */ lang(
    'Maven',
    'maven',
    'org.apache.logging.log4j:log4j-core',
    '2.14.1',
    'usr/src/app/lib/log4j-core-2.14.1.jar',
    'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
  ),
  /* 10 */ lang(
    'Maven',
    'maven',
    'org.apache.commons:commons-text',
    '1.9',
    'usr/src/app/shop.war:WEB-INF/lib/commons-text-1.9.jar',
    'pkg:maven/org.apache.commons/commons-text@1.9',
  ),
  /* 11 */ lang('npm', 'npm', 'braces', '3.0.2', 'usr/src/app/node_modules/braces/package.json', 'pkg:npm/braces@3.0.2'),
];

export const IMAGE: SbomImage = {
  fullName: 'registry.example.com/shop/checkout:1.4.2',
  registry: 'registry.example.com',
  remote: 'shop/checkout',
  tag: '1.4.2',
  digest: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  architecture: 'amd64',
  os: 'linux',
  distribution: 'Debian GNU/Linux 12 (bookworm)',
};

interface FindingSpec {
  pkg: number;
  id: string;
  aliases?: string[];
  rating?: Rating;
  vendorRating?: Rating;
  v3?: string;
  v2?: string;
  fixed?: string;
  summary: string;
  links?: string[];
}

export function finding(spec: FindingSpec): Finding {
  const pkg = PACKAGES[spec.pkg];
  const f: Finding = {
    packageIndex: spec.pkg,
    id: spec.id,
    advisoryIds: [spec.aliases?.find((a) => !a.startsWith('CVE-')) ?? spec.id],
    aliases: spec.aliases ?? [],
    summary: spec.summary,
    links: spec.links ?? [...(pkg.manager ? [`https://security-tracker.debian.org/tracker/${spec.id}`] : []), `https://nvd.nist.gov/vuln/detail/${spec.id}`],
    reason: `${pkg.ecosystem} ${pkg.name} ${pkg.version} is in the affected range of ${spec.id}, ${spec.fixed ? `before the fix ${spec.fixed}` : 'with no fixed version'}`,
  };
  if (spec.fixed) f.fixedVersion = spec.fixed;
  if (spec.vendorRating) f.vendorRating = spec.vendorRating;
  if (spec.rating) f.rating = spec.rating;
  if (spec.v3) {
    const parsed = parseCvssV3(spec.v3)!;
    f.cvssV3 = { vector: parsed.vector, score: parsed.score, parsed };
  }
  if (spec.v2) {
    const parsed = parseCvssV2(spec.v2)!;
    f.cvssV2 = { vector: parsed.vector, score: parsed.score, parsed };
  }
  return f;
}

const CRITICAL_V3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

export const FINDINGS: Finding[] = [
  finding({
    pkg: 0,
    id: 'CVE-2023-45853',
    rating: 'CRITICAL',
    v3: CRITICAL_V3,
    summary: 'MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64',
  }),
  finding({
    pkg: 1,
    id: 'CVE-2023-5678',
    rating: 'MODERATE',
    vendorRating: 'MODERATE',
    v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L',
    fixed: '3.0.13-1~deb12u1',
    summary: 'Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow',
  }),
  finding({
    pkg: 2,
    id: 'CVE-2023-5678',
    rating: 'MODERATE',
    vendorRating: 'MODERATE',
    v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L',
    fixed: '3.0.13-1~deb12u1',
    summary: 'Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow',
  }),
  finding({
    pkg: 1,
    id: 'CVE-2024-0727',
    rating: 'LOW',
    vendorRating: 'LOW',
    v3: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H',
    fixed: '3.0.13-1~deb12u1',
    summary: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash leading to a potential Denial of Service attack',
  }),
  finding({
    pkg: 3,
    id: 'CVE-2023-6246',
    rating: 'IMPORTANT',
    v3: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
    fixed: '2.36-9+deb12u4',
    summary: 'A heap-based buffer overflow was found in the __vsyslog_internal function of the glibc library',
  }),
  finding({
    pkg: 5,
    id: 'CVE-2005-2541',
    rating: 'LOW',
    vendorRating: 'LOW',
    v2: 'AV:N/AC:L/Au:N/C:C/I:C/A:C',
    summary: 'Tar 1.15.1 does not properly warn the user when extracting setuid or setgid files',
  }),
  // A fresh CVE nothing rates yet.
  finding({ pkg: 6, id: 'CVE-2024-12243', summary: 'A flaw was found in GnuTLS, which relies on libtasn1 for ASN.1 data encoding' }),
  finding({
    pkg: 7,
    id: 'CVE-2024-29041',
    aliases: ['GHSA-rv95-896h-c2vc'],
    rating: 'MODERATE',
    v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N',
    fixed: '4.19.2',
    summary: 'Express.js Open Redirect in malformed URLs',
    links: ['https://github.com/advisories/GHSA-rv95-896h-c2vc', 'https://osv.dev/vulnerability/GHSA-rv95-896h-c2vc'],
  }),
  // Reported under its GHSA id, its CVE an alias.
  finding({
    pkg: 8,
    id: 'GHSA-67hx-6x53-jw92',
    aliases: ['CVE-2023-45133'],
    rating: 'CRITICAL',
    v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
    fixed: '7.23.2',
    summary: 'Babel vulnerable to arbitrary code execution when compiling specifically crafted malicious code',
    links: ['https://github.com/advisories/GHSA-67hx-6x53-jw92'],
  }),
  finding({
    pkg: 9,
    id: 'CVE-2021-44228',
    aliases: ['GHSA-jfh8-c2jp-5v3q'],
    rating: 'CRITICAL',
    v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
    fixed: '2.15.0',
    summary: 'Remote code injection in Log4j',
  }),
  finding({
    pkg: 9,
    id: 'CVE-2021-45046',
    aliases: ['GHSA-7rjr-3q55-vv33'],
    rating: 'CRITICAL',
    v3: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H',
    fixed: '2.16.0',
    summary: 'Incomplete fix for Apache Log4j vulnerability',
  }),
  finding({
    pkg: 10,
    id: 'CVE-2022-42889',
    aliases: ['GHSA-599f-7c49-w659'],
    rating: 'CRITICAL',
    v3: CRITICAL_V3,
    fixed: '1.10.0',
    summary: 'Arbitrary code execution in Apache Commons Text',
  }),
  finding({
    pkg: 11,
    id: 'CVE-2024-4068',
    aliases: ['GHSA-grv7-fg5c-xmjg'],
    rating: 'IMPORTANT',
    v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
    fixed: '3.0.3',
    summary: 'Uncontrolled resource consumption in braces',
  }),
];

export const TOOL = { name: 'lamina', version: '0.1.0', informationUri: 'https://example.com/lamina' };

export function reportInput(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    image: IMAGE,
    inventory: { os: { id: 'debian', versionId: '12', codename: 'bookworm' }, packages: PACKAGES, partial: false, warnings: [] },
    findings: FINDINGS,
    notes: [],
    operatingSystem: 'debian:12',
    tool: TOOL,
    ...overrides,
  };
}

/** Finding counts by rating in FINDINGS, for the summary line. */
export function countsByRating(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = { CRITICAL: 0, IMPORTANT: 0, MODERATE: 0, LOW: 0, UNKNOWN: 0 };
  for (const f of findings) counts[f.rating ?? 'UNKNOWN']++;
  return counts;
}
