/** A normalised image reference (StackRox StorageImageName plus the digest when the name carried one). */
export interface ImageReference {
  /** Registry host[:port]; `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, e.g. `library/nginx`. */
  remote: string;
  /** Tag; `latest` when the name had neither tag nor digest, "" when it had only a digest. */
  tag: string;
  /** `sha256:<hex>` when the name was pinned by digest. */
  digest?: string;
  /** `registry/remote:tag` or `registry/remote@digest` (StackRox fullName). */
  fullName: string;
}

/** An OCI descriptor (also used for Docker schema 2 manifests, whose field names match). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A single-platform image manifest (OCI image manifest or Docker schema 2), normalised. */
export interface ImageManifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of the OCI/Docker image config that a scan uses. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    User?: string;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Volumes?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
    Env?: string[] | null;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }>;
}

/** What resolving a reference yields: the platform manifest, its digest and the parsed config. */
export interface ResolvedImage {
  reference: ImageReference;
  /** Digest of the single-platform manifest (or the request's digest, which wins). */
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  /** Raw config bytes' digest (= manifest.config.digest, verified). */
  configDigest: string;
  /** When the reference named an image index: its digest, and that of the platform manifest picked from it. */
  index?: { digest: string; platformManifestDigest: string };
}

/** Source of image bytes. The registry client implements it; tests and other sources may too. */
export interface ImageSource {
  /** Throws (PermissionDenied) when the reference's registry may not be scanned; called before anything is read. */
  checkReference?(reference: ImageReference): void;
  resolve(reference: ImageReference, options?: { platform?: Platform; signal?: AbortSignal }): Promise<ResolvedImage>;
  /**
   * Streams a blob. The stream verifies the bytes against the descriptor's digest and size and errors at the end
   * (CodedError, digest mismatch) when they differ.
   */
  openBlob(reference: ImageReference, descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
}
