#!/usr/bin/env node
// First: keeps the AWS SDK's Node version warning off stderr (see the module).
import '../lib/cli/quiet-sdk';
import { parseArgs } from 'node:util';
import { DB_USAGE } from '../lib/cli/usage';
import { configFromEnv, type LaminaConfig } from '../lib/config';
import { TOOL } from '../lib/scanner';

// Each command's modules are loaded when it runs: `lamina --version` and `--help` load none of them.

const SERVE_USAGE = `usage: lamina serve [--port N]

  Serves the StackRox API (POST /v1/images/scan, GET /v1/images/{id}, POST /api/v1/images/sbom, PATCH
  /v1/imagecves/suppress|unsuppress) on http://localhost:PORT over the data directory's embedded DynamoDB.
  -p, --port N   port to listen on (default PORT, else 8080; 0 picks a free one)
  -h, --help     this text`;

const USAGE = `lamina ${TOOL.version}: container-image vulnerability scanner speaking the StackRox API

usage:
  lamina scan <image> [options]     scan one image (lamina scan --help for the options)
  lamina serve [--port N]           run the StackRox API locally
${DB_USAGE}
  lamina help | --help | -h         this text
  lamina --version                  the version

Environment: LAMINA_DATA_DIR (default $XDG_CACHE_HOME/lamina, else ~/.cache/lamina), PORT (default 8080),
LAMINA_INSECURE_REGISTRIES, LAMINA_PLATFORM, LAMINA_ALLOWED_REGISTRIES, LAMINA_REGISTRY_CREDENTIALS (JSON
{"host": {"username", "password"}}), DOCKER_CONFIG, LAMINA_REGISTRY_MIRRORS (JSON {"host": "mirror host[:port]"}),
LAMINA_SCAN_TIMEOUT_MS, LAMINA_API_BUDGET_MS (serve: hand longer scans to the background).

Exit status: 0 done; N findings left with scan --exit-code N; 1 a scan or an update failed; 2 usage error, or
lamina could not start, e.g. the data directory is in use by another lamina process (one process at a time may
open LAMINA_DATA_DIR: stop \`lamina serve\` or use another directory).`;

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
};

async function serve(args: string[], config: LaminaConfig): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const [{ createPinoLogger }, { startLocalMode }, { localDynamoPath }] = await Promise.all([
    import('../lib/logging.js'),
    import('../lib/local/local-mode.js'),
    import('../lib/local/data-directory.js'),
  ]);
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
    case 'scan': {
      const { scanCommand } = await import('../lib/cli/scan-command.js');
      return scanCommand(rest, config, { ...io, stdoutIsTty: Boolean(process.stdout.isTTY), stdin: process.stdin });
    }
    case 'serve':
      return serve(rest, config);
    case 'db': {
      const { dbCommand } = await import('../lib/cli/db.js');
      return dbCommand(rest, config, io);
    }
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`lamina ${TOOL.version}\n`);
      return 0;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`lamina: unknown command "${command}"\n${USAGE}\n`);
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
