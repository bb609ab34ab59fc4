import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { DynamoAdvisoryStore } from '../lib/aws/dynamo-advisory-store';
import { refreshTrustedRoot, TRUSTED_ROOT_SOURCE, type TrustRootRefreshOptions, tufSettingsFromEnv } from '../lib/signatures/trust-root-refresh';
import { NVD_BASE_URL, NvdClient } from '../lib/vulndb/nvd';
import { DEFAULT_SOURCES, sourcesNamed } from '../lib/vulndb/sources';
import { OSV_BASE_URL, runSources, type UpdateResult } from '../lib/vulndb/updater';

/** Time kept back from Lambda's deadline to record what was done and report it. */
const DEADLINE_MARGIN_MS = 60_000;
/** Longest the trusted root's TUF refresh may take, before the sources run. */
const TRUSTED_ROOT_BUDGET_MS = 30_000;

export interface UpdaterSettings {
  table: string;
  osvBaseUrl: string;
  /** Source names (`osv:Debian`, `alas:2023`, `redhat-csaf`; a bare name is an OSV ecosystem). */
  sources: string[];
  workDir: string;
  /** Where the Sigstore trusted root is refreshed from through TUF; undefined when off (LAMINA_SIGSTORE_TUF_URL=off). */
  sigstoreTuf?: Pick<TrustRootRefreshOptions, 'mirrorUrl' | 'rootPath'>;
  /** Undefined when NVD enrichment is off (LAMINA_NVD_MAX_REQUESTS=0). */
  nvd?: { baseUrl: string; apiKey?: string; maxRequests: number };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * Settings from the environment. The stack sets LAMINA_ADVISORIES_TABLE; the rest has defaults:
 * LAMINA_OSV_BASE_URL (OSV's public bucket), LAMINA_ADVISORY_SOURCES (comma-separated source names; the older
 * LAMINA_OSV_ECOSYSTEMS names OSV ecosystems; unset: DEFAULT_SOURCES, every distribution's feed and OSV's language ecosystems),
 * LAMINA_NVD_BASE_URL, LAMINA_NVD_API_KEY, LAMINA_NVD_MAX_REQUESTS (lookups per run: 40 without a key, 400 with
 * one, which NVD's rate limits let finish in about four minutes; 0 turns enrichment off), LAMINA_DATA_DIR,
 * LAMINA_SIGSTORE_TUF_URL and LAMINA_SIGSTORE_TUF_ROOT (the trusted root's TUF repository, see tufSettingsFromEnv).
 */
export function updaterSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): UpdaterSettings {
  const table = env.LAMINA_ADVISORIES_TABLE;
  if (!table) throw new Error('environment variable LAMINA_ADVISORIES_TABLE is not set');
  const named = env.LAMINA_ADVISORY_SOURCES ?? env.LAMINA_OSV_ECOSYSTEMS;
  const sources = (named === undefined ? [...DEFAULT_SOURCES] : list(named)).filter((source) => source !== TRUSTED_ROOT_SOURCE);
  if (sources.length === 0) throw new Error('LAMINA_ADVISORY_SOURCES names no source');
  const apiKey = env.LAMINA_NVD_API_KEY || undefined;
  const maxText = env.LAMINA_NVD_MAX_REQUESTS;
  const maxRequests = maxText === undefined || maxText === '' ? (apiKey ? 400 : 40) : Number(maxText);
  if (!Number.isInteger(maxRequests) || maxRequests < 0) throw new Error(`LAMINA_NVD_MAX_REQUESTS must be a whole number, got "${maxText}"`);
  return {
    table,
    osvBaseUrl: env.LAMINA_OSV_BASE_URL || OSV_BASE_URL,
    sources,
    workDir: join(env.LAMINA_DATA_DIR || '/tmp/lamina', 'downloads'),
    sigstoreTuf: tufSettingsFromEnv(env),
    nvd: maxRequests > 0 ? { baseUrl: env.LAMINA_NVD_BASE_URL || NVD_BASE_URL, apiKey, maxRequests } : undefined,
  };
}

const logger = new Logger({ serviceName: 'lamina-updater' });
const metrics = new Metrics({ namespace: 'Lamina', serviceName: 'lamina-updater' });

/** One client per container, at init; the settings are read per run. */
const dynamo = new DynamoDBClient({});

/**
 * Runs the advisory sources (and NVD enrichment) into the advisory table. A source the deadline cuts short keeps its
 * checkpoint and the next scheduled run continues it; a source that failed makes the run an error.
 */
async function updaterHandler(_event: ScheduledEvent, context: Context): Promise<UpdateResult> {
  const settings = updaterSettingsFromEnv();
  const store = new DynamoAdvisoryStore(dynamo, settings.table);
  const budget = Math.max(10_000, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS);
  logger.info('updating advisories', { sources: settings.sources, osv: settings.osvBaseUrl, nvd: settings.nvd ? settings.nvd.baseUrl : 'off' });

  if (settings.sigstoreTuf) {
    // First, and briefly: a source may use the run up to its deadline.
    const cacheDir = join(settings.workDir, '..', 'sigstore-tuf');
    const refresh = await refreshTrustedRoot(store, { ...settings.sigstoreTuf, cacheDir, timeoutMs: TRUSTED_ROOT_BUDGET_MS });
    if (refresh.status === 'failed') logger.error('Sigstore trusted root refresh failed; scans keep the copy they have', { ...refresh });
    else logger.info('Sigstore trusted root refreshed', { ...refresh });
    metrics.addMetric('TrustedRootRefreshFailed', MetricUnit.Count, refresh.status === 'failed' ? 1 : 0);
  }

  const sources = sourcesNamed(settings.sources, { osv: { baseUrl: settings.osvBaseUrl } });
  const result = await runSources(store, sources, {
    workDir: settings.workDir,
    signal: AbortSignal.timeout(budget),
    nvd: settings.nvd && {
      client: new NvdClient({ baseUrl: settings.nvd.baseUrl, apiKey: settings.nvd.apiKey }),
      maxRequests: settings.nvd.maxRequests,
    },
  });

  let written = 0;
  for (const source of result.sources) {
    written += source.written;
    if (source.status === 'failed') logger.error('source update failed', { ...source });
    else if (source.status === 'interrupted') logger.warn('source update continues next run', { ...source });
    else logger.info('source updated', { ...source });
  }
  const failed = result.sources.filter((e) => e.status === 'failed');
  metrics.addMetric('AdvisoriesWritten', MetricUnit.Count, written);
  metrics.addMetric('SourcesFailed', MetricUnit.Count, failed.length);
  metrics.addMetric('SourcesInterrupted', MetricUnit.Count, result.sources.filter((e) => e.status === 'interrupted').length);
  if (result.cvss) {
    logger.info('NVD enrichment', { ...result.cvss });
    metrics.addMetric('CvssEnriched', MetricUnit.Count, result.cvss.written);
  }
  if (failed.length > 0) {
    throw new Error(`advisory update failed for ${failed.map((e) => `${e.source} (${e.error})`).join(', ')}`);
  }
  return result;
}

export const handler = middy(updaterHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
