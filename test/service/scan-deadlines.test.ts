import { gzipSync } from 'node:zlib';
import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { MemoryScanLeases } from '../../lib/service/scan-leases';
import { FakeRegistry } from '../image/fake-registry';
import { failure } from '../support/outcomes';

// Hardening defects 7 and 8: a scan whose layer trickles forever, and requests that wait on a failing scan.
describe('scan deadlines and shared failures', () => {
  let registry: FakeRegistry;
  let layerDigest: string;
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
    const image = registry.putImage('team/slow', ['1'], { layer: gzipSync(Buffer.alloc(64 * 1024)).toString('latin1') });
    layerDigest = image.layer.digest;
    // The layer arrives one byte every 50 ms: never idle long enough for the idle timeout, never finished.
    registry.intercept = (req, res) => {
      if (!req.url?.endsWith(`/blobs/${layerDigest}`)) return false;
      res.writeHead(200, { 'Content-Length': image.layer.size });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= image.layer.size - 1) return clearInterval(timer);
        res.write(image.layer.bytes.subarray(sent, sent + 1));
        sent++;
      }, 50);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
      return true;
    };
  });

  afterAll(async () => {
    for (const timer of timers) clearInterval(timer);
    await registry.close();
  });

  const request = { imageName: '', force: false, includeSnoozed: false, cluster: '' };
  const layerRequests = () => registry.requests.filter((r) => r.path.endsWith(`/blobs/${layerDigest}`)).length;

  it('a scan ends at its deadline (LAMINA_SCAN_TIMEOUT_MS) with DeadlineExceeded, however the layer trickles', async () => {
    const config = { ...configFromEnv({ LAMINA_SCAN_TIMEOUT_MS: '400' }), insecureRegistries: [registry.host] };
    expect(config.scanTimeoutMs).toBe(400);
    const service = createImageService(config, new MemoryImageStore());
    const err = await failure(service.scanImage({ ...request, imageName: `${registry.host}/team/slow:1` }));
    expect(err.code).toBe(4);
    expect(err.message).toContain('the scan took longer than 400 ms (LAMINA_SCAN_TIMEOUT_MS)');
  }, 30_000);

  it('five requests waiting on one failing scan share its failure: the layer is pulled once', async () => {
    const config = { ...configFromEnv({ LAMINA_SCAN_TIMEOUT_MS: '400' }), insecureRegistries: [registry.host] };
    const service = createImageService(config, new MemoryImageStore(), { leases: new MemoryScanLeases(), pollIntervalMs: 20 });
    const before = layerRequests();
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => failure(service.scanImage({ ...request, imageName: `${registry.host}/team/slow:1` }))));
    expect(outcomes.map((e) => e.code)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(outcomes.map((e) => e.message)).size).toBe(1);
    expect(layerRequests() - before).toBe(1);

    // With force, the shared failure does not stand in the way of a new pull.
    await failure(service.scanImage({ ...request, imageName: `${registry.host}/team/slow:1`, force: true }));
    expect(layerRequests() - before).toBe(2);
  }, 30_000);

  it('a scan in progress stops when the process shuts down', async () => {
    const shutdown = new AbortController();
    const config = { ...configFromEnv({}), insecureRegistries: [registry.host] };
    const service = createImageService(config, new MemoryImageStore(), { leases: new MemoryScanLeases(), shutdown: shutdown.signal });
    const before = layerRequests();
    const scanning = failure(service.scanImage({ ...request, imageName: `${registry.host}/team/slow:1`, force: true }));
    while (layerRequests() === before) await new Promise((r) => setTimeout(r, 20));
    shutdown.abort(new Error('lamina is shutting down'));
    const err = await scanning;
    expect(err.message).toContain('lamina is shutting down');
  }, 30_000);
});
