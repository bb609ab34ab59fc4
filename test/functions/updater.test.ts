import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { ZipFile } from 'yazl';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import { packageKey } from '../../lib/vulndb/osv';
import { parseOsvCursor } from '../../lib/vulndb/sources/osv-source';
import { cursorKey, type UpdateResult } from '../../lib/vulndb/updater';
import { startDynalite } from '../support/dynalite';
import { loadBundledHandler, loadBundledModule } from './bundled-handler';
import { lambdaBaseEnv } from './lambda-env';
import { DEFAULT_SOURCES } from '../../lib/vulndb/sources';
import { decodeStoredTrustedRoot, TRUSTED_ROOT_KEY } from '../../lib/signatures/stored-trust-root';
import { startTufRepo, type TestTufRepo } from '../signatures/tuf-repo';

/*
 * The advisory-updater Lambda handler, invoked as EventBridge's schedule invokes it, against dynalite and two
 * servers on loopback: OSV's bucket layout (`<base>/<ecosystem>/all.zip` with ETags) and the NVD CVE API 2.0,
 * and a TUF repository serving Sigstore's trusted root. Nothing is mocked.
 */

async function zipOf(records: object[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const record of records) zip.addBuffer(Buffer.from(JSON.stringify(record)), `${(record as { id: string }).id}.json`);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const DEBIAN_RECORDS = [
  {
    schema_version: '1.6.0',
    id: 'DSA-9001-1',
    modified: '2025-03-01T10:00:00Z',
    published: '2025-02-28T00:00:00Z',
    aliases: ['CVE-2025-0001'],
    summary: 'zlib - security update',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'zlib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-1+deb12u1' }] }],
      },
    ],
  },
  {
    schema_version: '1.6.0',
    id: 'DLA-9002-1',
    modified: '2025-03-02T10:00:00Z',
    aliases: ['CVE-2025-0002'],
    summary: 'curl - security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'curl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '7.88.1-10+deb12u6' }] }],
      },
    ],
  },
];

const PYPI_RECORDS = [
  {
    schema_version: '1.6.0',
    id: 'GHSA-aaaa-bbbb-cccc',
    modified: '2025-01-15T08:30:00Z',
    aliases: ['CVE-2025-0003'],
    summary: 'requests leaks credentials',
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'Requests' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.32.0' }] }],
      },
    ],
  },
];

const NVD_VECTORS: Record<string, string> = {
  'CVE-2025-0001': 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N',
  'CVE-2025-0003': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N',
};

/** OSV's bucket and NVD's API on one loopback server, logging what was asked. */
class Upstreams {
  readonly files = new Map<string, Buffer>();
  readonly requests: string[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push(`${req.method} ${decodeURIComponent(url.pathname)}${url.search}`);
      if (url.pathname === '/nvd/rest/json/cves/2.0') {
        const id = url.searchParams.get('cveId') ?? '';
        const vector = NVD_VECTORS[id];
        const vulnerabilities = vector
          ? [
              {
                cve: {
                  id,
                  published: '2025-01-01T00:00:00.000',
                  lastModified: '2025-02-01T00:00:00.000',
                  metrics: { cvssMetricV31: [{ type: 'Primary', cvssData: { version: '3.1', vectorString: vector } }] },
                },
              },
            ]
          : [];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ resultsPerPage: vulnerabilities.length, startIndex: 0, totalResults: vulnerabilities.length, vulnerabilities }));
        return;
      }
      const body = this.files.get(decodeURIComponent(url.pathname));
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { etag, 'content-length': body.length, 'accept-ranges': 'bytes' });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The event EventBridge Scheduler's classic `rate(1 hour)` rule sends. */
const SCHEDULED_EVENT: ScheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-03-03T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/LaminaStateless-AdvisoryUpdateSchedule'],
  detail: {},
};

function lambdaContext(remainingMs = 900_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'LaminaStateless-AdvisoryUpdater',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:LaminaStateless-AdvisoryUpdater',
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/LaminaStateless-AdvisoryUpdater',
    logStreamName: '2025/03/03/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

describe('the advisory updater Lambda handler', () => {
  const TABLE = 'lamina-advisories-test';
  const saved = { ...process.env };
  let dynamo: EmbeddedDynamo;
  let upstreams: Upstreams;
  let tuf: TestTufRepo;
  let trustedRoot: string;
  let dataDir: string;
  let store: DynamoAdvisoryStore;
  let handler: (event: ScheduledEvent, context: Context) => Promise<UpdateResult>;

  beforeAll(async () => {
    dynamo = await startDynalite();
    upstreams = new Upstreams();
    await upstreams.start();
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-updater-fn-'));
    trustedRoot = await readFile(join(__dirname, '..', 'signatures', 'fixtures', 'sigstore', 'trusted-root-public-good-2025-03.json'), 'utf8');
    tuf = await startTufRepo(trustedRoot);
    await writeFile(join(dataDir, 'tuf-root.json'), tuf.rootJson);
    upstreams.files.set('/Debian/all.zip', await zipOf(DEBIAN_RECORDS));
    upstreams.files.set('/PyPI/all.zip', await zipOf(PYPI_RECORDS));
    // The table belongs to the CDK stack in AWS; here it is created as local mode creates it.
    store = new DynamoAdvisoryStore(dynamo.client, TABLE);
    await store.ensureTables();
    Object.assign(process.env, {
      ...lambdaBaseEnv(dynamo.endpoint, 'WARN'),
      LAMINA_ADVISORIES_TABLE: TABLE,
      LAMINA_DATA_DIR: dataDir,
      LAMINA_OSV_BASE_URL: upstreams.url,
      LAMINA_OSV_ECOSYSTEMS: 'Debian,PyPI',
      LAMINA_NVD_BASE_URL: `${upstreams.url}/nvd/rest/json/cves/2.0`,
      LAMINA_SIGSTORE_TUF_URL: tuf.url,
      LAMINA_SIGSTORE_TUF_ROOT: join(dataDir, 'tuf-root.json'),
    });
    handler = loadBundledHandler('updater');
  });

  afterAll(async () => {
    process.env = saved;
    await upstreams?.stop();
    await tuf?.close();
    await dynamo?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('imports every configured ecosystem into DynamoDB, sets the cursors and takes CVSS from NVD for advisories without it', async () => {
    const result = await handler(SCHEDULED_EVENT, lambdaContext());

    expect(result.sources).toEqual([
      expect.objectContaining({ source: 'osv:Debian', status: 'updated', records: 2, written: 2, malformed: 0 }),
      expect.objectContaining({ source: 'osv:PyPI', status: 'updated', records: 1, written: 1, malformed: 0 }),
    ]);
    expect(result.sources.map((s) => parseOsvCursor(s.cursor).modified)).toEqual(['2025-03-02T10:00:00Z', '2025-01-15T08:30:00Z']);
    // Only advisories without a vector of their own are looked up: not CVE-2025-0002.
    expect(result.cvss).toEqual({ requested: 2, written: 2, deferred: 0 });
    expect(
      upstreams.requests
        .filter((r) => r.startsWith('GET /nvd/'))
        .map((r) => new URL(r.slice(4), 'http://x').searchParams.get('cveId'))
        .sort(),
    ).toEqual(['CVE-2025-0001', 'CVE-2025-0003']);

    const found = await store.findByPackages([
      { ecosystem: 'Debian:12', name: 'zlib' },
      { ecosystem: 'Debian:12', name: 'curl' },
      { ecosystem: 'PyPI', name: 'requests' },
      { ecosystem: 'Debian:12', name: 'bash' },
    ]);
    expect(found.get(packageKey('Debian:12', 'zlib'))!.map((a) => a.id)).toEqual(['DSA-9001-1']);
    expect(found.get(packageKey('Debian:12', 'curl'))!.map((a) => a.id)).toEqual(['DLA-9002-1']);
    expect(found.get(packageKey('PyPI', 'requests'))!.map((a) => a.id)).toEqual(['GHSA-aaaa-bbbb-cccc']);
    expect(found.get(packageKey('Debian:12', 'bash'))).toEqual([]);
    expect(parseOsvCursor(await store.getCursor(cursorKey('osv:Debian'))).modified).toBe('2025-03-02T10:00:00Z');
    expect(parseOsvCursor(await store.getCursor(cursorKey('osv:PyPI'))).etag).toMatch(/^"[0-9a-f]{40}"$/);
    const cvss = await store.getCvss(['CVE-2025-0001', 'CVE-2025-0003']);
    expect(cvss.get('CVE-2025-0001')).toMatchObject({ v3Vector: NVD_VECTORS['CVE-2025-0001'] });
    expect(cvss.get('CVE-2025-0003')).toMatchObject({ v3Vector: NVD_VECTORS['CVE-2025-0003'] });
    // Sigstore's trusted root, refreshed through TUF, where the scan functions read it.
    expect(decodeStoredTrustedRoot(await store.getCursor(TRUSTED_ROOT_KEY))).toMatchObject({ mirror: tuf.url, trustedRoot: JSON.parse(trustedRoot) });
  });

  it('skips unchanged exports by ETag on the next run and imports only newer records when one changes', async () => {
    const before = upstreams.requests.length;
    const unchanged = await handler(SCHEDULED_EVENT, lambdaContext());
    expect(unchanged.sources.map((e) => e.status)).toEqual(['not-modified', 'not-modified']);
    expect(upstreams.requests.slice(before).filter((r) => r.includes('all.zip'))).toEqual(['GET /Debian/all.zip', 'GET /PyPI/all.zip']);

    const fixed = { ...DEBIAN_RECORDS[0], modified: '2025-03-05T00:00:00Z', summary: 'zlib - security update (revised)' };
    upstreams.files.set('/Debian/all.zip', await zipOf([fixed, DEBIAN_RECORDS[1]]));
    const changed = await handler(SCHEDULED_EVENT, lambdaContext());
    expect(changed.sources[0]).toMatchObject({ source: 'osv:Debian', status: 'updated', records: 2, written: 1, skipped: 1 });
    expect(parseOsvCursor(changed.sources[0].cursor).modified).toBe('2025-03-05T00:00:00Z');
    expect(changed.sources[1]).toMatchObject({ source: 'osv:PyPI', status: 'not-modified' });
    const full = await store.getAdvisories(['DSA-9001-1']);
    expect(full.get('DSA-9001-1')?.summary).toBe('zlib - security update (revised)');
  });

  it('fails the invocation, naming the ecosystem, when an export cannot be fetched, after importing the others', async () => {
    process.env.LAMINA_OSV_ECOSYSTEMS = 'Missing,PyPI';
    try {
      await expect(handler(SCHEDULED_EVENT, lambdaContext())).rejects.toThrow(/advisory update failed for osv:Missing \(.*404.*\)/);
    } finally {
      process.env.LAMINA_OSV_ECOSYSTEMS = 'Debian,PyPI';
    }
    expect(upstreams.requests.at(-1)).toBe('GET /PyPI/all.zip');
  });

  it('reads its settings with defaults for everything but the table the stack passes', async () => {
    const { updaterSettingsFromEnv } = loadBundledModule<typeof import('../../functions/updater')>('updater');
    expect(updaterSettingsFromEnv({ LAMINA_ADVISORIES_TABLE: 't' })).toEqual({
      table: 't',
      osvBaseUrl: 'https://osv-vulnerabilities.storage.googleapis.com',
      sources: [...DEFAULT_SOURCES],
      workDir: '/tmp/lamina/downloads',
      sigstoreTuf: { mirrorUrl: 'https://tuf-repo-cdn.sigstore.dev', rootPath: undefined },
      nvd: { baseUrl: 'https://services.nvd.nist.gov/rest/json/cves/2.0', apiKey: undefined, maxRequests: 40 },
    });
    expect(updaterSettingsFromEnv({ LAMINA_ADVISORIES_TABLE: 't', LAMINA_NVD_API_KEY: 'k' }).nvd?.maxRequests).toBe(400);
    expect(updaterSettingsFromEnv({ LAMINA_ADVISORIES_TABLE: 't', LAMINA_NVD_MAX_REQUESTS: '0' }).nvd).toBeUndefined();
    expect(updaterSettingsFromEnv({ LAMINA_ADVISORIES_TABLE: 't', LAMINA_SIGSTORE_TUF_URL: 'off' }).sigstoreTuf).toBeUndefined();
    expect(() => updaterSettingsFromEnv({})).toThrow('LAMINA_ADVISORIES_TABLE is not set');
    expect(() => updaterSettingsFromEnv({ LAMINA_ADVISORIES_TABLE: 't', LAMINA_OSV_ECOSYSTEMS: ' , ' })).toThrow('names no source');
    expect(updaterSettingsFromEnv({ LAMINA_ADVISORIES_TABLE: 't', LAMINA_ADVISORY_SOURCES: 'alas:2023, osv:Debian' }).sources).toEqual([
      'alas:2023',
      'osv:Debian',
    ]);
    // The language ecosystems are fetched by default, beside every distribution's feed.
    expect(DEFAULT_SOURCES).toEqual(expect.arrayContaining(['osv:Debian', 'alas:2023', 'redhat-csaf', 'osv:npm', 'osv:PyPI', 'osv:Maven', 'osv:Go']));
  });
});
