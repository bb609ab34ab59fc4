import type { ImageStore, StoredScan } from './image-store';

/** Results kept for the life of the process: the CLI's one-off scans and tests. */
export class MemoryImageStore implements ImageStore {
  private readonly scans = new Map<string, StoredScan>();

  async get(digest: string): Promise<StoredScan | undefined> {
    return this.scans.get(digest);
  }

  async put(scan: StoredScan): Promise<void> {
    this.scans.set(scan.image.id, scan);
  }
}
