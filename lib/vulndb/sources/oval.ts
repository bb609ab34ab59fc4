/**
 * A streaming reader of OVAL 5 definition documents (linux-def rpminfo tests, criteria trees), shared by the vendor
 * feeds that publish OVAL, and the advisory source that downloads one such document and writes its records.
 *
 * OVAL puts the definitions first and the tests, objects and states they refer to after them. The reader keeps only
 * compact maps of the tests, objects and states in memory; each finished definition goes to a spool file, and once
 * the document has been read the spooled definitions are resolved against the maps and handed out one by one.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { unavailable } from '../../errors';
import { downloadResumable } from '../download';
import { type Osv, withoutUndefined } from '../osv';
import { decompressedDocument } from '../document-stream';
import type { AdvisorySource, FeedFormat, SourceContext, SourceOutcome } from './types';

// ---------------------------------------------------------------------------------------------------------------
// The model

/** The document's `<generator>`: who made it and when. */
export interface OvalGenerator {
  productName?: string;
  productVersion?: string;
  schemaVersion?: string;
  timestamp?: string;
  contentVersion?: string;
}

/** One compared value of a state, e.g. `<evr datatype="evr_string" operation="less than">0:1.2-3.el9</evr>`. */
export interface OvalValue {
  value: string;
  /** As written (`less than`, `pattern match`); `equals` when absent, OVAL's default. */
  operation: string;
  datatype?: string;
}

export interface OvalReference {
  source: string;
  id: string;
  url?: string;
}

/** A `<cve>` of an `<advisory>` (Red Hat-style metadata, which Oracle uses). */
export interface OvalCve {
  id: string;
  href?: string;
  cvss2?: string;
  cvss3?: string;
  public?: string;
}

/** A test a criterion names, resolved through the test's object and state(s). */
export interface OvalCondition {
  testRef: string;
  /** The criterion's comment. */
  comment?: string;
  /** True when the test must fail: the criterion's and its enclosing criteria's negations combined. */
  negate: boolean;
  /** The test element's local name (`rpminfo_test`, `textfilecontent54_test`); undefined when the document has no such test. */
  kind?: string;
  /** The `<name>` of the test's object: the package an rpminfo test looks at. */
  packageName?: string;
  /** The state's comparisons by element local name: `evr`, `arch`, `version`, `release`, `signature_keyid`, … */
  state: Record<string, OvalValue>;
  /** An `<extend_definition>`: the definition it refers to (not resolved). */
  extendsDefinition?: string;
}

export interface OvalDefinition {
  id: string;
  class: string;
  version?: string;
  title: string;
  description: string;
  family?: string;
  platforms: string[];
  references: OvalReference[];
  /** `<advisory><severity>`, else a `<severity>` directly in `<metadata>` (Microsoft's). */
  severity?: string;
  /** `<advisory><issued date>` and `<updated date>`, as written. */
  issued?: string;
  updated?: string;
  cves: OvalCve[];
  cpes: string[];
  /** The other text-only children of `<metadata>` by local name: Microsoft's `patchable`, `advisory_date`, `advisory_id`. */
  extra: Record<string, string>;
  /**
   * The criteria tree as alternatives: the definition holds when every condition of some alternative holds. AND
   * multiplies out, OR concatenates, negations are pushed down to the conditions; ONE and XOR are read as OR.
   */
  alternatives: OvalCondition[][];
}

// ---------------------------------------------------------------------------------------------------------------
// What the SAX pass keeps

type CriteriaNode =
  | { type: 'criteria'; operator: string; negate: boolean; children: CriteriaNode[] }
  | { type: 'criterion'; testRef: string; comment?: string; negate: boolean }
  | { type: 'extend'; definitionRef: string; negate: boolean };

/** A definition as read, before its criteria are resolved: what goes to the spool. */
interface RawDefinition extends Omit<OvalDefinition, 'alternatives'> {
  criteria?: CriteriaNode;
}

interface TestEntry {
  kind: string;
  objectRef?: string;
  stateRefs: string[];
}

/** A test as the map keeps it, one flat string (a document has hundreds of thousands): kind, object, states. */
const packTest = (test: TestEntry) => [test.kind, test.objectRef ?? '', ...test.stateRefs].join('\t');

function unpackTest(packed: string): TestEntry {
  const [kind, objectRef, ...stateRefs] = packed.split('\t');
  return { kind, objectRef: objectRef || undefined, stateRefs };
}

/** Past this many alternatives a definition's criteria are too tangled to use (no vendor comes near). */
const MAX_ALTERNATIVES = 10_000;

const localName = (name: string) => name.slice(name.lastIndexOf(':') + 1);
/**
 * A copy of a string that the maps keep: the parser's strings are slices of the chunk they came from, and one kept
 * slice keeps its whole chunk in memory.
 */
const own = (text: string) => (text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string));
const isTrue = (value: string | undefined) => value === 'true' || value === '1';

const GENERATOR_FIELDS: Record<string, keyof OvalGenerator> = {
  product_name: 'productName',
  product_version: 'productVersion',
  schema_version: 'schemaVersion',
  timestamp: 'timestamp',
  content_version: 'contentVersion',
};

function newDefinition(attributes: Record<string, string>): RawDefinition {
  return {
    id: attributes.id?.trim() ?? '',
    class: attributes.class?.trim() ?? '',
    version: attributes.version,
    title: '',
    description: '',
    platforms: [],
    references: [],
    cves: [],
    cpes: [],
    extra: {},
  };
}

/** Where the text being collected goes once its element closes. */
type TextSink = (text: string) => void;

/**
 * Reads the SAX events of one OVAL document: the generator, each definition (handed to `onDefinition` when it
 * closes) and the test, object and state maps. Elements are matched by local name, so any prefix or default
 * namespace is accepted.
 */
class OvalSaxReader {
  // No line and column tracking: it costs a third of the parse, and a bad document is noted whole anyway.
  readonly parser = new SaxesParser<{ position: false; xmlns: false }>({ position: false, xmlns: false });
  readonly generator: OvalGenerator = {};
  readonly tests = new Map<string, string>();
  readonly objects = new Map<string, string>();
  readonly states = new Map<string, Record<string, OvalValue>>();
  failure: Error | undefined;
  /** Local names of the open elements, the root first. */
  private readonly path: string[] = [];
  private definition: RawDefinition | undefined;
  private readonly criteria: Array<Extract<CriteriaNode, { type: 'criteria' }>> = [];
  private test: { id: string; entry: TestEntry } | undefined;
  private objectId: string | undefined;
  private stateId: string | undefined;
  private text = '';
  /** The sink of the element whose text is collected, and its depth. */
  private sink: { depth: number; accept: TextSink } | undefined;

  constructor(
    private readonly onDefinition: (definition: RawDefinition) => void,
    private readonly onGenerator: (generator: OvalGenerator) => void,
  ) {
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', () => this.close());
    this.parser.on('text', (text) => this.addText(text));
    this.parser.on('cdata', (text) => this.addText(text));
    this.parser.on('error', (err) => {
      this.failure ??= new Error(`at character ${this.parser.position}: ${err.message}`);
    });
  }

  /** One copy of each of the few words that repeat in every test and state (`rpminfo_test`, `less than`). */
  private readonly words = new Map<string, string>();

  private intern(word: string): string {
    const known = this.words.get(word);
    if (known !== undefined) return known;
    if (this.words.size < 1000) this.words.set(word, word);
    return word;
  }

  private collect(accept: TextSink): void {
    this.text = '';
    this.sink = { depth: this.path.length, accept };
  }

  private addText(text: string): void {
    if (this.sink && !this.failure) this.text += text;
  }

  private open(tag: SaxesTagPlain): void {
    const name = localName(tag.name);
    this.path.push(name);
    if (this.failure) return;
    const depth = this.path.length;
    const attributes = tag.attributes as Record<string, string>;
    if (depth === 1) {
      if (name !== 'oval_definitions') this.failure = new Error(`the root element is <${tag.name}>, not <oval_definitions>`);
      return;
    }
    const section = this.path[1];
    if (section === 'generator' && depth === 3 && GENERATOR_FIELDS[name]) {
      const field = GENERATOR_FIELDS[name];
      this.collect((text) => {
        this.generator[field] = text.trim();
      });
    } else if (section === 'definitions') this.openInDefinitions(name, depth, attributes);
    else if (section === 'tests') this.openInTests(name, depth, attributes);
    else if (section === 'objects') this.openInObjects(name, depth, attributes);
    else if (section === 'states') this.openInStates(name, depth, attributes);
  }

  private openInDefinitions(name: string, depth: number, attributes: Record<string, string>): void {
    if (depth === 3 && name === 'definition') {
      this.definition = newDefinition(attributes);
      return;
    }
    const definition = this.definition;
    if (!definition) return;
    if (this.path[3] === 'metadata') this.openInMetadata(definition, name, depth, attributes);
    else if (name === 'criteria') this.openCriteria(definition, attributes);
    else if (name === 'criterion') {
      const node: CriteriaNode = { type: 'criterion', testRef: attributes.test_ref ?? '', comment: attributes.comment, negate: isTrue(attributes.negate) };
      this.addCriteriaNode(definition, node);
    } else if (name === 'extend_definition') {
      this.addCriteriaNode(definition, { type: 'extend', definitionRef: attributes.definition_ref ?? '', negate: isTrue(attributes.negate) });
    }
  }

  private openInMetadata(definition: RawDefinition, name: string, depth: number, attributes: Record<string, string>): void {
    const parent = this.path[depth - 2];
    const push = (list: string[]) => (text: string) => {
      if (text.trim()) list.push(text.trim());
    };
    if (depth === 5) {
      if (name === 'title') this.collect((text) => (definition.title = text.trim()));
      else if (name === 'description') this.collect((text) => (definition.description = text.trim()));
      else if (name === 'affected') definition.family = attributes.family;
      else if (name === 'reference') {
        definition.references.push({
          source: attributes.source?.trim() ?? '',
          id: attributes.ref_id?.trim() ?? '',
          url: attributes.ref_url?.trim() || undefined,
        });
      } else if (name !== 'advisory') this.collect((text) => (definition.extra[name] = text.trim()));
    } else if (parent === 'affected' && name === 'platform') this.collect(push(definition.platforms));
    else if (parent === 'affected_cpe_list' && name === 'cpe') this.collect(push(definition.cpes));
    else if (parent === 'advisory') this.openInAdvisory(definition, name, attributes);
  }

  private openInAdvisory(definition: RawDefinition, name: string, attributes: Record<string, string>): void {
    if (name === 'severity') this.collect((text) => (definition.severity = text.trim() || undefined));
    else if (name === 'issued') definition.issued = attributes.date?.trim();
    else if (name === 'updated') definition.updated = attributes.date?.trim();
    else if (name === 'cve') {
      const { href, cvss2, cvss3 } = attributes;
      this.collect((text) => {
        if (text.trim()) definition.cves.push(withoutUndefined({ id: text.trim(), href, cvss2, cvss3, public: attributes.public }));
      });
    }
  }

  private openCriteria(definition: RawDefinition, attributes: Record<string, string>): void {
    const node: CriteriaNode = {
      type: 'criteria',
      operator: (attributes.operator ?? 'AND').trim().toUpperCase(),
      negate: isTrue(attributes.negate),
      children: [],
    };
    this.addCriteriaNode(definition, node);
    this.criteria.push(node);
  }

  private addCriteriaNode(definition: RawDefinition, node: CriteriaNode): void {
    const parent = this.criteria.at(-1);
    if (parent) parent.children.push(node);
    else if (!definition.criteria) definition.criteria = node;
  }

  private openInTests(name: string, depth: number, attributes: Record<string, string>): void {
    if (depth === 3 && attributes.id) {
      this.test = { id: own(attributes.id), entry: { kind: name, stateRefs: [] } };
    } else if (depth === 4 && this.test && name === 'object' && attributes.object_ref) this.test.entry.objectRef = attributes.object_ref;
    else if (depth === 4 && this.test && name === 'state' && attributes.state_ref) this.test.entry.stateRefs.push(attributes.state_ref);
  }

  private openInObjects(name: string, depth: number, attributes: Record<string, string>): void {
    if (depth === 3) this.objectId = attributes.id ? own(attributes.id) : undefined;
    else if (depth === 4 && name === 'name' && this.objectId) {
      const id = this.objectId;
      this.collect((text) => {
        if (text.trim()) this.objects.set(id, own(text.trim()));
      });
    }
  }

  private openInStates(name: string, depth: number, attributes: Record<string, string>): void {
    if (depth === 3 && attributes.id) {
      this.stateId = own(attributes.id);
      this.states.set(this.stateId, {});
    } else if (depth === 4 && this.stateId) {
      const fields = this.states.get(this.stateId);
      const operation = this.intern(attributes.operation?.trim() || 'equals');
      const datatype = attributes.datatype ? this.intern(attributes.datatype) : undefined;
      this.collect((text) => {
        if (fields) fields[this.intern(name)] = { value: own(text.trim()), operation, ...(datatype ? { datatype } : {}) };
      });
    }
  }

  private close(): void {
    const depth = this.path.length;
    const name = this.path.pop();
    if (this.failure) return;
    if (this.sink && this.sink.depth === depth) {
      const { accept } = this.sink;
      this.sink = undefined;
      accept(this.text);
      this.text = '';
    }
    const section = this.path[1];
    if (depth === 2 && name === 'generator') this.onGenerator(this.generator);
    else if (section === 'definitions' && name === 'criteria' && this.definition) this.criteria.pop();
    else if (section === 'definitions' && depth === 3 && name === 'definition' && this.definition) {
      const definition = this.definition;
      this.definition = undefined;
      this.criteria.length = 0;
      definition.severity ??= definition.extra.severity || undefined;
      this.onDefinition(definition);
    } else if (depth === 3 && section === 'tests' && this.test) {
      this.tests.set(this.test.id, packTest(this.test.entry));
      this.test = undefined;
    } else if (depth === 3 && section === 'objects') this.objectId = undefined;
    else if (depth === 3 && section === 'states') this.stateId = undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Resolving criteria

class TooManyAlternatives extends Error {}

function multiply(left: OvalCondition[][], right: OvalCondition[][]): OvalCondition[][] {
  if (left.length * right.length > MAX_ALTERNATIVES) throw new TooManyAlternatives();
  return left.flatMap((a) => right.map((b) => [...a, ...b]));
}

/** The alternatives of a criteria (sub)tree; `negated` is the negation the enclosing criteria impose. */
function alternativesOf(
  node: CriteriaNode,
  negated: boolean,
  condition: (testRef: string, comment: string | undefined, negate: boolean) => OvalCondition,
): OvalCondition[][] {
  const negate = negated !== node.negate;
  if (node.type === 'criterion') return [[condition(node.testRef, node.comment, negate)]];
  if (node.type === 'extend') return [[{ testRef: '', negate, state: {}, extendsDefinition: node.definitionRef }]];
  const parts = node.children.map((child) => alternativesOf(child, negate, condition));
  // De Morgan: a negated AND is an OR of negated parts, and the other way round.
  const conjunction = (node.operator === 'AND') !== negate;
  if (conjunction) return parts.reduce(multiply, [[]]);
  const alternatives = parts.flat();
  if (alternatives.length > MAX_ALTERNATIVES) throw new TooManyAlternatives();
  return alternatives;
}

/** Test, object and state maps of one document, and the conditions they make. */
class ConditionResolver {
  constructor(private readonly reader: OvalSaxReader) {}

  condition(testRef: string, comment: string | undefined, negate: boolean): OvalCondition {
    const packed = this.reader.tests.get(testRef);
    const test = packed === undefined ? undefined : unpackTest(packed);
    const base: OvalCondition = { testRef, negate, state: {}, ...(comment ? { comment } : {}) };
    if (!test) return base;
    const state: Record<string, OvalValue> = {};
    for (const ref of test.stateRefs) Object.assign(state, this.reader.states.get(ref));
    const packageName = test.objectRef ? this.reader.objects.get(test.objectRef) : undefined;
    return { ...base, kind: test.kind, state, ...(packageName ? { packageName } : {}) };
  }

  resolve(raw: RawDefinition): OvalDefinition {
    const { criteria, ...rest } = raw;
    const alternatives = criteria ? alternativesOf(criteria, false, (ref, comment, negate) => this.condition(ref, comment, negate)) : [];
    return { ...rest, alternatives };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The spool: finished definitions wait in a temporary file while the tests, objects and states are read

/** Resolves when the stream wants more, or has failed (the failure is kept by its own listener). */
function drained(out: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
  });
}

class DefinitionSpool {
  private out: WriteStream | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly dir: string,
    private readonly path: string,
  ) {}

  static async create(parent: string | undefined): Promise<DefinitionSpool> {
    const dir = await mkdtemp(join(parent ?? tmpdir(), 'lamina-oval-'));
    return new DefinitionSpool(dir, join(dir, 'definitions.jsonl'));
  }

  async add(definitions: RawDefinition[]): Promise<void> {
    if (definitions.length === 0) return;
    if (!this.out) {
      this.out = createWriteStream(this.path);
      this.out.on('error', (err) => {
        this.failure ??= err;
      });
    }
    const text = definitions.map((d) => `${JSON.stringify(d)}\n`).join('');
    if (!this.out.write(text)) await drained(this.out);
    if (this.failure) throw this.failure;
  }

  async *read(): AsyncGenerator<RawDefinition> {
    const out = this.out;
    if (!out) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (this.failure) throw this.failure;
    const lines = createInterface({ input: createReadStream(this.path), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) if (line) yield JSON.parse(line) as RawDefinition;
  }

  async dispose(): Promise<void> {
    this.out?.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a document

/** A document that is not well-formed OVAL, read `strict`. */
export class MalformedOvalError extends Error {}

export interface ReadOvalOptions {
  /** A document or definition that cannot be used: reported, never thrown. */
  malformed(reason: string): void;
  /** Called once the `<generator>` is read, before any definition; returning false stops reading (nothing is yielded). */
  onGenerator?(generator: OvalGenerator): boolean | undefined;
  /** Where the spool directory goes (default the system's temporary directory). */
  spoolDir?: string;
  /** A document that is not well-formed OVAL throws instead of being noted: a source's download is tried again. */
  strict?: boolean;
}

/**
 * The definitions of an OVAL document, resolved, in document order. XML that is not well-formed, or a root other
 * than `<oval_definitions>`, is one malformed note (or, `strict`, an error) and no definitions; a definition without
 * an id, or with criteria too tangled to use, is noted and skipped. A failing input stream throws.
 */
export async function* readOvalDefinitions(input: Readable, options: ReadOvalOptions): AsyncGenerator<OvalDefinition> {
  // An error before the first read must not go unhandled; the reading loop still throws it.
  input.on('error', () => undefined);
  const spool = await DefinitionSpool.create(options.spoolDir);
  let finished: RawDefinition[] = [];
  let stopped = false;
  const reader = new OvalSaxReader(
    (definition) => finished.push(definition),
    (generator) => {
      if (options.onGenerator?.(generator) === false) stopped = true;
    },
  );
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of input) {
      reader.parser.write(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
      if (reader.failure || stopped) break;
      await spool.add(finished);
      finished = [];
    }
    if (!reader.failure && !stopped) {
      reader.parser.write(decoder.end());
      reader.parser.close();
      await spool.add(finished);
    }
    if (reader.failure) {
      const reason = `not well-formed OVAL: ${reader.failure.message}`;
      if (options.strict) throw new MalformedOvalError(reason);
      options.malformed(reason);
      return;
    }
    if (stopped) return;
    const resolver = new ConditionResolver(reader);
    for await (const raw of spool.read()) {
      if (!raw.id) {
        options.malformed(`a <definition> without an id (${raw.title || 'no title'})`);
        continue;
      }
      try {
        yield resolver.resolve(raw);
      } catch (err) {
        if (!(err instanceof TooManyAlternatives)) throw err;
        options.malformed(`${raw.id}: criteria with more than ${MAX_ALTERNATIVES} alternatives`);
      }
    }
  } finally {
    input.destroy();
    await spool.dispose();
  }
}

const OVAL_ROOT = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:[\w.-]+:)?oval_definitions[\s>]/;

/** Whether a document's first bytes are an OVAL definitions document. */
export const isOvalDocument = (head: string) => OVAL_ROOT.test(head);

// ---------------------------------------------------------------------------------------------------------------
// Helpers the vendor converters share

/** `0:1.2-3.el9` → `1.2-3.el9`, `1:1.2-3` kept: rpm's EVR with the epoch only when it is not 0. */
export function evrWithoutZeroEpoch(evr: string): string {
  const text = evr.trim();
  const match = /^(\d+):(.*)$/.exec(text);
  if (!match) return text;
  return /^0+$/.test(match[1]) ? match[2] : `${Number(match[1])}:${match[2]}`;
}

/** An OVAL date or time (`2024-04-23`, `2022-04-27T06:35:16`, `2024-10-10T12:04:24.575063301Z`) as RFC 3339 UTC. */
export function ovalTimestamp(text: string | undefined): string | undefined {
  const trimmed = text?.trim() ?? '';
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
  if (!match) return undefined;
  const [, date, time, fraction = '', zone] = match;
  if (!time) return Number.isNaN(Date.parse(date)) ? undefined : `${date}T00:00:00Z`;
  const clock = time.length === 5 ? `${time}:00` : time;
  if (zone && zone !== 'Z') {
    const parsed = Date.parse(`${date}T${clock}${zone}`);
    return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString().replace('.000Z', 'Z');
  }
  const iso = `${date}T${clock}${fraction}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

// ---------------------------------------------------------------------------------------------------------------
// One downloaded OVAL document as an advisory source

/** What an OVAL source remembers: the document's ETag and its generator timestamp. */
export interface OvalCursor {
  etag?: string;
  generated?: string;
}

/** Where an interrupted run stopped: the document (by generator timestamp) and how many records it had written. */
interface OvalProgress {
  generated: string;
  written: number;
}

function parseJson<T>(text: string | undefined): Partial<T> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Partial<T>) : {};
  } catch {
    return {};
  }
}

/** The records of one vendor's definitions; the converter reports what it cannot use. */
export type OvalRecords = (
  definitions: AsyncIterable<OvalDefinition>,
  generator: OvalGenerator,
  malformed: (reason: string) => void,
  fileName: string,
) => AsyncIterable<Osv>;

/** A vendor's OVAL as `db import` reads it: an OVAL document bearing the vendor's mark, its definitions turned into records. */
export function ovalFeedFormat(name: string, mark: RegExp, records: OvalRecords): FeedFormat {
  return {
    name,
    sniff: (head) => isOvalDocument(head) && mark.test(head),
    async *parse(input, context) {
      const generator: OvalGenerator = {};
      const definitions = readOvalDefinitions(input, {
        malformed: context.malformed,
        onGenerator: (read) => {
          Object.assign(generator, read);
          return true;
        },
      });
      try {
        yield* records(definitions, generator, context.malformed, context.fileName);
      } catch (err) {
        context.malformed(`cannot read the document: ${(err as Error).message}`);
      }
    },
  };
}

export interface OvalDocumentSourceOptions {
  maxDownloadAttempts?: number;
  idleTimeoutMs?: number;
  /** Records per write (and checkpoint). */
  batchSize?: number;
}

export interface OvalDocumentSpec {
  name: string;
  ecosystems: readonly string[];
  url: string;
  /** The records of the document's definitions (the converter reports what it cannot use). */
  records(definitions: AsyncIterable<OvalDefinition>, generator: OvalGenerator, malformed: (reason: string) => void): AsyncIterable<Osv>;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * One OVAL document at a URL. An unchanged document (its ETag, else its generator timestamp) writes nothing;
 * otherwise every record is written in batches, each batch checkpointed, so a run cut short continues on the next
 * run from where it stopped when the document is the same.
 */
export function ovalDocumentSource(spec: OvalDocumentSpec, options: OvalDocumentSourceOptions = {}): AdvisorySource {
  return {
    name: spec.name,
    ecosystems: spec.ecosystems,
    run: (context) => runOvalDocument(spec, options, context),
  };
}

async function runOvalDocument(spec: OvalDocumentSpec, options: OvalDocumentSourceOptions, context: SourceContext): Promise<SourceOutcome> {
  const cursor = parseJson<OvalCursor>(context.cursor);
  const progress = parseJson<OvalProgress>(context.progress);
  const dest = join(context.workDir, `${spec.name.replace(/[^A-Za-z0-9.-]+/g, '_')}.oval`);
  context.onDownloadProgress?.(0, undefined);
  const download = await downloadResumable(spec.url, dest, {
    ifNoneMatch: progress.generated ? undefined : cursor.etag,
    maxAttempts: options.maxDownloadAttempts,
    fetch: context.fetch,
    signal: context.signal,
    idleTimeoutMs: options.idleTimeoutMs,
    onProgress: context.onDownloadProgress,
  });
  if (download.status === 'not-modified') return { status: 'not-modified' };
  try {
    const generated = await writeDocument(spec, options, context, dest, { cursor, progress });
    const next: OvalCursor = { etag: download.etag, generated: generated.timestamp };
    return { status: generated.unchanged ? 'not-modified' : 'updated', cursor: JSON.stringify(withoutUndefined(next)) };
  } finally {
    if (!context.signal?.aborted) await rm(dest, { force: true });
  }
}

/** Whether a checkpoint says how many records of this same document an interrupted run already wrote. */
function resumePoint(progress: Partial<OvalProgress>, generator: OvalGenerator): number {
  return progress.generated !== undefined && progress.generated === generator.timestamp ? (progress.written ?? 0) : 0;
}

async function writeDocument(
  spec: OvalDocumentSpec,
  options: OvalDocumentSourceOptions,
  context: SourceContext,
  path: string,
  state: { cursor: Partial<OvalCursor>; progress: Partial<OvalProgress> },
): Promise<{ timestamp?: string; unchanged: boolean }> {
  const malformed = (reason: string) => context.malformed(spec.url, reason);
  // Bunzipped (or gunzipped…) by its first bytes, whatever the file's name says.
  const document = await decompressedDocument(createReadStream(path, { highWaterMark: 1 << 20 }));
  const generator: OvalGenerator = {};
  let unchanged = false;
  const definitions = readOvalDefinitions(document, {
    malformed,
    strict: true,
    onGenerator: (read) => {
      Object.assign(generator, read);
      unchanged = !state.progress.generated && read.timestamp !== undefined && read.timestamp === state.cursor.generated;
      return !unchanged;
    },
  });
  let seen = 0;
  let resumeAt: number | undefined;
  let batch: Osv[] = [];
  const flush = async () => {
    context.signal?.throwIfAborted();
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    await context.putAdvisories(records);
    if (generator.timestamp) await context.saveProgress(JSON.stringify({ generated: generator.timestamp, written: seen } satisfies OvalProgress));
  };
  try {
    for await (const osv of spec.records(definitions, generator, malformed)) {
      resumeAt ??= resumePoint(state.progress, generator);
      seen++;
      if (seen <= resumeAt) continue;
      batch.push(osv);
      if (batch.length >= (options.batchSize ?? DEFAULT_BATCH_SIZE)) await flush();
    }
  } catch (err) {
    if (document.errored || err instanceof MalformedOvalError) throw unavailable(`GET ${spec.url}: cannot read the document: ${(err as Error).message}`, err);
    throw err;
  }
  await flush();
  if (resumeAt) context.skipped(Math.min(resumeAt, seen));
  return { timestamp: generator.timestamp, unchanged };
}
