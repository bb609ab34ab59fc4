import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LaminaConfig } from '../config';
import { CredentialChain, defaultCredentials, type CredentialProvider, type RegistryCredentials } from '../image/registry';
import type { AppLogger } from '../logging';
import { createApiServer } from '../server/http-server';
import type { ImageService } from '../service/image-service';
import { asCodedError, CodedError, GrpcCode } from '../errors';
import { isDeadLocalHolder } from '../service/scan-leases';
import { loggingObserver } from '../service/scan-observer';
import { createScanApi } from '../api/scan-api';
import { createDynamoImageService, ecrAliasesForMirrors } from '../aws/compose-aws';
import { SnoozeService } from '../service/snooze-service';
import { CachedAdvisoryStore } from '../vulndb/cached-store';
import { MemoryAdvisoryStore } from '../vulndb/memory-store';
import type { AdvisoryStore } from '../vulndb/store';
import { DynamoAdvisoryStore } from '../aws/dynamo-advisory-store';
import { DynamoSnoozeStore } from '../aws/dynamo-snooze-store';
import { DynamoSignatureIntegrationStore } from '../aws/dynamo-signature-integration-store';
import { SignatureIntegrationService } from '../service/signature-integration-service';
import { awsClusterDelegation } from '../aws/execute-api-signer';
import { ensureKeyValueTable } from '../aws/dynamo-image-store';
import { EcrCredentialSource } from '../aws/ecr-credentials';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';
import { type LocalTables, localTablesFromEnv, openDataDirectoryDynamo, openLocalAdvisoryStore } from './data-directory';
import { LmdbAdvisoryStore } from './lmdb-advisory-store';

class OptionalCredentials implements CredentialProvider {
  constructor(
    private readonly inner: CredentialProvider,
    private readonly logger?: AppLogger,
  ) {}

  async credentialsFor(host: string): Promise<RegistryCredentials | undefined> {
    try {
      return await this.inner.credentialsFor(host);
    } catch (err) {
      this.logger?.warn('no ECR credentials for this host; trying it without', { host, reason: (err as Error).message });
      return undefined;
    }
  }
}

export interface LocalModeOptions {
  config: LaminaConfig;
  logger?: AppLogger;
  env?: NodeJS.ProcessEnv;
  /** Port to listen on; default `config.port`. 0 picks a free one. */
  port?: number;
  /** Address to listen on; default every interface, as `lamina serve` always did. */
  host?: string;
  /** Registry credentials asked first (tests, the CLI's --username). */
  credentials?: CredentialProvider;
  /** Keep DynamoDB, and the advisories, in memory instead of under the data directory. */
  inMemory?: boolean;
}

export interface LocalMode {
  /** `http://host:port` */
  url: string;
  server: Server;
  service: ImageService;
  dynamo: EmbeddedDynamo;
  tables: LocalTables;
  /** LMDB under the data directory (see openLocalAdvisoryStore), or in memory. */
  advisories: AdvisoryStore;
  /** Stops the server, waits for background scans and closes the databases. */
  stop(): Promise<void>;
}

/**
 * `lamina serve`: the Lambda stack on one machine. dynalite stands in for DynamoDB (persisted under
 * `LAMINA_DATA_DIR`), the tables are created on start, advisories are read from LMDB beside it (an embedded
 * DynamoDB cannot import them fast enough), and the API runs through the same service composition and
 * API path as the Lambda function; only the HTTP adapter differs. A scan past `LAMINA_API_BUDGET_MS` (unset:
 * no budget) goes on in this process instead of on a queue.
 */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const { config, logger } = options;
  const env = options.env ?? process.env;
  const tables = localTablesFromEnv(env);
  let dynamo: EmbeddedDynamo;
  if (options.inMemory) {
    dynamo = await startEmbeddedDynamo();
  } else {
    dynamo = await openDataDirectoryDynamo(config.dataDir);
  }
  const background = new Set<Promise<unknown>>();
  // Stopping aborts every scan in progress: they release their leases and the process exits within seconds.
  const shutdown = new AbortController();
  let advisories: AdvisoryStore | undefined;
  try {
    for (const table of [tables.images, tables.layerIndex, tables.inFlight]) await ensureKeyValueTable(dynamo.client, table);
    // Kept for lamina versions before the LMDB store, which read advisories from it, and for the copy below.
    await new DynamoAdvisoryStore(dynamo.client, tables.advisories).ensureTables();
    advisories = options.inMemory
      ? new MemoryAdvisoryStore()
      : await openLocalAdvisoryStore(config.dataDir, { dynamo, table: tables.advisories, notice: (line) => logger?.info(line.trim()) });
    const snoozes = new DynamoSnoozeStore(dynamo.client, tables.snoozes);
    await snoozes.ensureTable();
    const integrationStore = new DynamoSignatureIntegrationStore(dynamo.client, tables.signatureIntegrations);
    await integrationStore.ensureTable();
    const signatureIntegrations = new SignatureIntegrationService({ store: integrationStore, configured: config.signatureIntegrations });

    const credentials = new CredentialChain([
      options.credentials,
      defaultCredentials({ env }),
      new OptionalCredentials(new EcrCredentialSource({ aliases: ecrAliasesForMirrors(config.registryMirrors) }), logger),
    ]);
    const service: ImageService = createDynamoImageService({
      dynamo: dynamo.client,
      tables,
      config,
      credentials,
      isDeadHolder: isDeadLocalHolder,
      observer: logger ? loggingObserver(logger) : undefined,
      shutdown: shutdown.signal,
      advisories: new CachedAdvisoryStore(advisories),
      snoozes,
      clusters: awsClusterDelegation(env),
      signatureIntegrations,
      defer: async (request) => {
        const scan = service.scanImage(request).then(
          (image) => logger?.info('background scan finished', { image: request.imageName, id: image.id }),
          (err: unknown) => logger?.error('background scan failed', { image: request.imageName, message: asCodedError(err).message }),
        );
        background.add(scan);
        void scan.finally(() => background.delete(scan));
      },
    });
    const api = createScanApi({ images: service, snoozes: new SnoozeService(snoozes), signatureIntegrations }, { logger, budgetMs: config.apiBudgetMs });
    const server = createApiServer((request, signal) => api(request, { signal }));
    const port = options.port ?? config.port;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        resolve();
      };
      if (options.host) server.listen(port, options.host, listening);
      else server.listen(port, listening);
    });
    const address = server.address() as AddressInfo;
    const unspecified = address.address === '::' || address.address === '0.0.0.0';
    const hostPart = unspecified ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    let stopped = false;
    return {
      url: `http://${hostPart}:${address.port}`,
      server,
      service,
      dynamo,
      tables,
      advisories,
      async stop() {
        if (stopped) return;
        stopped = true;
        shutdown.abort(new CodedError(GrpcCode.Unavailable, 'lamina is shutting down'));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.allSettled([...background]);
        await closeAdvisories(advisories);
        await dynamo.stop();
      },
    };
  } catch (err) {
    await closeAdvisories(advisories);
    await dynamo.stop();
    throw err;
  }
}

async function closeAdvisories(advisories: AdvisoryStore | undefined): Promise<void> {
  if (advisories instanceof LmdbAdvisoryStore) await advisories.close();
}
