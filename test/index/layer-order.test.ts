import type { Descriptor, ImageReference } from '../../lib/image/types';
import { defaultAnalyzers } from '../../lib/analyzers';
import { indexImage } from '../../lib/index/inventory';
import { isLayerContentError, readLayer } from '../../lib/layers';
import { generatedLayer } from '../layers/generated-layers';
import { JsonLayerCache, MemorySource, resolvedFrom } from '../support/memory-layers';

const reference: ImageReference = { registry: 'registry.test', remote: 'team/app', tag: 'v1', fullName: 'registry.test/team/app:v1' };

/** A MemorySource that records the order layers are opened in. */
class OrderedSource extends MemorySource {
  readonly order: string[] = [];
  override async openBlob(ref: ImageReference, descriptor: Descriptor): Promise<NodeJS.ReadableStream> {
    this.order.push(descriptor.digest);
    return super.openBlob(ref, descriptor);
  }
}

const status = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\n`;

describe('layers are fetched largest first, and the image is still replayed bottom-up', () => {
  it('opens the largest layer first and reports what the top layer says', async () => {
    const source = new OrderedSource();
    const layers = [
      [
        { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
        { name: 'var/lib/dpkg/status', content: status('libc6', '2.36-9') },
      ],
      // The largest: a layer of incompressible bytes in the middle of the image.
      [{ name: 'opt/blob.bin', content: Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 8)) & 0xff)) }],
      [{ name: 'var/lib/dpkg/status', content: status('libc6', '2.36-9+deb12u4') }],
    ];
    const descriptors: Descriptor[] = [];
    for (const entries of layers) descriptors.push(source.add(await generatedLayer(entries)));
    expect(Math.max(...descriptors.map((d) => d.size))).toBe(descriptors[1].size);
    const image = await indexImage(
      resolvedFrom(source, descriptors, reference),
      { source, readLayer, layerCache: new JsonLayerCache(), analyzers: defaultAnalyzers(), isContentError: isLayerContentError },
      { historyIndex: [0, 1, 2], concurrency: 1 },
    );
    expect(source.order[0]).toBe(descriptors[1].digest);
    expect(source.order).toHaveLength(3);
    expect(image.inventory.packages.map((pkg) => `${pkg.name}=${pkg.version}@${pkg.layer.index}:${pkg.layer.digest}`)).toEqual([
      `libc6=2.36-9+deb12u4@2:${descriptors[2].digest}`,
    ]);
  });
});
