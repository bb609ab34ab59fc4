/**
 * The data directory of local mode (`LAMINA_DATA_DIR`): where its embedded DynamoDB and its advisory store live, and
 * the one-time copy of advisories an earlier lamina kept in that DynamoDB. The CLI's scan and db commands need only
 * this, not the local server (./local-mode).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ResourceNotFoundException, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScanTables } from '../aws/compose-aws';
import { DynamoAdvisoryStore } from '../aws/dynamo-advisory-store';
import type { AdvisoryWrite } from '../vulndb/advisory-write-plan';
import type { Osv } from '../vulndb/osv';
import { contentHash, packageAdvisories } from '../vulndb/package-advisories';
import { DatabaseInUseError, startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';
import { LmdbAdvisoryStore } from './lmdb-advisory-store';

/** Table names in the embedded DynamoDB; the same variables as in Lambda override them. */
export interface LocalTables extends ScanTables {
  advisories: string;
  snoozes: string;
  signatureIntegrations: string;
}

export function localTablesFromEnv(env: NodeJS.ProcessEnv = process.env): LocalTables {
  return {
    images: env.LAMINA_IMAGES_TABLE || 'lamina-images',
    layerIndex: env.LAMINA_LAYER_INDEX_TABLE || 'lamina-layer-index',
    inFlight: env.LAMINA_INFLIGHT_TABLE || 'lamina-inflight',
    advisories: env.LAMINA_ADVISORIES_TABLE || 'lamina-advisories',
    snoozes: env.LAMINA_SNOOZES_TABLE || 'lamina-snoozes',
    signatureIntegrations: env.LAMINA_SIGNATURE_INTEGRATIONS_TABLE || 'lamina-signature-integrations',
  };
}

/** Where local mode keeps its DynamoDB (LevelDB files) under the data directory. */
export function localDynamoPath(dataDir: string): string {
  return join(dataDir, 'dynamodb');
}

/** Where local mode keeps its advisories (an LMDB file, and its `-lock` beside it) under the data directory. */
export function localAdvisoriesPath(dataDir: string): string {
  return join(dataDir, 'advisories.lmdb');
}

/** Another lamina process (a `lamina serve`, an import) has the data directory's database open; one at a time can. */
export class DataDirectoryInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `the data directory ${dataDir} is in use by another lamina process${pid === undefined ? '' : ` (pid ${pid})`}; ` +
        'stop it or use another LAMINA_DATA_DIR',
      options,
    );
    this.name = 'DataDirectoryInUseError';
  }
}

/** The embedded DynamoDB persisted under the data directory; DataDirectoryInUseError when another process has it. */
export async function openDataDirectoryDynamo(dataDir: string): Promise<EmbeddedDynamo> {
  const path = localDynamoPath(dataDir);
  await mkdir(path, { recursive: true });
  try {
    return await startEmbeddedDynamo({ path });
  } catch (err) {
    if (err instanceof DatabaseInUseError) throw new DataDirectoryInUseError(dataDir, err.pid, { cause: err });
    throw err;
  }
}

export interface LocalAdvisoryOptions {
  /** The data directory's embedded DynamoDB when the caller has it open; otherwise it is opened only to copy from. */
  dynamo?: EmbeddedDynamo;
  /** The advisory table in it (LAMINA_ADVISORIES_TABLE); default lamina-advisories. */
  table?: string;
  /** Told when advisories are being copied from the embedded DynamoDB, and when they have been. */
  notice?: (line: string) => void;
}

/**
 * The data directory's advisory store: LMDB, which any number of lamina processes may have open at once (a `lamina
 * serve` and a `lamina db import`, say). Opened the first time on a directory whose embedded DynamoDB holds
 * advisories (an earlier lamina kept them there), it copies them across, once; the DynamoDB table is left as it was.
 */
export async function openLocalAdvisoryStore(dataDir: string, options: LocalAdvisoryOptions = {}): Promise<LmdbAdvisoryStore> {
  const store = LmdbAdvisoryStore.open(localAdvisoriesPath(dataDir));
  try {
    if (store.legacyCopyPending()) await copyLegacyAdvisories(dataDir, store, options);
    return store;
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function copyLegacyAdvisories(dataDir: string, store: LmdbAdvisoryStore, options: LocalAdvisoryOptions): Promise<void> {
  const table = options.table ?? localTablesFromEnv({}).advisories;
  const copy = (dynamo: EmbeddedDynamo) => copyDynamoAdvisories(dynamo.client, table, store, (line) => options.notice?.(`${line}\n`));
  if (options.dynamo) return copy(options.dynamo);
  if (!existsSync(localDynamoPath(dataDir))) return store.markLegacyCopied();
  const dynamo = await openDataDirectoryDynamo(dataDir);
  try {
    await copy(dynamo);
  } finally {
    await dynamo.stop();
  }
}

/** An advisory item of the DynamoDB table, as a Scan lists it: enough to copy the record the way that store held it. */
interface LegacyAdvisory {
  id: string;
  hash?: string;
  packages: string[];
}

interface LegacyKeys {
  advisories: LegacyAdvisory[];
  cves: string[];
  cursors: string[];
}

/** The table's items a page at a time, sorted by kind (see the layout in aws/dynamo-advisory-store). */
async function* legacyKeys(client: DynamoDBClient, table: string): AsyncGenerator<LegacyKeys> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: '#pk, #hash, #packages',
        ExpressionAttributeNames: { '#pk': 'pk', '#hash': 'hash', '#packages': 'packages' },
        ExclusiveStartKey: start,
      }),
    );
    const keys: LegacyKeys = { advisories: [], cves: [], cursors: [] };
    for (const item of page.Items ?? []) {
      const [kind, ...rest] = (item.pk?.S ?? '').split('|');
      const name = rest.join('|');
      if (kind === 'ADV') keys.advisories.push({ id: name, hash: item.hash?.S, packages: (item.packages?.L ?? []).map((v) => v.S ?? '') });
      else if (kind === 'CVSS') keys.cves.push(name);
      else if (kind === 'CURSOR') keys.cursors.push(name);
    }
    yield keys;
    start = page.LastEvaluatedKey;
  } while (start);
}

/**
 * The advisories as the DynamoDB store held them. A record it had to trim to fit an item (long version lists cut)
 * keeps the lookup copies it had, made from the whole record; the others' copies are made again from the record.
 */
async function legacyWrites(legacy: DynamoAdvisoryStore, items: LegacyAdvisory[]): Promise<AdvisoryWrite[]> {
  const records = await legacy.getAdvisories(items.map((item) => item.id));
  const writes: AdvisoryWrite[] = [];
  for (const item of items) {
    const osv = records.get(item.id);
    if (!osv) continue;
    const copies = osv.database_specific?.lamina_trimmed ? await legacyCopies(legacy, osv.id, item.packages) : packageAdvisories(osv);
    const state = { modified: osv.modified, hash: item.hash ?? contentHash(osv), withdrawn: Boolean(osv.withdrawn), packages: [...copies.keys()] };
    writes.push({ osv, state, copies, left: [] });
  }
  return writes;
}

async function legacyCopies(legacy: DynamoAdvisoryStore, id: string, keys: string[]): Promise<Map<string, Osv>> {
  const refs = keys.map((key) => ({ ecosystem: key.slice(0, key.indexOf('|')), name: key.slice(key.indexOf('|') + 1) }));
  const copies = new Map<string, Osv>();
  for (const [key, entries] of await legacy.findByPackages(refs)) {
    const copy = entries.find((entry) => entry.id === id);
    if (copy) copies.set(key, copy);
  }
  return copies;
}

/** Copies advisories, CVSS, cursors, coverage and the data version from the embedded DynamoDB's advisory table. */
async function copyDynamoAdvisories(client: DynamoDBClient, table: string, store: LmdbAdvisoryStore, notice: (line: string) => void): Promise<void> {
  const legacy = new DynamoAdvisoryStore(client, table);
  const dataVersion = await legacy.getDataVersion().catch((err: unknown) => {
    if (err instanceof ResourceNotFoundException) return '0';
    throw err;
  });
  if (dataVersion === '0') return store.markLegacyCopied();
  notice('copying the advisories from the embedded DynamoDB to the advisory store (once; it may take a few minutes)');
  const started = performance.now();
  const cves: string[] = [];
  const sources: string[] = [];
  let copied = 0;
  for await (const page of legacyKeys(client, table)) {
    copied += store.restoreAdvisories(await legacyWrites(legacy, page.advisories));
    cves.push(...page.cves);
    sources.push(...page.cursors);
  }
  const cursors = new Map<string, string>();
  for (const source of sources) {
    const value = await legacy.getCursor(source);
    if (value !== undefined) cursors.set(source, value);
  }
  store.finishLegacyCopy({ dataVersion, coverage: await legacy.getCoverage(), cvss: await legacy.getCvss(cves), cursors });
  notice(`copied ${copied} advisories in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * ECR tokens when this machine has AWS credentials; without them an ECR host is treated like any other registry
 * (Docker's config.json may still know it) instead of failing every scan of it.
 */
