/**
 * Oracle's ELSA OVAL (`com.oracle.elsa-all.xml.bz2`; Oracle also publishes it per year, `com.oracle.elsa-2024.xml.bz2`,
 * and per release, `com.oracle.elsa-ol9.xml.bz2`). Each definition is one ELSA: for each Oracle Linux release it
 * covers (`Oracle Linux 9 is installed`), per arch, binary packages fixed at an EVR and signed with Oracle's key.
 *
 * Records: id the ELSA id (`ELSA-2024-1828`), the CVEs as aliases, one affected entry per release and binary
 * package (`Oracle Linux:9`, `pkg:rpm/oracle/<name>?distro=oraclelinux-9`), fixed at the highest EVR its arches
 * name. Kernel UEK, ksplice-updates and other variants with their own package names are ordinary packages.
 *
 * Two kinds of alternative are left out, because OSV cannot say what they need: a package that must also have a
 * release matching a pattern (`openssl is ksplice-based`: Ksplice userspace builds, `…ksplice1.el8`), and a
 * package that must be `fips patched` (the el9 `_fips` builds, under a higher epoch). Both carry the ordinary
 * package's name, so a plain EVR range would mark every ordinary build of it as affected.
 */
import { PackageURL } from 'packageurl-js';
import { compareRpmEvrs } from '../../versions/rpm';
import { isCveId, sortCveIds } from '../cve-id';
import { distinctReferences, type Osv, type OsvAffected, type OsvReference, withoutUndefined } from '../osv';
import {
  evrWithoutZeroEpoch,
  type OvalCondition,
  type OvalDefinition,
  type OvalDocumentSourceOptions,
  type OvalGenerator,
  ovalDocumentSource,
  ovalFeedFormat,
  ovalTimestamp,
} from './oval';
import type { AdvisorySource, FeedFormat } from './types';
import { RECORD_SOURCES } from '../record-sources';

export const ORACLE_OVAL_URL = 'https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2';
/** The Oracle Linux releases ELSA covers. */
export const ORACLE_RELEASES: readonly string[] = ['5', '6', '7', '8', '9', '10'];

const ELSA_ID = /ELSA-\d{4}-\d+(?:-\d+)?/;
/** The package whose version tells the release (`^9`) and whose arch tells the machine's. */
const RELEASE_PACKAGE = 'oraclelinux-release';

// ---------------------------------------------------------------------------------------------------------------
// What one alternative says

/** One package fix an alternative names: under a release, on an arch, maybe in a module stream. */
interface PackageFix {
  release: string;
  name: string;
  evr: string;
  arch?: string;
  module?: string;
}

/** What the conditions of one alternative say, read by what they test rather than by their comments. */
interface AlternativeFacts {
  release?: string;
  arch?: string;
  module?: string;
  packages: Array<{ name: string; evr: string }>;
  /** Packages that must also match a release pattern or be fips patched: a build variant under the same name. */
  variants: Set<string>;
  unusable?: string;
}

const releaseOfPattern = (pattern: string) => /^\^?(\d+)\b/.exec(pattern.trim())?.[1];
const MODULE_COMMENT = /^Module (\S+) is enabled$/;
const INSTALLED_COMMENT = /^Oracle Linux (\d+) is installed$/;
const ARCH_COMMENT = /^Oracle Linux arch is (\S+)$/;
const EARLIER_COMMENT = /^(\S+) is earlier than (\S+)$/;
const VARIANT_COMMENT = /^(\S+) is (?:ksplice-based|fips patched)$/;

function readCondition(facts: AlternativeFacts, condition: OvalCondition): void {
  const comment = condition.comment?.trim() ?? '';
  const { state, packageName } = condition;
  const module = MODULE_COMMENT.exec(comment)?.[1];
  if (module) {
    facts.module = module;
    return;
  }
  if (condition.negate) {
    facts.unusable = `a negated test (${condition.testRef})`;
    return;
  }
  if (!condition.kind) {
    // Without the test only the comment is left: Oracle words the ones that matter one way.
    const installed = INSTALLED_COMMENT.exec(comment)?.[1];
    const arch = ARCH_COMMENT.exec(comment)?.[1];
    const earlier = EARLIER_COMMENT.exec(comment);
    const variant = VARIANT_COMMENT.exec(comment)?.[1];
    if (installed) facts.release = installed;
    else if (arch) facts.arch = arch;
    else if (earlier) facts.packages.push({ name: earlier[1], evr: earlier[2] });
    else if (variant) facts.variants.add(variant);
    return;
  }
  if (packageName === RELEASE_PACKAGE) {
    if (state.version) facts.release = releaseOfPattern(state.version.value);
    if (state.arch) facts.arch = state.arch.value;
    return;
  }
  if (!packageName) return;
  if (state.evr && /^less than$/i.test(state.evr.operation.trim())) facts.packages.push({ name: packageName, evr: state.evr.value });
  else if (VARIANT_COMMENT.test(comment) || (state.release ?? state.version)?.operation.trim().toLowerCase() === 'pattern match')
    facts.variants.add(packageName);
}

function factsOf(alternative: OvalCondition[]): AlternativeFacts {
  const facts: AlternativeFacts = { packages: [], variants: new Set() };
  for (const condition of alternative) if (!condition.extendsDefinition) readCondition(facts, condition);
  return facts;
}

/** The package fixes of a definition's alternatives; the release from the platform when the criteria do not say it. */
function fixesOf(definition: OvalDefinition): PackageFix[] | string {
  const platforms = definition.platforms.flatMap((p) => /^Oracle Linux (\d+)$/.exec(p.trim())?.[1] ?? []);
  const fixes: PackageFix[] = [];
  for (const alternative of definition.alternatives) {
    const facts = factsOf(alternative);
    if (facts.unusable) return facts.unusable;
    const release = facts.release ?? (platforms.length === 1 ? platforms[0] : undefined);
    for (const pkg of facts.packages) {
      if (facts.variants.has(pkg.name) || /\.ksplice\d|_fips\b/.test(pkg.evr)) continue;
      if (!release) return `no Oracle Linux release for ${pkg.name}`;
      fixes.push(withoutUndefined({ release, name: pkg.name, evr: evrWithoutZeroEpoch(pkg.evr), arch: facts.arch, module: facts.module }));
    }
  }
  return fixes;
}

// ---------------------------------------------------------------------------------------------------------------
// One definition to one record

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One entry per release, package and module stream: the highest EVR its arches name, and those arches. */
function affectedOf(fixes: PackageFix[], severity: string | undefined): OsvAffected[] {
  const merged = new Map<string, { fix: PackageFix; arches: Set<string> }>();
  for (const fix of fixes) {
    const key = `${fix.release}|${fix.name}|${fix.module ?? ''}`;
    const known = merged.get(key);
    if (!known) merged.set(key, { fix, arches: new Set(fix.arch ? [fix.arch] : []) });
    else {
      if (compareRpmEvrs(fix.evr, known.fix.evr) > 0) known.fix = { ...known.fix, evr: fix.evr };
      if (fix.arch) known.arches.add(fix.arch);
    }
  }
  return [...merged.values()]
    .sort((a, b) => Number(a.fix.release) - Number(b.fix.release) || byText(a.fix.name, b.fix.name) || byText(a.fix.module ?? '', b.fix.module ?? ''))
    .map(({ fix, arches }) => {
      const specific = withoutUndefined({ severity, arches: arches.size > 0 ? [...arches].sort(byText) : undefined, rpm_module: fix.module });
      return {
        package: {
          ecosystem: `Oracle Linux:${fix.release}`,
          name: fix.name,
          purl: new PackageURL('rpm', 'oracle', fix.name, undefined, { distro: `oraclelinux-${fix.release}` }).toString(),
        },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fix.evr }] }],
        ...(Object.keys(specific).length > 0 ? { ecosystem_specific: specific } : {}),
      };
    });
}

function elsaIdOf(definition: OvalDefinition): string | undefined {
  const reference = definition.references.find((r) => r.source.toLowerCase() === 'elsa' && ELSA_ID.test(r.id))?.id;
  return ELSA_ID.exec(reference ?? definition.title)?.[0];
}

function cvesOf(definition: OvalDefinition): string[] {
  const ids = [...definition.references.filter((r) => r.source.toUpperCase() === 'CVE').map((r) => r.id), ...definition.cves.map((c) => c.id)];
  const cves = new Set(ids.map((id) => id.trim().toUpperCase()).filter(isCveId));
  return sortCveIds(cves);
}

function referencesOf(definition: OvalDefinition, id: string): OsvReference[] {
  const elsa = definition.references.find((r) => r.source.toLowerCase() === 'elsa')?.url;
  return distinctReferences([
    ['ADVISORY', elsa ?? `https://linux.oracle.com/errata/${id}.html`],
    ...definition.references.filter((reference) => reference.source.toUpperCase() === 'CVE').map((reference) => ['WEB', reference.url] as const),
  ]);
}

/**
 * The record of one ELSA definition, or why there is none; undefined for an ELSA that fixes only build variants
 * (Ksplice userspace, fips), which has nothing to say about an ordinary package.
 */
export function oracleDefinitionToOsv(definition: OvalDefinition, generator: OvalGenerator): Osv | { malformed: string } | undefined {
  const id = elsaIdOf(definition);
  if (!id) return { malformed: `${definition.id}: no ELSA id` };
  const published = ovalTimestamp(definition.issued);
  const modified = ovalTimestamp(definition.updated) ?? published ?? ovalTimestamp(generator.timestamp);
  if (!modified) return { malformed: `${id}: no issued date` };
  const fixes = fixesOf(definition);
  if (typeof fixes === 'string') return { malformed: `${id}: ${fixes}` };
  if (fixes.length === 0) return definition.alternatives.length > 0 ? undefined : { malformed: `${id}: no criteria` };
  const aliases = cvesOf(definition);
  return withoutUndefined({
    id,
    modified,
    published,
    aliases: aliases.length > 0 ? aliases : undefined,
    summary: definition.title.replace(/\s+/g, ' ').trim() || undefined,
    details: definition.description || undefined,
    affected: affectedOf(fixes, definition.severity),
    references: referencesOf(definition, id),
    database_specific: { source: RECORD_SOURCES.oracleOval, oval_id: definition.id },
  });
}

async function* oracleRecords(definitions: AsyncIterable<OvalDefinition>, generator: OvalGenerator, malformed: (reason: string) => void): AsyncGenerator<Osv> {
  for await (const definition of definitions) {
    const result = oracleDefinitionToOsv(definition, generator);
    if (result && 'malformed' in result) malformed(result.malformed);
    else if (result) yield result;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Format and source

const ORACLE_MARK = /oval:com\.oracle\.elsa:|<(?:[\w-]+:)?product_name>\s*Oracle Errata System/;

/** Oracle's ELSA OVAL, by its definition ids or its generator's name. */
export const oracleOvalFormat: FeedFormat = ovalFeedFormat('oracle-oval', ORACLE_MARK, oracleRecords);

export interface OracleOvalSourceOptions extends OvalDocumentSourceOptions {
  /** The document to read (default {@link ORACLE_OVAL_URL}); bzip2 or plain XML. */
  url?: string;
}

/** `oracle-oval`: every ELSA, from the one bzip2 document. */
export function oracleOvalSource(options: OracleOvalSourceOptions = {}): AdvisorySource {
  return ovalDocumentSource(
    {
      name: RECORD_SOURCES.oracleOval,
      ecosystems: ORACLE_RELEASES.map((release) => `Oracle Linux:${release}`),
      url: options.url ?? ORACLE_OVAL_URL,
      records: oracleRecords,
    },
    options,
  );
}
