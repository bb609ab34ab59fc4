// `npm run bench`: scan wall time and peak RSS against a floor measured in the same run.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { debianRootfsAvailable, debianRootfsTar } from '../test/support/debian-rootfs';
import { buildImage, pushImage, type LayerSpec, type TarEntrySpec } from '../test/support/image-builder';
import { registryAvailable, startRegistry } from '../test/support/registry';
import { appLayers } from './app-layers';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = 3;
const MiB = 1024 * 1024;

interface Measure {
  ms: number;
  maxRssKiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** An application layer like real ones: many small compressible files plus some incompressible binaries. */
function appLayer(seed: number, binaryMiB: number): LayerSpec {
  const entries: TarEntrySpec[] = [];
  for (let i = 0; i < 4000; i++) {
    entries.push({
      path: `srv/app${seed}/node_modules/pkg${i}/index.js`,
      content: `module.exports = ${JSON.stringify({ i, seed, text: 'x'.repeat(i % 3000) })};\n`,
    });
  }
  for (let i = 0; i < binaryMiB; i++) entries.push({ path: `srv/app${seed}/bin/blob${i}.so`, content: randomBytes(MiB) });
  return { entries, compression: 'gzip' };
}

async function measure(script: string, args: string[]): Promise<Measure & Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [join(__dirname, script), ...args], { maxBuffer: 16 * MiB });
  return JSON.parse(stdout);
}

async function main(): Promise<void> {
  if (!registryAvailable()) throw new Error("bench needs Debian's docker-registry (apt-get install docker-registry, or run npm test once as root)");
  const registry = await startRegistry({ auth: 'none' });
  try {
    const layers: LayerSpec[] = [];
    if (debianRootfsAvailable()) layers.push({ tarFile: await debianRootfsTar(), compression: 'gzip' });
    const app = await appLayers();
    layers.push(appLayer(1, 40), ...app.layers);
    const image = await buildImage({ format: 'oci', layers });
    await pushImage(registry, 'bench/image', 'latest', image);
    const compressed = image.layers.reduce((sum, layer) => sum + statSync(layer.file).size, 0);
    const imageName = `${registry.host}/bench/image:latest`;
    // In the order the scan fetches them: largest first.
    const sizes = new Map(image.layers.map((layer) => [layer.digest, statSync(layer.file).size]));
    const digests = image.layers.map((layer) => layer.digest).sort((a, b) => sizes.get(b)! - sizes.get(a)!);

    const floors: Measure[] = [];
    const scans: Array<Measure & Record<string, unknown>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      floors.push(await measure('floor-once.js', [registry.url, 'bench/image', String(CONCURRENCY), ...digests]));
      scans.push(await measure('scan-once.js', [imageName, registry.host]));
    }
    const floorMs = median(floors.map((m) => m.ms));
    const scanMs = median(scans.map((m) => m.ms));
    const peakRss = Math.max(...scans.map((m) => m.maxRssKiB)) / 1024;
    console.log(`image: ${image.layers.length} layers, ${(compressed / MiB).toFixed(1)} MiB compressed, ${scans[0].components} components`);
    console.log(`  of which ${app.npmPackages} npm packages and ${(app.jarBytes / MiB).toFixed(0)} MiB of jars (a war and a Spring Boot jar nesting 60 more)`);
    console.log(`floor (fetch + gunzip, ${CONCURRENCY} at once): ${floorMs.toFixed(0)} ms (median of ${ROUNDS})`);
    console.log(`scan:                              ${scanMs.toFixed(0)} ms (median of ${ROUNDS})`);
    console.log(`ratio scan/floor:                  ${(scanMs / floorMs).toFixed(2)} (target ≤ 1.30)`);
    console.log(
      `peak RSS of the scan process:      ${peakRss.toFixed(0)} MiB (target ≤ 256); floor process ${(Math.max(...floors.map((m) => m.maxRssKiB)) / 1024).toFixed(0)} MiB`,
    );
  } finally {
    await registry.stop();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
