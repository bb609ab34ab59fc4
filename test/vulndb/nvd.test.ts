import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import { cvesWithoutCvss, enrichCvss, NVD_WINDOW_MS, NvdClient, type Clock } from '../../lib/vulndb/nvd';
import { advisoryFixture, describeWithShared } from '../support/shared-fixtures';

const FIXTURE_CVES = ['CVE-2017-6507', 'CVE-2022-32746', 'CVE-2023-4863', 'CVE-2024-3094'];

/** Time that only moves when the client sleeps: rate limiting is checked by counting, never by waiting. */
class FakeClock implements Clock {
  time = 0;
  sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

interface Seen {
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  at: number;
}

class FakeNvd {
  seen: Seen[] = [];
  failNext: number[] = [];
  pageSize = 2;
  private server!: Server;
  url = '';

  constructor(private readonly clock: FakeClock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const params = new URL(req.url ?? '/', 'http://x').searchParams;
      this.seen.push({ params, headers: req.headers, at: this.clock.now() });
      const status = this.failNext.shift();
      if (status) {
        res.writeHead(status).end();
        return;
      }
      const cveId = params.get('cveId');
      if (cveId) {
        if (!FIXTURE_CVES.includes(cveId)) {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ resultsPerPage: 0, startIndex: 0, totalResults: 0, vulnerabilities: [] }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(advisoryFixture(`nvd/api-2.0/${cveId}.json`)));
        return;
      }
      // Date windows: every fixture CVE, paginated by startIndex at pageSize.
      const all = FIXTURE_CVES.flatMap((id) => JSON.parse(readFileSync(advisoryFixture(`nvd/api-2.0/${id}.json`), 'utf8')).vulnerabilities);
      const start = Number(params.get('startIndex') ?? '0');
      const page = all.slice(start, start + this.pageSize);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resultsPerPage: page.length, startIndex: start, totalResults: all.length, vulnerabilities: page }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/rest/json/cves/2.0`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The most requests that fell in any rolling window. */
  busiestWindow(): number {
    return Math.max(0, ...this.seen.map((s) => this.seen.filter((o) => o.at >= s.at && o.at < s.at + NVD_WINDOW_MS).length));
  }
}

describeWithShared('NVD CVE API 2.0 client against a local server', () => {
  let clock: FakeClock;
  let nvd: FakeNvd;
  beforeEach(async () => {
    clock = new FakeClock();
    nvd = new FakeNvd(clock);
    await nvd.start();
  });
  afterEach(() => nvd.stop());

  it('reads the CVSS vectors of a CVE, NVD primary score first', async () => {
    const client = new NvdClient({ baseUrl: nvd.url, clock });
    expect(await client.cvssFor('CVE-2017-6507')).toEqual({
      cveId: 'CVE-2017-6507',
      cvss: {
        v3Vector: 'CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N',
        v31: false,
        v2Vector: 'AV:N/AC:M/Au:N/C:N/I:P/A:N',
        published: '2017-03-24T07:59:00.233',
        lastModified: '2025-04-20T01:37:25.860',
      },
    });
    expect(nvd.seen[0].params.get('cveId')).toBe('CVE-2017-6507');
    expect(await client.cvssFor('CVE-1999-0001')).toBeUndefined();
  });

  it('sends no more than 5 requests in any 30 s without a key', async () => {
    const client = new NvdClient({ baseUrl: nvd.url, clock });
    for (let i = 0; i < 12; i++) await client.cvssFor(FIXTURE_CVES[i % 4]);
    expect(nvd.seen).toHaveLength(12);
    expect(nvd.busiestWindow()).toBe(5);
    expect(clock.sleeps).toHaveLength(2);
    expect(nvd.seen.every((s) => s.headers.apikey === undefined)).toBe(true);
  });

  it('sends the apiKey header and allows 50 requests in 30 s with a key', async () => {
    const client = new NvdClient({ baseUrl: nvd.url, clock, apiKey: 'secret-key' });
    for (let i = 0; i < 60; i++) await client.cvssFor(FIXTURE_CVES[i % 4]);
    expect(nvd.busiestWindow()).toBe(50);
    expect(clock.sleeps).toHaveLength(1);
    expect(nvd.seen.every((s) => s.headers.apikey === 'secret-key')).toBe(true);
  });

  it('retries a rate-limit refusal after a pause, then gives up with Unavailable', async () => {
    const client = new NvdClient({ baseUrl: nvd.url, clock, maxRetries: 2 });
    nvd.failNext = [403];
    expect((await client.cvssFor('CVE-2024-3094'))?.cvss.v31).toBe(true);
    expect(client.requests).toBe(2);
    nvd.failNext = [503, 503, 503];
    await expect(client.cvssFor('CVE-2024-3094')).rejects.toMatchObject({ name: 'CodedError', message: expect.stringMatching(/HTTP 503/) });
  });

  it('walks lastModified windows of at most 120 days, page by page', async () => {
    const client = new NvdClient({ baseUrl: nvd.url, clock });
    const pages: string[][] = [];
    for await (const page of client.modifiedBetween(new Date('2024-01-01T00:00:00Z'), new Date('2024-07-01T00:00:00Z'))) pages.push(page.map((e) => e.cveId));
    expect(pages).toEqual([FIXTURE_CVES.slice(0, 2), FIXTURE_CVES.slice(2), FIXTURE_CVES.slice(0, 2), FIXTURE_CVES.slice(2)]);
    expect(nvd.seen.map((s) => [s.params.get('lastModStartDate'), s.params.get('startIndex')])).toEqual([
      ['2024-01-01T00:00:00.000+00:00', '0'],
      ['2024-01-01T00:00:00.000+00:00', '2'],
      ['2024-04-30T00:00:00.000+00:00', '0'],
      ['2024-04-30T00:00:00.000+00:00', '2'],
    ]);
  });

  it('enriches only CVEs of advisories without CVSS that the store does not have yet', async () => {
    const store = new MemoryAdvisoryStore();
    await store.putCvss('CVE-2023-4863', { v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H' });
    const ids = cvesWithoutCvss([
      { id: 'DLA-1', modified: '2024-01-01T00:00:00Z', upstream: ['CVE-2024-3094', 'DEBIAN-CVE-2024-3094'] },
      { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2023-4863'] },
      { id: 'CVE-2022-32746', modified: '2024-01-01T00:00:00Z' },
      {
        id: 'GHSA-2',
        modified: '2024-01-01T00:00:00Z',
        aliases: ['CVE-2017-6507'],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      },
    ]);
    expect(ids).toEqual(['CVE-2022-32746', 'CVE-2023-4863', 'CVE-2024-3094']);
    const result = await enrichCvss(store, ids, new NvdClient({ baseUrl: nvd.url, clock }), { max: 1 });
    expect(result).toEqual({ requested: 1, written: 1, deferred: 1 });
    expect(nvd.seen.map((s) => s.params.get('cveId'))).toEqual(['CVE-2022-32746']);
    expect((await store.getCvss(['CVE-2022-32746'])).get('CVE-2022-32746')?.v31).toBe(true);
  });
});
