/**
 * Red Hat's CSAF VEX documents, one per CVE (https://security.access.redhat.com/data/csaf/v2/vex/<year>/<cve>.json),
 * as OSV records for RHEL and the images built on it (UBI, RHEL-based containers). Each document becomes one record
 * with an `affected` entry per (RHEL major, stream, source package, module stream): fixed in the source RPM's EVR,
 * or affected without a fix, with the CPEs of the stream's products it speaks for. The feed's directory also holds
 * `archive_latest.txt` (the name of a `.tar.zst` of every document), `changes.csv` and `deletions.csv`
 * (`"<year>/<file>.json","<timestamp>"`, newest first): a first run streams the archive, later runs fetch what the
 * listings name as changed since the cursor.
 */
import { pipeline, Transform } from 'node:stream';
import { PackageURL } from 'packageurl-js';
import { extract as tarExtract } from 'tar-stream';
import { unavailable } from '../../errors';
import { decompressStream } from '../../layers/decompress';
import { isCveId } from '../cve-id';
import { readBounded } from '../advisory-files';
import { describeNetworkError, responseBody } from '../download';
import { type Osv, type OsvAffected, type OsvReference, withoutUndefined } from '../osv';
import { applyListedChanges, type CsafFeed, get, getText, later, readListing, settle, writeChanged, writeDeleted } from './csaf-listing';
import {
  csafVexFormat,
  type CsafProduct,
  cvssVectorOf,
  isObject,
  isoTimestamp,
  keepHighestFix,
  type Json,
  listOf,
  noteOf,
  objectOf,
  parsedDocument,
  type ProductTree,
  productTreeOf,
  textOf,
  textsOf,
} from './csaf';
import type { AdvisorySource, FeedFormat, SourceContext, SourceOutcome } from './types';
import { RECORD_SOURCES } from '../record-sources';

/** The legacy VEX directory (the layout claircore and Trivy read). */
export const REDHAT_VEX_URL = 'https://security.access.redhat.com/data/csaf/v2/vex/';
/** Where Red Hat publishes the GA VEX files since May 2026 (same layout, per-minor-release products). */
export const REDHAT_VEX_FEED_URL = 'https://security.access.redhat.com/data/csaf/v2/vex-feed/';

const SOURCE = RECORD_SOURCES.redhatCsaf;
/** One document is at most this big (the largest real ones are a few MiB); bigger ones are skipped as malformed. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
const BATCH_SIZE = 500;
const FETCH_CONCURRENCY = 8;
/** The archive stream fails when no byte came for this long. */
const ARCHIVE_IDLE_MS = 120_000;
/** A row can appear in a listing a while after its timestamp: rows this much older than the cursor are fetched again. */
const DEFAULT_LISTING_LAG_MS = 60 * 60 * 1000;
/** The archive is dated by day; documents changed from the day before its date on are fetched on their own. */
const ARCHIVE_MARGIN_MS = 24 * 60 * 60 * 1000;
const RED_HAT_PUBLISHER = 'https://www.redhat.com';

// ---------------------------------------------------------------------------------------------------------------
// Reading the document

// ---------------------------------------------------------------------------------------------------------------
// Platforms and packages

/**
 * The platforms kept: the RHEL streams of each major from 6 on, each with its product CPE. The main stream is the
 * one whose updates every RHEL and UBI system (and image) gets: CPEs `cpe:/o:redhat:enterprise_linux:9`,
 * `cpe:/a:redhat:enterprise_linux:9::appstream`, `…:8::baseos`, `…:9::crb`, RHEL 10's
 * `cpe:/o:redhat:enterprise_linux:10.1`, RHEL 6/7's `…:7::server`. The extended streams (`rhel_eus:9.4`,
 * `rhel_aus`, `rhel_e4s`, `rhel_tus`, `rhel_els`, `enterprise_linux_eus:10.0`, …) and the add-ons of a stream (high
 * availability, SAP, real time, NFV, resilient storage) ship their own builds at other EVRs: they are kept as
 * streams of their own, matched only with images whose repositories name them. Layered products (OpenShift,
 * Satellite, …) are dropped.
 */
const RHEL_STREAM_CPE =
  /^cpe:\/[oa]:redhat:(enterprise_linux|enterprise_linux_eus|rhel_eus|rhel_eus_long_life|rhel_aus|rhel_e4s|rhel_tus|rhel_els):(\d+)((?:\.\d+)*)(?:::([a-z0-9_]+))?$/;
const MAIN_VARIANTS = new Set(['appstream', 'baseos', 'crb', 'supplementary', 'server', 'client', 'workstation', 'computenode']);

/** One RHEL stream: its major, the key its products are grouped by (empty for the main stream), and a product's CPE. */
interface Stream {
  major: number;
  key: string;
  cpe: string;
}

/** The stream of a product CPE: `rhel_eus:9.4` for `cpe:/a:redhat:rhel_eus:9.4::appstream`, `enterprise_linux:8::sap` for an add-on, an empty key for the main stream. */
export function streamOfCpe(cpe: string): Stream | undefined {
  const match = RHEL_STREAM_CPE.exec(cpe);
  if (!match) return undefined;
  const [, product, majorText, minor, variant] = match;
  const major = Number(majorText);
  if (major < 6) return undefined;
  if (product !== 'enterprise_linux') return { major, key: `${product}:${majorText}${minor}`, cpe };
  if (variant === undefined || MAIN_VARIANTS.has(variant)) return { major, key: '', cpe };
  return { major, key: `${product}:${majorText}::${variant}`, cpe };
}

const streamOf = (platform: CsafProduct | undefined): Stream | undefined => {
  const cpe = textOf(platform?.product_identification_helper?.cpe);
  return cpe ? streamOfCpe(cpe) : undefined;
};

/** What a component stands for: an RPM by name, with its EVR when it names one. */
interface ComponentPackage {
  name: string;
  arch?: string;
  evr?: string;
  module?: string;
}

const RPM_NAME = /^[A-Za-z0-9._+-]+$/;

/** `redis:6:8100020250113083959:489197e6` or `nginx:1.22` → `redis:6`, `nginx:1.22`; `rhel10` (no stream) names none. */
function moduleStream(rpmmod: string | undefined): string | undefined {
  const [name, stream] = (rpmmod ?? '').split(':');
  return name && stream && RPM_NAME.test(name) && RPM_NAME.test(stream) ? `${name}:${stream}` : undefined;
}

/** `epoch:version-release`, the epoch left out when it is 0 or absent. */
function evrOf(version: string | undefined, epoch: string | undefined): string | undefined {
  if (!version) return undefined;
  if (epoch !== undefined && !/^\d+$/.test(epoch)) return undefined;
  return !epoch || /^0+$/.test(epoch) ? version : `${epoch}:${version}`;
}

/** Purls parsed before: the same products recur in document after document, and parsing one is most of a product's cost. */
const parsedPurls = new Map<string, PackageURL | undefined>();
const PARSED_PURLS = 50_000;

/** The purl of `text`, read only (it may be shared); undefined when it is none. */
function parsePurl(text: string | undefined): PackageURL | undefined {
  if (!text) return undefined;
  if (parsedPurls.has(text)) return parsedPurls.get(text);
  let purl: PackageURL | undefined;
  try {
    purl = PackageURL.fromString(text);
  } catch {
    purl = undefined;
  }
  if (parsedPurls.size >= PARSED_PURLS) parsedPurls.clear();
  parsedPurls.set(text, purl);
  return purl;
}

/** A module build given as the intermediate product of older files: `pkg:rpmmod/redhat/postgresql@12:8100…:489197e6`. */
function moduleOfProduct(product: CsafProduct | undefined): string | undefined {
  const purl = parsePurl(textOf(product?.product_identification_helper?.purl));
  if (purl?.type !== 'rpmmod') return undefined;
  return moduleStream(`${purl.name}:${purl.version ?? ''}`);
}

function packageOfPurl(purl: PackageURL, chainModule: string | undefined): ComponentPackage | undefined {
  if (purl.type !== 'rpm' || purl.namespace !== 'redhat' || !RPM_NAME.test(purl.name)) return undefined;
  const qualifiers = (purl.qualifiers ?? {}) as Record<string, string | undefined>;
  return {
    name: purl.name,
    arch: qualifiers.arch,
    evr: evrOf(purl.version ?? undefined, qualifiers.epoch),
    module: moduleStream(qualifiers.rpmmod) ?? chainModule,
  };
}

const LEGACY_MODULAR_ID = /^([A-Za-z0-9._+-]+):([A-Za-z0-9._+-]+)\/([A-Za-z0-9._+-]+)$/;
const LEGACY_SOURCE_ID = /^([A-Za-z0-9._+-]+)-(\d+):([^:\s]+-[^:\s-]+)\.src$/;

/** Older files name components without a purl: `vim`, `curl.src`, `nodejs:18/nodejs` (module/package), `kernel-0:3.10.0-693.el7.src`. */
function packageOfId(id: string, chainModule: string | undefined): ComponentPackage | undefined {
  const source = LEGACY_SOURCE_ID.exec(id);
  if (source) return { name: source[1], arch: 'src', evr: evrOf(source[3], source[2]), module: chainModule };
  const modular = LEGACY_MODULAR_ID.exec(id);
  if (modular) return { name: modular[3], module: `${modular[1]}:${modular[2]}` };
  const name = id.replace(/\.src$/, '');
  return RPM_NAME.test(name) ? { name, arch: name === id ? undefined : 'src', module: chainModule } : undefined;
}

interface ResolvedProduct {
  stream: Stream;
  pkg: ComponentPackage;
}

/**
 * A full product id (`AppStream-9.6.0.GA:nginx-2:1.20.1-22.el9.src`) through its relationship to a RHEL stream's
 * platform and a package; undefined for other platforms and components that are no RPM.
 */
function resolveProduct(tree: ProductTree, fullId: string): ResolvedProduct | undefined {
  const relation = tree.relationships.get(fullId);
  if (!relation) return undefined;
  let platformId = relation.platform;
  let chainModule: string | undefined;
  // Older files make the module a component of the platform and the RPM a component of that.
  for (let depth = 0; depth < 5; depth++) {
    const outer = tree.relationships.get(platformId);
    if (!outer) break;
    chainModule ??= moduleOfProduct(tree.products.get(outer.component));
    platformId = outer.platform;
  }
  const stream = streamOf(tree.products.get(platformId));
  if (stream === undefined) return undefined;
  const purlText = textOf(tree.products.get(relation.component)?.product_identification_helper?.purl);
  const purl = parsePurl(purlText);
  const pkg = purlText ? purl && packageOfPurl(purl, chainModule) : packageOfId(relation.component, chainModule);
  return pkg ? { stream, pkg } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Statuses to entries

/** Everything the document says about one (major, RHEL stream, source package, module stream). */
interface PackageGroup {
  major: number;
  /** Empty for the main stream. */
  stream: string;
  /** The CPEs of the products the group's statements are about. */
  cpes: Set<string>;
  name: string;
  module?: string;
  /** The highest fixed EVR, and the products that give it. */
  fixed?: string;
  fixedIds: string[];
  affectedIds: string[];
  notAffected: boolean;
}

function groupFor(groups: Map<string, PackageGroup>, { major, key: stream, cpe }: Stream, pkg: ComponentPackage): PackageGroup {
  const key = `${major}\u0000${stream}\u0000${pkg.name}\u0000${pkg.module ?? ''}`;
  let group = groups.get(key);
  if (!group) {
    group = { major, stream, cpes: new Set(), name: pkg.name, module: pkg.module, fixedIds: [], affectedIds: [], notAffected: false };
    groups.set(key, group);
  }
  group.cpes.add(cpe);
  return group;
}

/** Binary RPMs (an arch other than src) are left out: advisories are looked up under the source package's name. */
const isBinary = (pkg: ComponentPackage) => pkg.arch !== undefined && pkg.arch !== 'src';

function groupStatuses(tree: ProductTree, status: Json): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  const each = (list: unknown, add: (group: PackageGroup, pkg: ComponentPackage, id: string) => void) => {
    for (const id of textsOf(list)) {
      const resolved = resolveProduct(tree, id);
      if (resolved && !isBinary(resolved.pkg)) add(groupFor(groups, resolved.stream, resolved.pkg), resolved.pkg, id);
    }
  };
  each(status.fixed, (group, pkg, id) => {
    if (pkg.arch === 'src' && pkg.evr) keepHighestFix(group, pkg.evr, id);
  });
  each(status.known_affected, (group, _pkg, id) => group.affectedIds.push(id));
  each(status.known_not_affected, (group) => {
    group.notAffected = true;
  });
  return [...groups.values()].filter((g) => g.fixed !== undefined || g.affectedIds.length > 0);
}

interface Remediation {
  category: string;
  details?: string;
  url?: string;
  productIds: Set<string>;
}

function remediationsOf(vulnerability: Json): Remediation[] {
  return listOf(vulnerability.remediations).flatMap((entry) => {
    const remediation = objectOf(entry);
    const category = textOf(remediation.category);
    if (!category) return [];
    return [{ category, details: textOf(remediation.details), url: textOf(remediation.url), productIds: new Set(textsOf(remediation.product_ids)) }];
  });
}

const IMPACTS: Record<string, string> = { low: 'Low', moderate: 'Moderate', important: 'Important', critical: 'Critical' };

function impactName(text: string | undefined): string | undefined {
  return text ? (IMPACTS[text.toLowerCase()] ?? text) : undefined;
}

/** The vendor impact of a product: its threat of category `impact`, else the document's aggregate severity. */
function impactOf(vulnerability: Json, ids: string[], aggregate: string | undefined): string | undefined {
  for (const entry of listOf(vulnerability.threats)) {
    const threat = objectOf(entry);
    if (textOf(threat.category) !== 'impact') continue;
    const products = new Set(textsOf(threat.product_ids));
    if (ids.some((id) => products.has(id))) return impactName(textOf(threat.details));
  }
  return impactName(aggregate);
}

const UNFIXED_CATEGORIES = new Set(['none_available', 'no_fix_planned', 'fix_planned']);

function fixStateOf(remediations: Remediation[], ids: string[]): Record<string, string> {
  const remediation = remediations.find((r) => UNFIXED_CATEGORIES.has(r.category) && ids.some((id) => r.productIds.has(id)));
  if (!remediation) return {};
  return remediation.details ? { fix_state: remediation.category, fix_state_details: remediation.details } : { fix_state: remediation.category };
}

function entryOf(group: PackageGroup, vulnerability: Json, remediations: Remediation[], aggregate: string | undefined): OsvAffected {
  const ids = group.fixed !== undefined ? group.fixedIds : group.affectedIds;
  const specific: Record<string, unknown> = {};
  const severity = impactOf(vulnerability, ids, aggregate);
  if (severity) specific.severity = severity;
  if (group.module) specific.rpm_module = group.module;
  if (group.fixed === undefined) Object.assign(specific, fixStateOf(remediations, ids));
  specific.cpes = [...group.cpes].sort();
  // Not the release's default streams: only an image whose repositories name one of the CPEs is matched with it.
  if (group.stream !== '') specific.extended_stream = true;
  const events = group.fixed !== undefined ? [{ introduced: '0' }, { fixed: group.fixed }] : [{ introduced: '0' }];
  return {
    package: {
      ecosystem: `Red Hat:${group.major}`,
      name: group.name,
      purl: new PackageURL('rpm', 'redhat', group.name, undefined, { arch: 'src' }).toString(),
    },
    ranges: [{ type: 'ECOSYSTEM', events }],
    ...(Object.keys(specific).length > 0 ? { ecosystem_specific: specific } : {}),
  };
}

function compareGroups(a: PackageGroup, b: PackageGroup): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return a.major - b.major || text(a.stream, b.stream) || text(a.name, b.name) || text(a.module ?? '', b.module ?? '');
}

/**
 * The groups that get an entry, in order. A fix is kept whatever else is said of the package (GA files list a minor
 * release that shipped with the fix as not affected); without one, not affected wins over affected.
 */
function keptGroups(groups: PackageGroup[]): PackageGroup[] {
  return groups.filter((g) => g.fixed !== undefined || !g.notAffected).sort(compareGroups);
}

// ---------------------------------------------------------------------------------------------------------------
// The record

const ERRATA = /\/errata\/(RH[SBE]A-\d{4}:\d+)/;

/** The errata that fix the kept entries (vendor_fix remediations naming their products), by id. */
function advisoriesOf(remediations: Remediation[], groups: PackageGroup[]): Map<string, string> {
  const fixedIds = groups.flatMap((g) => (g.fixed !== undefined ? g.fixedIds : []));
  const advisories = new Map<string, string>();
  for (const remediation of remediations) {
    if (remediation.category !== 'vendor_fix' || !remediation.url) continue;
    const id = ERRATA.exec(remediation.url)?.[1];
    if (id && fixedIds.some((p) => remediation.productIds.has(p))) advisories.set(id, remediation.url);
  }
  const keyed = [...advisories].map((entry) => ({ entry, order: entry[0].slice(5).split(':').map(Number) }));
  keyed.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
  return new Map(keyed.map(({ entry }) => entry));
}

function withdrawnRecord(cve: string, when: string): Osv {
  return { id: `REDHAT-${cve}`, modified: when, withdrawn: when, database_specific: { source: SOURCE } };
}

/** The OSV record of one VEX document, or why there is none. */
function vexRecord(value: unknown): Osv | { malformed: string } {
  if (!isObject(value) || !isObject(value.document)) return { malformed: 'not a CSAF document' };
  const document = value.document;
  const tracking = objectOf(document.tracking);
  const vulnerability = objectOf(listOf(value.vulnerabilities)[0]);
  const cve = [textOf(vulnerability.cve), textOf(tracking.id)].find((id) => id !== undefined && isCveId(id.toUpperCase()))?.toUpperCase();
  if (!cve) return { malformed: 'no CVE id in the document' };
  const modified = isoTimestamp(tracking.current_release_date);
  if (textOf(tracking.status) === 'deleted') return withdrawnRecord(cve, modified ?? new Date().toISOString());
  if (textOf(document.category) !== 'csaf_vex') return { malformed: `${cve}: not a CSAF VEX document` };
  const publisher = textOf(objectOf(document.publisher).namespace)?.replace(/\/$/, '');
  if (publisher !== RED_HAT_PUBLISHER) return { malformed: `${cve}: published by ${publisher ?? 'nobody named'}, not Red Hat` };
  if (!modified) return { malformed: `${cve}: no readable document.tracking.current_release_date` };
  const tree = productTreeOf(value.product_tree);
  if (!tree) return { malformed: `${cve}: unreadable product_tree` };
  const groups = keptGroups(groupStatuses(tree, objectOf(vulnerability.product_status)));
  const remediations = remediationsOf(vulnerability);
  const aggregate = textOf(objectOf(document.aggregate_severity).text);
  const advisories = advisoriesOf(remediations, groups);
  const keptIds = new Set(groups.flatMap((g) => (g.fixed !== undefined ? g.fixedIds : g.affectedIds)));
  const vector = cvssVectorOf(vulnerability, keptIds);
  const references: OsvReference[] = [
    { type: 'ADVISORY', url: `https://access.redhat.com/security/cve/${cve}` },
    ...[...advisories.values()].map((url) => ({ type: 'ADVISORY', url })),
  ];
  return withoutUndefined<Osv>({
    id: `REDHAT-${cve}`,
    modified,
    published: isoTimestamp(tracking.initial_release_date),
    aliases: [cve],
    related: advisories.size > 0 ? [...advisories.keys()] : undefined,
    summary: textOf(vulnerability.title) ?? textOf(document.title),
    details: noteOf(vulnerability, 'description'),
    severity: vector ? [{ type: 'CVSS_V3', score: vector }] : undefined,
    affected: groups.map((g) => entryOf(g, vulnerability, remediations, aggregate)),
    references,
    database_specific: { source: SOURCE },
  });
}

const documentRecord = (text: string) => parsedDocument(text, vexRecord);

/** A Red Hat CSAF VEX document (`document.category` `csaf_vex`, publisher Red Hat Product Security): one record per file. */
export const redhatCsafFormat: FeedFormat = csafVexFormat(
  'redhat-csaf-vex',
  /"namespace"\s*:\s*"https:\/\/www\.redhat\.com\/?"|"name"\s*:\s*"Red Hat Product Security"/,
  MAX_DOCUMENT_BYTES,
  documentRecord,
);

/** Red Hat's documents through the shared listing transport. */
const REDHAT_FEED: CsafFeed = { record: documentRecord, withdrawn: withdrawnRecord, maxDocumentBytes: MAX_DOCUMENT_BYTES, concurrency: FETCH_CONCURRENCY };

// ---------------------------------------------------------------------------------------------------------------
// The archive

/** Where an interrupted first run stopped: which archive, how many of its documents are written, what to finish with. */
interface ArchiveProgress {
  archive: string;
  documents: number;
  archiveDone?: boolean;
}

function parseProgress(text: string | undefined): ArchiveProgress | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as ArchiveProgress;
    return typeof value.archive === 'string' && Number.isInteger(value.documents) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `csaf_vex_2025-12-06.tar.zst` → `2025-12-06T00:00:00Z`: the archive holds every change before that day. */
function archiveDate(name: string): string | undefined {
  const date = /(\d{4}-\d{2}-\d{2})\.tar/.exec(name)?.[1];
  return date && !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ? `${date}T00:00:00Z` : undefined;
}

/**
 * Counts the compressed bytes and fails the stream when none came for ARCHIVE_IDLE_MS while they were wanted: the
 * clock runs only between a read and the next chunk, not while a slow store holds the stream back.
 */
function meter(context: SourceContext, total: number | undefined): Transform {
  let bytes = 0;
  let idle: NodeJS.Timeout | undefined;
  const stop = () => clearTimeout(idle);
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      stop();
      bytes += chunk.length;
      context.onDownloadProgress?.(bytes, total);
      done(null, chunk);
      if (this.readableLength < this.readableHighWaterMark) arm();
    },
    flush(done) {
      stop();
      done();
    },
    destroy(err, done) {
      stop();
      done(err);
    },
  });
  const arm = () => {
    stop();
    idle = setTimeout(() => transform.destroy(new Error(`no data for ${ARCHIVE_IDLE_MS / 1000} s`)), ARCHIVE_IDLE_MS);
  };
  const read = transform._read.bind(transform);
  transform._read = (size: number) => {
    arm();
    read(size);
  };
  return transform;
}

interface ArchiveDocument {
  path: string;
  /** Its place among the archive's documents, from 1. */
  index: number;
  /** Absent when the document was too big to read. */
  text?: string;
  size: number;
}

/**
 * The archive's documents as they arrive over HTTP, through zstd and tar: neither the archive nor more than one
 * document is held, and nothing is written to disk. Documents not `wanted` are read past; a failing stream throws
 * an error naming the URL.
 */
async function* archiveDocuments(context: SourceContext, url: string, wanted: (path: string, index: number) => boolean): AsyncGenerator<ArchiveDocument> {
  const response = (await get(context, url))!;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const compressed = responseBody(response);
  const metered = meter(context, Number.isFinite(length) ? length : undefined);
  pipeline(compressed, metered, () => undefined);
  const entries = tarExtract();
  let index = 0;
  try {
    const { output } = await decompressStream(metered);
    pipeline(output, entries, () => undefined);
    for await (const entry of entries) {
      context.signal?.throwIfAborted();
      const path = entry.header.name.replace(/^\.\//, '');
      const size = entry.header.size ?? 0;
      if (entry.header.type !== 'file' || !path.endsWith('.json')) {
        entry.resume();
        continue;
      }
      index++;
      if (!wanted(path, index)) {
        entry.resume();
        continue;
      }
      if (size > MAX_DOCUMENT_BYTES) {
        entry.resume();
        yield { path, index, size };
        continue;
      }
      yield { path, index, size, text: await readBounded(entry, MAX_DOCUMENT_BYTES) };
    }
  } catch (err) {
    if (context.signal?.aborted) throw context.signal.reason ?? err;
    throw unavailable(`GET ${url}: ${describeNetworkError(err)}`, err);
  } finally {
    compressed.destroy();
    metered.destroy();
    entries.destroy();
  }
}

/** Writes the archive's documents in batches, checkpointing after each, past the ones an interrupted run wrote. */
async function writeArchive(context: SourceContext, url: string, name: string, skip: number, exclude: Set<string>): Promise<void> {
  let batch: Osv[] = [];
  let done = skip;
  const flush = async () => {
    if (batch.length > 0) await context.putAdvisories(batch);
    batch = [];
    await context.saveProgress(JSON.stringify({ archive: name, documents: done } satisfies ArchiveProgress));
  };
  for await (const document of archiveDocuments(context, url, (path, index) => index > skip && !exclude.has(path))) {
    const where = `${url}#${document.path}`;
    const result = document.text === undefined ? { malformed: `${document.size} bytes, larger than ${MAX_DOCUMENT_BYTES}` } : documentRecord(document.text);
    if (result && 'malformed' in result) context.malformed(where, result.malformed);
    else if (result) batch.push(result);
    done = document.index;
    if (batch.length >= BATCH_SIZE) await flush();
  }
  await flush();
}

// ---------------------------------------------------------------------------------------------------------------
// The source

function earlier(a: string | undefined, ms: number): string | undefined {
  return a ? new Date(Date.parse(a) - ms).toISOString() : undefined;
}

/**
 * The cursor names the record shape it was written with: records of an older shape (before streams and CPEs) are
 * not what the matcher expects, so a cursor without this mark starts over from the archive.
 */
const CURSOR_SHAPE = 'streams ';

const cursorOf = (timestamp: string | undefined) => (timestamp ? `${CURSOR_SHAPE}${timestamp}` : undefined);

function timestampOf(cursor: string | undefined): string | undefined {
  return cursor?.startsWith(CURSOR_SHAPE) ? cursor.slice(CURSOR_SHAPE.length) : undefined;
}

/**
 * First run: the archive named by `archive_latest.txt`, streamed, then the documents the listings name as changed
 * (or deleted) since the archive's day, which it may not hold yet. The cursor is the newest listing row read before
 * the archive.
 */
async function initialLoad(context: SourceContext, base: string): Promise<SourceOutcome> {
  const name = (await getText(context, new URL('archive_latest.txt', base).href, MAX_DOCUMENT_BYTES)).trim();
  if (!/^[A-Za-z0-9._-]+\.tar(?:\.zst)?$/.test(name)) throw new Error(`${new URL('archive_latest.txt', base).href}: no archive name in "${name.slice(0, 80)}"`);
  // Without a date in the name, today is assumed: the archive is rebuilt daily.
  const since = earlier(archiveDate(name) ?? new Date().toISOString(), ARCHIVE_MARGIN_MS);
  const changes = await readListing(context, new URL('changes.csv', base).href, since);
  const deletions = await readListing(context, new URL('deletions.csv', base).href, since);
  const { changed, deleted } = settle(changes, deletions);
  const progress = parseProgress(context.progress);
  const resumed = progress?.archive === name ? progress : undefined;
  if (!resumed?.archiveDone) {
    await writeArchive(context, new URL(name, base).href, name, resumed?.documents ?? 0, new Set([...changed, ...deleted]));
    await context.saveProgress(JSON.stringify({ archive: name, documents: 0, archiveDone: true } satisfies ArchiveProgress));
  }
  await writeChanged(context, REDHAT_FEED, base, changed);
  await writeDeleted(context, REDHAT_FEED, deleted);
  return { status: 'updated', cursor: cursorOf(later(changes.newest, deletions.newest) ?? archiveDate(name)) };
}

/** Later runs: the documents changed or deleted since the cursor (and the lag before it); not-modified when no row is newer. */
async function applyChanges(context: SourceContext, base: string, cursor: string, lagMs: number): Promise<SourceOutcome> {
  const newest = await applyListedChanges(context, REDHAT_FEED, base, cursor, lagMs);
  return newest ? { status: 'updated', cursor: cursorOf(newest) } : { status: 'not-modified' };
}

export interface RedhatCsafSourceOptions {
  /**
   * The VEX directory (default {@link REDHAT_VEX_FEED_URL}, the maintained one; the legacy {@link REDHAT_VEX_URL} is
   * deprecated); it serves archive_latest.txt, changes.csv, deletions.csv.
   */
  baseUrl?: string;
  /** Rows this much older than the cursor are fetched again on a later run, in case they were listed late (default 1 h). */
  listingLagMs?: number;
}

/** Red Hat's VEX feed for RHEL 6–10 (and UBI): one `REDHAT-<CVE>` record per CVE, under `Red Hat:<major>`. */
export function redhatCsafSource(options: RedhatCsafSourceOptions = {}): AdvisorySource {
  const base = (options.baseUrl ?? REDHAT_VEX_FEED_URL).replace(/\/*$/, '/');
  const lagMs = options.listingLagMs ?? DEFAULT_LISTING_LAG_MS;
  return {
    name: SOURCE,
    ecosystems: ['Red Hat:6', 'Red Hat:7', 'Red Hat:8', 'Red Hat:9', 'Red Hat:10'],
    run: (context) => {
      const since = timestampOf(context.cursor);
      return since ? applyChanges(context, base, since, lagMs) : initialLoad(context, base);
    },
  };
}
