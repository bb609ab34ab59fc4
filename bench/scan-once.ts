// One scan in a process of its own, so its peak RSS is its own: `node scan-once.js <image> <insecure-registry>`.
import { peakRssKiB } from './peak-rss';
import { createImageService } from '../lib/compose';
import { configFromEnv } from '../lib/config';
import type { ImageStore, StoredScan } from '../lib/service/image-store';

class NullStore implements ImageStore {
  async get(): Promise<StoredScan | undefined> {
    return undefined;
  }
  async put(): Promise<void> {}
}

async function main(): Promise<void> {
  const [image, insecure] = process.argv.slice(2);
  const service = createImageService({ ...configFromEnv({}), insecureRegistries: [insecure] }, new NullStore());
  const started = process.hrtime.bigint();
  const result = await service.scanImage({ imageName: image, force: true, includeSnoozed: true, cluster: '' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, maxRssKiB: peakRssKiB(), components: result.scan?.components.length ?? 0 })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
