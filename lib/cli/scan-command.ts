/** `lamina scan`: one image scanned once, printed in the format a pipeline asks for, with filters and an exit-code gate. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatOperatingSystem } from '../analyzers';
import { createRegistryClient, createScanPorts, createSignatureStep, SCANNER, storedTrustRoot } from '../compose';
import { SEED_TRUST_ROOT } from '../signatures/stored-trust-root';
import type { SigstoreTrustRoot } from '../signatures/trust-root';
import { detectArchive, isArchiveSpec, openArchiveSource } from '../image/archive';
import { parsePlatform, type LaminaConfig } from '../config';
import { asCodedError } from '../errors';
import { parseImageName } from '../image/reference';
import { DynamoSnoozeStore } from '../aws/dynamo-snooze-store';
import type { EmbeddedDynamo } from '../local/embedded-dynamo';
import type { LmdbAdvisoryStore } from '../local/lmdb-advisory-store';
import {
  DataDirectoryInUseError,
  localAdvisoriesPath,
  localDynamoPath,
  localTablesFromEnv,
  openDataDirectoryDynamo,
  openLocalAdvisoryStore,
} from '../local/data-directory';
import { isActive, type Snooze, withSnoozes } from '../service/snoozes';
import type { Finding } from '../vulndb/findings';
import { applyFilters, gate, parseSeverities, renderSarif, renderTable, type FilterOptions, type ReportInput } from '../report';
import { shownWarnings } from '../warnings';
import { TOOL } from '../scanner';
import { ImageService, imageName } from '../service/image-service';
import { MemoryImageStore } from '../service/memory-image-store';
import { sbomInputOf } from '../service/sbom-service';
import { componentsOf } from '../stackrox/components';
import { encodeStorageImage } from '../stackrox/encode';
import { runtimeErrorBody } from '../stackrox/errors';
import { applySnoozeFilter, withScanStats } from '../stackrox/storage-image';
import type { StorageImage } from '../stackrox/types';
import { CLI_INTEGRATION_ID, integrationFromKeys } from '../signatures/integrations';
import type { SignatureIntegration } from '../signatures/types';
import { claimedDigests, verifyWithIntegrations } from '../signatures/verify';
import { matchInventory, type MatchResult } from '../vulndb/matcher';
import { type CliIo, ProgressLine } from './io';

export const FORMATS = ['table', 'json', 'sarif', 'cyclonedx', 'spdx'] as const;
export type Format = (typeof FORMATS)[number];

export const SCAN_USAGE = `usage: lamina scan <image> [options]

  <image>                      a registry reference (registry/repo:tag, @sha256:…; loopback registries are plain HTTP),
                               docker-archive:PATH[:REPO:TAG] (docker save), oci-archive:PATH[:NAME], oci-dir:PATH[:NAME]
  -i, --input PATH             a local image archive or OCI layout, its kind detected
  -f, --format FORMAT          table (default on a terminal), json (the StackRox StorageImage, default otherwise),
                               sarif (SARIF 2.1.0), cyclonedx (CycloneDX 1.6 SBOM), spdx (SPDX 2.3 SBOM)
  -o, --output FILE            write the report to FILE instead of standard output
      --severity LIST          only findings of these severities: LOW,MODERATE,IMPORTANT,CRITICAL,UNKNOWN
                               (MEDIUM and HIGH are read as MODERATE and IMPORTANT)
      --ignore-unfixed         only findings with a fixed version
      --ignore-file FILE       YAML or JSON list of {id, reason, expires?, packages?} to hide; expired entries hide nothing
      --exit-code N            exit N when any finding is left after the filters (default 0)
      --include-snoozed        keep CVEs snoozed through the API of lamina serve on this data directory
      --platform OS/ARCH[/V]   the platform to scan; an image without it is an error
      --username USER          registry credentials, with --password PASS or --password-stdin
      --password-stdin         read the password from standard input
      --insecure-registry HOST reach HOST[:PORT] over plain HTTP (repeatable)
      --verify-key FILE        verify the image's cosign signatures with this PEM public key (repeatable; the keys
                               form one signature integration, beside LAMINA_SIGNATURE_INTEGRATIONS); the verdict
                               goes to stderr, the details into the JSON's signatureVerificationData
      --pretty                 indent JSON output
  -h, --help                   this text

Exit status: 0 done (no finding left, or no --exit-code); N (--exit-code) findings left; 1 the scan failed;
2 usage error or lamina could not start.`;

export class UsageError extends Error {}

function parseExitCode(text: string | undefined): number {
  if (text === undefined) return 0;
  const code = Number(text);
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new UsageError(`--exit-code must be a whole number from 0 to 255, got "${text}"`);
  return code;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export interface ScanIo extends CliIo {
  /** Whether standard output is a terminal: the table is the default there, JSON elsewhere. */
  stdoutIsTty: boolean;
  stdin: NodeJS.ReadableStream;
  now?: () => Date;
}

interface ScanSettings {
  image: string;
  format: Format;
  output?: string;
  filters: FilterOptions;
  exitCode: number;
  includeSnoozed: boolean;
  pretty: boolean;
  config: LaminaConfig;
  requirePlatform: boolean;
  credentials?: { username: string; password: string };
  /** LAMINA_SIGNATURE_INTEGRATIONS and the one --verify-key builds. */
  signatureIntegrations: SignatureIntegration[];
}

async function settingsOf(args: string[], config: LaminaConfig, io: ScanIo): Promise<ScanSettings | 'help'> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      severity: { type: 'string' },
      'ignore-unfixed': { type: 'boolean', default: false },
      'ignore-file': { type: 'string' },
      'exit-code': { type: 'string' },
      'include-snoozed': { type: 'boolean', default: false },
      platform: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'insecure-registry': { type: 'string', multiple: true },
      'verify-key': { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      pretty: { type: 'boolean', default: false },
      input: { type: 'string', short: 'i' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.input !== undefined) {
    if (positionals.length > 0) throw new UsageError('give an image name or --input, not both');
    const kind = detectArchive(values.input);
    if (!kind) throw new UsageError(`--input ${values.input}: not a docker save tar, an OCI layout or an OCI layout tar`);
    positionals.push(`${kind}:${values.input}`);
  }
  if (positionals.length !== 1) throw new UsageError('scan takes one image name');
  const format = (values.format ?? (io.stdoutIsTty ? 'table' : 'json')) as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);

  const filters: FilterOptions = { ignoreUnfixed: values['ignore-unfixed'] };
  if (values.severity !== undefined) {
    const parsed = parseSeverities(values.severity);
    if (parsed.error !== undefined) throw new UsageError(`--severity: ${parsed.error}`);
    filters.severities = parsed.severities;
  }
  if (values['ignore-file'] !== undefined) {
    const path = values['ignore-file'];
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--ignore-file ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    const { parseIgnoreFile } = await import('../report/ignore-file.js');
    const parsed = parseIgnoreFile(text, path, io.now?.() ?? new Date());
    if (parsed.problems.length > 0) throw new UsageError(parsed.problems.join('\n'));
    filters.ignore = parsed.entries;
  }

  let credentials: ScanSettings['credentials'];
  if (values.password !== undefined && values['password-stdin']) throw new UsageError('give --password or --password-stdin, not both');
  if (values.username !== undefined) {
    const password = values['password-stdin'] ? await readStdin(io.stdin) : values.password;
    if (password === undefined) throw new UsageError('--username needs --password or --password-stdin');
    credentials = { username: values.username, password };
  } else if (values.password !== undefined || values['password-stdin']) {
    throw new UsageError('--password and --password-stdin need --username');
  }

  const signatureIntegrations = [...(config.signatureIntegrations ?? [])];
  const keyFiles = values['verify-key'] ?? [];
  if (keyFiles.length > 0) {
    const keys = await Promise.all(
      keyFiles.map(async (path) => {
        const pem = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(`--verify-key ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
        });
        return { name: path, pem };
      }),
    );
    try {
      signatureIntegrations.push(integrationFromKeys(keys));
    } catch (err) {
      throw new UsageError(`--verify-key ${(err as Error).message}`);
    }
  }

  return {
    image: positionals[0],
    signatureIntegrations,
    format,
    output: values.output,
    filters,
    exitCode: parseExitCode(values['exit-code']),
    includeSnoozed: values['include-snoozed'],
    pretty: values.pretty,
    requirePlatform: values.platform !== undefined,
    credentials,
    config: {
      ...config,
      platform: values.platform ? parsePlatform(values.platform) : config.platform,
      insecureRegistries: [...config.insecureRegistries, ...(values['insecure-registry'] ?? [])],
    },
  };
}

/** Warnings a user should see on stderr: what the report cannot vouch for, and ignore entries that no longer hide. */
function warningsOf(notes: string[], match: MatchResult | undefined, expired: FilterOptions['ignore'], os: string): string[] {
  const warnings: string[] = [];
  if (!match) warnings.push('no advisory data: findings are not reported (run `lamina db update`, or `lamina db import` offline)');
  else if (notes.includes('OS_CVES_UNAVAILABLE'))
    warnings.push(`no advisories for ${os} are loaded: its OS packages were not matched (run \`lamina db update\`)`);
  if (match && match.languageAdvisoriesUnavailable.length > 0) {
    warnings.push(`no advisories for ${match.languageAdvisoriesUnavailable.join(', ')} are loaded: those packages were not matched`);
  }
  if (notes.includes('PARTIAL_SCAN_DATA')) warnings.push('part of the image could not be read: the report may miss packages (see the notes)');
  for (const entry of expired ?? []) {
    warnings.push(`${entry.source.file}: the ignore entry for ${entry.id} expired on ${entry.expires}; it no longer hides anything`);
  }
  return warnings;
}

/** Runs `lamina scan`; the exit status is the gate's, 1 when the scan failed, 2 for usage errors. */
export async function scanCommand(args: string[], config: LaminaConfig, io: ScanIo): Promise<number> {
  let settings: ScanSettings | 'help';
  try {
    settings = await settingsOf(args, config, io);
  } catch (err) {
    io.err(`lamina: ${(err as Error).message}\n${SCAN_USAGE}\n`);
    return 2;
  }
  if (settings === 'help') {
    io.out(`${SCAN_USAGE}\n`);
    return 0;
  }
  const { image, format } = settings;
  // Advisories come from the data directory (`lamina db import|update`); a `lamina serve` holding it stops the scan.
  const dataDir = settings.config.dataDir;
  const local =
    existsSync(localDynamoPath(dataDir)) || existsSync(localAdvisoriesPath(dataDir))
      ? await openScanData(settings.config, io).catch((err: unknown) => {
          if (err instanceof DataDirectoryInUseError) throw err;
          io.err(`lamina: scanning without advisories: ${(err as Error).message}\n`);
          return undefined;
        })
      : undefined;
  const credentials = settings.credentials;
  try {
    const composeOptions = { credentials: credentials ? { credentialsFor: async () => credentials } : undefined };
    const registry = createRegistryClient(settings.config, composeOptions);
    const ports = createScanPorts(settings.config, composeOptions, registry);
    // A local image (docker save's tar, an OCI layout) is its own source: nothing is pulled.
    const archive = isArchiveSpec(image) ? await openArchiveSource(image, { platform: settings.config.platform }) : undefined;
    if (archive) ports.source = archive.source;
    const integrations = settings.signatureIntegrations;
    if (archive && integrations.length > 0) {
      io.err('lamina: warning: signatures are not checked for a local image: cosign keeps them in a registry, beside the image\n');
    }
    // Keyless signatures verify against the trusted root `lamina db update` keeps beside the advisories.
    const trustRoot = storedTrustRoot(local?.store) ?? SEED_TRUST_ROOT;
    const progress = new ProgressLine(io.err, io.interactive);
    const started = Date.now();
    const service = new ImageService({
      observer: {
        scanFinished: () => undefined,
        scanFailed: () => undefined,
        scanPhase: (name, phase) => progress.update(`scanning ${name}: ${phase} (${Math.round((Date.now() - started) / 1000)} s)`),
      },
      scan: ports,
      signatures: archive ? undefined : createSignatureStep(settings.config, registry, integrations, trustRoot),
      store: new MemoryImageStore(),
      scanner: SCANNER,
      platform: settings.config.platform,
      advisories: local?.store,
      requirePlatform: settings.requirePlatform,
      scanTimeoutMs: settings.config.scanTimeoutMs,
    });
    const request = { imageName: image, force: true, includeSnoozed: true, cluster: '' };
    const stored = await service.inventoryOf(request, undefined, archive?.reference).finally(() => progress.done());
    const match = local ? await matchInventory(stored.inventory, local.store) : undefined;
    const filtered = applyFilters({ inventory: stored.inventory, findings: match?.findings ?? [] }, settings.filters);
    const now = io.now?.() ?? new Date();
    // Snoozes set through `lamina serve`'s API on this data directory hide their CVEs here too, unless asked for.
    const snoozes = local?.dynamo ? await snoozesOf(local.dynamo, filtered.findings) : new Map<string, Snooze>();
    const isSnoozed = (id: string) => {
      const snooze = snoozes.get(id);
      return snooze !== undefined && isActive(snooze, now);
    };
    const shown = settings.includeSnoozed ? filtered.findings : filtered.findings.filter((finding) => !isSnoozed(finding.id));
    const notes = stored.image.scan?.notes ?? [];
    const operatingSystem = formatOperatingSystem(stored.inventory.os);
    for (const warning of warningsOf(notes, match, filtered.expired, operatingSystem)) io.err(`lamina: warning: ${warning}\n`);
    const signatures = !archive && integrations.length > 0 ? signatureLines(stored.image, integrations, now, await trustRoot.current()) : undefined;
    // The table shows the verdict; with other formats stdout is a document, so it goes to stderr.
    if (format !== 'table') for (const line of signatures ?? []) io.err(`lamina: signature: ${line}\n`);

    const sbom = sbomInputOf(stored, TOOL, now, imageName(archive?.reference ?? parseImageName(image)));
    const report: ReportInput = {
      image: sbom.image,
      inventory: stored.inventory,
      findings: shown,
      notes,
      operatingSystem,
      tool: TOOL,
      languageAdvisoriesUnavailable: match?.languageAdvisoriesUnavailable,
      signatures,
      warnings: [...stored.inventory.warnings, ...(match?.warnings ?? [])],
    };
    // The table lists them; with other formats stdout is a document, so they go to stderr.
    if (format !== 'table') for (const warning of shownWarnings(report.warnings)) io.err(`lamina: warning: ${warning}\n`);
    const json = (value: unknown) => jsonText(value, settings.pretty);
    let text: string;
    switch (format) {
      case 'table':
        text = renderTable(report, { width: Math.max(80, process.stdout.columns ?? 80), color: io.stdoutIsTty && !settings.output });
        break;
      case 'sarif':
        text = json(renderSarif(report));
        break;
      // The SBOM libraries load only for an SBOM.
      case 'cyclonedx':
        text = json((await import('../sbom/index.js')).renderCycloneDx(sbom));
        break;
      case 'spdx':
        text = json((await import('../sbom/index.js')).renderSpdx(sbom));
        break;
      default: {
        // The StorageImage, with the same filters as every other format.
        const scan = stored.image.scan && {
          ...stored.image.scan,
          components: componentsOf(stored.inventory, filtered.findings, { now, previous: stored.image }),
        };
        const image = withSnoozes(withScanStats({ ...stored.image, scan: scan ?? null }, now), snoozes, now);
        text = json(encodeStorageImage(applySnoozeFilter(image, settings.includeSnoozed)));
      }
    }
    if (settings.output) await writeFile(settings.output, text);
    else io.out(text);
    return gate(shown, settings.exitCode);
  } catch (err) {
    if (err instanceof DataDirectoryInUseError) throw err;
    const error = asCodedError(err);
    io.err(format === 'json' ? jsonText(runtimeErrorBody(error), settings.pretty) : `lamina: ${error.message}\n`);
    return 1;
  } finally {
    await local?.store.close();
    await local?.dynamo?.stop();
  }
}

/**
 * The signature verdict, one line per integration: `VERIFIED by key.pub for <refs>`, the failure and its reason,
 * or `none found`. The StorageImage's signatureVerificationData holds the same results.
 */
function signatureLines(image: StorageImage, integrations: readonly SignatureIntegration[], now: Date, trustRoot: SigstoreTrustRoot): string[] {
  const label = (integration: SignatureIntegration) => (integration.id === CLI_INTEGRATION_ID ? '--verify-key' : `integration "${integration.name}"`);
  const signatures = image.signature?.signatures ?? [];
  const ref = image.name?.fullName ?? image.id;
  if (signatures.length === 0) {
    const results = image.signatureVerificationData?.results ?? [];
    if (results.length === 0) return [`none found for ${ref}`];
    return results.map((result) => {
      const integration = integrations.find((candidate) => candidate.id === result.verifierId);
      return `${result.status} for ${integration ? label(integration) : result.verifierId}: ${result.description}`;
    });
  }
  const names = image.names.map((name) => name.fullName);
  // The scan's results are the verdict; verifying again only names the keys. A multi-platform image's signature may
  // claim its index digest, which the stored image does not keep: the digests the signatures claim stand in for it.
  const subject = { digest: image.id, names, readFrom: image.name?.fullName, alternateDigests: claimedDigests(signatures) };
  const scanned = new Map((image.signatureVerificationData?.results ?? []).map((result) => [result.verifierId, result]));
  return verifyWithIntegrations(integrations, signatures, subject, now, { trustRoot }).map(({ integration, result: checked, verifiedBy }) => {
    const result = scanned.get(integration.id) ?? checked;
    if (result.status === 'VERIFIED') {
      const by = integration.id === CLI_INTEGRATION_ID ? verifiedBy.join(', ') : `${label(integration)} (${verifiedBy.join(', ')})`;
      return `VERIFIED by ${by} for ${result.verifiedImageReferences.join(', ')}`;
    }
    return `${result.status} for ${label(integration)}: ${result.description}`;
  });
}

/** The advisories, and the embedded DynamoDB for the snoozes set through `lamina serve` (one process may hold it). */
async function openScanData(config: LaminaConfig, io: ScanIo): Promise<{ store: LmdbAdvisoryStore; dynamo?: EmbeddedDynamo }> {
  const dynamo = existsSync(localDynamoPath(config.dataDir)) ? await openDataDirectoryDynamo(config.dataDir) : undefined;
  try {
    const store = await openLocalAdvisoryStore(config.dataDir, { dynamo, table: localTablesFromEnv().advisories, notice: io.err });
    return { store, dynamo };
  } catch (err) {
    await dynamo?.stop();
    throw err;
  }
}

/** The snoozes recorded for these findings' ids in the data directory's snooze table. */
async function snoozesOf(dynamo: EmbeddedDynamo, findings: Finding[]): Promise<Map<string, Snooze>> {
  if (findings.length === 0) return new Map();
  const store = new DynamoSnoozeStore(dynamo.client, localTablesFromEnv().snoozes);
  await store.ensureTable();
  return store.get([...new Set(findings.map((finding) => finding.id))]);
}

/** One JSON document and a newline, indented with --pretty. */
function jsonText(value: unknown, pretty: boolean): string {
  return `${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`;
}
