import type { Inventory } from '../index/types';
import type { SigningRecord } from '../signatures/step';
import type { StorageImage } from '../stackrox/types';

/** A stored scan: the answer, plus the inventory it came from so it can be re-matched without the image. */
export interface StoredScan {
  image: StorageImage;
  inventory: Inventory;
  /** Advisory data version the vulnerabilities were matched against; absent when nothing was matched. */
  dataVersion?: string;
  /** How the image's signatures were fetched and verified; absent in scans stored before it was kept. */
  signing?: SigningRecord;
}

/** Scan results keyed by image digest (`sha256:…`). */
export interface ImageStore {
  get(digest: string): Promise<StoredScan | undefined>;
  put(scan: StoredScan): Promise<void>;
}
