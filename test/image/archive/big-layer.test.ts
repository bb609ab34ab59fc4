import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultAnalyzers, selectorFor } from '../../../lib/analyzers';
import { openArchiveSource } from '../../../lib/image/archive';
import { peakGrowthMiB } from '../../layers/generated-layers';
import { readLayer } from '../../../lib/layers';
import { buildImage, discardImage } from '../../support/image-builder';
import { dockerArchiveMembers, ociLayoutMembers, tempDir, writeTar } from './archive-writer';

const MIB = 1024 * 1024;
const ZEROS = 200 * MIB;
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\n';

/** A /proc/self/status memory figure (Linux), in bytes: VmRSS now, VmHWM the peak so far. */
function _memory(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]) * 1024;
}

const describeOnLinux = process.platform === 'linux' ? describe : describe.skip;

describeOnLinux('a 200 MiB layer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => cleanup());

  it('is indexed, resolved and read through the real layer reader with bounded memory', async () => {
    // A sparse file of zeros, then a layer tar of it (and a wanted file after it, so the whole layer must be read).
    const zeros = join(dir, 'zeros');
    const handle = await open(zeros, 'w');
    await handle.truncate(ZEROS);
    await handle.close();
    const layerTar = join(dir, 'layer.tar');
    await writeTar(layerTar, [
      { name: 'zeros.bin', file: zeros },
      { name: 'etc/os-release', content: OS_RELEASE },
    ]);
    const image = await buildImage({ layers: [{ tarFile: layerTar, compression: 'none' }] });
    const docker = join(dir, 'big-docker.tar');
    await writeTar(docker, dockerArchiveMembers([{ image, tags: ['big:1'] }], 'legacy'));
    const oci = join(dir, 'big-oci.tar');
    await writeTar(oci, ociLayoutMembers([{ image }]));
    await discardImage(image);

    const selector = selectorFor(defaultAnalyzers());
    // The peak while reading (the peak counter reset first: building the image above may have peaked higher).
    const growth = await peakGrowthMiB(async () => {
      for (const spec of [`docker-archive:${docker}`, `oci-archive:${oci}`]) {
        const { source, reference } = await openArchiveSource(spec);
        const resolved = await source.resolve(reference);
        expect(resolved.manifest.layers[0].size).toBeGreaterThan(ZEROS);
        const contents = await readLayer(await source.openBlob(reference, resolved.manifest.layers[0]), selector);
        expect(contents.files.get('etc/os-release')?.content.toString()).toBe(OS_RELEASE);
        expect(contents.uncompressedBytes).toBe(resolved.manifest.layers[0].size);
      }
    });
    // Streaming needs a few MiB of buffers; holding the layer once would take 200 MiB. A coarse sanity bound.
    if (growth !== undefined) expect(growth).toBeLessThan(150);
  });
});
