import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { FakeRegistry } from '../image/fake-registry';
import { failure } from '../support/outcomes';

// Defect 10 of the hardening issue: a stored digest asked for under a registry the allow-list refuses.
describe('the registry allow-list holds for stored digests', () => {
  let registry: FakeRegistry;

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
  });

  afterAll(async () => {
    await registry.close();
  });

  it('refuses the name before the store is read, and never adds it to the image', async () => {
    const image = registry.putImage('team/app', ['v1']);
    const store = new MemoryImageStore();
    const config = { ...configFromEnv({}), insecureRegistries: [registry.host], allowedRegistries: [registry.host] };
    const service = createImageService(config, store);
    const request = (imageName: string) => ({ imageName, force: false, includeSnoozed: false, cluster: '' });
    await service.scanImage(request(`${registry.host}/team/app:v1`));

    const refused = await failure(service.scanImage(request(`evil.example.com/team/app@${image.digest}`)));
    expect(refused.code).toBe(7);
    expect(refused.message).toContain('evil.example.com is not in the list of allowed registries');
    const stored = await store.get(image.digest);
    expect(stored?.image.names.map((n) => n.fullName)).toEqual([`${registry.host}/team/app:v1`]);

    const sbom = await failure(service.inventoryOf(request(`evil.example.com/team/app@${image.digest}`)));
    expect(sbom.code).toBe(7);
  });
});
