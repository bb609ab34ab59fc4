import type { ExtractEvents, Header } from 'tar-stream';
import { formatBytes } from './errors';
import { isWhiteout, normaliseImagePath, parseWhiteout } from './paths';
import type { FileSelector, ImagePath, LayerContents, LayerFile, LayerSymlink } from './types';

/** Past this many notes a hostile layer only gets counted, so notes cannot grow without bound. */
const MAX_NOTES = 100;
const MAX_NAME_IN_NOTE = 200;

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
 * Turns tar entries into LayerContents: wanted files read up to their limit, symlinks at wanted paths, whiteouts
 * and opaque directories. Everything else is drained unread.
 *
 * Hard links are resolved only against files captured earlier in this layer: the data of an unwanted target is
 * never kept, so a wanted link to an unwanted (or later, or lower-layer) target is reported in a note instead.
 */
export class LayerCollector {
  private readonly files = new Map<ImagePath, LayerFile>();
  private readonly symlinks = new Map<ImagePath, LayerSymlink>();
  private readonly whiteouts: ImagePath[] = [];
  private readonly opaqueDirs: ImagePath[] = [];
  private readonly notes: string[] = [];
  private droppedNotes = 0;

  constructor(private readonly selector: FileSelector) {}

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
        this.symlink(path, header);
        break;
      default:
        // A directory, device or fifo replaces whatever this layer said earlier about the same path.
        this.forget(path);
    }
    drain(entry, next);
  }

  contents(uncompressedBytes: number): LayerContents {
    const notes = this.droppedNotes > 0 ? [...this.notes, `${this.droppedNotes} more notes were left out`] : this.notes;
    return {
      files: this.files,
      symlinks: this.symlinks,
      whiteouts: this.whiteouts,
      opaqueDirs: this.opaqueDirs,
      notes,
      uncompressedBytes,
    };
  }

  private note(message: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(message);
    else this.droppedNotes++;
  }

  private forget(path: ImagePath): void {
    if (this.files.size > 0) this.files.delete(path);
    if (this.symlinks.size > 0) this.symlinks.delete(path);
  }

  private whiteout(path: ImagePath, raw: string): void {
    const marker = parseWhiteout(path);
    if (marker.kind === 'whiteout') this.whiteouts.push(marker.path);
    else if (marker.kind === 'opaque') this.opaqueDirs.push(marker.dir);
    else if (marker.kind === 'invalid') this.note(`ignored whiteout ${shown(raw)}: it names no file`);
  }

  private regularFile(path: ImagePath, header: Header, entry: TarEntry, next: Next): void {
    const limit = path === '' ? undefined : this.selector.limitFor(path);
    if (limit === undefined) return drain(entry, next);
    const size = header.size;
    if (size > limit) {
      this.forget(path);
      this.note(`skipped ${path}: ${size} bytes exceeds the ${formatBytes(limit)} limit for this file`);
      return drain(entry, next);
    }
    const chunks: Buffer[] = [];
    let length = 0;
    entry.on('data', (data) => {
      const chunk = data as Buffer;
      chunks.push(chunk);
      length += chunk.length;
    });
    entry.once('end', () => {
      // A copy: the chunks are views into much larger decompressed buffers that must not be kept alive.
      const content = Buffer.concat(chunks, length);
      this.symlinks.delete(path);
      this.files.set(path, { path, content, mode: header.mode ?? 0o644, size });
      next();
    });
  }

  private hardLink(path: ImagePath, header: Header): void {
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
      this.note(`hard link ${path} → ${target} not resolved: the target was not read in this layer`);
      return;
    }
    if (captured.size > limit) {
      this.note(`skipped hard link ${path}: ${captured.size} bytes exceeds the ${formatBytes(limit)} limit for this file`);
      return;
    }
    // Sharing the target's buffer: contents are never mutated.
    this.files.set(path, { path, content: captured.content, mode: header.mode ?? captured.mode, size: captured.size });
  }

  private symlink(path: ImagePath, header: Header): void {
    this.forget(path);
    if (path === '' || this.selector.limitFor(path) === undefined) return;
    this.symlinks.set(path, { path, target: header.linkname ?? '' });
  }
}
