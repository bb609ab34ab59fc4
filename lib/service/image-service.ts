import { formatOperatingSystem } from '../analyzers/os-release';
import { sleep } from '../backoff';
import { parseImageName } from '../image/reference';
import { formatPlatform, normalisePlatform } from '../image/registry/manifest';
import type { ImageReference, Platform, ResolvedImage } from '../image/types';
import type { Inventory } from '../index/types';
import { indexResolvedImage, type ScanPorts } from '../scan';
import { CodedError, GrpcCode, notFound } from '../errors';
import { buildMetadata } from '../stackrox/metadata';
import { scanOf } from '../stackrox/components';
import { applySnoozeFilter, assembleStorageImage, scanNotesWithPartial, withScanStats } from '../stackrox/storage-image';
import type { StorageImage, StorageImageName, V1ScanImageRequest } from '../stackrox/types';
import { matchInventory, type MatchResult } from '../vulndb/matcher';
import type { AdvisoryStore } from '../vulndb/store';
import { randomUUID } from 'node:crypto';
import { type SignatureOutcome, type SignatureStep, UNSIGNED_UNVERIFIED } from '../signatures/step';
import type { ImageStore, StoredScan } from './image-store';
import { currentInventory } from './stored-inventory';
import { holderId, type ScanLeases } from './scan-leases';
import { codeName, noteRequest, type ScanObserver } from './scan-observer';
import { imageCves, withSnoozes, type SnoozeStore } from './snoozes';
import { shownWarnings } from '../warnings';

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
  /** How long a digest's lease lasts unless renewed; it is renewed while the scan runs (default 30 s). */
  leaseTtlMs?: number;
  /** Longest one scan may take, registry waits included (default 10 minutes). */
  scanTimeoutMs?: number;
  /** Aborted when the process shuts down: scans in progress stop and release their leases. */
  shutdown?: AbortSignal;
  /** Told about every scan that ran (logs, metrics). */
  observer?: ScanObserver;
  /** The platform was asked for explicitly (`--platform`): an image built for another one is an error, not a substitute. */
  requirePlatform?: boolean;
  /** How often a request waiting for another's scan of the same digest looks for the result. */
  pollIntervalMs?: number;
  /** Advisories to match inventories against; without them scans carry OS_CVES_UNAVAILABLE. */
  advisories?: AdvisoryStore;
  /** Global CVE snoozes, applied whenever an image is answered. */
  snoozes?: SnoozeStore;
  /** Delegated scanners a request's `cluster` may name; without them every named cluster is unknown. */
  clusters?: import('./clusters').ClusterDelegation;
  /**
   * Fetches and verifies cosign signatures against the signature integrations. Without it (or without
   * integrations) nothing is fetched and images carry MISSING_SIGNATURE and MISSING_SIGNATURE_VERIFICATION_DATA.
   */
  signatures?: SignatureStep;
}

/** Seconds a client is told to wait before retrying a scan still in progress. */
const RETRY_AFTER_SECONDS = 10;
const DEFAULT_LEASE_TTL_MS = 30_000;
const DEFAULT_SCAN_TIMEOUT_MS = 10 * 60_000;
/** How long a failed scan's error answers the requests for the same digest instead of another pull. */
const FAILURE_SHARE_MS = 15_000;

function shareable(err: unknown): err is CodedError {
  // A scan stopped by its caller's going away says nothing about the image.
  return err instanceof CodedError && err.code !== GrpcCode.Cancelled;
}

function inProgress(reference: ImageReference): CodedError {
  return new CodedError(GrpcCode.Unavailable, `scan of ${reference.fullName} is in progress, retry`, { retryAfterSeconds: RETRY_AFTER_SECONDS });
}

export function imageName(reference: ImageReference): StorageImageName {
  return { registry: reference.registry, remote: reference.remote, tag: reference.tag, fullName: reference.fullName };
}

/** An image that is not an index was built for one platform: it must be the one asked for. */
function checkPlatform(resolved: ResolvedImage, wanted: Platform): void {
  const offered = { os: resolved.config.os ?? '', architecture: resolved.config.architecture ?? '', variant: resolved.config.variant };
  if (!offered.os || !offered.architecture) return;
  const a = normalisePlatform(offered);
  const b = normalisePlatform(wanted);
  if (a.os === b.os && a.architecture === b.architecture && (a.variant === b.variant || !b.variant)) return;
  throw notFound(`${resolved.reference.fullName} is built for ${formatPlatform(offered)} only, not for ${formatPlatform(wanted)}`);
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
    if (request.cluster) {
      // Matched by id, then name; the other deployment scans with the cluster cleared, and this one's snoozes
      // (the ones its clients set through this API) decide what is snoozed in the answer.
      parseImageName(request.imageName);
      const cluster = await this.cluster(request.cluster);
      const forwarded = { ...request, cluster: '', includeSnoozed: true };
      return this.present(await this.deps.clusters!.forwarder.forward(cluster, forwarded, signal), request.includeSnoozed);
    }
    const stored = await this.scanStored(request, signal);
    return this.present(stored.image, request.includeSnoozed);
  }

  /**
   * The stored scan of an image with its inventory, scanning it when the store has none (or with `force`): what
   * SBOMs are rendered from. A delegated cluster keeps its inventories, so it is not asked here.
   */
  async inventoryOf(request: V1ScanImageRequest, signal?: AbortSignal, reference?: ImageReference): Promise<StoredScan> {
    if (request.cluster) {
      await this.cluster(request.cluster);
      throw new CodedError(GrpcCode.Unimplemented, `SBOMs of images scanned through cluster "${request.cluster}" are served by that deployment`);
    }
    return this.scanStored(request, signal, reference);
  }

  private async cluster(name: string) {
    const cluster = await this.deps.clusters?.directory.find(name);
    if (!cluster) throw notFound(`cluster "${name}" not found, ensure cluster exists and have access`);
    return cluster;
  }

  /** `reference`: the image as a local source names it (an archive), instead of parsing `imageName`. */
  private async scanStored(request: V1ScanImageRequest, signal?: AbortSignal, reference?: ImageReference): Promise<StoredScan> {
    const started = Date.now();
    try {
      return await this.scanOrAnswer(request, signal, reference);
    } catch (err) {
      if (err instanceof CodedError) {
        this.deps.observer?.scanFailed({
          image: request.imageName,
          code: err.code,
          kind: codeName(err.code),
          message: err.message,
          durationMs: Date.now() - started,
        });
      }
      throw err;
    }
  }

  private async scanOrAnswer(request: V1ScanImageRequest, signal?: AbortSignal, named?: ImageReference): Promise<StoredScan> {
    const reference = named ?? parseImageName(request.imageName);
    // A refused registry is refused before the store is read: a stored digest must not answer under its name.
    this.deps.scan.source.checkReference?.(reference);
    // A digest already scanned is answered from the store without touching the registry.
    if (!request.force && reference.digest) {
      const stored = await this.deps.store.get(reference.digest);
      if (stored) return this.answerFromStore(stored, reference, signal);
    }

    const started = Date.now();
    this.deps.observer?.scanPhase?.(reference.fullName, 'resolving the manifest');
    const resolved = await this.deps.scan.source.resolve(reference, { platform: this.deps.platform, signal });
    const resolveMs = Date.now() - started;
    if (this.deps.requirePlatform && this.deps.platform) checkPlatform(resolved, this.deps.platform);
    const digest = reference.digest ?? resolved.manifestDigest;
    const previous = await this.deps.store.get(digest);
    if (previous && !request.force) return this.answerFromStore(previous, reference, signal);

    const leases = this.deps.leases;
    if (!leases) return this.withDeadline(signal, (bounded) => this.indexAndStore(reference, resolved, previous, bounded, resolveMs));
    const shared = async () => {
      const failure = request.force ? undefined : await leases.recentFailure(digest);
      if (failure) throw new CodedError(failure.code, failure.message);
    };
    await shared();
    const holder = holderId(randomUUID());
    const ttlMs = this.deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    while (!(await leases.acquire(digest, holder, ttlMs))) {
      // Someone else is scanning this digest: wait for their result, or their failure, rather than scanning it twice.
      await sleep(this.deps.pollIntervalMs ?? 1000, signal);
      const stored = await this.deps.store.get(digest);
      if (stored && stored.image.lastUpdated !== previous?.image.lastUpdated) return this.answerFromStore(stored, reference, signal);
      await shared();
      if (signal?.aborted) throw inProgress(reference);
    }
    // Renewed while the scan runs, so that a crashed scanner's lease expires within one TTL.
    const renewal = setInterval(() => void leases.acquire(digest, holder, ttlMs).catch(() => undefined), Math.max(1000, ttlMs / 3));
    renewal.unref();
    try {
      return await this.withDeadline(signal, (bounded) => this.indexAndStore(reference, resolved, previous, bounded, resolveMs));
    } catch (err) {
      if (signal?.aborted && this.deps.defer && !this.deps.shutdown?.aborted) {
        clearInterval(renewal);
        await leases.release(digest, holder);
        await this.deps.defer(request);
        throw inProgress(reference);
      }
      if (shareable(err) && !signal?.aborted)
        await leases.recordFailure(digest, { code: err.code, message: err.message }, FAILURE_SHARE_MS).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renewal);
      await leases.release(digest, holder);
    }
  }

  /** Runs a scan under the caller's signal, the scan deadline and the process's shutdown. */
  private async withDeadline<T>(signal: AbortSignal | undefined, scan: (bounded: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = this.deps.scanTimeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new CodedError(GrpcCode.DeadlineExceeded, `the scan took longer than ${timeoutMs} ms (LAMINA_SCAN_TIMEOUT_MS)`)),
      timeoutMs,
    );
    timer.unref();
    const signals = [deadline.signal, ...(signal ? [signal] : []), ...(this.deps.shutdown ? [this.deps.shutdown] : [])];
    try {
      return await scan(AbortSignal.any(signals));
    } finally {
      clearTimeout(timer);
    }
  }

  private async indexAndStore(
    reference: ImageReference,
    resolved: ResolvedImage,
    previous: StoredScan | undefined,
    signal: AbortSignal | undefined,
    resolveMs: number,
  ): Promise<StoredScan> {
    const indexStarted = Date.now();
    const names = withName(previous?.image.names ?? [], imageName(reference));
    // Signatures are fetched while the layers are read; a failure to fetch them never fails the scan.
    const signing = this.signatures(reference, reference.digest ?? resolved.manifestDigest, names, signal, resolved.index);
    signing.catch(() => undefined);
    const layers = resolved.manifest.layers.length;
    this.deps.observer?.scanPhase?.(reference.fullName, `reading ${layers} layer${layers === 1 ? '' : 's'}`);
    const { inventory, layersFromCache } = await indexResolvedImage(resolved, this.deps.scan, signal);
    const signed = await signing;
    this.deps.observer?.scanPhase?.(reference.fullName, `matching ${inventory.packages.length} packages`);
    const scanTime = this.now();
    const matchStarted = Date.now();
    const match = await this.match(inventory);
    const matchMs = Date.now() - matchStarted;
    const image = this.assemble(reference, resolved, inventory, names, match, scanTime, previous?.image, signed);
    const stored: StoredScan = { image, inventory, dataVersion: match?.dataVersion, signing: signed.record };
    await this.deps.store.put(stored);
    noteRequest({ digest: image.id, cacheHit: false });
    this.deps.observer?.scanFinished({
      image: reference.fullName,
      digest: image.id,
      layers: resolved.manifest.layers.length,
      layersFromCache,
      packages: inventory.packages.length,
      findings: match?.findings.length ?? 0,
      notes: image.scan?.notes ?? [],
      warnings: shownWarnings([...inventory.warnings, ...(match?.warnings ?? [])]),
      durationsMs: { resolve: resolveMs, index: matchStarted - indexStarted, match: matchMs, total: resolveMs + Date.now() - indexStarted },
    });
    return stored;
  }

  async getImage(id: string, includeSnoozed: boolean): Promise<StorageImage> {
    const digest = id.includes(':') ? id : `sha256:${id}`;
    const stored = await this.deps.store.get(digest);
    if (!stored) throw notFound(`image with id "${id}" does not exist`);
    noteRequest({ digest: stored.image.id, cacheHit: true });
    const fresh = await this.resign(await this.freshen(stored), undefined);
    return this.present(fresh.image, includeSnoozed);
  }

  private async answerFromStore(stored: StoredScan, reference: ImageReference, signal?: AbortSignal): Promise<StoredScan> {
    noteRequest({ digest: stored.image.id, cacheHit: true });
    const names = withName(stored.image.names, imageName(reference));
    let changed = names.length !== stored.image.names.length;
    if (changed) stored = { ...stored, image: { ...stored.image, names } };
    const fresh = await this.resign(await this.freshen(stored), reference, signal);
    changed ||= fresh !== stored;
    if (changed) await this.deps.store.put(fresh);
    return fresh;
  }

  /** Re-matches a stored inventory whose matches predate the current advisory data: no registry traffic. */
  private async freshen(stored: StoredScan): Promise<StoredScan> {
    const advisories = this.deps.advisories;
    if (!advisories || !stored.image.scan) return stored;
    if (stored.dataVersion !== undefined && stored.dataVersion === (await advisories.getDataVersion())) return stored;
    const now = this.now();
    const inventory = currentInventory(stored.inventory);
    const match = await matchInventory(inventory, advisories);
    const rendered = scanOf(inventory, match, { now, previous: stored.image });
    const scanTime = now.toISOString();
    const scan = { ...stored.image.scan, scanTime, components: rendered.components, notes: scanNotesWithPartial(rendered.notes) };
    const image = withScanStats({ ...stored.image, scan, lastUpdated: scanTime }, now);
    return { ...stored, inventory, image, dataVersion: match.dataVersion };
  }

  /** The image as a client sees it: snoozes in force now, snoozed vulnerabilities dropped unless asked for. */
  private async present(image: StorageImage, includeSnoozed: boolean): Promise<StorageImage> {
    let shown = image;
    if (this.deps.snoozes) {
      const cves = imageCves(image);
      if (cves.length > 0) shown = withSnoozes(image, await this.deps.snoozes.get(cves), this.now());
    }
    return applySnoozeFilter(shown, includeSnoozed);
  }

  /** The signature step's outcome for this image; without integrations, the notes of an unverified image. */
  private async signatures(
    reference: ImageReference,
    digest: string,
    names: StorageImageName[],
    signal: AbortSignal | undefined,
    index?: ResolvedImage['index'],
  ): Promise<SignatureOutcome> {
    const step = this.deps.signatures;
    if (!step) return { ...UNSIGNED_UNVERIFIED, notes: [...UNSIGNED_UNVERIFIED.notes] };
    // cosign signs the digest it is given: a multi-platform image's signature may name its index or its platform manifest.
    const alternateDigests = index ? [index.digest, index.platformManifestDigest] : [];
    return step.run({ reference, digest, names: names.map((name) => name.fullName), alternateDigests }, this.now(), signal);
  }

  /**
   * A stored image's signature results for the integrations in force now. Unchanged integrations cost one read of
   * them; changed ones re-verify the stored signatures, with no registry traffic unless they were never fetched
   * (no integration at scan time) or fetching them went wrong.
   */
  private async resign(stored: StoredScan, reference: ImageReference | undefined, signal?: AbortSignal): Promise<StoredScan> {
    const step = this.deps.signatures;
    if (!step) return stored;
    const integrations = await step.integrationsNow();
    const record = stored.signing;
    if (record ? record.integrations === (await step.verifiedWith(integrations)) : integrations.length === 0 && !stored.image.signatureVerificationData)
      return stored;
    const image = stored.image;
    let signed: SignatureOutcome;
    if (record?.fetchedAt || integrations.length === 0) {
      const kept = record ?? { integrations: '', readFrom: image.name?.fullName ?? '', alternateDigests: [] };
      signed = await step.reverify(
        { id: image.id, names: image.names.map((name) => name.fullName), signature: image.signature },
        kept,
        integrations,
        this.now(),
      );
    } else {
      const from = reference ?? parseImageName(record?.readFrom ?? image.name?.fullName ?? image.names[0]?.fullName ?? '');
      const subject = { reference: from, digest: image.id, names: image.names.map((name) => name.fullName), alternateDigests: record?.alternateDigests };
      signed = await step.run(subject, this.now(), signal, integrations);
    }
    const notes = [...image.notes.filter((note) => note !== 'MISSING_SIGNATURE' && note !== 'MISSING_SIGNATURE_VERIFICATION_DATA'), ...signed.notes];
    return {
      ...stored,
      image: { ...image, signature: signed.signature, signatureVerificationData: signed.signatureVerificationData, notes },
      signing: signed.record,
    };
  }

  private async match(inventory: Inventory): Promise<MatchResult | undefined> {
    if (!this.deps.advisories) return undefined;
    return matchInventory(inventory, this.deps.advisories);
  }

  private assemble(
    reference: ImageReference,
    resolved: ResolvedImage,
    inventory: Inventory,
    names: StorageImageName[],
    match: MatchResult | undefined,
    scanTime: Date,
    previous: StorageImage | undefined,
    signed: SignatureOutcome = UNSIGNED_UNVERIFIED,
  ): StorageImage {
    const scan = scanOf(inventory, match, { now: scanTime, previous });
    return assembleStorageImage({
      reference,
      names,
      resolved,
      inventory,
      metadata: buildMetadata(resolved, scanTime),
      components: scan.components,
      operatingSystem: formatOperatingSystem(inventory.os),
      scanNotes: scan.notes,
      scanTime,
      scanner: this.deps.scanner,
      signature: signed.signature,
      signatureVerificationData: signed.signatureVerificationData,
      notes: signed.notes,
    });
  }
}
