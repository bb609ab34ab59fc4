import { open, type Database, type RootDatabase } from 'lmdb';
import { type AdvisoryWrite, changedCopies, movedCoverage, packageChanges, planAdvisoryWrites } from '../vulndb/advisory-write-plan';
import { packageKey, type Osv } from '../vulndb/osv';
import {
  cleanCvss,
  cvssWrites,
  presentEntries,
  ecosystemsOfKeys,
  type AdvisoryState,
  type AdvisoryStore,
  type CvssRecord,
  type EcosystemCoverage,
  type PackageRef,
  type PackageVisitor,
  collectVisited,
  type PutResult,
} from '../vulndb/store';

/*
 * One LMDB environment (a file and its `-lock` beside it), its sub-databases keyed as:
 *   states    <id>                   AdvisoryState: modified, hash, withdrawn, the package keys it is stored under
 *   records   <id>                   the full record (LZ4-compressed when large)
 *   packages  <packageKey>           the lookup copies of the package's advisories, in id order: a lookup is one read per package
 *   (states, records and packages also hold Symbol(structures): the msgpack record shapes their values share)
 *   cvss      <cve>                  CvssRecord
 *   cursors   <source>               string
 *   coverage  <ecosystemKey>         EcosystemCoverage
 *   meta      dataVersion            number; legacyCopy: when the embedded DynamoDB's advisories were copied (or found absent)
 * Every batch is one write transaction: LMDB serialises writers across processes, and a reader (another process
 * included) sees a batch whole or not at all; a writer killed mid-batch leaves the last committed batch.
 */

/**
 * Values of one shape are written and read by the thousand (a lookup decodes every copy of a package): msgpack
 * records whose shapes are kept once per database, under this key, encode and decode those fastest.
 */
const SHARED_SHAPES = { sharedStructuresKey: Symbol.for('structures') };
const DATA_VERSION = 'dataVersion';
const LEGACY_COPY = 'legacyCopy';

/** The legacy store's contents besides the advisories themselves, written once they are all across. */
export interface LegacyRemainder {
  dataVersion: string;
  /** Times per ecosystem; the counts are taken from the advisories as copied. */
  coverage: Map<string, EcosystemCoverage>;
  cvss: Map<string, CvssRecord>;
  cursors: Map<string, string>;
}

/** The advisory store of local mode: LMDB under the data directory, shared by every lamina process that opens it. */
export class LmdbAdvisoryStore implements AdvisoryStore {
  private readonly states: Database<AdvisoryState, string>;
  private readonly records: Database<Osv, string>;
  private readonly packages: Database<Osv[], string>;
  private readonly cvss: Database<CvssRecord, string>;
  private readonly cursors: Database<string, string>;
  private readonly coverage: Database<EcosystemCoverage, string>;
  private readonly meta: Database<number | string, string>;

  private constructor(private readonly env: RootDatabase) {
    this.states = env.openDB('states', SHARED_SHAPES);
    this.records = env.openDB('records', { ...SHARED_SHAPES, compression: true });
    this.packages = env.openDB('packages', SHARED_SHAPES);
    this.cvss = env.openDB('cvss', {});
    this.cursors = env.openDB('cursors', {});
    this.coverage = env.openDB('coverage', {});
    this.meta = env.openDB('meta', {});
  }

  /** Opens the store in the LMDB file at `path`, creating it (and its directory) when absent. */
  static open(path: string): LmdbAdvisoryStore {
    return new LmdbAdvisoryStore(open({ path, maxDbs: 8 }));
  }

  async putAdvisories(records: Osv[]): Promise<PutResult> {
    const plan = this.env.transactionSync(() => {
      // Planned inside the transaction: what another process committed just before is what this batch is ordered against.
      const plan = planAdvisoryWrites(records, (id) => this.states.get(id));
      this.writeAdvisories(plan.writes);
      this.moveCoverage(plan.coverage);
      if (plan.writes.length > 0) this.bumpDataVersion();
      return plan;
    });
    return { written: plan.writes.length, skipped: plan.skipped };
  }

  findByPackages(keys: PackageRef[]): Promise<Map<string, Osv[]>> {
    return collectVisited(this, keys);
  }

  async visitPackages(keys: PackageRef[], visit: PackageVisitor): Promise<void> {
    const seen = new Set<string>();
    for (const ref of keys) {
      const key = packageKey(ref.ecosystem, ref.name);
      if (seen.has(key)) continue;
      seen.add(key);
      visit(key, this.packages.get(key) ?? []);
    }
  }

  async getAdvisories(ids: string[]): Promise<Map<string, Osv>> {
    return presentEntries(ids, (id) => this.records.get(id));
  }

  async getDataVersion(): Promise<string> {
    this.latest();
    return String(this.meta.get(DATA_VERSION) ?? 0);
  }

  async getCoverage(): Promise<Map<string, EcosystemCoverage>> {
    this.latest();
    return new Map([...this.coverage.getRange()].map(({ key, value }) => [key, value]));
  }

  async getCursor(source: string): Promise<string | undefined> {
    this.latest();
    return this.cursors.get(source);
  }

  async setCursor(source: string, value: string): Promise<void> {
    await this.cursors.put(source, value);
  }

  async putCvss(cveId: string, cvss: CvssRecord): Promise<boolean> {
    return (await this.putCvssMany([{ cveId, cvss }])).written === 1;
  }

  async putCvssMany(entries: Array<{ cveId: string; cvss: CvssRecord }>): Promise<PutResult> {
    const written = this.env.transactionSync(() => {
      const writes = cvssWrites(entries, (id) => this.cvss.get(id));
      for (const { cveId, cvss } of writes) this.cvss.putSync(cveId, cvss);
      if (writes.length > 0) this.bumpDataVersion();
      return writes.length;
    });
    return { written, skipped: entries.length - written };
  }

  async getCvss(cveIds: string[]): Promise<Map<string, CvssRecord>> {
    return presentEntries(cveIds, (id) => this.cvss.get(id));
  }

  /** Whether the embedded DynamoDB's advisories still have to be looked for (see data-directory). */
  legacyCopyPending(): boolean {
    this.latest();
    return this.meta.get(LEGACY_COPY) === undefined;
  }

  /**
   * Writes advisories as another store holds them, in one transaction; ids this store already has are left alone
   * (copied by an earlier, interrupted run, or written since). Nothing else moves until `finishLegacyCopy`.
   */
  restoreAdvisories(writes: AdvisoryWrite[]): number {
    return this.env.transactionSync(() => {
      const absent = writes.filter((write) => !this.states.doesExist(write.osv.id)).map((write) => ({ ...write, left: [] }));
      this.writeAdvisories(absent);
      return absent.length;
    });
  }

  /**
   * The last step of copying a legacy store, in one transaction: its CVSS, cursors and coverage times, the counts
   * recounted from the advisories now held, and its data version (so scans stored against it stay current).
   */
  finishLegacyCopy(legacy: LegacyRemainder): void {
    this.env.transactionSync(() => {
      for (const [cveId, cvss] of legacy.cvss) if (!this.cvss.doesExist(cveId)) this.cvss.putSync(cveId, cleanCvss(cvss));
      for (const [source, value] of legacy.cursors) if (!this.cursors.doesExist(source)) this.cursors.putSync(source, value);
      this.recountCoverage(legacy.coverage);
      const version = Number(legacy.dataVersion);
      if (Number.isFinite(version) && version > this.storedDataVersion()) this.meta.putSync(DATA_VERSION, version);
      this.markLegacyCopied();
    });
  }

  /** Records that there is no legacy store to copy, or that it has been copied. */
  markLegacyCopied(): void {
    this.meta.putSync(LEGACY_COPY, new Date().toISOString());
  }

  async close(): Promise<void> {
    await this.env.close();
  }

  /** Reads from here on see what any process has committed: lmdb-js otherwise keeps a read snapshot for a while. */
  private latest(): void {
    this.env.resetReadTxn();
  }

  private writeAdvisories(writes: AdvisoryWrite[]): void {
    for (const [key, change] of packageChanges(writes)) {
      const copies = changedCopies(this.packages.get(key) ?? [], change);
      if (copies.length > 0) this.packages.putSync(key, copies);
      else this.packages.removeSync(key);
    }
    for (const { osv, state } of writes) {
      this.records.putSync(osv.id, osv);
      this.states.putSync(osv.id, state);
    }
  }

  private moveCoverage(deltas: Map<string, number>): void {
    const updated = new Date().toISOString();
    for (const [ecosystem, delta] of deltas) this.coverage.putSync(ecosystem, movedCoverage(this.coverage.get(ecosystem), delta, updated));
  }

  private recountCoverage(times: Map<string, EcosystemCoverage>): void {
    const counts = new Map<string, number>();
    for (const { value } of this.states.getRange()) {
      for (const ecosystem of ecosystemsOfKeys(value.packages)) counts.set(ecosystem, (counts.get(ecosystem) ?? 0) + 1);
    }
    const now = new Date().toISOString();
    for (const ecosystem of new Set([...times.keys(), ...counts.keys()])) {
      this.coverage.putSync(ecosystem, { updated: times.get(ecosystem)?.updated ?? now, records: counts.get(ecosystem) ?? 0 });
    }
  }

  private storedDataVersion(): number {
    return Number(this.meta.get(DATA_VERSION) ?? 0);
  }

  /** Never reused, even by a store rebuilt from nothing: scans stored against an earlier file must not look current. */
  private bumpDataVersion(): void {
    this.meta.putSync(DATA_VERSION, Math.max(this.storedDataVersion() + 1, Date.now()));
  }
}
