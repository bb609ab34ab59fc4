import { createScanPorts, SCANNER } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { defaultAnalyzers } from '../../lib/analyzers';
import type { AnalysisResult, Analyzer, PackageRecord } from '../../lib/analyzers/types';
import { renderCycloneDx } from '../../lib/sbom';
import { ImageService } from '../../lib/service/image-service';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { sbomInputOf } from '../../lib/service/sbom-service';
import { FakeRegistry } from '../image/fake-registry';
import { buildTar, gzip } from '../layers/layer-fixtures';

/**
 * The seam for a new ecosystem: one analyser, declared here in full, plus its registration (here: appended to the
 * default list). Nothing else in the core changes for the packages to reach the inventory, StackRox and SBOMs.
 */
const toyAnalyzer: Analyzer = {
  name: 'toy',
  version: 1,
  maxFileSize: 64 * 1024,
  wants: (path) => path.endsWith('/toy-packages.txt'),
  analyze(file): AnalysisResult {
    const packages: PackageRecord[] = [];
    for (const line of file.content.toString('utf8').split('\n')) {
      const [name, version] = line.trim().split(/\s+/);
      if (name && version) packages.push({ ecosystem: 'Toy', purlType: 'generic', name, version, license: 'MIT' });
    }
    return { evidence: [{ kind: 'packages', packages }] };
  },
};

describe('a toy ecosystem added with one analyser', () => {
  let registry: FakeRegistry;

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
  });

  afterAll(async () => {
    await registry.close();
  });

  it('its packages reach the inventory, the StackRox components and the SBOM', async () => {
    const layer = gzip(
      await buildTar([
        { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.1\n' },
        { name: 'opt/toy/toy-packages.txt', content: 'widget 1.2.3\ngadget 0.9\n' },
      ]),
    );
    registry.putImage('team/toy', ['1'], { layer });

    const ports = createScanPorts({ ...configFromEnv({}), insecureRegistries: [registry.host] });
    ports.analyzers = [...defaultAnalyzers(), toyAnalyzer];
    const service = new ImageService({ scan: ports, store: new MemoryImageStore(), scanner: SCANNER });
    const request = { imageName: `${registry.host}/team/toy:1`, force: false, includeSnoozed: false, cluster: '' };

    const stored = await service.inventoryOf(request);
    expect(stored.inventory.packages.map((p) => [p.ecosystem, p.name, p.version, p.purl, p.location, p.analyzer, p.licenses])).toEqual([
      ['Toy', 'gadget', '0.9', 'pkg:generic/gadget@0.9', 'opt/toy/toy-packages.txt', 'toy', ['MIT']],
      ['Toy', 'widget', '1.2.3', 'pkg:generic/widget@1.2.3', 'opt/toy/toy-packages.txt', 'toy', ['MIT']],
    ]);
    const scanned = await service.scanImage(request);
    expect(scanned.scan?.components.map((c) => [c.name, c.version, c.location, c.source])).toEqual([
      ['gadget', '0.9', 'opt/toy/toy-packages.txt', 'INFRASTRUCTURE'],
      ['widget', '1.2.3', 'opt/toy/toy-packages.txt', 'INFRASTRUCTURE'],
    ]);
    const sbom = renderCycloneDx(sbomInputOf(stored, { name: 'lamina', version: 'test' }, new Date())) as { components: Array<{ purl?: string }> };
    expect(sbom.components.map((c) => c.purl).filter(Boolean)).toEqual(expect.arrayContaining(['pkg:generic/gadget@0.9', 'pkg:generic/widget@1.2.3']));
  });
});
