// Part of `npm run bench`: each Lambda bundle as infra/lamina-function.ts builds it (esbuild, minified, node22, CJS,
// @aws-sdk/* external), its size, what in node_modules makes it big, and its cold `require` time in a fresh Node
// process against the floor of starting Node at all (`node -e ""`), median of ROUNDS, in the same run.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
/** Inside the repository, so the external @aws-sdk/* resolve from its node_modules as they do from the Lambda runtime's. */
const OUT_DIR = join(__dirname, 'bundles');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TOP = 5;
const KiB = 1024;

const FUNCTIONS = [
  { name: 'api', entry: 'functions/api.ts' },
  { name: 'worker', entry: 'functions/ecr-worker.ts' },
  { name: 'updater', entry: 'functions/updater.ts' },
] as const;

/**
 * What the stack passes the scan functions (infra/stateless-stack.ts) and LaminaFunction adds, with dummy names:
 * enough for every handler's module-level init (resourceNamesFromEnv, configFromEnv, parseClusters, SDK clients),
 * none of which contacts AWS. Nothing is inherited from this process but PATH.
 */
const LAMBDA_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  LAMINA_IMAGES_TABLE: 'bench-images',
  LAMINA_LAYER_INDEX_TABLE: 'bench-layer-index',
  LAMINA_INFLIGHT_TABLE: 'bench-in-flight',
  LAMINA_ADVISORIES_TABLE: 'bench-advisories',
  LAMINA_SNOOZES_TABLE: 'bench-snoozes',
  LAMINA_SCAN_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-scan-queue',
  LAMINA_PLATFORM: 'linux/arm64',
  LAMINA_ALLOWED_REGISTRIES: '',
  LAMINA_CLUSTERS: '[]',
  LAMINA_DATA_DIR: '/tmp/lamina-bench',
};

interface Bundle {
  name: string;
  file: string;
  bytes: number;
  metafile: Metafile;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function kib(bytes: number): string {
  return `${(bytes / KiB).toFixed(1)} KiB`;
}

/** The flags aws-lambda-nodejs passes esbuild for LaminaFunction's `bundling` (minify, sourceMap, node22, cjs, @aws-sdk/*). */
async function bundle(name: string, entry: string): Promise<Bundle> {
  const file = join(OUT_DIR, name, 'index.js');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile: file,
    minify: true,
    sourcemap: true,
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'warning',
  });
  return { name, file, bytes: statSync(file).size, metafile: result.metafile };
}

/** `node_modules/<pkg>/…` or `node_modules/@scope/<pkg>/…` → the package name, innermost node_modules winning. */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

interface Contents {
  packages: Array<{ name: string; bytes: number; files: number }>;
  ownBytes: number;
  inputs: string[];
  /** The @aws-sdk/* modules left out of the bundle, which it requires from the Lambda runtime at load. */
  externals: string[];
}

/** Bytes each input contributes to the minified output, summed per package; lamina's own sources apart. */
function contents(b: Bundle): Contents {
  const output = b.metafile.outputs[relative(ROOT, b.file)];
  if (!output) throw new Error(`metafile of ${b.name} has no output ${relative(ROOT, b.file)}`);
  const byPackage = new Map<string, { bytes: number; files: number }>();
  let ownBytes = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = packageOf(input);
    if (pkg === undefined) {
      ownBytes += bytesInOutput;
      continue;
    }
    const entry = byPackage.get(pkg) ?? { bytes: 0, files: 0 };
    entry.bytes += bytesInOutput;
    entry.files += 1;
    byPackage.set(pkg, entry);
  }
  const packages = [...byPackage].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.bytes - a.bytes);
  const externals = new Set<string>();
  for (const input of Object.keys(output.inputs)) {
    for (const imported of b.metafile.inputs[input]?.imports ?? [])
      if (imported.external && imported.path.startsWith('@aws-sdk/')) externals.add(imported.path);
  }
  return { packages, ownBytes, inputs: Object.keys(output.inputs), externals: [...externals].sort() };
}

/** Which zod API a bundle pulls in (`classic` is `zod`'s chainable API, `mini` the functional `zod/mini`), and how many locales. */
function zodFlavours(inputs: string[]): string {
  const flavours = new Set<string>();
  let locales = 0;
  for (const input of inputs) {
    const match = /node_modules\/zod\/v4\/(classic|mini|core|locales)\/([^/]+)$/.exec(input);
    if (!match) continue;
    if (match[1] === 'locales') locales += match[2] === 'index.js' ? 0 : 1;
    else flavours.add(match[1]);
  }
  if (flavours.size === 0) return 'none';
  return `${[...flavours].sort().join(', ')}, ${locales} locale${locales === 1 ? '' : 's'}`;
}

/** Wall time of one fresh `node -e <script>`, from spawn to exit. */
async function timeNode(script: string): Promise<number> {
  const started = process.hrtime.bigint();
  await run(process.execPath, ['-e', script], { env: LAMBDA_ENV, cwd: ROOT });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Loads a bundle once with the network stubbed out: init must neither connect anywhere nor fail, or the timings
 * below would measure something else.
 */
async function checkInit(b: Bundle): Promise<void> {
  const guard = `
    const net = require('node:net'), dns = require('node:dns'), tried = [];
    const origConnect = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (...args) { tried.push(JSON.stringify(args[0])); return origConnect.apply(this, args); };
    const origLookup = dns.lookup;
    dns.lookup = function (host, ...rest) { tried.push('dns ' + host); return origLookup.call(this, host, ...rest); };
    const m = require(${JSON.stringify(b.file)});
    if (typeof m.handler !== 'function') throw new Error('no handler export');
    setTimeout(() => { if (tried.length) { console.error('contacted at load: ' + tried.join(', ')); process.exit(3); } }, 200).unref();
    process.on('exit', () => { if (tried.length) { console.error('contacted at load: ' + tried.join(', ')); process.exitCode = 3; } });
  `;
  try {
    await run(process.execPath, ['-e', guard], { env: LAMBDA_ENV, cwd: ROOT, timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${b.name} bundle fails at load: ${(e.stderr || e.message).trim().split('\n').slice(-5).join('\n')}`);
  }
}

async function main(): Promise<void> {
  await rm(OUT_DIR, { recursive: true, force: true });
  const bundles: Bundle[] = [];
  for (const f of FUNCTIONS) bundles.push(await bundle(f.name, f.entry));

  const externals = new Map<string, string[]>();
  for (const b of bundles) {
    const c = contents(b);
    externals.set(b.name, c.externals);
    console.log(
      `${b.name.padEnd(8)} ${relative(ROOT, b.file)}: ${kib(b.bytes)} minified (lamina sources ${kib(c.ownBytes)}, ${c.packages.length} packages; zod: ${zodFlavours(c.inputs)})`,
    );
    for (const p of c.packages.slice(0, TOP)) {
      console.log(`           ${p.name.padEnd(34)} ${kib(p.bytes).padStart(10)}  ${((100 * p.bytes) / b.bytes).toFixed(0).padStart(2)}%  ${p.files} files`);
    }
  }

  for (const b of bundles) await checkInit(b);
  // Interleaved rounds, so drift in machine load touches floor and bundles alike.
  const floor: number[] = [];
  const times = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
  // The external SDK clients alone: the part of a bundle's load that bundling cannot shrink.
  const sdkTimes = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
  const requireAll = (modules: string[]) => modules.map((m) => `require(${JSON.stringify(m)});`).join('');
  await timeNode(''); // warm the page cache for the node binary
  for (let round = 0; round < ROUNDS; round++) {
    floor.push(await timeNode(''));
    for (const b of bundles) {
      times.get(b.name)!.push(await timeNode(`require(${JSON.stringify(b.file)})`));
      sdkTimes.get(b.name)!.push(await timeNode(requireAll(externals.get(b.name)!)));
    }
  }
  const floorMs = median(floor);
  console.log(`\ncold require, fresh process each (median of ${ROUNDS}; env: dummy tables, AWS_REGION=us-east-1)`);
  console.log(`floor    node -e ""                ${floorMs.toFixed(0).padStart(5)} ms`);
  for (const b of bundles) {
    const ms = median(times.get(b.name)!);
    const sdkMs = median(sdkTimes.get(b.name)!);
    console.log(
      `${b.name.padEnd(8)} node -e "require(bundle)"  ${ms.toFixed(0).padStart(5)} ms  ratio ${(ms / floorMs).toFixed(2)}  (+${(ms - floorMs).toFixed(0)} ms over the floor)`,
    );
    console.log(
      `         of which its externals alone ${sdkMs.toFixed(0).padStart(5)} ms  (+${(sdkMs - floorMs).toFixed(0)} ms: ${externals.get(b.name)!.join(', ') || 'none'})`,
    );
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
