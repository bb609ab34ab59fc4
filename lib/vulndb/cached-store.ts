import { LRUCache } from 'lru-cache';
import type { Osv } from './osv';
import { packageKey } from './osv';
import { type AdvisoryStore, collectVisited, type CvssRecord, type EcosystemCoverage, type PackageRef, type PackageVisitor, type PutResult } from './store';

export interface CachedStoreOptions {
  /** Packages whose advisories are kept; a Lambda container scans many images with the same base packages. */
  maxPackages?: number;
  maxCvss?: number;
}

/** A cached answer: CVSS lookups remember CVEs NVD has nothing for, too. */
type CvssEntry = { record?: CvssRecord };

/**
 * Advisory lookups kept in memory for as long as the store's data version stays the same. Each match reads the
 * version first (see matchInventory), and a new version empties the caches, so cached answers are never staler
 * than the version the match is stamped with. Writes go straight through.
 */
export class CachedAdvisoryStore implements AdvisoryStore {
  private version: string | undefined;
  private readonly packages: LRUCache<string, Osv[]>;
  private readonly cvss: LRUCache<string, CvssEntry>;

  constructor(
    private readonly inner: AdvisoryStore,
    options: CachedStoreOptions = {},
  ) {
    this.packages = new LRUCache({ max: options.maxPackages ?? 5_000 });
    this.cvss = new LRUCache({ max: options.maxCvss ?? 50_000 });
  }

  private coverage: Map<string, EcosystemCoverage> | undefined;

  async getCoverage(): Promise<Map<string, EcosystemCoverage>> {
    this.coverage ??= await this.inner.getCoverage();
    return this.coverage;
  }

  async getDataVersion(): Promise<string> {
    const version = await this.inner.getDataVersion();
    if (version !== this.version) {
      this.packages.clear();
      this.cvss.clear();
      this.coverage = undefined;
      this.version = version;
    }
    return version;
  }

  findByPackages(keys: PackageRef[]): Promise<Map<string, Osv[]>> {
    return collectVisited(this, keys);
  }

  async visitPackages(keys: PackageRef[], visit: PackageVisitor): Promise<void> {
    const seen = new Set<string>();
    const missing: PackageRef[] = [];
    for (const ref of keys) {
      const key = packageKey(ref.ecosystem, ref.name);
      if (seen.has(key)) continue;
      seen.add(key);
      const cached = this.packages.get(key);
      if (cached) visit(key, cached);
      else missing.push(ref);
    }
    if (missing.length === 0) return;
    const version = this.version;
    await this.inner.visitPackages(missing, (key, advisories) => {
      // An answer read while the version moved on is used once but not kept.
      if (version === this.version) this.packages.set(key, advisories);
      visit(key, advisories);
    });
  }

  async getCvss(cveIds: string[]): Promise<Map<string, CvssRecord>> {
    const found = new Map<string, CvssRecord>();
    const missing: string[] = [];
    for (const id of cveIds) {
      const cached = this.cvss.get(id);
      if (!cached) missing.push(id);
      else if (cached.record) found.set(id, cached.record);
    }
    if (missing.length > 0) {
      const version = this.version;
      const fetched = await this.inner.getCvss(missing);
      for (const id of missing) {
        const record = fetched.get(id);
        if (record) found.set(id, record);
        if (version === this.version) this.cvss.set(id, { record });
      }
    }
    return found;
  }

  putAdvisories(records: Osv[]): Promise<PutResult> {
    return this.inner.putAdvisories(records);
  }

  getAdvisories(ids: string[]): Promise<Map<string, Osv>> {
    return this.inner.getAdvisories(ids);
  }

  getCursor(source: string): Promise<string | undefined> {
    return this.inner.getCursor(source);
  }

  setCursor(source: string, value: string): Promise<void> {
    return this.inner.setCursor(source, value);
  }

  putCvss(cveId: string, cvss: CvssRecord): Promise<boolean> {
    return this.inner.putCvss(cveId, cvss);
  }

  putCvssMany(entries: Array<{ cveId: string; cvss: CvssRecord }>): Promise<PutResult> {
    return this.inner.putCvssMany(entries);
  }
}
