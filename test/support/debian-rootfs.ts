import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SUITE = 'bookworm';
const HOST_SOURCES = '/etc/apt/sources.list.d/debian.sources';
const FALLBACK_SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

function cacheDir(): string {
  return process.env.LAMINA_TEST_CACHE ?? '/var/cache/lamina-test';
}

function rootfsDir(): string {
  return join(cacheDir(), `debian-${SUITE}-minbase`);
}

function rootfsTarPath(): string {
  return `${rootfsDir()}.tar`;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** mmdebstrap is installed and we run as root (needed for `--mode=root` and for device nodes in the tree). */
export function debianRootfsAvailable(): boolean {
  return isRoot() && existsSync('/usr/bin/mmdebstrap');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Exclusive lock across jest workers: a lock file holding the owner's pid; a dead owner's lock is taken over. */
async function withLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (owner > 0 && !processAlive(owner)) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

/** Builds `target` into a sibling temp path and renames it into place, so an interrupted build is never reused. */
async function buildOnce(target: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  await mkdir(cacheDir(), { recursive: true });
  return withLock(`${target}.lock`, async () => {
    if (existsSync(target)) return target;
    const tmp = `${target}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    try {
      await build(tmp);
      await rename(tmp, target);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return target;
  });
}

async function mmdebstrap(tmp: string): Promise<void> {
  const mirrors = existsSync(HOST_SOURCES) ? [HOST_SOURCES] : FALLBACK_SOURCES;
  await run('mmdebstrap', ['--quiet', '--variant=minbase', '--mode=root', SUITE, tmp, ...mirrors], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 20 * 60_000,
  });
}

let rootfsPromise: Promise<string> | undefined;
let tarPromise: Promise<string> | undefined;

/** A `mmdebstrap --variant=minbase bookworm` tree, built once and cached under $LAMINA_TEST_CACHE or /var/cache/lamina-test. */
export function debianRootfs(): Promise<string> {
  if (!debianRootfsAvailable()) return Promise.reject(new Error('debianRootfs needs mmdebstrap and root'));
  rootfsPromise ??= buildOnce(rootfsDir(), mmdebstrap).catch((err: unknown) => {
    rootfsPromise = undefined;
    throw err;
  });
  return rootfsPromise;
}

/** An uncompressed tar of the tree (GNU tar, numeric owners, sorted names, no `./` prefix), cached next to it. */
export function debianRootfsTar(): Promise<string> {
  tarPromise ??= debianRootfs()
    .then((root) =>
      buildOnce(rootfsTarPath(), async (tmp) => {
        const topLevel = (await readdir(root)).sort();
        await run('tar', ['--numeric-owner', '--sort=name', '-C', root, '-cf', tmp, '--', ...topLevel], { timeout: 10 * 60_000 });
      }),
    )
    .catch((err: unknown) => {
      tarPromise = undefined;
      throw err;
    });
  return tarPromise;
}
