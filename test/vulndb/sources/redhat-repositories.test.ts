import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { parseRepositoryPlatforms } from '../../../lib/vulndb/platforms';
import { sourcesNamed } from '../../../lib/vulndb/sources';
import { redhatRepositoriesSource, rhelRepositories } from '../../../lib/vulndb/sources/redhat-repositories';
import { cursorKey } from '../../../lib/vulndb/store';
import { runSources } from '../../../lib/vulndb/updater';
import { recordingContext, type RoutedServer, startRoutedServer } from '../../support/feed-server';

/** A real excerpt of Red Hat's repository-to-cpe.json; see data/redhat-repositories/PROVENANCE.md. */
const MAPPING = readFileSync(join(__dirname, 'data/redhat-repositories/repository-to-cpe.trimmed.json'), 'utf8');
const PATH = '/data/metrics/repository-to-cpe.json';
const ETAG = '"67abf0dc-2a14d8"';

function send(res: ServerResponse, body: string, etag = ETAG): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), etag }).end(body);
}

describe('rhelRepositories', () => {
  const malformed: string[] = [];
  const repositories = rhelRepositories(JSON.parse(MAPPING), (reason) => malformed.push(reason));

  it('keeps the repositories of RHEL streams with their RHEL CPEs, main and extended', () => {
    expect(repositories['rhel-8-for-x86_64-baseos-rpms']).toEqual(['cpe:/o:redhat:enterprise_linux:8::baseos']);
    expect(repositories['rhel-8-for-x86_64-appstream-rpms']).toEqual(['cpe:/a:redhat:enterprise_linux:8::appstream']);
    expect(repositories['ubi-9-for-x86_64-appstream-rpms']).toEqual(['cpe:/a:redhat:enterprise_linux:9::appstream']);
    expect(repositories['rhel-8-for-x86_64-appstream-eus-rpms__8_DOT_8']).toEqual(['cpe:/a:redhat:rhel_eus:8.8::appstream']);
    expect(repositories['rhel-10-for-x86_64-appstream-rpms']).toEqual([
      'cpe:/o:redhat:enterprise_linux:10.0::appstream',
      'cpe:/o:redhat:enterprise_linux:10.1::appstream',
    ]);
    expect(repositories['rhel-8-for-x86_64-sap-solutions-rpms']).toEqual(['cpe:/a:redhat:enterprise_linux:8::sap_hana']);
    // `cpe:/a:redhat:rhel_extras_rt:8` names no RHEL stream VEX records are kept for.
    expect(repositories['rhel-8-for-x86_64-nfv-rpms']).toEqual(['cpe:/a:redhat:enterprise_linux:8::nfv']);
    expect(malformed).toEqual([]);
  });

  it('leaves out layered products and the debug and source repositories, which no image installs from', () => {
    for (const name of [
      '3scale-amp-2-rpms-for-rhel-8-x86_64-rpms',
      'rhocp-4.16-for-rhel-9-x86_64-rpms',
      'rhel-8-for-x86_64-appstream-debug-rpms',
      'rhel-8-for-x86_64-appstream-source-rpms',
    ]) {
      expect([name, repositories[name]]).toEqual([name, undefined]);
    }
    expect(Object.keys(repositories)).toHaveLength(19);
  });

  it('notes a repository without a CPE list and refuses a document that is no mapping', () => {
    const notes: string[] = [];
    const document = { data: { 'rhel-9-for-x86_64-baseos-rpms': { cpes: ['cpe:/o:redhat:enterprise_linux:9::baseos'] }, broken: { urls: [] } } };
    expect(rhelRepositories(document, (reason) => notes.push(reason))).toEqual({
      'rhel-9-for-x86_64-baseos-rpms': ['cpe:/o:redhat:enterprise_linux:9::baseos'],
    });
    expect(notes).toEqual(['broken: no "cpes" list']);
    expect(() => rhelRepositories({ repositories: {} }, () => undefined)).toThrow('not a repository-to-CPE mapping: no "data" object');
    expect(() => rhelRepositories({ data: { 'rhocp-4.16-for-rhel-9-x86_64-rpms': { cpes: ['cpe:/a:redhat:openshift:4.16::el9'] } } }, () => undefined)).toThrow(
      'the repository-to-CPE mapping names no RHEL repository',
    );
  });
});

describe('redhatRepositoriesSource', () => {
  let server: RoutedServer;
  let workDir: string;
  beforeEach(async () => {
    server = await startRoutedServer();
    workDir = mkdtempSync(join(tmpdir(), 'lamina-redhat-repositories-'));
  });
  afterEach(async () => {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('keeps the mapping as its cursor, and asks with its ETag next time', async () => {
    server.routes.set(PATH, (req, res) => {
      if (req.headers['if-none-match'] === ETAG) res.writeHead(304).end();
      else send(res, MAPPING);
    });
    const source = redhatRepositoriesSource({ url: `${server.origin}${PATH}` });
    expect([source.name, source.ecosystems]).toEqual(['redhat-repositories', []]);
    const first = recordingContext(workDir);
    const outcome = await source.run(first.context);
    expect(outcome.status).toBe('updated');
    const cursor = JSON.parse(outcome.cursor!);
    expect(cursor).toMatchObject({ etag: ETAG, updated: '2025-02-12T00:48:44.112Z' });
    expect(parseRepositoryPlatforms(outcome.cursor)?.get('rhel-9-for-x86_64-baseos-rpms')).toEqual(['cpe:/o:redhat:enterprise_linux:9::baseos']);
    expect(first.written).toEqual([]);

    const again = await source.run(recordingContext(workDir, { cursor: outcome.cursor }).context);
    expect(again).toEqual({ status: 'not-modified' });
    expect(server.requests.map((r) => r.ifNoneMatch)).toEqual([undefined, ETAG]);
  });

  it('fails when the document is no mapping, and the mapping stored before stays', async () => {
    server.routes.set(PATH, (_req, res) => send(res, '<html>maintenance</html>'));
    const store = new MemoryAdvisoryStore();
    const before = JSON.stringify({ repositories: { 'rhel-9-for-x86_64-baseos-rpms': ['cpe:/o:redhat:enterprise_linux:9::baseos'] } });
    await store.setCursor(cursorKey('redhat-repositories'), before);
    const result = await runSources(store, [redhatRepositoriesSource({ url: `${server.origin}${PATH}` })], { workDir });
    expect(result.sources[0]).toMatchObject({ status: 'failed', error: expect.stringContaining(`${server.origin}${PATH}: not JSON: `) });
    expect(await store.getCursor(cursorKey('redhat-repositories'))).toBe(before);
  });

  it('runs before redhat-csaf whenever that is named, and keeps the mapping where the matcher reads it', async () => {
    expect(sourcesNamed(['redhat-csaf', 'osv:Debian']).map((s) => s.name)).toEqual(['redhat-repositories', 'redhat-csaf', 'osv:Debian']);
    expect(sourcesNamed(['redhat-repositories', 'redhat-csaf']).map((s) => s.name)).toEqual(['redhat-repositories', 'redhat-csaf']);
    server.routes.set(PATH, (_req, res) => send(res, MAPPING));
    const store = new MemoryAdvisoryStore();
    const result = await runSources(store, [redhatRepositoriesSource({ url: `${server.origin}${PATH}` })], { workDir });
    expect(result.sources).toMatchObject([{ source: 'redhat-repositories', status: 'updated', records: 0 }]);
    expect(parseRepositoryPlatforms(await store.getCursor(cursorKey('redhat-repositories')))?.size).toBe(19);
  });
});
