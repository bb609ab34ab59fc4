import type { ApiRequest, ApiResponse } from '../../lib/api/http-types';
import { handleApiRequest, type ApiServices } from '../../lib/api/routes';
import { createScanPorts, SCANNER } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import type { ResolvedImage } from '../../lib/image/types';
import type { Inventory } from '../../lib/index/types';
import type { ScanPorts } from '../../lib/scan';
import { ImageService } from '../../lib/service/image-service';
import type { StoredScan } from '../../lib/service/image-store';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import { isVulnerabilityId, SnoozeService } from '../../lib/service/snooze-service';
import { isActive, MemorySnoozeStore, parseDuration } from '../../lib/service/snoozes';
import { componentOf } from '../../lib/stackrox/components';
import { assembleStorageImage } from '../../lib/stackrox/storage-image';
import { inventoryOf, osPackage } from '../support/packages';
import type { StorageEmbeddedVulnerability } from '../../lib/stackrox/types';
import { testVulnerability } from '../support/vulnerabilities';

const DIGEST = `sha256:${'5e'.repeat(32)}`;
const NAME = `registry.example.com/team/app@${DIGEST}`;
const T0 = new Date('2025-03-01T10:00:00.000Z');

function vuln(cve: string, cvss: number, fixedBy?: string): StorageEmbeddedVulnerability {
  return testVulnerability(cve, { cvss, severity: 'IMPORTANT_VULNERABILITY_SEVERITY', ...(fixedBy ? { fixedBy } : {}) });
}

/** A stored scan of two components: openssl with CVE-2024-0001 (fixable, 9.8) and CVE-2024-0002; zlib with CVE-2024-0002. */
function storedScan(): StoredScan {
  const reference = { registry: 'registry.example.com', remote: 'team/app', tag: '', digest: DIGEST, fullName: NAME };
  const os = { id: 'debian', versionId: '12' };
  const inventory: Inventory = inventoryOf(os, [
    osPackage({ manager: 'dpkg', name: 'openssl', version: '3.0.11-1', sourceName: 'openssl', sourceVersion: '3.0.11-1' }, os),
    osPackage({ manager: 'dpkg', name: 'zlib1g', version: '1:1.2.13', sourceName: 'zlib', sourceVersion: '1:1.2.13' }, os),
  ]);
  const resolved: ResolvedImage = {
    reference,
    manifestDigest: DIGEST,
    configDigest: `sha256:${'c0'.repeat(32)}`,
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c0'.repeat(32)}`, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'01'.repeat(32)}`, size: 1 }],
    },
    config: { created: '2025-02-01T00:00:00Z', history: [{ created: '2025-02-01T00:00:00Z', created_by: 'ADD rootfs /' }] },
  };
  const [openssl, zlib] = inventory.packages.map(componentOf);
  const image = assembleStorageImage({
    reference,
    names: [{ registry: reference.registry, remote: reference.remote, tag: '', fullName: NAME }],
    resolved,
    inventory,
    components: [
      { ...openssl, vulns: [vuln('CVE-2024-0001', 9.8, '3.0.13-1'), vuln('CVE-2024-0002', 5.3)] },
      { ...zlib, vulns: [vuln('CVE-2024-0002', 5.3)] },
    ],
    scanTime: T0,
    scanner: SCANNER,
    operatingSystem: 'debian:12',
  });
  return { image, inventory };
}

/** Scan ports whose registry must never be reached: every answer here comes from the store. */
function offlinePorts(): ScanPorts {
  const ports = createScanPorts(configFromEnv({}));
  ports.source = {
    resolve: async () => {
      throw new Error('the registry was contacted');
    },
    openBlob: async () => {
      throw new Error('the registry was contacted');
    },
  };
  return ports;
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('CVE snoozes over the API', () => {
  let clock: Date;
  let services: ApiServices;

  beforeEach(async () => {
    clock = T0;
    const now = () => clock;
    const store = new MemoryImageStore();
    await store.put(storedScan());
    const snoozes = new MemorySnoozeStore();
    services = {
      images: new ImageService({ scan: offlinePorts(), store, scanner: SCANNER, now, snoozes }),
      snoozes: new SnoozeService(snoozes, { now }),
    };
  });

  async function call(method: string, path: string, body?: string, query: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
    const request: ApiRequest = { method, path, query, headers: {}, body };
    const response: ApiResponse = await handleApiRequest(request, services);
    return { status: response.statusCode, json: JSON.parse(response.body.toString('utf8')) };
  }
  const suppress = (body: string) => call('PATCH', '/v1/imagecves/suppress', body);
  const unsuppress = (body: string) => call('PATCH', '/v1/imagecves/unsuppress', body);
  const getImage = (includeSnoozed?: boolean) => call('GET', `/v1/images/${DIGEST}`, undefined, includeSnoozed ? { includeSnoozed: 'true' } : {});
  const scan = (includeSnoozed?: boolean) =>
    call('POST', '/v1/images/scan', JSON.stringify({ imageName: NAME, ...(includeSnoozed ? { include_snoozed: true } : {}) }));
  const vulnsOf = (image: Json): Json[] => image.scan.components.flatMap((component: Json) => component.vulns);
  const idsOf = (image: Json) => image.scan.components.map((component: Json) => component.vulns.map((v: Json) => v.cve));

  it('answers a suppress with {} and then shows the CVE DEFERRED with its activation and expiry', async () => {
    expect(await suppress('{"cves": ["CVE-2024-0002"], "duration": "86400s"}')).toEqual({ status: 200, json: {} });
    clock = new Date(T0.getTime() + 60_000);
    for (const answer of [await getImage(true), await scan(true)]) {
      expect(answer.status).toBe(200);
      const snoozed = vulnsOf(answer.json).filter((v) => v.cve === 'CVE-2024-0002');
      expect(snoozed).toHaveLength(2);
      for (const v of snoozed) {
        expect(v).toMatchObject({ suppressed: true, state: 'DEFERRED', suppressActivation: '2025-03-01T10:00:00Z', suppressExpiry: '2025-03-02T10:00:00Z' });
      }
      expect(vulnsOf(answer.json).find((v) => v.cve === 'CVE-2024-0001')).toMatchObject({
        suppressed: false,
        state: 'OBSERVED',
        suppressActivation: null,
        suppressExpiry: null,
      });
      expect(answer.json.cves).toBe(2);
    }
  });

  it('drops snoozed CVEs without includeSnoozed and recounts only cves', async () => {
    const before = (await getImage()).json;
    expect(before).toMatchObject({ cves: 2, fixableCves: 1, topCvss: 9.8 });
    await suppress('{"cves": ["CVE-2024-0001"]}');
    for (const answer of [await getImage(), await scan()]) {
      expect(idsOf(answer.json)).toEqual([['CVE-2024-0002'], ['CVE-2024-0002']]);
      expect(answer.json).toMatchObject({ cves: 1, fixableCves: 1, topCvss: 9.8, riskScore: before.riskScore, components: 2 });
    }
    // Components left without vulnerabilities stay.
    await suppress('{"cves": ["CVE-2024-0002"]}');
    expect(idsOf((await getImage()).json)).toEqual([[], []]);
    expect((await getImage()).json.cves).toBe(0);
  });

  it('treats an absent or zero duration as indefinite: suppressExpiry null, still in force years later', async () => {
    await suppress('{"cves": ["CVE-2024-0001"], "duration": "0s"}');
    await suppress('{"cves": ["CVE-2024-0002"]}');
    clock = new Date('2035-01-01T00:00:00Z');
    for (const v of vulnsOf((await getImage(true)).json)) expect(v).toMatchObject({ suppressed: true, state: 'DEFERRED', suppressExpiry: null });
  });

  it('stops applying a snooze once it has expired', async () => {
    await suppress('{"cves": ["CVE-2024-0001"], "duration": "3600.5s"}');
    clock = new Date(T0.getTime() + 3_600_000);
    expect(vulnsOf((await getImage(true)).json).find((v) => v.cve === 'CVE-2024-0001')).toMatchObject({
      suppressed: true,
      suppressExpiry: '2025-03-01T11:00:00.500Z',
    });
    clock = new Date(T0.getTime() + 3_600_500);
    expect(vulnsOf((await getImage(true)).json).find((v) => v.cve === 'CVE-2024-0001')).toMatchObject({
      suppressed: false,
      state: 'OBSERVED',
      suppressExpiry: null,
    });
    expect((await getImage()).json.cves).toBe(2);
  });

  it('lifts snoozes with unsuppress, and suppressing again replaces the earlier snooze', async () => {
    await suppress('{"cves": ["CVE-2024-0001", "CVE-2024-0002"], "duration": "60s"}');
    clock = new Date(T0.getTime() + 30_000);
    await suppress('{"cves": ["CVE-2024-0001"], "duration": "120s"}');
    expect(vulnsOf((await getImage(true)).json).find((v) => v.cve === 'CVE-2024-0001')).toMatchObject({
      suppressActivation: '2025-03-01T10:00:30Z',
      suppressExpiry: '2025-03-01T10:02:30Z',
    });
    expect(await unsuppress('{"cves": ["CVE-2024-0002", "CVE-2024-9999"]}')).toEqual({ status: 200, json: {} });
    const image = (await getImage()).json;
    expect(idsOf(image)).toEqual([['CVE-2024-0002'], ['CVE-2024-0002']]);
    expect(vulnsOf(image).every((v) => v.suppressed === false && v.state === 'OBSERVED')).toBe(true);
  });

  it('snoozes CVEs no image has yet: they apply once an image reports them', async () => {
    expect((await suppress('{"cves": ["CVE-2030-12345", "GHSA-jfh8-c2jp-5v3q"]}')).status).toBe(200);
    expect((await getImage()).json.cves).toBe(2);
  });

  it("refuses an empty or missing cves list with StackRox's InvalidArgument texts", async () => {
    for (const body of ['{"cves": [], "duration": "60s"}', '{"duration": "60s"}', '', '{"cves": null}']) {
      expect(await suppress(body)).toEqual({
        status: 400,
        json: { error: 'invalid arguments: no cves provided to snooze', code: 3, message: 'invalid arguments: no cves provided to snooze', details: [] },
      });
    }
    expect((await unsuppress('{}')).json).toMatchObject({ code: 3, message: 'invalid arguments: no cves provided to un-snooze' });
  });

  it('refuses malformed ids, wrong types and bad durations with 400 / code 3, and stores nothing', async () => {
    const cases: [string, string][] = [
      [
        '{"cves": ["cve-2024-0001"]}',
        'invalid arguments: "cve-2024-0001" is not a vulnerability id (CVE-YYYY-NNNN or an advisory id such as GHSA-xxxx-xxxx-xxxx)',
      ],
      [
        '{"cves": ["CVE-2024-0001", " CVE-2024-0002"]}',
        'invalid arguments: " CVE-2024-0002" is not a vulnerability id (CVE-YYYY-NNNN or an advisory id such as GHSA-xxxx-xxxx-xxxx)',
      ],
      ['{"cves": [""]}', 'invalid arguments: "" is not a vulnerability id (CVE-YYYY-NNNN or an advisory id such as GHSA-xxxx-xxxx-xxxx)'],
      ['{"cves": "CVE-2024-0001"}', 'proto: invalid value for string field cves: "CVE-2024-0001"'],
      ['{"cves": ["CVE-2024-0001", 7]}', 'proto: invalid value for string field cves: 7'],
      ['{"cves": ["CVE-2024-0001"], "duration": "1d"}', 'proto: invalid google.protobuf.Duration value "1d"'],
      ['{"cves": ["CVE-2024-0001"], "duration": 86400}', 'proto: invalid google.protobuf.Duration value 86400'],
      ['{"cves": ["CVE-2024-0001"], "duration": "86400"}', 'proto: invalid google.protobuf.Duration value "86400"'],
      ['{"cves": ["CVE-2024-0001"], "duration": ""}', 'proto: invalid google.protobuf.Duration value ""'],
      ['{"cves": ["CVE-2024-0001"], "duration": "-60s"}', 'invalid arguments: snooze duration must not be negative'],
      [
        '{"cves": ["CVE-2024-0001"], "duration": "315576000000s"}',
        'invalid arguments: snooze duration reaches past the year 9999; use 0s to snooze indefinitely',
      ],
      ['{"cves": ["CVE-2024-0001"], "duration": "315576000001s"}', 'proto: invalid google.protobuf.Duration value "315576000001s"'],
      ['["CVE-2024-0001"]', 'proto: syntax error (line 1:1): unexpected token ['],
      ['{"cves": [', 'proto: syntax error: Unexpected end of JSON input'],
    ];
    for (const [body, message] of cases) {
      const answer = await suppress(body);
      expect({ body, status: answer.status, code: answer.json.code }).toEqual({ body, status: 400, code: 3 });
      expect({ body, message: answer.json.message }).toEqual({ body, message });
    }
    expect(vulnsOf((await getImage(true)).json).some((v) => v.suppressed)).toBe(false);
  });

  it('refuses more than 1000 ids at once but counts duplicates once', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `CVE-2024-${String(10000 + i)}`);
    expect((await suppress(JSON.stringify({ cves: many }))).json.message).toBe('invalid arguments: at most 1000 cves may be given at once, got 1001');
    const repeated = Array.from({ length: 2000 }, () => 'CVE-2024-0001');
    expect((await suppress(JSON.stringify({ cves: repeated }))).status).toBe(200);
  });

  it('answers other methods on the snooze routes as the other routes do', async () => {
    for (const path of ['/v1/imagecves/suppress', '/v1/imagecves/unsuppress']) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
        expect(await call(method, path, '{"cves": ["CVE-2024-0001"]}')).toEqual({
          status: 501,
          json: { error: `method ${method} is not allowed on ${path}`, code: 12, message: `method ${method} is not allowed on ${path}`, details: [] },
        });
      }
    }
    expect(vulnsOf((await getImage(true)).json).some((v) => v.suppressed)).toBe(false);
  });

  it('answers Unimplemented when the deployment has no snooze store, and routes a bare ImageService as before', async () => {
    const bare = services.images;
    const response = await handleApiRequest(
      { method: 'PATCH', path: '/v1/imagecves/suppress', query: {}, headers: {}, body: '{"cves": ["CVE-2024-0001"]}' },
      bare,
    );
    expect(response.statusCode).toBe(501);
    expect(JSON.parse(response.body.toString()).message).toBe('CVE snoozing is not configured on this deployment');
    const image = await handleApiRequest({ method: 'GET', path: `/v1/images/${DIGEST.slice(7)}`, query: {}, headers: {} }, bare);
    expect(image.statusCode).toBe(200);
  });
});

describe('snooze building blocks', () => {
  it('reads protobuf JSON durations', () => {
    expect(parseDuration(undefined)).toBe(0);
    expect(parseDuration(null)).toBe(0);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('86400s')).toBe(86_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0.000000001s')).toBe(0);
    expect(parseDuration('1.123456789s')).toBe(1123);
    expect(parseDuration('-2s')).toBe(-2000);
    for (const bad of ['', 's', '1', '1m', '1.s', '.5s', '1.1234567890s', ' 1s', '1s ', '+1s', '1e3s', 'abc', 5, true, {}, []]) {
      expect({ bad, parsed: parseDuration(bad) }).toEqual({ bad, parsed: undefined });
    }
  });

  it('tells vulnerability ids from other text', () => {
    for (const good of [
      'CVE-2024-0001',
      'CVE-2021-44228',
      'CVE-2024-1234567',
      'GHSA-jfh8-c2jp-5v3q',
      'PYSEC-2021-1',
      'GO-2022-0001',
      'RUSTSEC-2021-0001',
      'DSA-5000-1',
      'RHSA-2024:0001',
      'ALAS2-2024-1.2',
    ]) {
      expect({ good, ok: isVulnerabilityId(good) }).toEqual({ good, ok: true });
    }
    for (const bad of [
      '',
      'cve-2024-0001',
      'CVE-2024-1',
      'CVE-24-0001',
      'CVE-2024-0001 ',
      'CVE',
      'GHSA',
      '2024-0001',
      'x'.repeat(129),
      `A-${'b'.repeat(127)}`,
      'GHSA-jfh8/../x',
      'CVE-2024-0001\n',
    ]) {
      expect({ bad, ok: isVulnerabilityId(bad) }).toEqual({ bad, ok: false });
    }
  });

  it('is active until its expiry, indefinitely without one', () => {
    expect(isActive({ cve: 'CVE-2024-0001', activation: '2025-01-01T00:00:00Z' }, new Date('2999-01-01T00:00:00Z'))).toBe(true);
    const snooze = { cve: 'CVE-2024-0001', activation: '2025-01-01T00:00:00Z', expiry: '2025-01-02T00:00:00Z' };
    expect(isActive(snooze, new Date('2025-01-01T23:59:59.999Z'))).toBe(true);
    expect(isActive(snooze, new Date('2025-01-02T00:00:00Z'))).toBe(false);
  });
});
