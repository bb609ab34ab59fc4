import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { rpmScheme } from '../../../lib/versions/rpm';
import { affectedVerdict } from '../../../lib/vulndb/affected';
import { type Osv, packageKey } from '../../../lib/vulndb/osv';
import { parseOsv } from '../../../lib/vulndb/osv-parse';
import { packageAdvisories } from '../../../lib/vulndb/package-advisories';
import { azureOvalFormat, azureOvalSources, azureReleaseOfFileName } from '../../../lib/vulndb/sources/azure-oval';
import type { AdvisorySource } from '../../../lib/vulndb/sources/types';
import { type Handler, recordingContext, type RoutedServer, startRoutedServer } from '../../support/feed-server';

/*
 * Real Microsoft OVAL (test/vulndb/sources/data/azure, see PROVENANCE.md): excerpts of azurelinux-3.0-oval.xml and
 * cbl-mariner-2.0-oval.xml keeping whole definitions and the tests, objects and states they use. The source tests
 * serve them from a loopback HTTP server laid out like the repository's raw files.
 */

const DATA = join(__dirname, 'data', 'azure');
const AZL3 = readFileSync(join(DATA, 'azurelinux-3.0-oval.xml'));
const CBM2 = readFileSync(join(DATA, 'cbl-mariner-2.0-oval.xml'));
const ORACLE_HEAD = readFileSync(join(__dirname, 'data', 'oracle', 'elsa-2024-1828.xml'), 'utf8').slice(0, 4000);

async function parse(document: Buffer, fileName: string): Promise<{ records: Osv[]; notes: string[] }> {
  const records: Osv[] = [];
  const notes: string[] = [];
  for await (const osv of azureOvalFormat.parse(Readable.from([document]), { fileName, malformed: (reason) => notes.push(reason) })) records.push(osv);
  return { records, notes };
}

function byId(records: Osv[], id: string): Osv {
  const found = records.find((r) => r.id === id);
  if (!found) throw new Error(`no record ${id} in ${records.map((r) => r.id).join(', ')}`);
  return found;
}

/** Whether `version` of the record's only package is affected, by OSV's rules and rpm's order. */
const verdict = (osv: Osv, version: string) => affectedVerdict(version, osv.affected?.[0] ?? {}, rpmScheme.compare);

describe('azureOvalFormat', () => {
  it('recognises Microsoft OVAL and not Oracle OVAL', () => {
    expect(azureOvalFormat.sniff(AZL3.toString('utf8', 0, 4000))).toBe(true);
    expect(azureOvalFormat.sniff(CBM2.toString('utf8', 0, 4000))).toBe(true);
    expect(azureOvalFormat.sniff(ORACLE_HEAD)).toBe(false);
    expect(azureOvalFormat.sniff('<updates><update><id>ALAS2-2023-1</id></update></updates>')).toBe(false);
  });

  it('makes an Azure Linux 3.0 record fixed at the less-than EVR, as valid OSV', async () => {
    const { records, notes } = await parse(AZL3, 'azurelinux-3.0-oval.xml');
    expect(notes).toEqual([]);
    const openssh = byId(records, 'AZL-3.0-35082');
    expect(parseOsv(openssh)).toBeTruthy();
    expect(openssh).toEqual({
      id: 'AZL-3.0-35082',
      modified: '2025-01-30T13:03:52.80976961Z',
      published: '2024-05-17T21:38:35Z',
      aliases: ['CVE-2023-51385'],
      summary: 'CVE-2023-51385 affecting package openssh for versions less than 9.7p1-1',
      details: expect.stringMatching(/^CVE-2023-51385 affecting package openssh/),
      affected: [
        {
          package: { ecosystem: 'Azure Linux:3.0', name: 'openssh', purl: 'pkg:rpm/azurelinux/openssh' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '9.7p1-1.azl3' }] }],
          ecosystem_specific: { severity: 'Medium' },
        },
      ],
      references: [{ type: 'WEB', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-51385' }],
      database_specific: { source: 'azure-oval', oval_id: 'oval:com.microsoft.azurelinux:def:35082', advisory_id: '35082-1', patchable: 'true' },
    });
    expect(verdict(openssh, '9.6p1-1.azl3')).toEqual({ affected: true, fixedBy: '9.7p1-1.azl3' });
    expect(verdict(openssh, '9.7p1-1.azl3')).toEqual({ affected: false });
    expect(verdict(openssh, '9.8p1-1.azl3')).toEqual({ affected: false });
  });

  it('gives a Not Applicable definition no finding: a withdrawn record without packages', async () => {
    const { records } = await parse(AZL3, 'azurelinux-3.0-oval.xml');
    const hypervisor = byId(records, 'AZL-3.0-34597');
    expect(hypervisor).toMatchObject({ withdrawn: '2025-01-30T13:03:52.80976961Z', affected: [], aliases: ['CVE-2023-45853'] });
    expect(hypervisor.database_specific).toMatchObject({ patchable: 'Not Applicable' });
    expect(packageAdvisories(hypervisor).size).toBe(0);
    expect(parseOsv(hypervisor)).toBeTruthy();
  });

  it('reads a zero lower bound as introduced 0, and a record without advisory_date has no published', async () => {
    const { records } = await parse(AZL3, 'azurelinux-3.0-oval.xml');
    expect(byId(records, 'AZL-3.0-52881').affected?.[0].ranges).toEqual([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.20.7-1.azl3' }] }]);
    const kernel = byId(records, 'AZL-3.0-55038');
    expect(kernel.published).toBeUndefined();
    expect(kernel.affected?.[0]).toMatchObject({ package: { name: 'kernel' }, ecosystem_specific: { severity: expect.any(String) } });
  });

  it('reads a greater-than EVR as the lower bound of the range', async () => {
    // The real definition, its lower bound raised from 0.0.0: Microsoft writes such bounds for version-ranged CVEs.
    const raised = Buffer.from(AZL3.toString('utf8').replace('operation="greater than">0:0.0.0.azl3<', 'operation="greater than">0:1.19.0.azl3<'));
    const golang = byId((await parse(raised, 'azurelinux-3.0-oval.xml')).records, 'AZL-3.0-52881');
    expect(golang.affected?.[0].ranges).toEqual([{ type: 'ECOSYSTEM', events: [{ introduced: '1.19.0.azl3' }, { fixed: '1.20.7-1.azl3' }] }]);
    expect(verdict(golang, '1.18.10-1.azl3')).toEqual({ affected: false });
    expect(verdict(golang, '1.20.6-1.azl3')).toEqual({ affected: true, fixedBy: '1.20.7-1.azl3' });
  });

  it('applies an unpatched CBL-Mariner definition only within its range: up to the last affected EVR', async () => {
    const { records, notes } = await parse(CBM2, 'cbl-mariner-2.0-oval.xml');
    expect(notes).toEqual([]);
    const syslinux = byId(records, 'AZL-2.0-13832');
    expect(syslinux.affected).toEqual([
      {
        package: { ecosystem: 'CBL-Mariner:2.0', name: 'syslinux', purl: 'pkg:rpm/mariner/syslinux' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '6.04-10.cm2' }] }],
        ecosystem_specific: { severity: 'Medium' },
      },
    ]);
    expect(syslinux.database_specific).toMatchObject({ patchable: 'false' });
    expect(verdict(syslinux, '6.04-9.cm2')).toEqual({ affected: true });
    expect(verdict(syslinux, '6.04-10.cm2')).toEqual({ affected: true });
    expect(verdict(syslinux, '6.04-11.cm2')).toEqual({ affected: false });
    expect(byId(records, 'AZL-2.0-25994').withdrawn).toBe('2024-01-22T13:02:00.991232773Z');
  });

  it('keeps CBL-Mariner 2.0 and Azure Linux 3.0 apart: the same CVE in openssh is two records of two ecosystems', async () => {
    const mariner = byId((await parse(CBM2, 'cbl-mariner-2.0-oval.xml')).records, 'AZL-2.0-32203');
    const azure = byId((await parse(AZL3, 'azurelinux-3.0-oval.xml')).records, 'AZL-3.0-35082');
    expect(mariner.aliases).toEqual(azure.aliases);
    expect(mariner.affected?.[0]).toMatchObject({
      package: { ecosystem: 'CBL-Mariner:2.0', name: 'openssh', purl: 'pkg:rpm/mariner/openssh' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '8.9p1-3.cm2' }] }],
    });
    expect([...packageAdvisories(mariner).keys()]).toEqual([packageKey('CBL-Mariner:2.0', 'openssh')]);
    expect([...packageAdvisories(azure).keys()]).toEqual([packageKey('Azure Linux:3.0', 'openssh')]);
    expect(packageKey('CBL-Mariner:2.0', 'openssh')).not.toBe(packageKey('Azure Linux:3.0', 'openssh'));
    // Mariner's 2.0 fix does not cover an Azure Linux build, nor the other way round: each range speaks for its release.
    expect(verdict(mariner, '8.9p1-3.cm2')).toEqual({ affected: false });
    expect(verdict(azure, '8.9p1-3.azl3')).toEqual({ affected: true, fixedBy: '9.7p1-1.azl3' });
  });

  it('tells the release from the definitions when the file name does not', async () => {
    const { records, notes } = await parse(CBM2, 'downloads/excerpt.xml');
    expect(notes).toEqual([]);
    expect(records.map((r) => r.id).sort()).toEqual(['AZL-2.0-13832', 'AZL-2.0-25994', 'AZL-2.0-32203']);
    expect(azureReleaseOfFileName('cbl-mariner-1.0-oval.xml')).toEqual({ product: 'CBL-Mariner', version: '1.0' });
    expect(azureReleaseOfFileName('cbl-mariner-ui-1.0-oval.xml')).toBeUndefined();
  });

  it('notes a truncated document once', async () => {
    const { records, notes } = await parse(AZL3.subarray(0, 3000), 'azurelinux-3.0-oval.xml');
    expect(records).toEqual([]);
    expect(notes).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Sources against a loopback server

/** Serves a file as GitHub's raw host does: with an ETag, and 304 to a request that has it. */
const serveFile =
  (body: Buffer, etag?: string): Handler =>
  (req, res) => {
    if (etag && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'text/plain; charset=utf-8', ...(etag ? { etag } : {}) }).end(body);
  };

function sourceNamed(sources: AdvisorySource[], name: string): AdvisorySource {
  const source = sources.find((s) => s.name === name);
  if (!source) throw new Error(`no source ${name}`);
  return source;
}

describe('azureOvalSources', () => {
  let server: RoutedServer;
  let workDir: string;

  beforeEach(async () => {
    server = await startRoutedServer();
    workDir = await mkdtemp(join(tmpdir(), 'lamina-azure-oval-'));
  });
  afterEach(async () => {
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('is one source per release, each reading its raw file', () => {
    const sources = azureOvalSources();
    expect(sources.map((s) => [s.name, s.ecosystems])).toEqual([
      ['azure-oval:3.0', ['Azure Linux:3.0']],
      ['azure-oval:2.0', ['CBL-Mariner:2.0']],
      ['azure-oval:1.0', ['CBL-Mariner:1.0']],
    ]);
    expect(azureOvalSources({ releases: ['2.0'] }).map((s) => s.name)).toEqual(['azure-oval:2.0']);
  });

  it('writes every record of the release file, then finds it not modified by its ETag', async () => {
    server.routes.set('/azurelinux-3.0-oval.xml', serveFile(AZL3, '"azl3-v1"'));
    const source = sourceNamed(azureOvalSources({ baseUrl: server.origin }), 'azure-oval:3.0');
    const first = recordingContext(workDir);
    const outcome = await source.run(first.context);
    expect(outcome.status).toBe('updated');
    expect(JSON.parse(outcome.cursor ?? '{}')).toEqual({ etag: '"azl3-v1"', generated: '2025-01-30T13:03:52.80976961Z' });
    expect(first.written.map((r) => r.id).sort()).toEqual(['AZL-3.0-34597', 'AZL-3.0-35082', 'AZL-3.0-52881', 'AZL-3.0-55038']);
    expect(first.notes).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);

    const second = recordingContext(workDir, { cursor: outcome.cursor });
    expect(await source.run(second.context)).toEqual({ status: 'not-modified' });
    expect(second.written).toEqual([]);
    expect(server.requests.at(-1)).toEqual({ path: '/azurelinux-3.0-oval.xml', ifNoneMatch: '"azl3-v1"' });
  });

  it('finds a file served without an ETag not modified by its generator timestamp', async () => {
    server.routes.set('/cbl-mariner-2.0-oval.xml', serveFile(CBM2));
    const source = sourceNamed(azureOvalSources({ baseUrl: server.origin }), 'azure-oval:2.0');
    const first = recordingContext(workDir);
    const outcome = await source.run(first.context);
    expect(outcome).toEqual({ status: 'updated', cursor: JSON.stringify({ generated: '2024-01-22T13:02:00.991232773Z' }) });
    expect(first.written).toHaveLength(3);

    const second = recordingContext(workDir, { cursor: outcome.cursor });
    expect((await source.run(second.context)).status).toBe('not-modified');
    expect(second.written).toEqual([]);
  });

  it('continues an interrupted run of the same document after the records it had written', async () => {
    server.routes.set('/azurelinux-3.0-oval.xml', serveFile(AZL3, '"azl3-v1"'));
    const source = sourceNamed(azureOvalSources({ baseUrl: server.origin, batchSize: 1 }), 'azure-oval:3.0');
    const whole = recordingContext(workDir);
    await source.run(whole.context);
    expect(whole.progress.map((p) => JSON.parse(p).written)).toEqual([1, 2, 3, 4]);

    const resumed = recordingContext(workDir, { cursor: undefined, progress: whole.progress[1] });
    expect((await source.run(resumed.context)).status).toBe('updated');
    expect(resumed.written.map((r) => r.id)).toEqual(whole.written.slice(2).map((r) => r.id));
    expect(resumed.skipped).toEqual([2]);
  });

  it('fails a run whose document is not well-formed, so the next run fetches it again', async () => {
    server.routes.set('/azurelinux-3.0-oval.xml', serveFile(AZL3.subarray(0, 5000), '"azl3-cut"'));
    const source = sourceNamed(azureOvalSources({ baseUrl: server.origin }), 'azure-oval:3.0');
    const run = recordingContext(workDir);
    await expect(source.run(run.context)).rejects.toThrow(`GET ${server.origin}/azurelinux-3.0-oval.xml: cannot read the document: not well-formed OVAL`);
    expect(run.written).toEqual([]);
  });

  it('names the URL when the server fails', async () => {
    server.routes.set('/cbl-mariner-1.0-oval.xml', (_req, res) => res.writeHead(404).end('gone'));
    const source = sourceNamed(azureOvalSources({ baseUrl: server.origin, maxDownloadAttempts: 1 }), 'azure-oval:1.0');
    await expect(source.run(recordingContext(workDir).context)).rejects.toThrow(`GET ${server.origin}/cbl-mariner-1.0-oval.xml: HTTP 404 Not Found`);
  });
});
