import { formatOperatingSystem } from '../analyzers/os-release';
import { parseImageName } from '../image/reference';
import type { ImageReference, Platform, ResolvedImage } from '../image/types';
import type { Inventory } from '../index/types';
import { indexResolvedImage, type ScanPorts } from '../scan';
import { notFound } from '../stackrox/errors';
import { buildMetadata } from '../stackrox/metadata';
import { applySnoozeFilter, assembleStorageImage, componentFromInventory } from '../stackrox/storage-image';
import type { StorageImage, StorageImageName, V1ScanImageRequest } from '../stackrox/types';
import type { ImageStore, StoredScan } from './image-store';

export interface ScannerIdentity {
  version: string;
  dataSource: { id: string; name: string };
}

export interface ImageServiceDeps {
  scan: ScanPorts;
  store: ImageStore;
  scanner: ScannerIdentity;
  platform?: Platform;
  now?: () => Date;
}

export function imageName(reference: ImageReference): StorageImageName {
  return { registry: reference.registry, remote: reference.remote, tag: reference.tag, fullName: reference.fullName };
}

function withName(names: StorageImageName[], name: StorageImageName): StorageImageName[] {
  return names.some((known) => known.fullName === name.fullName) ? names : [...names, name];
}

/** ImageService.ScanImage and GetImage: the use cases behind the HTTP routes, independent of how they are hosted. */
export class ImageService {
  private readonly now: () => Date;

  constructor(private readonly deps: ImageServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async scanImage(request: V1ScanImageRequest, signal?: AbortSignal): Promise<StorageImage> {
    const reference = parseImageName(request.imageName);
    if (request.cluster) {
      throw notFound(`cluster "${request.cluster}" not found, ensure cluster exists and have access`);
    }
    // A digest already scanned is answered from the store without touching the registry.
    if (!request.force && reference.digest) {
      const stored = await this.deps.store.get(reference.digest);
      if (stored) return this.answerFromStore(stored, reference, request.includeSnoozed);
    }

    const resolved = await this.deps.scan.source.resolve(reference, { platform: this.deps.platform, signal });
    const digest = reference.digest ?? resolved.manifestDigest;
    const previous = await this.deps.store.get(digest);
    if (previous && !request.force) return this.answerFromStore(previous, reference, request.includeSnoozed);

    const { inventory } = await indexResolvedImage(resolved, this.deps.scan, signal);
    const names = withName(previous?.image.names ?? [], imageName(reference));
    const image = this.assemble(reference, resolved, inventory, names);
    await this.deps.store.put({ image, inventory });
    return applySnoozeFilter(image, request.includeSnoozed);
  }

  async getImage(id: string, includeSnoozed: boolean): Promise<StorageImage> {
    const digest = id.includes(':') ? id : `sha256:${id}`;
    const stored = await this.deps.store.get(digest);
    if (!stored) throw notFound(`image with id "${id}" does not exist`);
    return applySnoozeFilter(stored.image, includeSnoozed);
  }

  private async answerFromStore(stored: StoredScan, reference: ImageReference, includeSnoozed: boolean): Promise<StorageImage> {
    const names = withName(stored.image.names, imageName(reference));
    if (names.length !== stored.image.names.length) {
      stored = { ...stored, image: { ...stored.image, names } };
      await this.deps.store.put(stored);
    }
    return applySnoozeFilter(stored.image, includeSnoozed);
  }

  private assemble(reference: ImageReference, resolved: ResolvedImage, inventory: Inventory, names: StorageImageName[]): StorageImage {
    const scanTime = this.now();
    return assembleStorageImage({
      reference,
      names,
      resolved,
      inventory,
      metadata: buildMetadata(resolved, scanTime),
      components: inventory.components.map(componentFromInventory),
      operatingSystem: formatOperatingSystem(inventory.os),
      // Vulnerability matching is not wired in yet: say so rather than claim a clean image.
      scanNotes: [...inventory.notes, 'OS_CVES_UNAVAILABLE'],
      scanTime,
      scanner: this.deps.scanner,
    });
  }
}
