import type { OsRelease, PackageManager } from '../analyzers/types';
import type { ImagePath } from '../layers/types';

/**
 * The package-url type of a package (https://github.com/package-url/purl-spec): `deb`, `rpm`, `apk`, `opkg` for OS
 * packages; `npm`, `pypi`, `maven`, `golang`, `gem`, `nuget`, `cargo`, `composer` for language packages.
 */
export type PurlType = string;

/** The layer that introduced a package: its blob digest and its index into the image's history entries. */
export interface PackageLayer {
  digest: string;
  /** Index into metadata.v1.layers (history entries, empty ones counted). */
  index: number;
}

/** One installed package of any ecosystem, as the inventory reports it. */
export interface Package {
  /**
   * The OSV ecosystem its advisories are filed under (`npm`, `PyPI`, `Debian:12`, `Alpine:v3.18`), or, for an OS
   * package of a distribution without an advisory source, the distribution it came from (`rhel:9`); the purl
   * type when even that is unknown.
   */
  ecosystem: string;
  purlType: PurlType;
  /** The name as its ecosystem spells it (dpkg Package, npm name with scope, Maven `group:artifact`). */
  name: string;
  version: string;
  purl: string;
  /** The source package and its version, where the ecosystem has them (dpkg Source, rpm SOURCERPM, apk origin). */
  source?: { name: string; version: string };
  architecture?: string;
  /** Licences as the evidence states them (SPDX expressions when the evidence uses them). */
  licenses: string[];
  /** Path inside the image of the evidence the package was read from (`var/lib/dpkg/status`, a package.json). */
  location: ImagePath;
  layer: PackageLayer;
  /** Name of the analyser that found it. */
  analyzer: string;
  /** OS packages: the package manager whose database lists it. */
  manager?: PackageManager;
  /**
   * rpm packages built in a module stream: `name:stream` (`nodejs:18`). Their advisories name the stream
   * (`ecosystem_specific.rpm_module`), and a fix in one stream says nothing about another.
   */
  module?: string;
  /**
   * The OS package owning the evidence file, if any: a language package the distribution installed (Debian's
   * python3-urllib3). Such a package is the OS package's business: it is not matched or reported again.
   */
  owner?: { manager: PackageManager; name: string };
}

/** An image's inventory: the indexer's output and the matcher's input. Stored so it can be re-matched without the image. */
export interface Inventory {
  /** The distribution as the image's os-release (or equivalent) states it; absent when none was found. */
  os?: OsRelease;
  packages: Package[];
  /** Some layer or package database could not be read whole: the inventory may miss packages. */
  partial: boolean;
  /** Human-readable problems met while indexing (unparseable files, oversized entries…). */
  warnings: string[];
  /**
   * The repositories the image's OS packages were installed from, as its build recorded them (Red Hat's content
   * manifests: `rhel-9-for-x86_64-appstream-rpms`); absent when the image records none.
   */
  contentSets?: string[];
}
