/**
 * Microsoft's OVAL for Azure Linux 3.0 and CBL-Mariner 2.0 and 1.0 (github.com/microsoft/AzureLinuxVulnerabilityData,
 * one file per release). Each definition is one CVE in one source package: fixed below a `less than` EVR (above a
 * `greater than` one when it says so), or, when no patch exists yet, affected up to a `less than or equal` EVR.
 *
 * Records: id `AZL-<release>-<definition number>` (`AZL-3.0-50124` for `oval:com.microsoft.azurelinux:def:50124`,
 * `AZL-2.0-32203` for `oval:com.microsoft.cbl-mariner:def:32203`), the CVE as alias, ecosystem `Azure Linux:3.0`,
 * `CBL-Mariner:2.0` or `CBL-Mariner:1.0`, the source package's name. `modified` is the document's generator
 * timestamp: Microsoft's `advisory_date` is missing on unpatched definitions and can be older than a document that
 * already had the definition, so only the document's time is sure to order a definition's versions.
 */
import { basename } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { isCveId } from '../cve-id';
import { type Osv, type OsvAffected, type OsvEvent, withoutUndefined } from '../osv';
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

export const AZURE_OVAL_BASE_URL = 'https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main';

export interface AzureRelease {
  product: 'Azure Linux' | 'CBL-Mariner';
  /** `3.0`, `2.0`, `1.0`. */
  version: string;
}

/** The releases Microsoft publishes OVAL for, newest first. */
export const AZURE_OVAL_RELEASES: readonly AzureRelease[] = [
  { product: 'Azure Linux', version: '3.0' },
  { product: 'CBL-Mariner', version: '2.0' },
  { product: 'CBL-Mariner', version: '1.0' },
];

export const azureEcosystem = (release: AzureRelease) => `${release.product}:${release.version}`;
export const azureOvalSourceName = (release: AzureRelease) => `${RECORD_SOURCES.azureOval}:${release.version}`;

/** `azurelinux-3.0-oval.xml`, `cbl-mariner-2.0-oval.xml`: the file each release's OVAL is published as. */
export function azureOvalFileName(release: AzureRelease): string {
  return `${release.product === 'Azure Linux' ? 'azurelinux' : 'cbl-mariner'}-${release.version}-oval.xml`;
}

const purlNamespace = (release: AzureRelease) => (release.product === 'Azure Linux' ? 'azurelinux' : 'mariner');

// ---------------------------------------------------------------------------------------------------------------
// Which release a document or definition is of

const FILE_NAME = /^(azurelinux|cbl-mariner)-(\d+\.\d+)-oval\.xml/i;
/** `oval:com.microsoft.azurelinux:def:50124` → the product and the number. */
const DEFINITION_ID = /^oval:com\.microsoft\.(azurelinux|cbl-mariner):def:(\d+)$/;
/** The dist tag that ends an EVR's release: `.azl3`, `.cm2`. */
const DIST_TAG = /\.(azl|cm)(\d+)$/;

const productOf = (word: string): AzureRelease['product'] => (word.toLowerCase() === 'azurelinux' ? 'Azure Linux' : 'CBL-Mariner');

/** The release a published file name says (`cbl-mariner-2.0-oval.xml`); the preview, dev and UI files say none. */
export function azureReleaseOfFileName(fileName: string): AzureRelease | undefined {
  const match = FILE_NAME.exec(basename(fileName));
  return match ? { product: productOf(match[1]), version: match[2] } : undefined;
}

/** A definition's release from its id and the dist tag of its EVRs, for a document whose name says none. */
function releaseOfDefinition(definition: OvalDefinition): AzureRelease | undefined {
  const product = DEFINITION_ID.exec(definition.id)?.[1];
  if (!product) return undefined;
  for (const condition of definition.alternatives.flat()) {
    const tag = DIST_TAG.exec(condition.state.evr?.value.trim() ?? '');
    if (tag) return { product: productOf(product), version: `${tag[2]}.0` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// One definition to one record

/** Microsoft's `patchable`: `true`, `false` (no fix yet) or `Not Applicable` (the CVE does not, or no longer, apply). */
const notApplicable = (patchable: string | undefined) => /^not\s+(applicable|affected)$/i.test(patchable?.trim() ?? '');

/** A lower bound of all zeros (`0:0.0.0.azl3`) is no bound. */
const isZeroVersion = (evr: string) => /^(?:0+:)?0+(?:\.0+)*(?:\.(?:azl|cm)\d+)?$/.test(evr.trim());

/** The OSV events one EVR comparison makes, or why it makes none. */
function eventsOf(condition: OvalCondition): OsvEvent[] | string {
  const evr = condition.state.evr;
  if (!evr?.value) return 'a package test without an EVR';
  if (condition.negate) return 'a negated package test';
  const version = evrWithoutZeroEpoch(evr.value);
  switch (evr.operation.trim().toLowerCase()) {
    case 'less than':
      return [{ fixed: version }];
    case 'less than or equal':
      return [{ last_affected: version }];
    // OSV's introduced is inclusive: `greater than X` also takes in X itself, a build no image has.
    case 'greater than':
    case 'greater than or equal':
      return isZeroVersion(evr.value) ? [] : [{ introduced: version }];
    case 'equals':
      return [{ introduced: version }, { last_affected: version }];
    default:
      return `an EVR compared with "${evr.operation}"`;
  }
}

/** One range per package an alternative tests: its bounds, introduced at 0 when it has no lower one. */
function rangesOf(alternative: OvalCondition[]): Map<string, OsvEvent[]> | string {
  const byPackage = new Map<string, OsvEvent[]>();
  for (const condition of alternative) {
    if (condition.extendsDefinition) continue;
    if (!condition.kind) return `test ${condition.testRef} is not in the document`;
    const name = condition.packageName;
    if (!name) return `test ${condition.testRef} names no package`;
    const events = eventsOf(condition);
    if (typeof events === 'string') return `${events} (${condition.testRef})`;
    byPackage.set(name, [...(byPackage.get(name) ?? []), ...events]);
  }
  for (const [name, events] of byPackage) {
    const introduced = events.filter((e) => e.introduced !== undefined);
    const rest = events.filter((e) => e.introduced === undefined);
    byPackage.set(name, [...(introduced.length > 0 ? introduced : [{ introduced: '0' }]), ...rest]);
  }
  return byPackage;
}

function affectedOf(definition: OvalDefinition, release: AzureRelease): OsvAffected[] | string {
  const affected: OsvAffected[] = [];
  for (const alternative of definition.alternatives) {
    const ranges = rangesOf(alternative);
    if (typeof ranges === 'string') return ranges;
    for (const [name, events] of ranges) {
      affected.push({
        package: { ecosystem: azureEcosystem(release), name, purl: new PackageURL('rpm', purlNamespace(release), name, undefined, undefined).toString() },
        ranges: [{ type: 'ECOSYSTEM', events }],
        ...(definition.severity ? { ecosystem_specific: { severity: definition.severity } } : {}),
      });
    }
  }
  return affected.length > 0 ? affected : 'no package test';
}

function cveOf(definition: OvalDefinition): string | undefined {
  const fromReference = definition.references.find((r) => r.source.toUpperCase() === 'CVE' && isCveId(r.id.toUpperCase()))?.id;
  const id = (fromReference ?? /CVE-\d{4}-\d+/i.exec(definition.title)?.[0])?.toUpperCase();
  return id && isCveId(id) ? id : undefined;
}

/** The record of one definition, or why there is none. Not Applicable gives a withdrawn record: no finding, and an earlier copy stops matching. */
export function azureDefinitionToOsv(definition: OvalDefinition, release: AzureRelease, generator: OvalGenerator): Osv | { malformed: string } {
  const number = DEFINITION_ID.exec(definition.id)?.[2];
  if (!number) return { malformed: `${definition.id}: not a Microsoft OVAL definition id` };
  const modified = ovalTimestamp(generator.timestamp) ?? ovalTimestamp(definition.extra.advisory_date);
  if (!modified) return { malformed: `${definition.id}: no generator timestamp or advisory_date` };
  const cve = cveOf(definition);
  const withdrawn = notApplicable(definition.extra.patchable);
  const affected = withdrawn ? [] : affectedOf(definition, release);
  if (typeof affected === 'string') return { malformed: `${definition.id}: ${affected}` };
  const references = definition.references.filter((r) => r.url).map((r) => ({ type: 'WEB', url: r.url as string }));
  return withoutUndefined({
    id: `AZL-${release.version}-${number}`,
    modified,
    published: ovalTimestamp(definition.extra.advisory_date),
    withdrawn: withdrawn ? modified : undefined,
    aliases: cve ? [cve] : undefined,
    summary: definition.title || undefined,
    details: definition.description || undefined,
    affected,
    references: references.length > 0 ? references : undefined,
    database_specific: withoutUndefined({
      source: RECORD_SOURCES.azureOval,
      oval_id: definition.id,
      advisory_id: definition.extra.advisory_id || undefined,
      patchable: definition.extra.patchable || undefined,
    }),
  });
}

/** The records of a document's definitions; `release` is the document's, else each definition's is read from it. */
async function* azureRecords(
  definitions: AsyncIterable<OvalDefinition>,
  generator: OvalGenerator,
  release: AzureRelease | undefined,
  malformed: (reason: string) => void,
): AsyncGenerator<Osv> {
  for await (const definition of definitions) {
    const definitionRelease = release ?? releaseOfDefinition(definition);
    if (!definitionRelease) {
      malformed(`${definition.id}: the release is named neither by the file nor by the definition`);
      continue;
    }
    const result = azureDefinitionToOsv(definition, definitionRelease, generator);
    if ('malformed' in result) malformed(result.malformed);
    else yield result;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Format and sources

const MICROSOFT_MARK = /com\.microsoft\.(?:azurelinux|cbl-mariner)|(?:Azure Linux|CBL-Mariner) OVAL Definition Generator/;

/** Microsoft's OVAL for Azure Linux and CBL-Mariner, by its definition ids or its generator's name. */
export const azureOvalFormat: FeedFormat = ovalFeedFormat('azure-oval', MICROSOFT_MARK, (definitions, generator, malformed, fileName) =>
  azureRecords(definitions, generator, azureReleaseOfFileName(fileName), malformed),
);

export interface AzureOvalSourceOptions extends OvalDocumentSourceOptions {
  /** Where the release files are (default {@link AZURE_OVAL_BASE_URL}). */
  baseUrl?: string;
  /** Which releases (`3.0`, `2.0`, `1.0`); default all. */
  releases?: string[];
}

/** One source per release: `azure-oval:3.0`, `azure-oval:2.0`, `azure-oval:1.0`, each its file from the repository. */
export function azureOvalSources(options: AzureOvalSourceOptions = {}): AdvisorySource[] {
  const base = (options.baseUrl ?? AZURE_OVAL_BASE_URL).replace(/\/+$/, '');
  const wanted = options.releases ? new Set(options.releases) : undefined;
  return AZURE_OVAL_RELEASES.filter((release) => !wanted || wanted.has(release.version)).map((release) =>
    ovalDocumentSource(
      {
        name: azureOvalSourceName(release),
        ecosystems: [azureEcosystem(release)],
        url: `${base}/${azureOvalFileName(release)}`,
        records: (definitions, generator, malformed) => azureRecords(definitions, generator, release, malformed),
      },
      options,
    ),
  );
}
