import { movedCoverage, planAdvisoryWrites } from './advisory-write-plan';
import { packageKey, type Osv } from './osv';
import {
  cvssWrites,
  presentEntries,
  type AdvisoryState,
  type AdvisoryStore,
  type CvssRecord,
  type EcosystemCoverage,
  type PackageRef,
  type PackageVisitor,
  visitFound,
  type PutResult,
} from './store';

/** The advisory store in process memory, with the same semantics as the DynamoDB one: for tests and one-shot runs. */
export class MemoryAdvisoryStore implements AdvisoryStore {
  private readonly states = new Map<string, AdvisoryState>();
  private readonly full = new Map<string, Osv>();
  private readonly packages = new Map<string, Map<string, Osv>>();
  private readonly cvss = new Map<string, CvssRecord>();
  private readonly cursors = new Map<string, string>();
  private readonly coverage = new Map<string, EcosystemCoverage>();
  private version = 0;

  async putAdvisories(records: Osv[]): Promise<PutResult> {
    const plan = planAdvisoryWrites(records, (id) => this.states.get(id));
    for (const { osv, state, copies, left } of plan.writes) {
      for (const key of left) this.packages.get(key)?.delete(osv.id);
      for (const [key, copy] of copies) {
        let entries = this.packages.get(key);
        if (!entries) this.packages.set(key, (entries = new Map()));
        entries.set(osv.id, copy);
      }
      this.full.set(osv.id, osv);
      this.states.set(osv.id, state);
    }
    const updated = new Date().toISOString();
    for (const [ecosystem, delta] of plan.coverage) this.coverage.set(ecosystem, movedCoverage(this.coverage.get(ecosystem), delta, updated));
    if (plan.writes.length > 0) this.version++;
    return { written: plan.writes.length, skipped: plan.skipped };
  }

  async findByPackages(keys: PackageRef[]): Promise<Map<string, Osv[]>> {
    const found = new Map<string, Osv[]>();
    for (const ref of keys) {
      const key = packageKey(ref.ecosystem, ref.name);
      found.set(
        key,
        [...(this.packages.get(key)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
    }
    return found;
  }

  visitPackages(keys: PackageRef[], visit: PackageVisitor): Promise<void> {
    return this.findByPackages(keys).then((found) => visitFound(found, visit));
  }

  async getAdvisories(ids: string[]): Promise<Map<string, Osv>> {
    return presentEntries(ids, (id) => this.full.get(id));
  }

  async getDataVersion(): Promise<string> {
    return String(this.version);
  }

  async getCoverage(): Promise<Map<string, EcosystemCoverage>> {
    return new Map([...this.coverage].map(([ecosystem, coverage]) => [ecosystem, { ...coverage }]));
  }

  async getCursor(source: string): Promise<string | undefined> {
    return this.cursors.get(source);
  }

  async setCursor(source: string, value: string): Promise<void> {
    this.cursors.set(source, value);
  }

  async putCvss(cveId: string, cvss: CvssRecord): Promise<boolean> {
    return (await this.putCvssMany([{ cveId, cvss }])).written === 1;
  }

  async putCvssMany(entries: Array<{ cveId: string; cvss: CvssRecord }>): Promise<PutResult> {
    const writes = cvssWrites(entries, (id) => this.cvss.get(id));
    for (const { cveId, cvss } of writes) this.cvss.set(cveId, cvss);
    if (writes.length > 0) this.version++;
    return { written: writes.length, skipped: entries.length - writes.length };
  }

  async getCvss(cveIds: string[]): Promise<Map<string, CvssRecord>> {
    return presentEntries(cveIds, (id) => this.cvss.get(id));
  }
}
