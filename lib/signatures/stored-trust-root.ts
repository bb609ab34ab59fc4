/**
 * The Sigstore trusted root the updater keeps in the advisory store (one small item beside the sources' cursors),
 * read by the scan path: the copy refreshed through TUF when there is one, else the one @sigstore/tuf's seed ships.
 * Reading it is one store lookup, cached a few minutes; nothing here reaches Sigstore.
 */
import { type SigstoreTrustRoot, seedTrustRoot, trustRootOf } from './trust-root';

/** The store key the trusted root is kept under. */
export const TRUSTED_ROOT_KEY = 'sigstore:trusted-root';

/** What the updater stores: the `trusted_root.json` TUF verified, and when. */
export interface StoredTrustedRoot {
  /** The TUF repository it came from. */
  mirror: string;
  /** When TUF last confirmed it current (ISO). */
  checked: string;
  /** When this content was first fetched (ISO). */
  fetched: string;
  trustedRoot: unknown;
}

export function encodeStoredTrustedRoot(stored: StoredTrustedRoot): string {
  return JSON.stringify(stored);
}

/** The stored record, or undefined when `text` is not one. */
export function decodeStoredTrustedRoot(text: string | undefined): StoredTrustedRoot | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StoredTrustedRoot>;
    if (typeof value?.mirror !== 'string' || typeof value.checked !== 'string' || typeof value.fetched !== 'string' || !value.trustedRoot) return undefined;
    return value as StoredTrustedRoot;
  } catch {
    return undefined;
  }
}

/** The trust material of a stored record, its description naming where and when TUF got it. */
export function trustRootOfStored(stored: StoredTrustedRoot): SigstoreTrustRoot {
  return trustRootOf(stored.trustedRoot, `the Sigstore trusted root refreshed through TUF from ${stored.mirror} (checked ${stored.checked})`);
}

/** Where the scan path gets the trusted root to verify keyless signatures with. */
export interface TrustRootSource {
  current(): Promise<SigstoreTrustRoot>;
}

/** Just the seed's trusted root: the CLI without a data directory, tests. */
export const SEED_TRUST_ROOT: TrustRootSource = { current: async () => seedTrustRoot() };

export interface StoredTrustRootOptions {
  /** How long one read is reused; the updater refreshes the item hourly. */
  cacheMs?: number;
  now?: () => number;
}

const DEFAULT_CACHE_MS = 5 * 60_000;

/**
 * The trusted root kept in `store` under TRUSTED_ROOT_KEY, cached `cacheMs`; the seed's when the store has none,
 * cannot be read, or holds one that does not parse (the description then says so).
 */
export class StoredTrustRootSource implements TrustRootSource {
  private cached?: { root: SigstoreTrustRoot; until: number };
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: { getCursor(key: string): Promise<string | undefined> },
    options: StoredTrustRootOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  async current(): Promise<SigstoreTrustRoot> {
    if (this.cached && this.now() < this.cached.until) return this.cached.root;
    const root = await this.read();
    this.cached = { root, until: this.now() + this.cacheMs };
    return root;
  }

  private async read(): Promise<SigstoreTrustRoot> {
    let text: string | undefined;
    try {
      text = await this.store.getCursor(TRUSTED_ROOT_KEY);
    } catch (err) {
      return fallback(`the stored copy could not be read: ${(err as Error).message}`);
    }
    if (!text) return seedTrustRoot();
    const stored = decodeStoredTrustedRoot(text);
    if (!stored) return fallback('the stored copy is not a trusted-root record');
    try {
      return trustRootOfStored(stored);
    } catch (err) {
      return fallback((err as Error).message);
    }
  }
}

function fallback(why: string): SigstoreTrustRoot {
  const seed = seedTrustRoot();
  return { ...seed, source: `${seed.source} (${why})` };
}
