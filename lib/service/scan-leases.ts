/**
 * One scan per digest at a time, across processes: a lease with an expiry, taken with a conditional write.
 * An expired lease (a crashed scanner) can be taken over; the expiry is checked by the code, not left to TTL.
 */
export interface ScanLeases {
  /** True when this caller now holds the lease for `key`. */
  acquire(key: string, holder: string, ttlMs: number): Promise<boolean>;
  release(key: string, holder: string): Promise<void>;
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
}
