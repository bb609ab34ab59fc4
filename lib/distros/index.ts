import type { OsRelease } from '../analyzers/types';
import { alpine } from './alpine';
import { debian } from './debian';
import { almalinux, centos, oracle, rhel, rocky, scientific } from './enterprise-linux';
import { amazonLinux, azureLinux, fedora, mariner, opensuse, photon, suse } from './other-rpm';
import type { Distribution } from './types';
import { ubuntu } from './ubuntu';
import { chainguard, minimos, wolfi } from './wolfi';

export type { AdvisoryPackageRule, Distribution, RatingField } from './types';

/** Every distribution the project knows; the registration a new descriptor file adds itself to. */
export const DISTRIBUTIONS: readonly Distribution[] = [
  debian,
  ubuntu,
  alpine,
  rocky,
  almalinux,
  wolfi,
  chainguard,
  minimos,
  rhel,
  centos,
  oracle,
  scientific,
  amazonLinux,
  fedora,
  suse,
  opensuse,
  azureLinux,
  mariner,
  photon,
];

const BY_ID = new Map(DISTRIBUTIONS.flatMap((d) => d.ids.map((id) => [id, d] as const)));
const BY_ECOSYSTEM = new Map(DISTRIBUTIONS.flatMap((d) => d.osvEcosystems.map((e) => [e, d] as const)));

/** The descriptor of an image's distribution, by os-release ID. */
export function distributionOf(os: OsRelease | undefined): Distribution | undefined {
  return os ? BY_ID.get(os.id.trim().toLowerCase()) : undefined;
}

/** The descriptor whose advisories are filed under an OSV ecosystem base name (`Debian`, `Rocky Linux`). */
export function distributionOfEcosystem(base: string): Distribution | undefined {
  return BY_ECOSYSTEM.get(base);
}

/** The advisory ecosystem of an image's release (`Debian:12`), undefined when no feed covers it. */
export function releaseEcosystem(os: OsRelease | undefined): string | undefined {
  return os ? distributionOf(os)?.releaseEcosystem(os) : undefined;
}

/** The advisory sources fetched by default for operating systems: each distribution's own feeds. */
export const DEFAULT_OS_SOURCES: readonly string[] = [...new Set(DISTRIBUTIONS.flatMap((d) => d.feeds))];
