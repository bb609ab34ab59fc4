import { posix } from 'node:path';
import type { ImagePath } from './types';

/** Anything that might need work: `.`/`..` segments, empty segments, a leading or trailing slash. */
const NEEDS_WORK = /(^|\/)\.\.?(\/|$)|\/\/|^\/|\/$/;

/**
 * Normalises a tar entry name to an image path: no leading `./` or `/`, no `.`, `..` or empty segments.
 * The root itself is `""`. Returns undefined when `..` would climb above the root: such a path is unsafe and
 * is skipped by the caller, never clamped.
 */
export function normaliseImagePath(raw: string): ImagePath | undefined {
  if (!NEEDS_WORK.test(raw)) return raw;
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments.join('/');
}

/**
 * A path a package database lists as owned (`/usr/bin/x`, `./usr/bin/x`, `usr//bin/`) as an image path: `..` is
 * clamped at the root as the package manager would resolve it; undefined for the root itself or an empty line.
 */
export function ownedImagePath(listed: string): ImagePath | undefined {
  if (listed.trim() === '') return undefined;
  const path = posix.normalize(`/${listed}`).slice(1).replace(/\/+$/, '');
  return path === '' ? undefined : path;
}

export const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const AUFS_META_PREFIX = '.wh..wh.';

export type Whiteout =
  | { kind: 'whiteout'; path: ImagePath }
  | { kind: 'opaque'; dir: ImagePath }
  /** aufs bookkeeping (`.wh..wh.plnk` and the like): carries nothing for the image. */
  | { kind: 'ignored' }
  | { kind: 'invalid' };

/**
 * Reads a whiteout marker at a normalised path whose last segment starts with `.wh.`:
 * `dir/.wh.name` deletes `dir/name`, `dir/.wh..wh..opq` makes `dir` opaque (the root is `""`).
 */
export function parseWhiteout(path: ImagePath): Whiteout {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(AUFS_META_PREFIX)) return { kind: 'ignored' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return { kind: 'invalid' };
  return { kind: 'whiteout', path: dir === '' ? name : `${dir}/${name}` };
}

/** True when the last segment of a normalised path is a whiteout marker. */
export function isWhiteout(path: ImagePath): boolean {
  return path.startsWith(WHITEOUT_PREFIX, path.lastIndexOf('/') + 1);
}
