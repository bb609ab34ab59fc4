import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { packageKey, type Osv } from '../vulndb/osv';
import { contentHash, packageAdvisories } from '../vulndb/package-advisories';
import {
  addCoverageDeltas,
  cleanCvss,
  cvssSupersedes,
  ecosystemsOfKeys,
  newestById,
  supersedes,
  type AdvisoryState,
  type AdvisoryStore,
  type CvssRecord,
  type EcosystemCoverage,
  type PackageRef,
  type PackageVisitor,
  collectVisited,
  type PutResult,
} from '../vulndb/store';
import { mapLimited } from '../concurrency';
import { batchGetAll, batchWriteAll, ensurePkSkTable, GET_BATCH, GET_CONCURRENCY, itemBytes, type Item } from './dynamo-batch';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/*
 * Single table, string keys `pk` / `sk`:
 *   pk `PKG|<ecosystemKey>|<nameKey>`  sk `HEAD`               rev (N), count (N), pages (N), data (B, gzip JSON Osv[]) when pages = 0
 *   pk `PKG|<ecosystemKey>|<nameKey>`  sk `PAGE|<rev>|<nnnnn>` data (B, gzip JSON Osv[]): the package's advisories when they do not fit the head
 *   pk `ADV|<id>`                      sk `ADV`                modified, hash, withdrawn (BOOL), packages (L of S), doc (B, gzip full record)
 *   pk `CVSS|<cve>`                    sk `NVD`                v2, v3, v31, published, lastModified
 *   pk `CURSOR|<source>`               sk `CURSOR`             value
 *   pk `META`                          sk `DATA_VERSION`       version (N), updatedAt
 *   pk `META`                          sk `COVERAGE`           ecosystems (M: ecosystemKey → M { updated (S), records (N) })
 * A package's copies (only its affected entries, CVSS, aliases, a short text) are packed by id into gzip'd pages
 * of at most PAGE_BYTES, so a lookup is one BatchGetItem round for the heads and one for the few packages with
 * pages. Pages of a new revision are written before the head that names them (a conditional put on the old
 * revision), and the old pages are deleted after: a reader or a crash never sees a half-written package.
 */

/** Gzip'd payload ceiling per item, leaving room under DynamoDB's 400 KB for keys and names. */
export const PAGE_BYTES = 300 * 1024;
/** Raw JSON packed into one page before compressing; a page whose gzip is still too large is split. */
const RAW_PAGE_BYTES = 1536 * 1024;
const DOC_BYTES = 300 * 1024;
const HEAD = 'HEAD';
const ADV = 'ADV';
const WRITE_CONCURRENCY = 16;
const HEAD_RETRIES = 8;

const pkgPk = (key: string) => `PKG|${key}`;
const pageSk = (rev: number, index: number) => `PAGE|${rev}|${String(index).padStart(5, '0')}`;
const advPk = (id: string) => `ADV|${id}`;
const cvssPk = (cve: string) => `CVSS|${cve}`;
const cursorPk = (source: string) => `CURSOR|${source}`;
const VERSION_KEY = { pk: { S: 'META' }, sk: { S: 'DATA_VERSION' } };
const COVERAGE_KEY = { pk: { S: 'META' }, sk: { S: 'COVERAGE' } };
/** Ecosystems set per UpdateItem: keeps the expression well under DynamoDB's 4 KB limit. */
const COVERAGE_BATCH = 40;

/** The coverage map as stored; an entry written before counts were kept is the bare time (records -1). */
function coverageOf(entries: Record<string, AttributeValue> | undefined): Map<string, EcosystemCoverage> {
  const coverage = new Map<string, EcosystemCoverage>();
  for (const [name, value] of Object.entries(entries ?? {})) {
    if (value.S) coverage.set(name, { updated: value.S, records: -1 });
    else if (value.M?.updated?.S) coverage.set(name, { updated: value.M.updated.S, records: Number(value.M.records?.N ?? '-1') });
  }
  return coverage;
}

async function encode(value: unknown): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify(value), 'utf8'));
}

async function decode<T>(data: Uint8Array | undefined): Promise<T> {
  return JSON.parse((await gunzipAsync(data ?? new Uint8Array())).toString('utf8')) as T;
}

/** Greedy packing by raw size, then halving any page whose gzip is still above PAGE_BYTES. */
async function paginate(entries: Osv[]): Promise<Buffer[]> {
  const groups: Osv[][] = [];
  let group: Osv[] = [];
  let raw = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(JSON.stringify(entry));
    if (group.length > 0 && raw + size > RAW_PAGE_BYTES) {
      groups.push(group);
      group = [];
      raw = 0;
    }
    group.push(entry);
    raw += size;
  }
  if (group.length > 0) groups.push(group);
  const pages: Buffer[] = [];
  const pack = async (part: Osv[]): Promise<void> => {
    const data = await encode(part);
    if (data.byteLength <= PAGE_BYTES || part.length === 1) {
      pages.push(data);
      return;
    }
    const half = Math.ceil(part.length / 2);
    await pack(part.slice(0, half));
    await pack(part.slice(half));
  };
  for (const g of groups) await pack(g);
  return pages;
}

/** The full record as stored: when even gzip'd it is too large, version lists and long details are cut. */
async function encodeDoc(osv: Osv): Promise<Buffer> {
  const data = await encode(osv);
  if (data.byteLength <= DOC_BYTES) return data;
  const trimmed: Osv = {
    ...osv,
    details: osv.details?.slice(0, 4096),
    affected: osv.affected?.map((a) => ({ ...a, versions: undefined, ecosystem_specific: undefined })),
    database_specific: { ...osv.database_specific, lamina_trimmed: true },
  };
  return encode(trimmed);
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface PackageChange {
  upserts: Map<string, Osv>;
  removals: Set<string>;
}

interface Head {
  rev: number;
  pages: number;
  data?: Uint8Array;
}

function headOf(item: Item | undefined): Head | undefined {
  if (!item) return undefined;
  return { rev: Number(item.rev?.N ?? '0'), pages: Number(item.pages?.N ?? '0'), data: item.data?.B };
}

export interface DynamoAdvisoryStoreOptions {
  /** Called with the size of every item written, so tests can check the 400 KB limit. */
  onItemWritten?: (pk: string, sk: string, bytes: number) => void;
}

export class DynamoAdvisoryStore implements AdvisoryStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoAdvisoryStoreOptions = {},
  ) {}

  /** CreateTable when missing: for dynalite in local mode and tests; the CDK stack owns the table in AWS. */
  async ensureTables(): Promise<void> {
    await ensurePkSkTable(this.client, this.tableName);
  }

  async putAdvisories(records: Osv[]): Promise<PutResult> {
    const { records: newest, dropped } = newestById(records);
    if (newest.length === 0) return { written: 0, skipped: dropped };
    const states = await this.readStates(newest.map((r) => r.id));
    const changes = new Map<string, PackageChange>();
    const change = (key: string) => {
      let c = changes.get(key);
      if (!c) changes.set(key, (c = { upserts: new Map(), removals: new Set() }));
      return c;
    };
    const accepted: Array<{ osv: Osv; state: AdvisoryState }> = [];
    const deltas = new Map<string, number>();
    for (const osv of newest) {
      const hash = contentHash(osv);
      const stored = states.get(osv.id);
      if (!supersedes({ modified: osv.modified, hash }, stored)) continue;
      const copies = packageAdvisories(osv);
      for (const key of stored?.packages ?? []) if (!copies.has(key)) change(key).removals.add(osv.id);
      for (const [key, copy] of copies) change(key).upserts.set(osv.id, copy);
      addCoverageDeltas(deltas, stored?.packages ?? [], copies.keys());
      accepted.push({ osv, state: { modified: osv.modified, hash, withdrawn: Boolean(osv.withdrawn), packages: [...copies.keys()] } });
    }
    if (accepted.length > 0) {
      // Packages first: a crash before the advisory items are written makes the retry redo the same merge.
      await this.applyPackageChanges(changes);
      const puts: WriteRequest[] = [];
      for (const { osv, state } of accepted) puts.push({ PutRequest: { Item: this.track(await this.advisoryItem(osv, state)) } });
      await batchWriteAll(this.client, this.tableName, puts);
      await this.recordCoverage(deltas);
      await this.bumpDataVersion();
    }
    return { written: accepted.length, skipped: newest.length - accepted.length + dropped };
  }

  findByPackages(keys: PackageRef[]): Promise<Map<string, Osv[]>> {
    return collectVisited(this, keys);
  }

  /** Packages are read a BatchGetItem of heads at a time, several at once, and handed over as each batch is in. */
  async visitPackages(keys: PackageRef[], visit: PackageVisitor): Promise<void> {
    const wanted = [...new Set(keys.map((k) => packageKey(k.ecosystem, k.name)))];
    const batches: string[][] = [];
    for (let start = 0; start < wanted.length; start += GET_BATCH) batches.push(wanted.slice(start, start + GET_BATCH));
    await mapLimited(batches, GET_CONCURRENCY, async (batch) => {
      const contents = await this.readPackages(batch, false);
      for (const key of batch) visit(key, [...(contents.get(key)?.values() ?? [])]);
    });
  }

  async getAdvisories(ids: string[]): Promise<Map<string, Osv>> {
    const unique = [...new Set(ids)];
    const items = await batchGetAll(
      this.client,
      this.tableName,
      unique.map((id) => ({ pk: { S: advPk(id) }, sk: { S: ADV } })),
      {
        projection: ['pk', 'doc'],
      },
    );
    const found = new Map<string, Osv>();
    for (const item of items) {
      if (!item.doc?.B) continue;
      const osv = await decode<Osv>(item.doc.B);
      found.set(osv.id, osv);
    }
    return found;
  }

  async getDataVersion(): Promise<string> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: VERSION_KEY, ConsistentRead: true }));
    return Item?.version?.N ?? '0';
  }

  async getCursor(source: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: cursorPk(source) }, sk: { S: 'CURSOR' } }, ConsistentRead: true }),
    );
    return Item?.value?.S;
  }

  async setCursor(source: string, value: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: cursorPk(source) }, sk: { S: 'CURSOR' }, value: { S: value }, updatedAt: { S: new Date().toISOString() } },
      }),
    );
  }

  async putCvss(cveId: string, cvss: CvssRecord): Promise<boolean> {
    return (await this.putCvssMany([{ cveId, cvss }])).written === 1;
  }

  async putCvssMany(entries: Array<{ cveId: string; cvss: CvssRecord }>): Promise<PutResult> {
    const latest = new Map<string, CvssRecord>();
    for (const { cveId, cvss } of entries) latest.set(cveId, cleanCvss(cvss));
    const stored = await this.getCvss([...latest.keys()]);
    const puts: WriteRequest[] = [];
    for (const [cveId, cvss] of latest) {
      if (!cvssSupersedes(cvss, stored.get(cveId))) continue;
      const item: Item = { pk: { S: cvssPk(cveId) }, sk: { S: 'NVD' } };
      if (cvss.v2Vector) item.v2 = { S: cvss.v2Vector };
      if (cvss.v3Vector) item.v3 = { S: cvss.v3Vector };
      if (cvss.v31 !== undefined) item.v31 = { BOOL: cvss.v31 };
      if (cvss.published) item.published = { S: cvss.published };
      if (cvss.lastModified) item.lastModified = { S: cvss.lastModified };
      puts.push({ PutRequest: { Item: this.track(item) } });
    }
    if (puts.length > 0) {
      await batchWriteAll(this.client, this.tableName, puts);
      await this.bumpDataVersion();
    }
    return { written: puts.length, skipped: entries.length - puts.length };
  }

  async getCvss(cveIds: string[]): Promise<Map<string, CvssRecord>> {
    const unique = [...new Set(cveIds)];
    const items = await batchGetAll(
      this.client,
      this.tableName,
      unique.map((id) => ({ pk: { S: cvssPk(id) }, sk: { S: 'NVD' } })),
      {
        consistent: true,
      },
    );
    const found = new Map<string, CvssRecord>();
    for (const item of items) {
      const cve = item.pk.S!.slice('CVSS|'.length);
      const record: CvssRecord = {};
      if (item.v2?.S) record.v2Vector = item.v2.S;
      if (item.v3?.S) record.v3Vector = item.v3.S;
      if (item.v31?.BOOL !== undefined) record.v31 = item.v31.BOOL;
      if (item.published?.S) record.published = item.published.S;
      if (item.lastModified?.S) record.lastModified = item.lastModified.S;
      found.set(cve, record);
    }
    return found;
  }

  private track(item: Item): Item {
    this.options.onItemWritten?.(item.pk.S!, item.sk.S!, itemBytes(item));
    return item;
  }

  async getCoverage(): Promise<Map<string, EcosystemCoverage>> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: COVERAGE_KEY, ConsistentRead: true }));
    return coverageOf(Item?.ecosystems?.M);
  }

  /**
   * Recounts the coverage of a store written before it was counted (or recorded at all): what `lamina db` does on
   * opening a data directory, which no other process has open. True when it recounted.
   */
  async upgradeCoverage(): Promise<boolean> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: COVERAGE_KEY, ConsistentRead: true }));
    if (!(await this.coverageOutdated(Item?.ecosystems?.M))) return false;
    await this.recountCoverage(Item?.ecosystems?.M ?? {}, new Set(), new Date().toISOString());
    return true;
  }

  /**
   * Moves the counts of the ecosystems an import changed (ADD on their entries, so concurrent writers add up) and
   * sets their time: what `db status` and the scan notes read. Runs after the advisory items are written: a crash in
   * between leaves the counts short by that batch (its retry finds nothing new), never doubled.
   */
  private async recordCoverage(deltas: Map<string, number>): Promise<void> {
    if (deltas.size === 0) return;
    const now = new Date().toISOString();
    // The map must exist before its keys can be set: create it empty when absent, seeing what it held.
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: COVERAGE_KEY,
        UpdateExpression: 'SET #e = if_not_exists(#e, :empty)',
        ExpressionAttributeNames: { '#e': 'ecosystems' },
        ExpressionAttributeValues: { ':empty': { M: {} } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const held = Attributes?.ecosystems?.M;
    if (await this.coverageOutdated(held)) {
      // This batch's advisory items are already written, so the recount includes them.
      await this.recountCoverage(held ?? {}, new Set(deltas.keys()), now);
      return;
    }
    const names = [...deltas.keys()];
    for (let start = 0; start < names.length; start += COVERAGE_BATCH) {
      const batch = names.slice(start, start + COVERAGE_BATCH);
      const attributeNames: Record<string, string> = { '#e': 'ecosystems' };
      batch.forEach((name, i) => {
        attributeNames[`#n${i}`] = name;
      });
      const missing = batch.flatMap((name, i) => (held?.[name] ? [] : [i]));
      if (missing.length > 0) {
        // An entry must exist before its fields can be set; if_not_exists keeps one another writer made meanwhile.
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: COVERAGE_KEY,
            UpdateExpression: `SET ${missing.map((i) => `#e.#n${i} = if_not_exists(#e.#n${i}, :fresh)`).join(', ')}`,
            ExpressionAttributeNames: { '#e': 'ecosystems', ...Object.fromEntries(missing.map((i) => [`#n${i}`, batch[i]])) },
            ExpressionAttributeValues: { ':fresh': { M: { updated: { S: now }, records: { N: '0' } } } },
          }),
        );
      }
      const values: Record<string, AttributeValue> = { ':now': { S: now } };
      const adds: string[] = [];
      batch.forEach((name, i) => {
        const delta = deltas.get(name) ?? 0;
        if (delta === 0) return;
        values[`:d${i}`] = { N: String(delta) };
        adds.push(`#e.#n${i}.#r :d${i}`);
      });
      const sets = batch.map((_, i) => `#e.#n${i}.#u = :now`).join(', ');
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: COVERAGE_KEY,
          UpdateExpression: `SET ${sets}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
          ExpressionAttributeNames: { ...attributeNames, '#u': 'updated', ...(adds.length > 0 ? { '#r': 'records' } : {}) },
          ExpressionAttributeValues: values,
        }),
      );
    }
  }

  /** Coverage entries without counts (the bare time), or none at all on a store that holds data. */
  private async coverageOutdated(held: Record<string, AttributeValue> | undefined): Promise<boolean> {
    if (held === undefined) return (await this.getDataVersion()) !== '0';
    return Object.values(held).some((value) => value.M?.records?.N === undefined);
  }

  /**
   * Counts every advisory item by the ecosystems it is stored under (one Scan) and writes the whole map. Ecosystems
   * in `touched` get `now`; the others keep their time, or take the data version's when they had none. A writer
   * racing this one-time recount may be counted twice or not at all.
   */
  private async recountCoverage(held: Record<string, AttributeValue>, touched: Set<string>, now: string): Promise<void> {
    const counts = new Map<string, number>();
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          FilterExpression: '#sk = :adv',
          ProjectionExpression: '#pk, #packages',
          ExpressionAttributeNames: { '#sk': 'sk', '#pk': 'pk', '#packages': 'packages' },
          ExpressionAttributeValues: { ':adv': { S: ADV } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (!item.pk?.S?.startsWith('ADV|')) continue;
        for (const ecosystem of ecosystemsOfKeys((item.packages?.L ?? []).map((v) => v.S ?? ''))) counts.set(ecosystem, (counts.get(ecosystem) ?? 0) + 1);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    const previous = coverageOf(held);
    let fallback: string | undefined;
    const entries: Record<string, AttributeValue> = {};
    for (const ecosystem of new Set([...previous.keys(), ...counts.keys(), ...touched])) {
      let updated = touched.has(ecosystem) ? now : previous.get(ecosystem)?.updated;
      if (!updated) {
        fallback ??=
          (await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: VERSION_KEY, ConsistentRead: true }))).Item?.updatedAt?.S ?? now;
        updated = fallback;
      }
      entries[ecosystem] = { M: { updated: { S: updated }, records: { N: String(counts.get(ecosystem) ?? 0) } } };
    }
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: COVERAGE_KEY,
        UpdateExpression: 'SET #e = :entries',
        ExpressionAttributeNames: { '#e': 'ecosystems' },
        ExpressionAttributeValues: { ':entries': { M: entries } },
      }),
    );
  }

  private async bumpDataVersion(): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: VERSION_KEY,
        UpdateExpression: 'ADD #v :one SET #at = :now',
        ExpressionAttributeNames: { '#v': 'version', '#at': 'updatedAt' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':now': { S: new Date().toISOString() } },
      }),
    );
  }

  private async readStates(ids: string[]): Promise<Map<string, AdvisoryState>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      ids.map((id) => ({ pk: { S: advPk(id) }, sk: { S: ADV } })),
      {
        consistent: true,
        projection: ['pk', 'modified', 'hash', 'withdrawn', 'packages'],
      },
    );
    const states = new Map<string, AdvisoryState>();
    for (const item of items) {
      states.set(item.pk.S!.slice('ADV|'.length), {
        modified: item.modified?.S ?? '',
        hash: item.hash?.S ?? '',
        withdrawn: item.withdrawn?.BOOL ?? false,
        packages: (item.packages?.L ?? []).map((v) => v.S ?? ''),
      });
    }
    return states;
  }

  private async advisoryItem(osv: Osv, state: AdvisoryState): Promise<Item> {
    return {
      pk: { S: advPk(osv.id) },
      sk: { S: ADV },
      modified: { S: state.modified },
      hash: { S: state.hash },
      withdrawn: { BOOL: state.withdrawn },
      packages: { L: state.packages.map((p) => ({ S: p })) },
      doc: { B: await encodeDoc(osv) },
    };
  }

  /** Heads, then the pages the heads name; a page missing under an eventually consistent read is re-read consistently. */
  private async readPackages(keys: string[], consistent: boolean, headsOut?: Map<string, Head>): Promise<Map<string, Map<string, Osv>>> {
    const contents = new Map<string, Map<string, Osv>>();
    const heads = await this.readHeads(keys, consistent);
    for (const [key, head] of heads) headsOut?.set(key, head);
    const paged: Array<[string, Head]> = [];
    for (const [key, head] of heads) {
      if (head.pages === 0) contents.set(key, new Map((head.data ? await decode<Osv[]>(head.data) : []).map((o) => [o.id, o])));
      else paged.push([key, head]);
    }
    if (paged.length === 0) return contents;
    const pageKeys = paged.flatMap(([key, head]) => Array.from({ length: head.pages }, (_, i) => ({ pk: { S: pkgPk(key) }, sk: { S: pageSk(head.rev, i) } })));
    const items = await batchGetAll(this.client, this.tableName, pageKeys, { consistent });
    const byKey = new Map(items.map((item) => [`${item.pk.S}\n${item.sk.S}`, item]));
    const incomplete: string[] = [];
    for (const [key, head] of paged) {
      const entries = new Map<string, Osv>();
      let complete = true;
      for (let i = 0; i < head.pages && complete; i++) {
        const item = byKey.get(`${pkgPk(key)}\n${pageSk(head.rev, i)}`);
        if (!item?.data?.B) complete = false;
        else for (const osv of await decode<Osv[]>(item.data.B)) entries.set(osv.id, osv);
      }
      if (complete) contents.set(key, entries);
      else incomplete.push(key);
    }
    if (incomplete.length > 0) {
      if (consistent) throw new Error(`advisory pages missing for ${incomplete.slice(0, 3).join(', ')}`);
      for (const [key, entries] of await this.readPackages(incomplete, true)) contents.set(key, entries);
    }
    return contents;
  }

  private async readHeads(keys: string[], consistent: boolean): Promise<Map<string, Head>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      keys.map((key) => ({ pk: { S: pkgPk(key) }, sk: { S: HEAD } })),
      { consistent },
    );
    const heads = new Map<string, Head>();
    for (const item of items) heads.set(item.pk.S!.slice('PKG|'.length), headOf(item)!);
    return heads;
  }

  /** Read-merge-write per package; a head changed by another writer in between makes that package start over. */
  private async applyPackageChanges(changes: Map<string, PackageChange>): Promise<void> {
    let pending = [...changes.keys()];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= HEAD_RETRIES) throw new Error(`advisory packages kept changing under concurrent writers: ${pending.slice(0, 3).join(', ')}`);
      const heads = new Map<string, Head>();
      const contents = await this.readPackages(pending, true, heads);
      const conflicted: string[] = [];
      await mapLimit(pending, WRITE_CONCURRENCY, async (key) => {
        const { upserts, removals } = changes.get(key)!;
        const entries = contents.get(key) ?? new Map<string, Osv>();
        for (const id of removals) entries.delete(id);
        for (const [id, copy] of upserts) entries.set(id, copy);
        const ok = await this.writePackage(
          key,
          heads.get(key),
          [...entries.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
        );
        if (!ok) conflicted.push(key);
      });
      pending = conflicted;
    }
  }

  private async writePackage(key: string, previous: Head | undefined, entries: Osv[]): Promise<boolean> {
    const rev = (previous?.rev ?? 0) + 1;
    const pages = await paginate(entries);
    const inline = pages.length <= 1;
    if (!inline) {
      await batchWriteAll(
        this.client,
        this.tableName,
        pages.map((data, i) => ({ PutRequest: { Item: this.track({ pk: { S: pkgPk(key) }, sk: { S: pageSk(rev, i) }, data: { B: data } }) } })),
      );
    }
    const head: Item = {
      pk: { S: pkgPk(key) },
      sk: { S: HEAD },
      rev: { N: String(rev) },
      count: { N: String(entries.length) },
      pages: { N: String(inline ? 0 : pages.length) },
      ...(inline ? { data: { B: pages[0] ?? (await encode([])) } } : {}),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.track(head),
          ConditionExpression: previous ? '#rev = :rev' : 'attribute_not_exists(pk)',
          ExpressionAttributeNames: previous ? { '#rev': 'rev' } : undefined,
          ExpressionAttributeValues: previous ? { ':rev': { N: String(previous.rev) } } : undefined,
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
    if (previous && previous.pages > 0) {
      const stale = Array.from({ length: previous.pages }, (_, i) => ({
        DeleteRequest: { Key: { pk: { S: pkgPk(key) }, sk: { S: pageSk(previous.rev, i) } } },
      }));
      await batchWriteAll(this.client, this.tableName, stale);
    }
    return true;
  }
}
