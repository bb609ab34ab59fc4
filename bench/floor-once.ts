// The floor a scan cannot beat: fetch the same blobs and decompress them, nothing else, at the scan's concurrency and
// in the order given (the scan's: largest first).
// `node floor-once.js <registry-url> <repository> <concurrency> <digest>...`
import { peakRssKiB } from './peak-rss';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

async function drainBlob(url: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createGunzip(), sink);
}

async function main(): Promise<void> {
  const [base, repository, concurrencyText, ...digests] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < digests.length) await drainBlob(`${base}/v2/${repository}/blobs/${digests[next++]}`);
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, maxRssKiB: peakRssKiB() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
