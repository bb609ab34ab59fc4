/**
 * Refreshing the Sigstore trusted root through TUF (@sigstore/tuf: signed root rotation, expiry and hashes checked
 * by tuf-js) and keeping it in the advisory store for the scan path. Run by the scheduled updater and
 * `lamina db update`, never by a scan: @sigstore/tuf is loaded on first use, so the scan bundles leave it out.
 */
import { mkdir } from 'node:fs/promises';
import { decodeStoredTrustedRoot, encodeStoredTrustedRoot, TRUSTED_ROOT_KEY } from './stored-trust-root';
import { PUBLIC_GOOD_TUF_URL, TRUSTED_ROOT_TARGET, trustRootOf } from './trust-root';

export interface TrustRootRefreshOptions {
  /** Where TUF keeps its metadata between runs (root versions, timestamp, snapshot, targets). */
  cacheDir: string;
  /** A TUF repository; the public-good one by default. Another needs `rootPath`. */
  mirrorUrl?: string;
  /** The trusted initial root.json of `mirrorUrl`; @sigstore/tuf's seed has the public-good one. */
  rootPath?: string;
  /** Longest the whole refresh may take. */
  timeoutMs?: number;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface TrustRootRefresh {
  status: 'updated' | 'not-modified' | 'failed';
  mirror: string;
  /** Why it failed, with TUF's cause. */
  error?: string;
}

interface TrustedRootStore {
  getCursor(key: string): Promise<string | undefined>;
  setCursor(key: string, value: string): Promise<void>;
}

/** The name `lamina db update --source` and LAMINA_ADVISORY_SOURCES know the trusted root's refresh by. */
export const TRUSTED_ROOT_SOURCE = 'sigstore:trusted-root';

/**
 * Where to refresh from: LAMINA_SIGSTORE_TUF_URL (the public-good repository when unset; `off` turns refreshing
 * off) and LAMINA_SIGSTORE_TUF_ROOT (the initial root.json another repository needs). Undefined when off.
 */
export function tufSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<TrustRootRefreshOptions, 'mirrorUrl' | 'rootPath'> | undefined {
  const url = env.LAMINA_SIGSTORE_TUF_URL?.trim();
  if (url === 'off') return undefined;
  if (url && !/^https?:\/\/[^\s/]+/.test(url)) throw new Error(`LAMINA_SIGSTORE_TUF_URL must be an http(s) URL or "off", got "${url}"`);
  const rootPath = env.LAMINA_SIGSTORE_TUF_ROOT?.trim() || undefined;
  if (url && url.replace(/\/+$/, '') !== PUBLIC_GOOD_TUF_URL && !rootPath) {
    throw new Error('LAMINA_SIGSTORE_TUF_URL names a repository other than the public-good one: LAMINA_SIGSTORE_TUF_ROOT must give its initial root.json');
  }
  return { mirrorUrl: url || PUBLIC_GOOD_TUF_URL, rootPath };
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Per request, as @sigstore/tuf's own default; a run makes a handful. */
const REQUEST_TIMEOUT_MS = 5_000;

function describe(err: unknown): string {
  const parts: string[] = [];
  for (let cause: unknown = err; cause instanceof Error && parts.length < 4; cause = cause.cause) parts.push(cause.message);
  return parts.length > 0 ? parts.join(': ') : String(err);
}

async function fetchTrustedRoot(options: TrustRootRefreshOptions, mirror: string): Promise<string> {
  const { initTUF } = await import('@sigstore/tuf');
  await mkdir(options.cacheDir, { recursive: true });
  const tuf = await initTUF({ mirrorURL: mirror, rootPath: options.rootPath, cachePath: options.cacheDir, timeout: REQUEST_TIMEOUT_MS, retry: 1 });
  return tuf.getTarget(TRUSTED_ROOT_TARGET);
}

function deadline(ms: number, signal: AbortSignal | undefined): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    onAbort = () => reject(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    clear: () => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Fetches `trusted_root.json` through TUF and stores it under TRUSTED_ROOT_KEY when it is usable trust material.
 * Never throws: a failure (offline, a repository TUF refuses, a root that does not parse) is reported and the stored
 * copy is left as it was.
 */
export async function refreshTrustedRoot(store: TrustedRootStore, options: TrustRootRefreshOptions): Promise<TrustRootRefresh> {
  const mirror = (options.mirrorUrl ?? PUBLIC_GOOD_TUF_URL).replace(/\/+$/, '');
  const now = options.now ?? (() => new Date());
  const limit = deadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal);
  try {
    options.signal?.throwIfAborted();
    const text = await Promise.race([fetchTrustedRoot(options, mirror), limit.promise]);
    const trustedRoot: unknown = JSON.parse(text);
    trustRootOf(trustedRoot, `${TRUSTED_ROOT_TARGET} of ${mirror}`);
    const previous = decodeStoredTrustedRoot(await store.getCursor(TRUSTED_ROOT_KEY));
    const same = previous?.mirror === mirror && JSON.stringify(previous.trustedRoot) === JSON.stringify(trustedRoot);
    const checked = now().toISOString();
    await store.setCursor(TRUSTED_ROOT_KEY, encodeStoredTrustedRoot({ mirror, checked, fetched: same ? previous.fetched : checked, trustedRoot }));
    return { status: same ? 'not-modified' : 'updated', mirror };
  } catch (err) {
    return { status: 'failed', mirror, error: `refreshing the Sigstore trusted root through TUF from ${mirror}: ${describe(err)}` };
  } finally {
    limit.clear();
  }
}
