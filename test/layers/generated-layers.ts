import { readFileSync, writeFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

/** An entry of a generated layer: given content, or `size` bytes of `fill` written a MiB at a time. */
export type GeneratedEntry = { name: string } & ({ content: string | Buffer } | { size: number; fill?: number } | { symlink: string });

/** Entries carry a fixed time: the same entries make the same layer digest, as the layer-cache tests need. */
const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');
const CHUNK = 1024 * 1024;

/**
 * A gzip layer built as a stream, so that only the compressed bytes are ever held: hundreds of MiB of zeros
 * compress to a few hundred KiB, which is what makes such layers an attack on whoever reads them.
 */
export async function generatedLayer(entries: GeneratedEntry[]): Promise<Buffer> {
  const archive = pack();
  const gzip = createGzip({ level: 1 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', () => resolve());
    gzip.on('error', reject);
    archive.on('error', reject);
  });
  archive.pipe(gzip);
  for (const spec of entries) {
    if ('symlink' in spec) {
      await new Promise<void>((resolve, reject) =>
        archive.entry({ name: spec.name, type: 'symlink', linkname: spec.symlink, mtime: FIXED_MTIME }, (err) => (err ? reject(err) : resolve())),
      );
      continue;
    }
    if ('content' in spec) {
      const body = Buffer.from(spec.content);
      await new Promise<void>((resolve, reject) =>
        archive.entry({ name: spec.name, size: body.length, mtime: FIXED_MTIME }, body, (err) => (err ? reject(err) : resolve())),
      );
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const entry = archive.entry({ name: spec.name, size: spec.size, mtime: FIXED_MTIME }, (err) => (err ? reject(err) : resolve()));
      const block = Buffer.alloc(Math.min(CHUNK, spec.size), spec.fill ?? 0);
      let left = spec.size;
      const write = (): void => {
        while (left > 0) {
          const length = Math.min(left, block.length);
          left -= length;
          if (!entry.write(length === block.length ? block : block.subarray(0, length))) {
            entry.once('drain', write);
            return;
          }
        }
        entry.end(undefined);
      };
      write();
    });
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

const MIB = 1024 * 1024;

function statusKiB(field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/**
 * The peak resident memory `run` adds to the process, in MiB, from /proc (VmHWM after resetting it with
 * clear_refs); undefined where /proc does not allow that. Only a coarse sanity bound: other allocations count too.
 */
export async function peakGrowthMiB(run: () => Promise<void>): Promise<number | undefined> {
  let start: number | undefined;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    start = statusKiB('VmRSS');
  } catch {
    start = undefined;
  }
  await run();
  const peak = statusKiB('VmHWM');
  if (start === undefined || peak === undefined) return undefined;
  return (peak * 1024 - start * 1024) / MIB;
}
