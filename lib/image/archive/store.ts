import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { GrpcCode } from '../../errors';
import { registryFailure } from '../registry/errors';
import { indexTar, resolveMember, type TarIndex, type TarLimits, tarFailure } from './tar-index';

/** Where a named file of an image archive lives, once links are followed. */
export interface StoredFile {
  size: number;
  /** Read `length` bytes from `start` (relative to the file): a bounded stream, never the archive whole. */
  open(start?: number, length?: number): Promise<Readable>;
}

/**
 * The files of an image archive by their `/`-separated relative names: a tar file (indexed once, read by offset)
 * or a directory. Names are those of the archive's own metadata (manifest.json's `Layers`, `blobs/sha256/<hex>`).
 */
export interface ArchiveStore {
  readonly kind: 'tar' | 'directory';
  /** The archive's path, as given. */
  readonly path: string;
  /** The file a name stands for; undefined when there is none. FailedPrecondition for a link out of the archive. */
  file(name: string): Promise<StoredFile | undefined>;
  /** Whether the archive ends as a tar should (always true for a directory): a hint for "missing" errors. */
  readonly complete: boolean;
}

export interface StoreOptions {
  tar?: TarLimits;
}

/** Names an image archive's metadata may use: relative, clean, no `..`. FailedPrecondition otherwise. */
export function checkName(name: string, what: string): string {
  const parts = name.split('/');
  if (name === '' || name.startsWith('/') || name.includes('\0') || parts.includes('..')) {
    throw registryFailure(GrpcCode.FailedPrecondition, what, `refusing the archive path ${JSON.stringify(name)}: it must be relative, without ".."`);
  }
  return parts.filter((part) => part !== '' && part !== '.').join('/');
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function changed(path: string) {
  return registryFailure(GrpcCode.FailedPrecondition, `image archive ${path}`, 'the archive changed on disk after it was opened; open it again');
}

const READ_HIGH_WATER_MARK = 256 * 1024;

/** Streams `length` bytes of an open handle from `offset`, closing it at the end (an empty stream for no bytes). */
function rangeStream(handle: FileHandle, offset: number, length: number): Readable {
  if (length === 0) {
    void handle.close();
    return Readable.from([]);
  }
  return handle.createReadStream({ start: offset, end: offset + length - 1, highWaterMark: READ_HIGH_WATER_MARK, autoClose: true });
}

function checkRange(size: number, start: number, length: number | undefined): number {
  const available = Math.max(0, size - start);
  return length === undefined ? available : Math.min(length, available);
}

/** A tar file read by offset through its index; every read checks the file is still the one indexed. */
export class TarStore implements ArchiveStore {
  readonly kind = 'tar' as const;

  private constructor(
    readonly path: string,
    readonly index: TarIndex,
    private readonly identity: Stats,
  ) {}

  get complete(): boolean {
    return this.index.terminated;
  }

  /** Indexes the tar (headers only). Errors: NotFound, InvalidArgument (not a tar), DataLoss (truncated, corrupt). */
  static async open(path: string, options: StoreOptions = {}): Promise<TarStore> {
    const handle = await openFile(path);
    try {
      const identity = await handle.stat();
      const index = await indexTar(handle, identity.size, options.tar).catch((err: unknown) => {
        throw tarFailure(err, `image archive ${path}`);
      });
      return new TarStore(path, index, identity);
    } finally {
      await handle.close();
    }
  }

  async file(name: string): Promise<StoredFile | undefined> {
    let member: ReturnType<typeof resolveMember>;
    try {
      member = resolveMember(this.index, name);
    } catch (err) {
      throw tarFailure(err, `image archive ${this.path}`);
    }
    if (!member) return undefined;
    const { offset, size } = member;
    return {
      size,
      open: async (start = 0, length?: number) => {
        const handle = await openFile(this.path);
        try {
          if (!sameFile(await handle.stat(), this.identity)) throw changed(this.path);
        } catch (err) {
          await handle.close();
          throw err;
        }
        return rangeStream(handle, offset + start, checkRange(size, start, length));
      },
    };
  }
}

/** A directory (an OCI layout, an unpacked docker save): files under it, symlinks allowed only when they stay inside. */
export class DirectoryStore implements ArchiveStore {
  readonly kind = 'directory' as const;
  readonly complete = true;

  private constructor(
    readonly path: string,
    private readonly root: string,
  ) {}

  static async open(path: string): Promise<DirectoryStore> {
    let root: string;
    try {
      root = await realpath(path);
    } catch (err) {
      throw fileError(err, `image archive ${path}`);
    }
    return new DirectoryStore(path, root);
  }

  async file(name: string): Promise<StoredFile | undefined> {
    const what = `image archive ${this.path}`;
    const joined = join(this.root, name);
    try {
      await lstat(joined);
    } catch {
      return undefined;
    }
    let real: string;
    try {
      real = await realpath(joined);
    } catch {
      throw registryFailure(GrpcCode.FailedPrecondition, what, `${JSON.stringify(name)} is a dangling symbolic link`);
    }
    if (!real.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep)) {
      throw registryFailure(GrpcCode.FailedPrecondition, what, `${JSON.stringify(name)} is a symbolic link out of the layout directory`);
    }
    const info = await stat(real);
    if (!info.isFile()) throw registryFailure(GrpcCode.FailedPrecondition, what, `${JSON.stringify(name)} is not a regular file`);
    return {
      size: info.size,
      open: async (start = 0, length?: number) => {
        // O_NOFOLLOW: the checked real path must not have become a symlink since.
        const handle = await openFile(real, constants.O_RDONLY | constants.O_NOFOLLOW);
        try {
          const now = await handle.stat();
          if (!now.isFile() || now.ino !== info.ino || now.dev !== info.dev) throw changed(this.path);
          return rangeStream(handle, start, checkRange(now.size, start, length));
        } catch (err) {
          await handle.close();
          throw err;
        }
      },
    };
  }
}

/** A file system failure as a CodedError: NotFound, PermissionDenied, FailedPrecondition (ELOOP), else Internal. */
export function fileError(err: unknown, what: string) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return registryFailure(GrpcCode.NotFound, what, 'no such file or directory');
  if (code === 'EACCES' || code === 'EPERM') return registryFailure(GrpcCode.PermissionDenied, what, 'permission denied');
  if (code === 'ELOOP') return registryFailure(GrpcCode.FailedPrecondition, what, 'refusing to follow a symbolic link');
  if (code === 'EISDIR') return registryFailure(GrpcCode.InvalidArgument, what, 'is a directory, not a tar file');
  return registryFailure(GrpcCode.Internal, what, (err as Error).message ?? String(err), { cause: err });
}

async function openFile(path: string, flags: number = constants.O_RDONLY): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (err) {
    throw fileError(err, `image archive ${path}`);
  }
}

/** Reads a stored file whole; `limit` bounds it (FailedPrecondition past it). */
export async function readStored(file: StoredFile, limit: number, what: string): Promise<Buffer> {
  if (file.size > limit) throw registryFailure(GrpcCode.FailedPrecondition, what, `the file is ${file.size} bytes, more than the ${limit} allowed`);
  const stream = await file.open();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      stream.destroy();
      throw registryFailure(GrpcCode.FailedPrecondition, what, `the file is larger than the ${limit} bytes allowed`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The first `length` bytes of a stored file (fewer when it is shorter). */
export async function peekStored(file: StoredFile, length: number): Promise<Buffer> {
  const stream = await file.open(0, length);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
