import { randomBytes } from 'node:crypto';
import { defaultAnalyzers } from '../../lib/analyzers';
import type { Descriptor, ImageReference } from '../../lib/image/types';
import { indexImage } from '../../lib/index/inventory';
import { isLayerContentError, readLayer } from '../../lib/layers';
import { CONSUMERS_AT_WORK } from '../../lib/layers/collector';
import { mavenJar, zipOf } from '../support/archives';
import { generatedLayer } from '../layers/generated-layers';
import { JsonLayerCache, MemorySource, resolvedFrom } from '../support/memory-layers';

const reference: ImageReference = { registry: 'registry.test', remote: 'team/app', tag: 'v1', fullName: 'registry.test/team/app:v1' };

/** A war whose WEB-INF/lib jars are deflated and large enough (over 256 KiB) to be inflated on the thread pool. */
async function war(name: string, libraries: number): Promise<Buffer> {
  const jars = await Promise.all(
    Array.from({ length: libraries }, async (_, i) => ({
      name: `WEB-INF/lib/${name}-lib${i}-1.${i}.0.jar`,
      content: await mavenJar(`org.${name}`, `lib${i}`, `1.${i}.0`, [{ name: 'org/Blob.class', content: randomBytes(300 * 1024), compress: false }]),
      compress: true,
    })),
  );
  return zipOf(jars);
}

describe('archives analysed while the layer streams on', () => {
  it(`reports every library of ${CONSUMERS_AT_WORK + 2} wars in a row, and the files after them`, async () => {
    const names = ['shop', 'admin', 'api', 'billing'];
    const entries = [];
    for (const name of names) entries.push({ name: `opt/tomcat/webapps/${name}.war`, content: await war(name, 3) });
    entries.push({ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' });
    const source = new MemorySource();
    const descriptors: Descriptor[] = [source.add(await generatedLayer(entries))];
    const image = await indexImage(
      resolvedFrom(source, descriptors, reference),
      { source, readLayer, layerCache: new JsonLayerCache(), analyzers: defaultAnalyzers(), isContentError: isLayerContentError },
      { historyIndex: [0], concurrency: 1 },
    );
    expect(image.inventory.partial).toBe(false);
    expect(image.inventory.warnings).toEqual([]);
    expect(image.inventory.os?.id).toBe('debian');
    const found = image.inventory.packages.map((pkg) => `${pkg.name}@${pkg.version} ${pkg.location}`).sort();
    expect(found).toEqual(
      names
        .flatMap((name) => [0, 1, 2].map((i) => `org.${name}:lib${i}@1.${i}.0 opt/tomcat/webapps/${name}.war:WEB-INF/lib/${name}-lib${i}-1.${i}.0.jar`))
        .sort(),
    );
  });
});
