#!/usr/bin/env node
// First: keeps the AWS SDK's Node version warning off stderr (see the module).
import '../lib/cli/quiet-sdk';
import { parseArgs } from 'node:util';
import { DataDirectoryInUseError, localDynamoPath, startLocalMode } from '../lib/local/local-mode';
import { existsSync } from 'node:fs';
import { DB_USAGE, dbCommand, openLocalAdvisories } from '../lib/cli/db';
import { createImageService } from '../lib/compose';
import { configFromEnv, parsePlatform, type LaminaConfig } from '../lib/config';
import { createPinoLogger } from '../lib/logging';
import { MemoryImageStore } from '../lib/service/memory-image-store';
import { asCodedError } from '../lib/errors';
import { runtimeErrorBody } from '../lib/stackrox/errors';
import { encodeStorageImage } from '../lib/stackrox/encode';
import { parseImageName } from '../lib/image/reference';
import { renderCycloneDx, renderSpdx } from '../lib/sbom';
import { TOOL } from '../lib/scanner';
import { imageName } from '../lib/service/image-service';
import { sbomInputOf } from '../lib/service/sbom-service';

const FORMATS = ['json', 'cyclonedx', 'spdx'];

const USAGE = `usage:
  lamina scan <image> [--format json|cyclonedx|spdx] [--platform os/arch[/variant]] [--username U --password P]
              [--insecure-registry HOST]... [--force] [--pretty]
      --format (-f): json, the StackRox StorageImage (default); cyclonedx, a CycloneDX 1.6 SBOM; spdx, an SPDX 2.3 SBOM
  lamina serve [--port N]
${DB_USAGE}

Environment: LAMINA_DATA_DIR (default .lamina), PORT (default 8080), LAMINA_INSECURE_REGISTRIES, LAMINA_PLATFORM,
LAMINA_ALLOWED_REGISTRIES, LAMINA_REGISTRY_CREDENTIALS (JSON {"host": {"username", "password"}}), DOCKER_CONFIG,
LAMINA_REGISTRY_MIRRORS (JSON {"host": "mirror host[:port]"}), LAMINA_API_BUDGET_MS (serve: hand longer scans to the background).

Exit status: 0 done; 1 the scan or an update failed (scan prints the StackRox RuntimeError JSON on stderr);
2 usage error, or lamina could not start, e.g. the data directory is in use by another lamina process
(one process at a time may open LAMINA_DATA_DIR: stop \`lamina serve\` or use another directory).`;

async function scan(args: string[], config: LaminaConfig): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      platform: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'insecure-registry': { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      pretty: { type: 'boolean', default: false },
      format: { type: 'string', short: 'f', default: 'json' },
    },
  });
  const format = values.format ?? 'json';
  if (!FORMATS.includes(format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
  if (positionals.length !== 1) throw new Error(`scan takes one image name\n${USAGE}`);
  const image = positionals[0];
  const settings: LaminaConfig = {
    ...config,
    platform: values.platform ? parsePlatform(values.platform) : config.platform,
    insecureRegistries: [...config.insecureRegistries, ...(values['insecure-registry'] ?? [])],
  };
  const explicit = values.username !== undefined ? { username: values.username, password: values.password ?? '' } : undefined;
  // Advisories come from the data directory (`lamina db import|update`); without them the scan says OS_CVES_UNAVAILABLE.
  const local = existsSync(localDynamoPath(config.dataDir))
    ? await openLocalAdvisories(config).catch((err: unknown) => {
        // A `lamina serve` on the same directory: say so and stop (exit 2) rather than scan without its advisories.
        if (err instanceof DataDirectoryInUseError) throw err;
        process.stderr.write(`lamina: scanning without advisories: ${(err as Error).message}\n`);
        return undefined;
      })
    : undefined;
  // The CLI scans once and keeps nothing: a throwaway result store.
  const service = createImageService(settings, new MemoryImageStore(), {
    credentials: explicit ? { credentialsFor: async () => explicit } : undefined,
    advisories: local?.store,
  });
  try {
    const request = { imageName: image, force: true, includeSnoozed: true, cluster: '' };
    let output: unknown;
    if (format === 'json') {
      output = encodeStorageImage(await service.scanImage(request));
    } else {
      const stored = await service.inventoryOf(request);
      const input = sbomInputOf(stored, TOOL, new Date(), imageName(parseImageName(image)));
      output = format === 'spdx' ? renderSpdx(input) : renderCycloneDx(input);
    }
    process.stdout.write(`${JSON.stringify(output, null, values.pretty ? 2 : undefined)}\n`);
    return 0;
  } catch (err) {
    const error = asCodedError(err);
    process.stderr.write(`${JSON.stringify(runtimeErrorBody(error), null, values.pretty ? 2 : undefined)}\n`);
    return 1;
  } finally {
    await local?.dynamo.stop();
  }
}

async function serve(args: string[], config: LaminaConfig): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const logger = createPinoLogger(config.logLevel);
  const port = values.port !== undefined ? Number(values.port) : config.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);
  const local = await startLocalMode({ config, logger, port });
  logger.info('lamina listening: POST /v1/images/scan, GET /v1/images/{id}, POST /api/v1/images/sbom', {
    url: local.url,
    dataDir: config.dataDir,
    dynamodb: localDynamoPath(config.dataDir),
  });
  const stop = () => {
    local.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => undefined);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = configFromEnv();
  switch (command) {
    case 'scan':
      return scan(rest, config);
    case 'serve':
      return serve(rest, config);
    case 'db':
      return dbCommand(rest, config, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), interactive: Boolean(process.stderr.isTTY) });
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`lamina: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
