import { Metrics } from '@aws-lambda-powertools/metrics';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsObserver } from '../../lib/aws/scan-metrics';
import { configFromEnv } from '../../lib/config';
import { startLocalMode, type LocalMode } from '../../lib/local/local-mode';
import type { AppLogger } from '../../lib/logging';
import { FakeRegistry } from '../image/fake-registry';

type Line = { level: string; message: string; fields: Record<string, unknown> };

describe('one structured line per request and per scan, never a credential', () => {
  let registry: FakeRegistry;
  let local: LocalMode;
  let dataDir: string;
  const lines: Line[] = [];
  const logger: AppLogger = {
    info: (message, ...extra) => lines.push({ level: 'info', message, fields: Object.assign({}, ...extra) }),
    warn: (message, ...extra) => lines.push({ level: 'warn', message, fields: Object.assign({}, ...extra) }),
    error: (message, ...extra) => lines.push({ level: 'error', message, fields: Object.assign({}, ...extra) }),
  };

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
    registry.auth = 'bearer';
    registry.password = 's3cret-password';
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-observe-'));
    const config = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] };
    const env = { LAMINA_REGISTRY_CREDENTIALS: JSON.stringify({ [registry.host]: { username: 'user', password: 's3cret-password' } }) };
    local = await startLocalMode({ config, env, logger, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await local?.stop();
    await registry?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const scan = (imageName: string) =>
    fetch(`${local.url}/v1/images/scan`, { method: 'POST', body: JSON.stringify({ imageName }), headers: { 'content-type': 'application/json' } });

  it('logs route, status, duration, image, digest and cache hit per request, and layers and timings per scan', async () => {
    const image = registry.putImage('team/app', ['1']);
    const name = `${registry.host}/team/app:1`;
    expect((await scan(name)).status).toBe(200);
    expect((await scan(name)).status).toBe(200);
    expect((await fetch(`${local.url}/v1/images/${image.digest}`)).status).toBe(200);
    expect((await scan(`${registry.host}/team/missing:1`)).status).toBe(404);

    const requests = lines.filter((l) => l.message === 'request');
    expect(requests.map((l) => [l.fields.route, l.fields.status, l.fields.cacheHit])).toEqual([
      ['/v1/images/scan', 200, false],
      ['/v1/images/scan', 200, true],
      ['/v1/images/{id}', 200, true],
      ['/v1/images/scan', 404, undefined],
    ]);
    expect(requests[0].fields).toMatchObject({ method: 'POST', image: name, digest: image.digest, durationMs: expect.any(Number) });

    const scans = lines.filter((l) => l.message === 'scan finished');
    expect(scans).toHaveLength(1);
    expect(scans[0].fields).toMatchObject({
      image: name,
      digest: image.digest,
      layers: 1,
      layersFromCache: 0,
      packages: 0,
      notes: expect.arrayContaining(['OS_UNAVAILABLE']),
      // The fake registry's layer is not a tar: the log line says so, as the scan itself cannot.
      warnings: [expect.stringMatching(/^layer sha256:[0-9a-f]{64} was not indexed: unexpected end of layer data/)],
    });
    expect(scans[0].fields.durationsMs).toEqual({
      resolve: expect.any(Number),
      index: expect.any(Number),
      match: expect.any(Number),
      total: expect.any(Number),
    });
    const failed = lines.filter((l) => l.message === 'scan failed');
    expect(failed.map((l) => [l.level, l.fields.kind])).toEqual([['warn', 'NotFound']]);

    const everything = JSON.stringify(lines);
    expect(everything).not.toContain('s3cret-password');
    expect(everything).not.toContain(Buffer.from('user:s3cret-password').toString('base64'));
    expect(everything).not.toMatch(/tok-\d+/);
  });

  it('Lambda metrics (Powertools EMF): scans, layers fetched and cached, durations, failures by kind', () => {
    const metrics = new Metrics({ namespace: 'Lamina', serviceName: 'test' });
    const observer = metricsObserver(metrics);
    observer.scanFinished({
      image: 'x',
      digest: 'sha256:1',
      layers: 3,
      layersFromCache: 2,
      packages: 5,
      findings: 1,
      notes: [],
      warnings: [],
      durationsMs: { resolve: 1, index: 2, match: 3, total: 6 },
    });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> } };
    expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name).sort()).toEqual(['LayersFetched', 'LayersFromCache', 'ScanDuration', 'ScansCompleted']);
    expect([emf.LayersFetched, emf.LayersFromCache, emf.ScanDuration, emf.ScansCompleted]).toEqual([1, 2, 6, 1]);
  });
});
