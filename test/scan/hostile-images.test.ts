import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { FakeRegistry } from '../image/fake-registry';
import { buildTar, gzip } from '../layers/layer-fixtures';

// Red-team cases that held, kept in the suite: symlink loops at the paths analysers want, and `..` escapes.
describe('hostile image contents', () => {
  let registry: FakeRegistry;

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
  });

  afterAll(async () => {
    await registry.close();
  });

  it('symlink loops and chains at wanted paths end the scan cleanly, with no OS claimed', async () => {
    const layer = gzip(
      await buildTar([
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { name: 'usr/lib/os-release', type: 'symlink', linkname: '../../etc/os-release' },
        { name: 'var/lib/dpkg/status', type: 'symlink', linkname: 'status' },
        { name: 'lib/apk/db/installed', type: 'symlink', linkname: '/lib/apk/db/installed' },
        { name: '../../etc/shadow', content: 'root:x:0:0' },
      ]),
    );
    registry.putImage('team/loops', ['1'], { layer });
    const service = createImageService({ ...configFromEnv({}), insecureRegistries: [registry.host] }, new MemoryImageStore());
    const image = await service.scanImage({ imageName: `${registry.host}/team/loops:1`, force: false, includeSnoozed: false, cluster: '' });
    expect(image.scan?.operatingSystem).toBe('unknown');
    expect(image.scan?.components).toEqual([]);
    expect(image.scan?.notes).toContain('OS_UNAVAILABLE');
  });
});
