import { hostname } from 'node:os';

/** A scan's failure, kept for a short while so that the requests waiting on it share it instead of retrying in turn. */
export interface SharedFailure {
  code: number;
  message: string;
}

/**
 * One scan per digest at a time, across processes: a lease with an expiry, taken with a conditional write and
 * renewed by acquiring it again while the scan makes progress. An expired lease (a crashed scanner) can be taken
 * over; the expiry is checked by the code, not left to TTL.
 */
export interface ScanLeases {
  /** True when this caller now holds the lease for `key` (taken, or renewed when it already held it). */
  acquire(key: string, holder: string, ttlMs: number): Promise<boolean>;
  release(key: string, holder: string): Promise<void>;
  /** Remembers the failure of the scan of `key` for `ttlMs`. */
  recordFailure(key: string, failure: SharedFailure, ttlMs: number): Promise<void>;
  /** A failure recorded for `key` that has not expired. */
  recentFailure(key: string): Promise<SharedFailure | undefined>;
}

/** This process, as lease holders name it: `host/pid/uuid`. */
export function holderId(uuid: string): string {
  return `${hostname()}/${process.pid}/${uuid}`;
}

/**
 * True when a holder is a process of this host that no longer runs: a restarted `lamina serve` does not wait on
 * the leases its dead predecessor left. Holders of other hosts (other Lambda containers) are never judged dead.
 */
export function isDeadLocalHolder(holder: string): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Leases for a single process (local mode, CLI, tests). */
export class MemoryScanLeases implements ScanLeases {
  private readonly leases = new Map<string, { holder: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(key);
    if (current && current.holder !== holder && current.expiresAt > this.now()) return false;
    this.leases.set(key, { holder, expiresAt: this.now() + ttlMs });
    return true;
  }

  async release(key: string, holder: string): Promise<void> {
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
  }

  private readonly failures = new Map<string, { failure: SharedFailure; until: number }>();

  async recordFailure(key: string, failure: SharedFailure, ttlMs: number): Promise<void> {
    this.failures.set(key, { failure, until: this.now() + ttlMs });
  }

  async recentFailure(key: string): Promise<SharedFailure | undefined> {
    const entry = this.failures.get(key);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.failure;
    this.failures.delete(key);
    return undefined;
  }
}
