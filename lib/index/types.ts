import type { OsPackage, OsRelease } from '../analyzers/types';
import type { ImagePath } from '../layers/types';

/** StackRox StorageSourceType names. */
export type ComponentSource = 'OS' | 'PYTHON' | 'JAVA' | 'RUBY' | 'NODEJS' | 'GO' | 'DOTNETCORERUNTIME' | 'INFRASTRUCTURE';

/** StackRox StorageImageScanNote names. */
export type ScanNote =
  | 'OS_UNAVAILABLE'
  | 'PARTIAL_SCAN_DATA'
  | 'OS_CVES_UNAVAILABLE'
  | 'OS_CVES_STALE'
  | 'LANGUAGE_CVES_UNAVAILABLE'
  | 'CERTIFIED_RHEL_SCAN_UNAVAILABLE';

/** One installed thing found in the image: what the StackRox component is built from. */
export interface InventoryComponent {
  name: string;
  version: string;
  source: ComponentSource;
  /** Index into metadata.v1.layers (history entries, empty ones counted) of the layer that introduced it. */
  layerIndex: number;
  /** Path of the evidence for language packages; "" for OS packages. */
  location: string;
  license?: string;
  /** For OS packages: the database record, including source package for matching and owned files. */
  osPackage?: OsPackage;
}

/** An image's inventory: the indexer's output and the matcher's input. Stored so it can be re-matched without the image. */
export interface Inventory {
  os?: OsRelease;
  components: InventoryComponent[];
  notes: ScanNote[];
  /** Human-readable problems met while indexing (unparseable files, oversized entries…). */
  warnings: string[];
  /** Every path some OS package owns; language analysers skip these. */
  ownedPaths?: ImagePath[];
}
