import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import type { FileSelector } from '../../lib/layers/types';

export type EntrySpec = Partial<Header> & { name: string; content?: string | Buffer };

/** An uncompressed tar built with tar-stream's pack (pax headers for long names, as Docker writes them). */
export async function buildTar(entries: EntrySpec[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    const body = content === undefined ? Buffer.alloc(0) : Buffer.from(content);
    await new Promise<void>((resolve, reject) => {
      archive.entry({ type: 'file', ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve()));
    });
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const zstdAvailable = existsSync('/usr/bin/zstd');

export function zstdCompress(data: Buffer, args: string[] = []): Buffer {
  const result = spawnSync('/usr/bin/zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`zstd failed: ${result.stderr.toString()}`);
  return result.stdout;
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

/** A stream of `data` in chunks of `chunkBytes`, as a network body would arrive. */
export function streamOf(data: Buffer, chunkBytes = 16 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += chunkBytes) chunks.push(data.subarray(offset, offset + chunkBytes));
  return Readable.from(chunks, { objectMode: false });
}

/** Wants exactly the listed paths, each with its byte limit. */
export function selectPaths(limits: Record<string, number>): FileSelector {
  const table = new Map(Object.entries(limits));
  return { limitFor: (path) => table.get(path) };
}

export const wantNothing: FileSelector = { limitFor: () => undefined };
export const wantEverything: FileSelector = { limitFor: () => 1 << 20 };
