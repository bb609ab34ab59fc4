import type { Inventory } from '../index/types';
import type { StorageImage } from '../stackrox/types';

/** A stored scan: the answer, plus the inventory it came from so it can be re-matched without the image. */
export interface StoredScan {
  image: StorageImage;
  inventory: Inventory;
  /** Advisory data version the vulnerabilities were matched against; absent when nothing was matched. */
  dataVersion?: string;
}

/** Scan results keyed by image digest (`sha256:…`). */
export interface ImageStore {
  get(digest: string): Promise<StoredScan | undefined>;
  put(scan: StoredScan): Promise<void>;
}
