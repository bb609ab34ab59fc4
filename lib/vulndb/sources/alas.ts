/**
 * Amazon Linux Security Advisories (ALAS) as Amazon publishes them to yum: each repository's `mirror.list` names
 * its base, `repodata/repomd.xml` there names the `updateinfo.xml.gz`, and every `<update>` in it becomes one OSV
 * record, fixed in the EVR of the packages it lists.
 */
import { createHash, getHashes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { PackageURL } from 'packageurl-js';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { unavailable } from '../../errors';
import { memoizedByText } from '../../memo';
import { compareRpmEvrs } from '../../versions/rpm';
import { isCveId, sortCveIds } from '../cve-id';
import { describeNetworkError, downloadResumable, httpStatusLine } from '../download';
import { decompressedDocument } from '../document-stream';
import { distinctReferences, type Osv, type OsvAffected, type OsvReference, withoutUndefined } from '../osv';
import type { AdvisorySource, FeedFormat, SourceContext, SourceOutcome } from './types';
import { RECORD_SOURCES } from '../record-sources';

const ALAS_SITE = 'https://alas.aws.amazon.com';
/** Records handed to `putAdvisories` at a time. */
const BATCH_SIZE = 1000;
/** Mirror lists, repomd.xml and the extras catalog are small: each must arrive within this. */
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------------
// Advisory ids

/** What an ALAS id says: `ALAS<release digits><topic>-<year>-<number>`, e.g. `ALAS2KERNEL-5.15-2022-001`. */
export interface AlasId {
  /** `1` (Amazon Linux AMI, ids without digits), `2`, `2022`, `2023`. */
  release: string;
  /** The repository topic in upper case (`KERNEL-5.15`, `GOLANG1.19`, `LIVEPATCH`, `NVIDIA`), absent for core. */
  topic?: string;
  /** An Amazon Linux 2 extras topic: the package only applies where that topic is enabled. */
  extras: boolean;
  year: string;
  number: string;
}

const ALAS_ID = /^ALAS(\d*)([A-Z][A-Z0-9._]*(?:-\d+(?:\.\d+)*)?)?-(\d{4})-(\d+)$/;

export function parseAlasId(id: string): AlasId | undefined {
  const match = ALAS_ID.exec(id.trim());
  if (!match) return undefined;
  const [, digits, topic, year, number] = match;
  // `ALASKERNEL-5.10-…` is the web page's name for an AL2 extras advisory; Amazon Linux AMI had no topics.
  if (digits === '' && topic) return undefined;
  const release = digits === '' ? '1' : digits;
  return { release, topic, extras: release === '2' && topic !== undefined && topic !== 'LIVEPATCH', year, number };
}

/** The Amazon Linux release an ALAS id belongs to: `ALAS-` → `1`, `ALAS2-`/`ALAS2<TOPIC>-` → `2`, `ALAS2023-` → `2023`. */
export function alasRelease(id: string): string | undefined {
  return parseAlasId(id)?.release;
}

/** Amazon's page for an advisory: the page name drops the release digits (`ALAS2-2023-1993` → `AL2/ALAS-2023-1993.html`). */
export function alasAdvisoryUrl(id: string): string | undefined {
  const parsed = parseAlasId(id);
  if (!parsed) return undefined;
  const page = `ALAS${parsed.topic ?? ''}-${parsed.year}-${parsed.number}.html`;
  return parsed.release === '1' ? `${ALAS_SITE}/${page}` : `${ALAS_SITE}/AL${parsed.release}/${page}`;
}

/** `2023-03-20 18:12` or `2023-03-20 18:12:00` (UTC, as Amazon writes them) → `2023-03-20T18:12:00Z`. */
export function alasTimestamp(text: string | undefined): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(?:Z|UTC)?$/.exec(text?.trim() ?? '');
  if (!match) return undefined;
  const iso = `${match[1]}T${match[2] ?? '00:00'}:${match[3] ?? '00'}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

// ---------------------------------------------------------------------------------------------------------------
// One <update> to one OSV record

interface UpdatePackage {
  name?: string;
  epoch?: string;
  version?: string;
  release?: string;
}

interface UpdateReference {
  type?: string;
  id?: string;
  href?: string;
}

/** An `<update>` as read: the texts and attributes the record is made of. */
interface Update {
  type?: string;
  id: string;
  title: string;
  severity: string;
  description: string;
  issued?: string;
  updated?: string;
  references: UpdateReference[];
  packages: UpdatePackage[];
}

const newUpdate = (type: string | undefined): Update => ({ type, id: '', title: '', severity: '', description: '', references: [], packages: [] });

/** `epoch:version-release`, the epoch left out when it is 0; undefined when the package has no usable version. */
function evrOf(pkg: UpdatePackage): string | undefined {
  const version = pkg.version?.trim();
  const epoch = pkg.epoch?.trim() ?? '';
  if (!version || !/^\d*$/.test(epoch)) return undefined;
  const release = pkg.release?.trim();
  const vr = release ? `${version}-${release}` : version;
  return /^0*$/.test(epoch) ? vr : `${epoch}:${vr}`;
}

/** The fixed EVR of each package name; the arches normally agree, else the highest is the fix. */
function fixedVersions(packages: UpdatePackage[]): Map<string, string> {
  const fixes = new Map<string, string>();
  for (const pkg of packages) {
    const name = pkg.name?.trim();
    const evr = evrOf(pkg);
    if (!name || !evr) continue;
    const known = fixes.get(name);
    // Every arch of a package usually names the same EVR: only a different one needs comparing.
    if (known === undefined || (evr !== known && compareRpmEvrs(evr, known) > 0)) fixes.set(name, evr);
  }
  return fixes;
}

function cveIdOf(reference: UpdateReference): string | undefined {
  const id = (reference.id ?? /CVE-\d{4}-\d+/i.exec(reference.href ?? '')?.[0] ?? '').trim().toUpperCase();
  return isCveId(id) ? id : undefined;
}

function referencesOf(update: Update, id: string): OsvReference[] {
  const self = update.references.find((r) => r.type === 'self' && r.href?.trim())?.href?.trim();
  return distinctReferences([
    ['ADVISORY', self ?? alasAdvisoryUrl(id)],
    ...update.references.filter((reference) => reference.type === 'cve').map((reference) => ['WEB', reference.href?.trim()] as const),
  ]);
}

/** A package's purl by `<release>/<name>`: the same packages come back in update after update (a kernel in hundreds). */
const purlOf = memoizedByText((key) => {
  const slash = key.indexOf('/');
  return new PackageURL('rpm', 'amazon', key.slice(slash + 1), undefined, { distro: `amazon-${key.slice(0, slash)}` }).toString();
}, 20_000);

function affectedOf(alas: AlasId, fixes: Map<string, string>, severity: string): OsvAffected[] {
  const ecosystem = `Amazon Linux:${alas.release}`;
  const specific: Record<string, unknown> = {};
  if (severity) specific.severity = severity;
  if (alas.extras) specific.extras = true;
  return [...fixes]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, fixed]) => ({
      package: { ecosystem, name, purl: purlOf(`${alas.release}/${name}`) },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ...(Object.keys(specific).length > 0 ? { ecosystem_specific: { ...specific } } : {}),
    }));
}

/** The OSV record of one `<update>`, or why there is none. */
function updateToOsv(update: Update): Osv | { malformed: string } {
  const id = update.id.trim();
  if (!id) return { malformed: 'an <update> without an <id>' };
  const alas = parseAlasId(id);
  if (!alas) return { malformed: `${id}: not an ALAS id` };
  const published = alasTimestamp(update.issued);
  const modified = alasTimestamp(update.updated) ?? published;
  if (!modified) return { malformed: `${id}: no readable <issued> or <updated> date` };
  const fixes = fixedVersions(update.packages);
  if (fixes.size === 0) return { malformed: `${id}: no packages` };
  const aliases = sortCveIds(new Set(update.references.filter((r) => r.type === 'cve').flatMap((r) => cveIdOf(r) ?? [])));
  return withoutUndefined({
    id,
    modified,
    published,
    aliases: aliases.length > 0 ? aliases : undefined,
    summary: update.title.trim() || undefined,
    details: update.description.trim() || undefined,
    affected: affectedOf(alas, fixes, update.severity.trim()),
    references: referencesOf(update, id),
    database_specific: { source: RECORD_SOURCES.alas },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Streaming updateinfo.xml

const localName = (name: string) => name.slice(name.indexOf(':') + 1);
const TEXT_FIELDS = new Set(['id', 'title', 'severity', 'description']);
type TextField = 'id' | 'title' | 'severity' | 'description';

/**
 * Reads `<updates><update>…</update>…</updates>` as SAX events and hands over each finished `<update>`. Only the
 * update being read is held in memory.
 */
class UpdateinfoReader {
  // No line and column tracking: it costs a third of the parse, and a bad document is noted whole anyway.
  readonly parser = new SaxesParser<{ position: false; xmlns: false }>({ position: false, xmlns: false });
  /** Local names of the open elements, the root first. */
  private readonly path: string[] = [];
  private update: Update | undefined;
  private textField: TextField | undefined;
  /** Why the document cannot be read further. */
  failure: string | undefined;

  constructor(private readonly onUpdate: (update: Update) => void) {
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', (tag) => this.close(tag));
    this.parser.on('text', (text) => this.text(text));
    this.parser.on('cdata', (text) => this.text(text));
    this.parser.on('error', (err) => {
      this.failure ??= `not well-formed XML at character ${this.parser.position}: ${err.message}`;
    });
  }

  private open(tag: SaxesTagPlain): void {
    const name = localName(tag.name);
    this.path.push(name);
    if (this.failure) return;
    if (this.path.length === 1 && name !== 'updates') {
      this.failure = `not an updateinfo document: the root element is <${tag.name}>`;
      return;
    }
    const attributes = tag.attributes;
    if (this.path.length === 2 && name === 'update') {
      this.update = newUpdate(attributes.type);
      return;
    }
    const update = this.update;
    if (!update) return;
    const depth = this.path.length;
    if (depth === 3 && TEXT_FIELDS.has(name)) this.textField = name as TextField;
    else if (depth === 3 && name === 'issued') update.issued = attributes.date;
    else if (depth === 3 && name === 'updated') update.updated = attributes.date;
    else if (name === 'reference' && this.path[2] === 'references') update.references.push({ type: attributes.type, id: attributes.id, href: attributes.href });
    else if (name === 'package' && this.path[2] === 'pkglist') update.packages.push(attributes);
  }

  private close(tag: SaxesTagPlain): void {
    const depth = this.path.length;
    this.path.pop();
    if (this.failure) return;
    if (depth === 3) this.textField = undefined;
    if (depth === 2 && localName(tag.name) === 'update' && this.update) {
      const update = this.update;
      this.update = undefined;
      this.onUpdate(update);
    }
  }

  private text(text: string): void {
    if (this.update && this.textField && !this.failure) this.update[this.textField] += text;
  }
}

/**
 * The OSV records of an updateinfo document, as its bytes arrive. A bad `<update>` is reported and skipped; bad XML
 * ends the document with one report. A failing input stream (a truncated gzip) throws.
 */
async function* updateinfoRecords(input: Readable, malformed: (reason: string) => void): AsyncGenerator<Osv> {
  let ready: Osv[] = [];
  const reader = new UpdateinfoReader((update) => {
    // ALAS repositories carry security updates only; anything else fixes no vulnerability.
    if (update.type !== undefined && update.type !== 'security') return;
    const result = updateToOsv(update);
    if ('malformed' in result) malformed(result.malformed);
    else ready.push(result);
  });
  const decoder = new StringDecoder('utf8');
  const feed = (text: string) => {
    if (text) reader.parser.write(text);
  };
  for await (const chunk of input) {
    feed(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    yield* ready;
    ready = [];
    if (reader.failure) {
      malformed(reader.failure);
      return;
    }
  }
  feed(decoder.end());
  reader.parser.close();
  yield* ready;
  if (reader.failure) malformed(reader.failure);
}

const UPDATES_ROOT = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<updates[\s>]/;
const ALAS_ID_ELEMENT = /<id>\s*ALAS\d*(?:[A-Z][A-Z0-9._-]*)?-\d{4}-\d+\s*<\/id>/;

/** yum updateinfo.xml whose updates are ALAS advisories (`ALAS-`, `ALAS2-`, `ALAS2KERNEL-5.10-`, `ALAS2023-`, …). */
export const alasUpdateinfoFormat: FeedFormat = {
  name: 'alas-updateinfo',
  sniff: (head) => UPDATES_ROOT.test(head) && ALAS_ID_ELEMENT.test(head),
  async *parse(input, context) {
    try {
      yield* updateinfoRecords(input, context.malformed);
    } catch (err) {
      context.malformed(`cannot read the document: ${(err as Error).message}`);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Repositories

/** Where a repository's updateinfo is, and the cursor that names its content. */
interface UpdateinfoLocation {
  url: string;
  checksum?: { type: string; value: string };
  /** `sha256:<hex>` from repomd.xml, else the file's href. */
  cursor: string;
}

interface RepositoryOptions {
  maxDownloadAttempts?: number;
  idleTimeoutMs?: number;
  requestTimeoutMs?: number;
}

function httpFailure(url: string, response: Response): Error {
  return unavailable(`GET ${url}: ${httpStatusLine(response)}`);
}

/** A small document as text; a failure names the URL and the cause. */
async function getText(context: SourceContext, url: string, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(context.signal?.reason);
  context.signal?.addEventListener('abort', onAbort, { once: true });
  if (context.signal?.aborted) onAbort();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  let response: Response;
  let text = '';
  try {
    response = await context.fetch(url, { signal: controller.signal });
    if (response.ok) text = await response.text();
    else await response.body?.cancel().catch(() => undefined);
  } catch (err) {
    if (context.signal?.aborted) throw context.signal.reason ?? err;
    throw unavailable(`GET ${url}: ${describeNetworkError(controller.signal.aborted ? controller.signal.reason : err)}`, err);
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onAbort);
  }
  if (!response.ok) throw httpFailure(url, response);
  return text;
}

/** The repository base: the mirror list's first URL, without a trailing slash. */
function firstMirror(list: string, url: string): string {
  const line = list
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^https?:\/\//i.test(l));
  if (!line) throw new Error(`${url}: no mirror URL in the list`);
  // Some mirror lists keep yum's variable; these lists are the x86_64 ones (their updateinfo covers aarch64 too).
  return line.replaceAll('$basearch', 'x86_64').replace(/\/+$/, '');
}

/** repomd.xml's `<data type="updateinfo">`: its href and checksum, undefined when the repository has none. */
function updateinfoEntry(xml: string, url: string): { href: string; checksum?: { type: string; value: string } } | undefined {
  const parser = new SaxesParser();
  let inUpdateinfo = false;
  let inChecksum = false;
  let checksumType = '';
  let checksum = '';
  let href: string | undefined;
  const errors: Error[] = [];
  parser.on('error', (err) => errors.push(err));
  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    const attributes = tag.attributes;
    if (name === 'data') inUpdateinfo = attributes.type === 'updateinfo';
    else if (inUpdateinfo && name === 'location') href = attributes.href;
    else if (inUpdateinfo && name === 'checksum') {
      inChecksum = true;
      checksumType = attributes.type ?? '';
    }
  });
  parser.on('text', (text) => {
    if (inChecksum) checksum += text;
  });
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    if (name === 'checksum') inChecksum = false;
    if (name === 'data') inUpdateinfo = false;
  });
  parser.write(xml).close();
  if (errors.length > 0) throw new Error(`${url}: not well-formed XML: ${errors[0].message}`);
  if (!href?.trim()) return undefined;
  const value = checksum.trim().toLowerCase();
  return { href: href.trim(), checksum: value && checksumType ? { type: checksumType.toLowerCase(), value } : undefined };
}

/** mirror.list → repomd.xml → the updateinfo's URL and checksum; undefined when the repository publishes none. */
async function locateUpdateinfo(context: SourceContext, mirrorList: string, options: RepositoryOptions): Promise<UpdateinfoLocation | undefined> {
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const base = firstMirror(await getText(context, mirrorList, timeout), mirrorList);
  const repomdUrl = `${base}/repodata/repomd.xml`;
  const entry = updateinfoEntry(await getText(context, repomdUrl, timeout), repomdUrl);
  if (!entry) return undefined;
  const url = new URL(entry.href, `${base}/`).href;
  const cursor = entry.checksum ? `${entry.checksum.type}:${entry.checksum.value}` : entry.href;
  return { url, checksum: entry.checksum, cursor };
}

/** repomd.xml's names for digests, in node:crypto's. */
const HASH_NAMES: Record<string, string> = { sha: 'sha1', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', md5: 'md5' };

async function verifyChecksum(path: string, location: UpdateinfoLocation): Promise<void> {
  const algorithm = location.checksum && HASH_NAMES[location.checksum.type];
  if (!location.checksum || !algorithm || !getHashes().includes(algorithm)) return;
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== location.checksum.value) {
    throw unavailable(
      `GET ${location.url}: checksum mismatch: repomd.xml says ${location.checksum.type} ${location.checksum.value}, the download has ${actual}`,
    );
  }
}

/** Parses the document and writes its records in batches; a broken stream throws an error naming the URL. */
async function writeRecords(context: SourceContext, document: Readable, url: string): Promise<void> {
  let batch: Osv[] = [];
  const flush = async () => {
    context.signal?.throwIfAborted();
    const records = batch;
    batch = [];
    if (records.length > 0) await context.putAdvisories(records);
  };
  try {
    for await (const osv of updateinfoRecords(document, (reason) => context.malformed(url, reason))) {
      batch.push(osv);
      if (batch.length >= BATCH_SIZE) await flush();
    }
  } catch (err) {
    if (document.errored === err) throw unavailable(`GET ${url}: cannot read the updateinfo: ${(err as Error).message}`, err);
    throw err;
  } finally {
    document.destroy();
  }
  await flush();
}

/** Downloads one repository's updateinfo, checks it against repomd.xml and writes its records. */
async function importUpdateinfo(context: SourceContext, location: UpdateinfoLocation, fileStem: string, options: RepositoryOptions): Promise<void> {
  await mkdir(context.workDir, { recursive: true });
  const dest = join(context.workDir, `${fileStem.replace(/[^A-Za-z0-9.-]+/g, '_')}-updateinfo`);
  context.onDownloadProgress?.(0, undefined);
  await downloadResumable(location.url, dest, {
    fetch: context.fetch,
    signal: context.signal,
    maxAttempts: options.maxDownloadAttempts,
    idleTimeoutMs: options.idleTimeoutMs,
    onProgress: context.onDownloadProgress,
  });
  try {
    await verifyChecksum(dest, location);
    // Decompressed by its first bytes, whatever its name says.
    await writeRecords(context, await decompressedDocument(createReadStream(dest)), location.url);
  } finally {
    await rm(dest, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sources

/** The repositories `alasSources` reads by default: mirror lists, and for AL2 extras the topic catalog. */
export const ALAS_DEFAULT_URLS: Readonly<Record<string, string>> = {
  '2023': 'https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list',
  '2': 'https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list',
  '2-extras': 'https://cdn.amazonlinux.com/2/extras-catalog.json',
  '1': 'http://repo.us-west-2.amazonaws.com/2018.03/updates/x86_64/mirror.list',
};

const DEFAULT_RELEASES = ['2023', '2', '2-extras', '1'];

export interface AlasSourceOptions extends RepositoryOptions {
  /** Which of `2023`, `2`, `2-extras`, `1` (or another key of `baseUrls`); default the four. */
  releases?: string[];
  /** Per release, the mirror list to start from (for `2-extras`, the topic catalog), over {@link ALAS_DEFAULT_URLS}. */
  baseUrls?: Record<string, string>;
}

function coreSource(release: string, mirrorList: string, options: RepositoryOptions): AdvisorySource {
  const name = `${RECORD_SOURCES.alas}:${release}`;
  return {
    name,
    ecosystems: [`Amazon Linux:${release}`],
    async run(context: SourceContext): Promise<SourceOutcome> {
      const location = await locateUpdateinfo(context, mirrorList, options);
      if (!location) throw new Error(`${mirrorList}: the repository's repomd.xml names no updateinfo`);
      if (location.cursor === context.cursor) return { status: 'not-modified' };
      await importUpdateinfo(context, location, name, options);
      return { status: 'updated', cursor: location.cursor };
    },
  };
}

/** The extras cursor: each topic's updateinfo cursor. */
type TopicCursors = Record<string, string>;

function parseTopicCursors(text: string | undefined): TopicCursors {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as TopicCursors;
  } catch {
    return {};
  }
}

const sortedJson = (cursors: TopicCursors) => JSON.stringify(Object.fromEntries(Object.entries(cursors).sort(([a], [b]) => (a < b ? -1 : 1))));

/** Topic names from the extras catalog (`{"topics": [{"n": "kernel-5.15", …}]}`). */
function catalogTopics(text: string, url: string): string[] {
  let catalog: { topics?: Array<{ n?: unknown }> };
  try {
    catalog = JSON.parse(text) as typeof catalog;
  } catch (err) {
    throw new Error(`${url}: not an extras catalog: ${(err as Error).message}`);
  }
  if (!Array.isArray(catalog?.topics)) throw new Error(`${url}: not an extras catalog: no topics`);
  const names = catalog.topics.map((t) => t?.n).filter((n): n is string => typeof n === 'string' && /^[A-Za-z0-9._+-]+$/.test(n));
  return [...new Set(names)];
}

/**
 * Every Amazon Linux 2 extras topic in the catalog, each its own repository at
 * `<catalog dir>/extras/<topic>/latest/x86_64/mirror.list`. Only topics whose updateinfo changed are read; one that
 * cannot be read is noted and tried again next run, and finished topics are checkpointed.
 */
function extrasSource(catalogUrl: string, options: RepositoryOptions): AdvisorySource {
  const name = 'alas:2-extras';
  return {
    name,
    ecosystems: ['Amazon Linux:2'],
    async run(context: SourceContext): Promise<SourceOutcome> {
      const topics = catalogTopics(await getText(context, catalogUrl, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS), catalogUrl);
      const previous = parseTopicCursors(context.cursor);
      const known = { ...previous, ...parseTopicCursors(context.progress) };
      const next: TopicCursors = {};
      let failures = 0;
      let firstFailure: unknown;
      for (const topic of topics) {
        const mirrorList = new URL(`extras/${encodeURIComponent(topic)}/latest/x86_64/mirror.list`, catalogUrl).href;
        try {
          const location = await locateUpdateinfo(context, mirrorList, options);
          if (!location) continue;
          if (known[topic] !== location.cursor) {
            await importUpdateinfo(context, location, `${name}-${topic}`, options);
            await context.saveProgress(sortedJson({ ...known, ...next, [topic]: location.cursor }));
          }
          next[topic] = location.cursor;
        } catch (err) {
          if (context.signal?.aborted) throw err;
          failures++;
          firstFailure ??= err;
          context.malformed(`extras topic ${topic}`, (err as Error).message);
          if (previous[topic]) next[topic] = previous[topic];
        }
      }
      if (failures > 0 && failures === topics.length) throw firstFailure;
      const cursor = sortedJson(next);
      return cursor === sortedJson(previous) ? { status: 'not-modified' } : { status: 'updated', cursor };
    },
  };
}

/** One advisory source per Amazon Linux repository: `alas:2023`, `alas:2`, `alas:2-extras`, `alas:1`. */
export function alasSources(options: AlasSourceOptions = {}): AdvisorySource[] {
  const urls = { ...ALAS_DEFAULT_URLS, ...options.baseUrls };
  return (options.releases ?? DEFAULT_RELEASES).map((release) => {
    const url = urls[release];
    if (!url) throw new Error(`no ALAS repository is known for Amazon Linux ${release}: give its mirror list in baseUrls`);
    return release === '2-extras' ? extrasSource(url, options) : coreSource(release, url, options);
  });
}
