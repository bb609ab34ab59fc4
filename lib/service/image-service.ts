import { formatOperatingSystem } from '../analyzers/os-release';
import { parseImageName } from '../image/reference';
import type { ImageReference, Platform, ResolvedImage } from '../image/types';
import type { Inventory } from '../index/types';
import { indexResolvedImage, type ScanPorts } from '../scan';
import { GrpcCode, RuntimeError, notFound } from '../stackrox/errors';
import { buildMetadata } from '../stackrox/metadata';
import { applySnoozeFilter, assembleStorageImage, componentFromInventory } from '../stackrox/storage-image';
import type { StorageImage, StorageImageName, V1ScanImageRequest } from '../stackrox/types';
import { randomUUID } from 'node:crypto';
import type { ImageStore, StoredScan } from './image-store';
import type { ScanLeases } from './scan-leases';

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
  /** One scan per digest across concurrent requests and workers. */
  leases?: ScanLeases;
  /** Hands a scan that ran out of request time to a background worker (Lambda behind API Gateway's 29 s). */
  defer?: (request: V1ScanImageRequest) => Promise<void>;
  /** How long a scan may hold its digest's lease before others may take over. */
  leaseTtlMs?: number;
  /** How often a request waiting for another's scan of the same digest looks for the result. */
  pollIntervalMs?: number;
}

/** Seconds a client is told to wait before retrying a scan still in progress. */
const RETRY_AFTER_SECONDS = 10;

function inProgress(reference: ImageReference): RuntimeError {
  return new RuntimeError(GrpcCode.Unavailable, `scan of ${reference.fullName} is in progress, retry`, { retryAfterSeconds: RETRY_AFTER_SECONDS });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      done();
    }, { once: true });
  });
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

    const leases = this.deps.leases;
    if (!leases) return this.indexAndStore(request, reference, resolved, previous, signal);
    const holder = randomUUID();
    while (!(await leases.acquire(digest, holder, this.deps.leaseTtlMs ?? 15 * 60_000))) {
      // Someone else is scanning this digest: wait for their result rather than scanning it twice.
      await sleep(this.deps.pollIntervalMs ?? 1000, signal);
      const stored = await this.deps.store.get(digest);
      if (stored && stored.image.lastUpdated !== previous?.image.lastUpdated) {
        return this.answerFromStore(stored, reference, request.includeSnoozed);
      }
      if (signal?.aborted) throw inProgress(reference);
    }
    try {
      return await this.indexAndStore(request, reference, resolved, previous, signal);
    } catch (err) {
      if (!signal?.aborted || !this.deps.defer) throw err;
      await leases.release(digest, holder);
      await this.deps.defer(request);
      throw inProgress(reference);
    } finally {
      await leases.release(digest, holder);
    }
  }

  private async indexAndStore(
    request: V1ScanImageRequest,
    reference: ImageReference,
    resolved: ResolvedImage,
    previous: StoredScan | undefined,
    signal?: AbortSignal,
  ): Promise<StorageImage> {
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
