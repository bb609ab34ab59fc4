import type { Inventory, Package } from '../../lib/index/types';
import type { SbomImage, SbomInput } from '../../lib/sbom';

const layer = (hex: string, index: number) => ({ digest: `sha256:${hex.repeat(64 / hex.length)}`, index });
const BASE = layer('a1', 0);
const TOOLS = layer('b2', 2);
const APP = layer('c3', 5);

const DPKG_STATUS = 'var/lib/dpkg/status';
type DebianFields = 'ecosystem' | 'purlType' | 'location' | 'analyzer' | 'manager' | 'architecture';
const debian = (pkg: Omit<Package, DebianFields>): Package => ({
  ecosystem: 'Debian:12',
  purlType: 'deb',
  location: DPKG_STATUS,
  analyzer: 'dpkg',
  manager: 'dpkg',
  architecture: 'amd64',
  ...pkg,
});

const debianPackages: Package[] = [
  debian({
    name: 'libc6',
    version: '2.36-9+deb12u4',
    purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12',
    source: { name: 'glibc', version: '2.36-9+deb12u4' },
    licenses: ['LGPL-2.1-or-later'],
    layer: BASE,
  }),
  debian({
    name: 'bash',
    version: '5.2.15-2+b7',
    purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12',
    source: { name: 'bash', version: '5.2.15-2' },
    licenses: ['GPL-3.0-or-later'],
    layer: BASE,
  }),
  debian({
    name: 'zlib1g',
    version: '1:1.2.13.dfsg-1',
    purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12',
    source: { name: 'zlib', version: '1:1.2.13.dfsg-1' },
    licenses: ['Zlib'],
    layer: BASE,
  }),
  debian({
    name: 'libssl3',
    version: '3.0.15-1~deb12u1',
    purl: 'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12',
    source: { name: 'openssl', version: '3.0.15-1~deb12u1' },
    licenses: ['Apache-2.0'],
    layer: TOOLS,
  }),
  debian({
    name: 'perl-base',
    version: '5.36.0-7+deb12u1',
    purl: 'pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u1?arch=amd64&distro=debian-12',
    source: { name: 'perl', version: '5.36.0-7+deb12u1' },
    // A Debian copyright expression that is no SPDX one, then an SPDX id.
    licenses: ['GPL-1+ or Artistic', 'Artistic-dist'],
    layer: BASE,
  }),
];

const languagePackages: Package[] = [
  {
    ecosystem: 'npm',
    purlType: 'npm',
    name: '@babel/core',
    version: '7.24.0',
    purl: 'pkg:npm/%40babel/core@7.24.0',
    licenses: ['MIT'],
    location: 'usr/src/app/node_modules/@babel/core/package.json',
    layer: APP,
    analyzer: 'npm',
  },
  {
    ecosystem: 'npm',
    purlType: 'npm',
    name: 'debug',
    version: '4.3.4',
    purl: 'pkg:npm/debug@4.3.4',
    licenses: ['MIT'],
    location: 'usr/src/app/node_modules/debug/package.json',
    layer: APP,
    analyzer: 'npm',
  },
  {
    ecosystem: 'npm',
    purlType: 'npm',
    name: 'debug',
    version: '4.3.4',
    purl: 'pkg:npm/debug@4.3.4',
    licenses: ['MIT'],
    location: 'usr/local/lib/node_modules/npm/node_modules/debug/package.json',
    layer: TOOLS,
    analyzer: 'npm',
  },
  {
    ecosystem: 'npm',
    purlType: 'npm',
    name: 'rimraf',
    version: '3.0.2',
    purl: 'pkg:npm/rimraf@3.0.2',
    licenses: ['ISC OR (MIT AND Apache-2.0)', 'BlueOak-1.0.0'],
    location: 'usr/src/app/node_modules/rimraf/package.json',
    layer: APP,
    analyzer: 'npm',
  },
  {
    ecosystem: 'Maven',
    purlType: 'maven',
    name: 'org.apache.logging.log4j:log4j-core',
    version: '2.17.1',
    purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1',
    licenses: ['Apache-2.0'],
    location: 'usr/src/app/lib/log4j-core-2.17.1.jar',
    layer: APP,
    analyzer: 'java',
  },
];

const alpinePackages: Package[] = [
  ['musl', '1.2.4-r2', 'MIT', 'musl'],
  ['busybox', '1.36.1-r5', 'GPL-2.0-only', 'busybox'],
  ['libcrypto3', '3.1.4-r5', 'Apache-2.0', 'openssl'],
  ['ca-certificates-bundle', '20240226-r0', 'MPL-2.0 AND MIT', 'ca-certificates'],
].map(([name, version, license, origin]) => ({
  ecosystem: 'Alpine:v3.18',
  purlType: 'apk',
  name: name as string,
  version: version as string,
  purl: `pkg:apk/alpine/${name}@${version}?arch=x86_64&distro=alpine-3.18.6`,
  source: { name: origin as string, version: version as string },
  architecture: 'x86_64',
  licenses: [license as string],
  location: 'lib/apk/db/installed',
  layer: BASE,
  analyzer: 'apk',
  manager: 'apk',
}));

const rpm = (name: string, version: string, purl: string, sourceVersion: string, license: string): Package => ({
  ecosystem: 'rhel:9',
  purlType: 'rpm',
  name,
  version,
  purl,
  source: { name: name.replace(/-libs$/, ''), version: sourceVersion },
  architecture: 'x86_64',
  licenses: [license],
  location: 'var/lib/rpm/rpmdb.sqlite',
  layer: BASE,
  analyzer: 'rpm',
  manager: 'rpm',
});

const rpmPackages: Package[] = [
  rpm('openssl-libs', '1:3.0.7-27.el9', 'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1', '3.0.7-27.el9', 'ASL 2.0'),
  rpm('bash', '5.1.8-9.el9', 'pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4', '5.1.8-9.el9', 'GPLv3+'),
  rpm('tzdata', '2024a-1.el9', 'pkg:rpm/redhat/tzdata@2024a-1.el9?arch=noarch&distro=rhel-9.4', '2024a-1.el9', 'Public Domain'),
];

const digest = (hex: string) => `sha256:${hex.repeat(64 / hex.length)}`;

export interface SbomCase {
  label: string;
  input: SbomInput;
}

function input(image: SbomImage, inventory: Inventory, serialNumber: string): SbomInput {
  const created = new Date('2024-05-14T09:30:15.250Z');
  return { image, inventory, tool: { name: 'lamina', version: '1.4.2' }, created, serialNumber };
}

const DEBIAN_12 = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
const ALPINE_3_18 = { id: 'alpine', versionId: '3.18.6', prettyName: 'Alpine Linux v3.18' };
const RHEL_9_4 = { id: 'rhel', versionId: '9.4', prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)', idLike: ['fedora'] };
const platform = { architecture: 'amd64', os: 'linux' };

export const CASES: SbomCase[] = [
  {
    label: 'Debian image with npm and Maven packages',
    input: input(
      {
        fullName: 'docker.io/library/node:20-bookworm',
        registry: 'docker.io',
        remote: 'library/node',
        tag: '20-bookworm',
        digest: digest('0f'),
        ...platform,
        distribution: DEBIAN_12.prettyName,
      },
      { os: DEBIAN_12, packages: [...debianPackages, ...languagePackages], partial: false, warnings: [] },
      '5a0c3f5e-2b7d-4c1e-9f3a-6d8e1b2c4a70',
    ),
  },
  {
    label: 'Alpine image',
    input: input(
      {
        fullName: 'docker.io/library/alpine:3.18',
        registry: 'docker.io',
        remote: 'library/alpine',
        tag: '3.18',
        digest: digest('1e'),
        ...platform,
        distribution: ALPINE_3_18.prettyName,
      },
      { os: ALPINE_3_18, packages: alpinePackages, partial: false, warnings: [] },
      '7c1d9e2a-4f6b-4a8c-b3d5-0e9f8a7b6c51',
    ),
  },
  {
    label: 'UBI image addressed by digest, partially read',
    input: input(
      {
        fullName: `registry.access.redhat.com/ubi9/ubi-minimal@${digest('2d')}`,
        registry: 'registry.access.redhat.com',
        remote: 'ubi9/ubi-minimal',
        digest: digest('2d'),
        ...platform,
        distribution: 'rhel:9.4',
      },
      { os: RHEL_9_4, packages: rpmPackages, partial: true, warnings: ['var/lib/rpm/rpmdb.sqlite: truncated'] },
      'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
    ),
  },
  {
    label: 'image without an OS release',
    input: input(
      { fullName: 'ghcr.io/acme/tools/app:v1', registry: 'ghcr.io', remote: 'acme/tools/app', tag: 'v1', digest: digest('3c') },
      { packages: languagePackages.slice(0, 3), partial: false, warnings: [] },
      '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a',
    ),
  },
];

/** Licences and names that are no SPDX expression or need sanitising; the documents must stay valid. */
export function awkwardInput(): SbomInput {
  const base = CASES[0]?.input as SbomInput;
  const odd = (name: string, licenses: string[], index: number): Package => ({
    ecosystem: 'PyPI',
    purlType: 'pypi',
    name,
    version: '1.0 beta+local',
    purl: `pkg:pypi/odd-${index}@1.0`,
    licenses,
    location: `usr/lib/python3/dist-packages/${name}/METADATA`,
    layer: APP,
    analyzer: 'python',
  });
  const packages = [
    odd('MIT AND', ['MIT AND'], 1),
    odd('(unbalanced', ['(MIT OR Apache-2.0'], 2),
    odd('slash/separated', ['GPL-2+ / BSD-3-clause'], 3),
    odd('referenced', ['LicenseRef-Proprietary'], 4),
    odd('mixed', ['MIT', 'Custom licence, see COPYING'], 5),
    odd('blank', ['', '   '], 6),
    odd('naïve name #1', ['Classpath-exception-2.0'], 7),
    odd('naïve name #1', ['MIT WITH Apache-2.0'], 8),
  ];
  return { ...base, inventory: { ...base.inventory, packages } };
}
