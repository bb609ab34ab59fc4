import type { Descriptor, ImageReference, ImageSource, Platform, ResolvedImage } from './types';

/**
 * An ImageSource that pulls some registries from another endpoint. The rest of the service only ever sees the
 * requested host: names, ids and stored results are those of the request, and the mirror is an address.
 */
export class MirroredImageSource implements ImageSource {
  private readonly mirrors: Map<string, string>;

  constructor(
    private readonly inner: ImageSource,
    mirrors: Record<string, string>,
  ) {
    this.mirrors = new Map(Object.entries(mirrors).map(([host, mirror]) => [host.toLowerCase(), mirror]));
  }

  private route(reference: ImageReference): ImageReference {
    const mirror = this.mirrors.get(reference.registry.toLowerCase());
    return mirror ? { ...reference, registry: mirror } : reference;
  }

  checkReference(reference: ImageReference): void {
    // The policy judges the host that is reached.
    this.inner.checkReference?.(this.route(reference));
  }

  async resolve(reference: ImageReference, options?: { platform?: Platform; signal?: AbortSignal }): Promise<ResolvedImage> {
    const resolved = await this.inner.resolve(this.route(reference), options);
    return { ...resolved, reference };
  }

  openBlob(reference: ImageReference, descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<NodeJS.ReadableStream> {
    return this.inner.openBlob(this.route(reference), descriptor, options);
  }
}
