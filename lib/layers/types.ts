/** Paths inside an image are normalised: relative to the root, no leading `/`, no `.`/`..` segments, `/`-separated. */
export type ImagePath = string;

/** Which files of a layer to read, and how much of each. */
export interface FileSelector {
  /** Returns the byte limit for a wanted path, or undefined when no analyser wants it. */
  limitFor(path: ImagePath): number | undefined;
  /**
   * For a regular file (any path, whether `limitFor` wants it or not), a consumer of its bytes as they stream by, or
   * undefined. Streamed bytes are not charged to the layer's budget for wanted files: the consumer bounds its memory.
   */
  streamFor?(path: ImagePath, mode: number, size: number): FileStream | undefined;
}

/**
 * Receives one regular file's bytes while the tar entry streams by, so that large files are never held whole. The
 * calls are synchronous: the entry does not move on until `write` returns (that is the backpressure).
 */
export interface FileStream {
  /** The next bytes, in order; valid during the call only. False once no more are needed (the rest is skipped). */
  write(chunk: Buffer): boolean;
  /**
   * The entry ended: every byte went by. Not called when the layer fails first. A promise holds the layer's next
   * entry back until it settles; a rejected one drops the consumer, as a throw does.
   */
  end(): void | Promise<void>;
}

/** A regular file (or a hard link resolved to one) that some analyser asked for. */
export interface LayerFile {
  path: ImagePath;
  content: Buffer;
  mode: number;
  /** Size declared in the tar header. */
  size: number;
}

export interface LayerSymlink {
  path: ImagePath;
  /** Link target as written in the tar header (may be relative or absolute). */
  target: string;
}

/** Everything a layer contributes that the inventory needs: wanted files, whiteouts and opaque directories. */
export interface LayerContents {
  /** Wanted regular files, by path. A later entry for the same path in one layer replaces the earlier one. */
  files: Map<ImagePath, LayerFile>;
  /** Wanted paths that are symbolic links in this layer. */
  symlinks: Map<ImagePath, LayerSymlink>;
  /** Paths deleted by `.wh.<name>` entries (the deleted path, not the marker). */
  whiteouts: ImagePath[];
  /** Directories made opaque by `.wh..wh..opq`: everything below them from earlier layers is hidden. */
  opaqueDirs: ImagePath[];
  /** Problems that did not stop the layer (unsafe path, invalid whiteout…). */
  notes: string[];
  /**
   * Wanted paths where this layer has a file whose content was not read, each with the reason: larger than the
   * path's limit, past the layer's budget for wanted files, a hard link to content that was not kept. The file still
   * replaces whatever lower layers had at that path; what it says is unknown.
   */
  unread: Map<ImagePath, string>;
  /** Bytes of the uncompressed tar stream read. */
  uncompressedBytes: number;
  /**
   * Regular files whose bytes went to a `FileSelector.streamFor` consumer, by path, each with its consumer (a hard link
   * to such a file of this layer shares it). A later entry at the same path that was not streamed removes the path.
   */
  streamed?: Map<ImagePath, FileStream>;
}

export interface ReadLayerOptions {
  /** Hard ceiling on the uncompressed size of one layer (gzip bombs). */
  maxUncompressedBytes?: number;
  /**
   * Budget for the wanted files one layer may hold in memory: their content bytes, plus 512 for each file. Wanted
   * files from the first one that does not fit on are not read (they are listed in `unread`).
   */
  maxWantedBytes?: number;
  signal?: AbortSignal;
}
