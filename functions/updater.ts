import { DEFAULT_OS_ECOSYSTEMS } from '../lib/distros';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { DynamoAdvisoryStore } from '../lib/aws/dynamo-advisory-store';
import { NVD_BASE_URL, NvdClient } from '../lib/vulndb/nvd';
import { OSV_BASE_URL, updateAdvisories, type UpdateResult } from '../lib/vulndb/updater';

/**
 * OSV ecosystems fetched when LAMINA_OSV_ECOSYSTEMS is unset: the distributions, as `lamina db update` fetches
 * them locally. Language ecosystems (PyPI, Go, Maven, npm, …) are added through the variable; npm's export is
 * large enough that its first import may not fit one 15-minute run, and the cursor only moves after a whole import.
 */
/** Each known distribution's own feed (see lib/distros). */
export const DEFAULT_OSV_ECOSYSTEMS: string[] = [...DEFAULT_OS_ECOSYSTEMS];

/** Time kept back from Lambda's deadline to record what was done and report it. */
const DEADLINE_MARGIN_MS = 60_000;

export interface UpdaterSettings {
  table: string;
  osvBaseUrl: string;
  ecosystems: string[];
  workDir: string;
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
 * LAMINA_OSV_BASE_URL (OSV's public bucket), LAMINA_OSV_ECOSYSTEMS (comma-separated, DEFAULT_OSV_ECOSYSTEMS),
 * LAMINA_NVD_BASE_URL, LAMINA_NVD_API_KEY, LAMINA_NVD_MAX_REQUESTS (lookups per run: 40 without a key, 400 with
 * one, which NVD's rate limits let finish in about four minutes; 0 turns enrichment off), LAMINA_DATA_DIR.
 */
export function updaterSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): UpdaterSettings {
  const table = env.LAMINA_ADVISORIES_TABLE;
  if (!table) throw new Error('environment variable LAMINA_ADVISORIES_TABLE is not set');
  const ecosystems = env.LAMINA_OSV_ECOSYSTEMS === undefined ? DEFAULT_OSV_ECOSYSTEMS : list(env.LAMINA_OSV_ECOSYSTEMS);
  if (ecosystems.length === 0) throw new Error('LAMINA_OSV_ECOSYSTEMS names no ecosystem');
  const apiKey = env.LAMINA_NVD_API_KEY || undefined;
  const maxText = env.LAMINA_NVD_MAX_REQUESTS;
  const maxRequests = maxText === undefined || maxText === '' ? (apiKey ? 400 : 40) : Number(maxText);
  if (!Number.isInteger(maxRequests) || maxRequests < 0) throw new Error(`LAMINA_NVD_MAX_REQUESTS must be a whole number, got "${maxText}"`);
  return {
    table,
    osvBaseUrl: env.LAMINA_OSV_BASE_URL || OSV_BASE_URL,
    ecosystems,
    workDir: join(env.LAMINA_DATA_DIR || '/tmp/lamina', 'osv'),
    nvd: maxRequests > 0 ? { baseUrl: env.LAMINA_NVD_BASE_URL || NVD_BASE_URL, apiKey, maxRequests } : undefined,
  };
}

const logger = new Logger({ serviceName: 'lamina-updater' });
const metrics = new Metrics({ namespace: 'Lamina', serviceName: 'lamina-updater' });

/** One client per container, at init; the settings are read per run. */
const dynamo = new DynamoDBClient({});

/** Runs OSV ingestion (and NVD enrichment) into the advisory table; throws when an ecosystem failed, so the run counts as an error. */
async function updaterHandler(_event: ScheduledEvent, context: Context): Promise<UpdateResult> {
  const settings = updaterSettingsFromEnv();
  const store = new DynamoAdvisoryStore(dynamo, settings.table);
  const budget = Math.max(10_000, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS);
  logger.info('updating advisories', { ecosystems: settings.ecosystems, osv: settings.osvBaseUrl, nvd: settings.nvd ? settings.nvd.baseUrl : 'off' });

  const result = await updateAdvisories(store, {
    baseUrl: settings.osvBaseUrl,
    ecosystems: settings.ecosystems,
    workDir: settings.workDir,
    signal: AbortSignal.timeout(budget),
    nvd: settings.nvd && {
      client: new NvdClient({ baseUrl: settings.nvd.baseUrl, apiKey: settings.nvd.apiKey }),
      maxRequests: settings.nvd.maxRequests,
    },
  });

  let written = 0;
  for (const ecosystem of result.ecosystems) {
    written += ecosystem.written;
    if (ecosystem.status === 'failed') logger.error('ecosystem update failed', { ...ecosystem });
    else logger.info('ecosystem updated', { ...ecosystem });
  }
  const failed = result.ecosystems.filter((e) => e.status === 'failed');
  metrics.addMetric('AdvisoriesWritten', MetricUnit.Count, written);
  metrics.addMetric('EcosystemsFailed', MetricUnit.Count, failed.length);
  if (result.cvss) {
    logger.info('NVD enrichment', { ...result.cvss });
    metrics.addMetric('CvssEnriched', MetricUnit.Count, result.cvss.written);
  }
  if (failed.length > 0) {
    throw new Error(`advisory update failed for ${failed.map((e) => `${e.ecosystem} (${e.error})`).join(', ')}`);
  }
  return result;
}

export const handler = middy(updaterHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
