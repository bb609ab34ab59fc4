import type { ExtractEvents, Header } from 'tar-stream';
import { formatBytes } from './errors';
import { isWhiteout, normaliseImagePath, parseWhiteout } from './paths';
import type { FileSelector, FileStream, ImagePath, LayerContents, LayerFile, LayerSymlink } from './types';

/** Past this many notes a hostile layer only gets counted, so notes cannot grow without bound. */
const MAX_NOTES = 100;
const MAX_NAME_IN_NOTE = 200;
/** Past this many unread wanted paths the rest are only counted (the layer is partial all the same). */
const MAX_UNREAD = 10_000;
/** What every wanted file costs against the layer's budget besides its content: its tar header's size. */
export const WANTED_FILE_OVERHEAD = 512;
/**
 * Consumers at work at once in one layer (a war whose nested jars inflate on the threadpool): while fewer are, the
 * layer streams on; else its next entry waits for one. Each may hold its archive in memory (up to the analyser's
 * in-memory limit), so a scan reading three layers at once holds up to six.
 */
export const CONSUMERS_AT_WORK = 2;

export type TarEntry = ExtractEvents['entry'][1];
type Next = () => void;

function shown(name: string): string {
  return JSON.stringify(name.length > MAX_NAME_IN_NOTE ? `${name.slice(0, MAX_NAME_IN_NOTE)}…` : name);
}

function drain(entry: TarEntry, next: Next): void {
  entry.once('end', next);
  entry.resume();
}

/**
 * Turns tar entries into LayerContents: wanted files read up to their limit and within the layer's budget for
 * wanted files, symlinks at wanted paths, whiteouts and opaque directories. Everything else is drained unread.
 * A wanted file that is not read (too large, past the budget) is listed in `unread` with the reason.
 *
 * Hard links are resolved only against files captured earlier in this layer: the data of an unwanted target is
 * never kept, so a wanted link to an unwanted (or later, or lower-layer) target is listed in `unread` instead.
 *
 * A regular file the selector's `streamFor` gives a consumer to has its bytes handed over chunk by chunk as the entry
 * streams by (besides being read whole when it is also wanted); a hard link to a file streamed earlier in this layer
 * shares that file's consumer.
 */
export class LayerCollector {
  private readonly files = new Map<ImagePath, LayerFile>();
  private readonly symlinks = new Map<ImagePath, LayerSymlink>();
  private readonly whiteouts: ImagePath[] = [];
  private readonly opaqueDirs: ImagePath[] = [];
  private readonly notes: string[] = [];
  private readonly unread = new Map<ImagePath, string>();
  private readonly streamed = new Map<ImagePath, FileStream>();
  /** Consumers whose end is still at work; they never reject (see endStream). */
  private readonly working = new Set<Promise<void>>();
  private droppedNotes = 0;
  private droppedUnread = 0;
  /** Bytes charged against `maxWantedBytes` so far. */
  private wantedBytes = 0;
  private budgetSpent = false;

  constructor(
    private readonly selector: FileSelector,
    private readonly maxWantedBytes = Infinity,
  ) {}

  onEntry(header: Header, entry: TarEntry, next: Next): void {
    const path = normaliseImagePath(header.name);
    if (path === undefined) {
      this.note(`skipped ${shown(header.name)}: the path escapes the image root`);
      return drain(entry, next);
    }
    if (isWhiteout(path)) {
      this.whiteout(path, header.name);
      return drain(entry, next);
    }
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        return this.regularFile(path, header, entry, next);
      case 'link':
        this.hardLink(path, header);
        break;
      case 'symlink':
        this.unstream(path);
        this.symlink(path, header);
        break;
      default:
        // A directory, device or fifo replaces whatever this layer said earlier about the same path.
        this.unstream(path);
        this.forget(path);
    }
    drain(entry, next);
  }

  contents(uncompressedBytes: number): LayerContents {
    const notes = this.droppedNotes > 0 ? [...this.notes, `${this.droppedNotes} more notes were left out`] : [...this.notes];
    if (this.droppedUnread > 0) notes.push(`${this.droppedUnread} more wanted files were not read`);
    const contents: LayerContents = {
      files: this.files,
      symlinks: this.symlinks,
      whiteouts: this.whiteouts,
      opaqueDirs: this.opaqueDirs,
      notes,
      unread: this.unread,
      uncompressedBytes,
    };
    if (this.streamed.size > 0) contents.streamed = this.streamed;
    return contents;
  }

  private note(message: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(message);
    else this.droppedNotes++;
  }

  /** A later entry at a streamed path that is not streamed itself: what the earlier file's consumer saw is gone. */
  private unstream(path: ImagePath): void {
    if (this.streamed.size > 0) this.streamed.delete(path);
  }

  private forget(path: ImagePath): void {
    if (this.files.size > 0) this.files.delete(path);
    if (this.symlinks.size > 0) this.symlinks.delete(path);
  }

  /** A wanted file whose content is not kept: it still hides the lower layers' file at its path. */
  private skip(path: ImagePath, reason: string): void {
    this.forget(path);
    if (this.unread.has(path) || this.unread.size < MAX_UNREAD) this.unread.set(path, reason);
    else this.droppedUnread++;
  }

  /** A wanted path whose content is known after all (read, or a symlink): a skipped earlier entry no longer counts. */
  private known(path: ImagePath): void {
    if (this.unread.size > 0) this.unread.delete(path);
  }

  /** Charges a file against the layer's budget; false, from the first file that does not fit on, when it is spent. */
  private charge(size: number): boolean {
    if (!this.budgetSpent && this.wantedBytes + size + WANTED_FILE_OVERHEAD <= this.maxWantedBytes) {
      this.wantedBytes += size + WANTED_FILE_OVERHEAD;
      return true;
    }
    this.budgetSpent = true;
    return false;
  }

  private whiteout(path: ImagePath, raw: string): void {
    const marker = parseWhiteout(path);
    if (marker.kind === 'whiteout') this.whiteouts.push(marker.path);
    else if (marker.kind === 'opaque') this.opaqueDirs.push(marker.dir);
    else if (marker.kind === 'invalid') this.note(`ignored whiteout ${shown(raw)}: it names no file`);
  }

  private regularFile(path: ImagePath, header: Header, entry: TarEntry, next: Next): void {
    const limit = path === '' ? undefined : this.selector.limitFor(path);
    const size = header.size ?? 0;
    const mode = header.mode ?? 0o644;
    const stream = path === '' ? undefined : this.selector.streamFor?.(path, mode, size);
    if (!stream) this.unstream(path);
    let whole = false;
    if (limit !== undefined) {
      if (size > limit) this.skip(path, `${size} bytes exceeds the ${formatBytes(limit)} limit for this file`);
      else if (!this.charge(size)) this.skip(path, `the layer's ${formatBytes(this.maxWantedBytes)} budget for wanted files was spent before it`);
      else whole = true;
    }
    if (!whole && !stream) return drain(entry, next);
    const chunks: Buffer[] = [];
    let length = 0;
    let streaming = stream !== undefined;
    let streamFailed = false;
    entry.on('data', (data) => {
      const chunk = data as Buffer;
      if (whole) {
        chunks.push(chunk);
        length += chunk.length;
      }
      if (streaming) {
        try {
          streaming = stream!.write(chunk);
        } catch (err) {
          streaming = false;
          streamFailed = true;
          this.note(`stopped reading ${shown(path)} as it streamed by: ${(err as Error).message}`);
        }
      }
    });
    entry.once('end', () => {
      const ended = stream ? this.endStream(path, stream, streamFailed) : undefined;
      if (whole) {
        // A copy: the chunks are views into much larger decompressed buffers that must not be kept alive.
        const content = Buffer.concat(chunks, length);
        this.symlinks.delete(path);
        this.known(path);
        this.files.set(path, { path, content, mode, size });
      }
      if (ended) this.atWork(ended, next);
      else next();
    });
  }

  /** The layer goes on while `ended` is at work, unless CONSUMERS_AT_WORK now are: then it waits for one. */
  private atWork(ended: Promise<void>, next: Next): void {
    const tracked: Promise<void> = ended.then(() => {
      this.working.delete(tracked);
    });
    this.working.add(tracked);
    if (this.working.size < CONSUMERS_AT_WORK) next();
    else void Promise.race(this.working).then(next);
  }

  /** Settles once every consumer has ended: what they found is known only then. */
  async settled(): Promise<void> {
    while (this.working.size > 0) await Promise.all(this.working);
  }

  /**
   * A consumer that threw (or whose end rejected) is dropped, noted: the layer goes on without what it would have
   * said. A promise, which never rejects, when the consumer is still at work (see atWork).
   */
  private endStream(path: ImagePath, stream: FileStream, failed: boolean): Promise<void> | undefined {
    const dropped = (err: unknown) => {
      this.note(`stopped reading ${shown(path)} as it streamed by: ${(err as Error).message}`);
      this.unstream(path);
    };
    if (failed) {
      this.unstream(path);
      return undefined;
    }
    let ended: void | Promise<void>;
    try {
      ended = stream.end();
    } catch (err) {
      dropped(err);
      return undefined;
    }
    this.streamed.set(path, stream);
    if (!(ended instanceof Promise)) return undefined;
    return ended.catch((err: unknown) => {
      this.streamed.delete(path);
      dropped(err);
    });
  }

  private hardLink(path: ImagePath, header: Header): void {
    const linked = this.streamed.size > 0 ? this.streamed.get(normaliseImagePath(header.linkname ?? '') ?? '') : undefined;
    if (linked) this.streamed.set(path, linked);
    else this.unstream(path);
    const limit = this.selector.limitFor(path);
    if (limit === undefined) return;
    this.forget(path);
    const rawTarget = header.linkname ?? '';
    const target = normaliseImagePath(rawTarget);
    if (target === undefined || target === '') {
      this.note(`skipped hard link ${path}: its target ${shown(rawTarget)} is outside the image root`);
      return;
    }
    const captured = this.files.get(target);
    if (!captured) {
      const why = this.unread.get(target);
      this.skip(
        path,
        `hard link to ${target}, ${why ? `which was not read: ${why}` : 'whose content was not kept (it is not wanted, or not earlier in this layer)'}`,
      );
      return;
    }
    if (captured.size > limit) {
      this.skip(path, `hard link to ${target}: ${captured.size} bytes exceeds the ${formatBytes(limit)} limit for this file`);
      return;
    }
    // Sharing the target's buffer: contents are never mutated.
    this.known(path);
    this.files.set(path, { path, content: captured.content, mode: header.mode ?? captured.mode, size: captured.size });
  }

  private symlink(path: ImagePath, header: Header): void {
    this.forget(path);
    if (path === '' || this.selector.limitFor(path) === undefined) return;
    this.known(path);
    this.symlinks.set(path, { path, target: header.linkname ?? '' });
  }
}
