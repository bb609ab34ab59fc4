/**
 * A scan as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), shaped for GitHub code scanning: one rule per
 * vulnerability id with a `security-severity`, one result per finding located at the package's evidence file inside
 * the image, and partial fingerprints that stay the same across re-scans so alerts are deduplicated.
 */
import { createHash } from 'node:crypto';
import type { Package } from '../index/types';
import type { Finding } from '../vulndb/findings';
import { distinctNotes, explainNote } from './notes';
import { shownWarnings } from '../warnings';
import { cvssScoreOf, orderedRows, severityRank, type ReportRow, type Severity } from './severity';
import type { ReportInput } from './types';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The partialFingerprints key; bump its version if what it hashes ever changes. */
export const FINGERPRINT_KEY = 'laminaFinding/v1';

export type SarifLevel = 'error' | 'warning' | 'note';

const LEVELS: Record<Severity, SarifLevel> = { CRITICAL: 'error', IMPORTANT: 'error', MODERATE: 'warning', LOW: 'note', UNKNOWN: 'warning' };

/** The result level of a severity: CRITICAL and IMPORTANT are errors, MODERATE (and unrated) warnings, LOW notes. */
export function levelOf(severity: Severity): SarifLevel {
  return LEVELS[severity];
}

/**
 * GitHub's `security-severity` (a score 0.0–10.0 as a string) when no CVSS score is known but a rating is: the
 * middle of each band GitHub reads back (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0).
 */
const RATING_SCORES: Record<Severity, string | undefined> = { CRITICAL: '9.5', IMPORTANT: '8.0', MODERATE: '5.5', LOW: '2.0', UNKNOWN: undefined };

/** A relative URI for a path inside the image: each character a URI reference cannot hold bare is escaped. */
export function imagePathUri(path: string): string {
  const relative = path.replace(/^\/+/, '');
  // encodeURI leaves `:` (which would read as a scheme), `#` and `?` alone; they are escaped too.
  return encodeURI(relative).replace(/[:#?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Stable across re-scans of any image holding the same package at the same path with the same vulnerability. */
export function fingerprintOf(id: string, pkg: Pick<Package, 'name' | 'version' | 'location'>): string {
  return createHash('sha256').update([id, pkg.name, pkg.version, pkg.location].join('\u0000')).digest('hex');
}

const firstLine = (text: string, max = 200) => {
  const line = text.split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
};

interface RuleGroup {
  id: string;
  rows: ReportRow[];
}

/** The finding that speaks for a rule: the highest rated, then the one with a summary. */
function leading(group: RuleGroup): Finding {
  return [...group.rows].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || Number(!a.finding.summary) - Number(!b.finding.summary))[0]
    .finding;
}

function ruleOf(group: RuleGroup): Record<string, unknown> {
  const finding = leading(group);
  const severity = group.rows.map((row) => row.severity).sort((a, b) => severityRank(a) - severityRank(b))[0];
  const scores = group.rows.map((row) => cvssScoreOf(row.finding)).filter((s): s is number => s !== undefined);
  const score = scores.length > 0 ? Math.max(...scores).toFixed(1) : RATING_SCORES[severity];
  const summary = group.rows.map((row) => row.finding.summary.trim()).find((s) => s !== '') ?? '';
  const links = finding.links.filter((link) => /^https?:\/\//.test(link));
  const markdown = [
    `**${group.id}**${summary ? `: ${summary}` : ''}`,
    '',
    `Severity: ${severity}${finding.vendorRating ? ' (rated by the distribution)' : ''}`,
    ...(finding.cvssV3 ? [`CVSS v3: ${finding.cvssV3.score.toFixed(1)} \`${finding.cvssV3.vector}\``] : []),
    ...(finding.cvssV2 ? [`CVSS v2: ${finding.cvssV2.score.toFixed(1)} \`${finding.cvssV2.vector}\``] : []),
    ...(finding.aliases.length > 0 ? [`Also known as: ${finding.aliases.join(', ')}`] : []),
    ...(links.length > 0 ? ['', ...links.map((link) => `- ${link}`)] : []),
  ].join('\n');
  const text = [`${group.id}${summary ? `: ${summary}` : ''}`, `Severity: ${severity}`, ...links].join('\n');
  const properties: Record<string, unknown> = { tags: ['security', 'vulnerability'] };
  if (score !== undefined) properties['security-severity'] = score;
  return {
    id: group.id,
    shortDescription: { text: firstLine(summary || group.id) },
    fullDescription: { text: summary || group.id },
    ...(links[0] ? { helpUri: links[0] } : {}),
    help: { text, markdown },
    defaultConfiguration: { level: levelOf(severity) },
    properties,
  };
}

function messageOf(row: ReportRow, imageName: string): string {
  const { finding, pkg, severity } = row;
  const fix = finding.fixedVersion ? `fixed in ${finding.fixedVersion}` : 'no fixed version is available';
  const layer = pkg.layer.index >= 0 ? `, layer ${pkg.layer.index}` : '';
  return `${pkg.name} ${pkg.version} is affected by ${finding.id} (${severity}); ${fix}. Found in ${imageName} at ${pkg.location || 'an unknown path'}${layer}.`;
}

function resultOf(row: ReportRow, ruleIndex: number, input: ReportInput): Record<string, unknown> {
  const { finding, pkg, severity } = row;
  const properties: Record<string, unknown> = {
    packageName: pkg.name,
    installedVersion: pkg.version,
    ecosystem: pkg.ecosystem,
    severity,
    layerIndex: pkg.layer.index,
  };
  if (pkg.purl) properties.purl = pkg.purl;
  if (pkg.layer.digest) properties.layerDigest = pkg.layer.digest;
  if (finding.fixedVersion) properties.fixedVersion = finding.fixedVersion;
  if (finding.aliases.length > 0) properties.aliases = finding.aliases;
  const score = cvssScoreOf(finding);
  if (score !== undefined) properties.cvssScore = score;
  const logical: Record<string, unknown> = { name: pkg.name, kind: 'module' };
  if (pkg.purl) logical.fullyQualifiedName = pkg.purl;
  return {
    ruleId: finding.id,
    ruleIndex,
    level: levelOf(severity),
    kind: 'fail',
    message: { text: messageOf(row, input.image.fullName) },
    locations: [
      {
        // GitHub requires a physical location: the package's evidence file inside the image (image name in the run).
        physicalLocation: { artifactLocation: { uri: imagePathUri(pkg.location || input.image.fullName) }, region: { startLine: 1 } },
        logicalLocations: [logical],
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprintOf(finding.id, pkg) },
    properties,
  };
}

/** The SARIF 2.1.0 log of one scan: a plain object, ready for JSON.stringify. */
export function renderSarif(input: ReportInput): Record<string, unknown> {
  const rows = orderedRows(input);
  const groups = new Map<string, RuleGroup>();
  for (const row of rows) {
    const group = groups.get(row.finding.id);
    if (group) group.rows.push(row);
    else groups.set(row.finding.id, { id: row.finding.id, rows: [row] });
  }
  const ruleIndex = new Map([...groups.keys()].map((id, index) => [id, index]));

  const driver: Record<string, unknown> = {
    name: input.tool.name,
    version: input.tool.version,
    rules: [...groups.values()].map(ruleOf),
  };
  if (/^\d+\.\d+\.\d+/.test(input.tool.version)) driver.semanticVersion = input.tool.version;
  if (input.tool.informationUri) driver.informationUri = input.tool.informationUri;

  const { image } = input;
  const notes = distinctNotes(input.notes);
  const imageProperties: Record<string, unknown> = { fullName: image.fullName, registry: image.registry, remote: image.remote, digest: image.digest };
  if (image.tag) imageProperties.tag = image.tag;
  if (image.architecture) imageProperties.architecture = image.architecture;
  if (image.os) imageProperties.os = image.os;
  if (image.distribution) imageProperties.distribution = image.distribution;

  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        // GitHub keeps one set of alerts per category (all before the last `/`): one per image repository, whatever its tag.
        automationDetails: {
          id: `${input.tool.name}/${image.registry}/${image.remote}/`,
          description: { text: `${input.tool.name} scan of ${image.fullName}` },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: [
              ...notes.map((note) => ({
                descriptor: { id: note },
                level: 'warning',
                message: { text: `${note}: ${explainNote(note, input)}` },
              })),
              // What could not be read or matched, in the tool's own words: a note names none of it.
              ...shownWarnings(input.warnings).map((text) => ({ level: 'warning', message: { text } })),
            ],
          },
        ],
        results: rows.map((row) => resultOf(row, ruleIndex.get(row.finding.id)!, input)),
        properties: { image: imageProperties, operatingSystem: input.operatingSystem, notes },
      },
    ],
  };
}
