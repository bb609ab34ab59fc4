import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ImageStore, StoredScan } from './image-store';

const DIGEST = /^(sha256|sha512):[a-f0-9]{32,128}$/;

/** The embedded store of local mode: one gzip'd JSON file per digest, replaced atomically so a crash never leaves half a result. */
export class FileImageStore implements ImageStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'images');
  }

  private pathFor(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`not an image digest: ${digest}`);
    return join(this.dir, `${digest.replace(':', '-')}.json.gz`);
  }

  async get(digest: string): Promise<StoredScan | undefined> {
    if (!DIGEST.test(digest)) return undefined;
    try {
      return JSON.parse(gunzipSync(await readFile(this.pathFor(digest))).toString('utf8')) as StoredScan;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(scan: StoredScan): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.pathFor(scan.image.id);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, gzipSync(JSON.stringify(scan)));
    await rename(temp, target);
  }
}
