import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { rpmScheme } from '../../../lib/versions/rpm';
import { affectedVerdict } from '../../../lib/vulndb/affected';
import { type Osv, type OsvAffected, packageKey } from '../../../lib/vulndb/osv';
import { parseOsv } from '../../../lib/vulndb/osv-parse';
import { oracleOvalFormat, oracleOvalSource } from '../../../lib/vulndb/sources/oracle-oval';
import { bunzip2 } from '../../../lib/vulndb/document-stream';
import { recordingContext, startLoopbackServer } from '../../support/feed-server';

/*
 * Real Oracle ELSA OVAL (test/vulndb/sources/data/oracle, see PROVENANCE.md): an excerpt of com.oracle.elsa-all.xml
 * as bzip2 (as Oracle serves it), ELSA-2024-1828 for Oracle Linux 8 and 9, a Ksplice userspace ELSA, and definitions
 * whose arches were fixed at different EVRs. The source tests serve the bzip2 excerpt from a loopback server.
 */

const DATA = join(__dirname, 'data', 'oracle');
const fixture = (name: string) => readFileSync(join(DATA, name));
const EXCERPT_BZ2 = fixture('com.oracle.elsa-excerpt.xml.bz2');

async function parse(input: Readable): Promise<{ records: Osv[]; notes: string[] }> {
  const records: Osv[] = [];
  const notes: string[] = [];
  for await (const osv of oracleOvalFormat.parse(input, { fileName: 'com.oracle.elsa-all.xml', malformed: (reason) => notes.push(reason) })) records.push(osv);
  return { records, notes };
}

const parseFile = (name: string) => parse(Readable.from([fixture(name)]));
const parseExcerpt = () => parse(bunzip2(Readable.from([EXCERPT_BZ2])));

function byId(records: Osv[], id: string): Osv {
  const found = records.find((r) => r.id === id);
  if (!found) throw new Error(`no record ${id} in ${records.map((r) => r.id).join(', ')}`);
  return found;
}

function entry(osv: Osv, ecosystem: string, name: string): OsvAffected {
  const found = osv.affected?.find((a) => a.package?.ecosystem === ecosystem && a.package.name === name);
  if (!found) throw new Error(`${osv.id} has no ${ecosystem} ${name}`);
  return found;
}

const fixedOf = (affected: OsvAffected) => affected.ranges?.[0].events.find((e) => e.fixed)?.fixed;
const verdict = (affected: OsvAffected, version: string) => affectedVerdict(version, affected, rpmScheme.compare);

describe('oracleOvalFormat', () => {
  it('recognises Oracle OVAL and not Microsoft OVAL', async () => {
    const head = fixture('elsa-2024-1828.xml').toString('utf8', 0, 4000);
    expect(oracleOvalFormat.sniff(head)).toBe(true);
    expect(oracleOvalFormat.sniff(fixture('elsa-2021-9151-ksplice.xml').toString('utf8', 0, 4000))).toBe(true);
    expect(oracleOvalFormat.sniff(readFileSync(join(__dirname, 'data', 'azure', 'azurelinux-3.0-oval.xml'), 'utf8').slice(0, 4000))).toBe(false);
  });

  it('makes one entry per binary package of an ELSA, fixed at its epoch:version-release', async () => {
    const { records, notes } = await parseExcerpt();
    expect(notes).toEqual([]);
    const bind = byId(records, 'ELSA-2007-0057');
    expect(parseOsv(bind)).toBeTruthy();
    expect(bind).toMatchObject({
      modified: '2007-06-26T00:00:00Z',
      published: '2007-06-26T00:00:00Z',
      aliases: ['CVE-2007-0493', 'CVE-2007-0494'],
      summary: 'ELSA-2007-0057: Moderate: bind security update (MODERATE)',
      references: [
        { type: 'ADVISORY', url: 'https://linux.oracle.com/errata/ELSA-2007-0057.html' },
        { type: 'WEB', url: 'https://linux.oracle.com/cve/CVE-2007-0493.html' },
        { type: 'WEB', url: 'https://linux.oracle.com/cve/CVE-2007-0494.html' },
      ],
      database_specific: { source: 'oracle-oval', oval_id: 'oval:com.oracle.elsa:def:20070057' },
    });
    expect(bind.affected?.map((a) => a.package?.name)).toEqual([
      'bind',
      'bind-chroot',
      'bind-devel',
      'bind-libbind-devel',
      'bind-libs',
      'bind-sdb',
      'bind-utils',
      'caching-nameserver',
    ]);
    expect(entry(bind, 'Oracle Linux:5', 'bind-utils')).toEqual({
      package: { ecosystem: 'Oracle Linux:5', name: 'bind-utils', purl: 'pkg:rpm/oracle/bind-utils?distro=oraclelinux-5' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '30:9.3.3-8.el5' }] }],
      ecosystem_specific: { severity: 'MODERATE', arches: ['i386', 'x86_64'] },
    });
  });

  it('compares with the epoch: below the fix affected, at it not, and an epoch-less version is older', async () => {
    const bind = entry(byId((await parseExcerpt()).records, 'ELSA-2007-0057'), 'Oracle Linux:5', 'bind');
    expect(verdict(bind, '30:9.3.3-7.el5')).toEqual({ affected: true, fixedBy: '30:9.3.3-8.el5' });
    expect(verdict(bind, '30:9.3.3-8.el5')).toEqual({ affected: false });
    expect(verdict(bind, '9.3.4-1.el5')).toEqual({ affected: true, fixedBy: '30:9.3.3-8.el5' });
  });

  it('keeps Oracle Linux 8 and 9 apart in a two-release ELSA', async () => {
    const { records, notes } = await parseFile('elsa-2024-1828.xml');
    expect(notes).toEqual([]);
    const [java] = records;
    expect(java).toMatchObject({ id: 'ELSA-2024-1828', aliases: ['CVE-2024-21011', 'CVE-2024-21012', 'CVE-2024-21068'], modified: '2024-04-23T00:00:00Z' });
    const ecosystems = new Set(java.affected?.map((a) => a.package?.ecosystem));
    expect([...ecosystems]).toEqual(['Oracle Linux:8', 'Oracle Linux:9']);
    expect(java.affected?.filter((a) => a.package?.ecosystem === 'Oracle Linux:8')).toHaveLength(23);
    expect(java.affected?.filter((a) => a.package?.ecosystem === 'Oracle Linux:9')).toHaveLength(23);
    const ol8 = entry(java, 'Oracle Linux:8', 'java-21-openjdk-headless');
    const ol9 = entry(java, 'Oracle Linux:9', 'java-21-openjdk-headless');
    expect(ol8.package?.purl).toBe('pkg:rpm/oracle/java-21-openjdk-headless?distro=oraclelinux-8');
    expect(ol9.package?.purl).toBe('pkg:rpm/oracle/java-21-openjdk-headless?distro=oraclelinux-9');
    expect(fixedOf(ol8)).toBe('1:21.0.3.0.9-1.0.1.el8');
    expect(fixedOf(ol9)).toBe('1:21.0.3.0.9-1.0.1.el9');
    expect(ol9.ecosystem_specific).toEqual({ severity: 'MODERATE', arches: ['aarch64', 'x86_64'] });
    expect(packageKey('Oracle Linux:9.4', 'java-21-openjdk-headless')).toBe(packageKey(ol9.package?.ecosystem ?? '', 'java-21-openjdk-headless'));
    expect(verdict(ol9, '1:21.0.2.0.13-1.el9')).toEqual({ affected: true, fixedBy: '1:21.0.3.0.9-1.0.1.el9' });
    expect(verdict(ol9, '1:21.0.3.0.9-1.0.1.el9')).toEqual({ affected: false });
    expect(parseOsv(java)).toBeTruthy();
  });

  it('merges the arches of a package at the highest EVR they name', async () => {
    const { records, notes } = await parseFile('elsa-per-arch-definitions.xml');
    expect(notes).toEqual([]);
    // x86_64 was fixed in 57.0.1, aarch64 only in 57.0.4: a build below 57.0.4 may still be the vulnerable one.
    const rsyslog = entry(byId(records, 'ELSA-2022-4803'), 'Oracle Linux:7', 'rsyslog');
    expect(fixedOf(rsyslog)).toBe('8.24.0-57.0.4.el7_9.3');
    expect(rsyslog.ecosystem_specific).toMatchObject({ arches: ['aarch64', 'x86_64'] });
    expect(entry(byId(records, 'ELSA-2025-10073'), 'Oracle Linux:10', 'firefox')).toBeTruthy();
    expect(fixedOf(entry(byId(records, 'ELSA-2024-2961'), 'Oracle Linux:8', 'osbuild'))).toBe('110-1.0.1.el8');
  });

  it('names the module stream of an appstream fix', async () => {
    const hivex = entry(byId((await parseExcerpt()).records, 'ELSA-2023-12342'), 'Oracle Linux:8', 'hivex');
    expect(hivex.ecosystem_specific).toEqual({ severity: 'IMPORTANT', arches: ['aarch64'], rpm_module: 'virt:kvm_utils' });
    expect(fixedOf(hivex)).toBe('1.3.18-21.module+el8.7.0+21037+8ee66348');
  });

  it('leaves out Ksplice userspace builds, which carry the ordinary package names', async () => {
    const { records, notes } = await parseFile('elsa-2021-9151-ksplice.xml');
    expect(records).toEqual([]);
    expect(notes).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The source against a loopback server

describe('oracleOvalSource', () => {
  let workDir: string;
  let stop: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lamina-oracle-oval-'));
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await rm(workDir, { recursive: true, force: true });
  });

  it('reads the bzip2 document, then finds it not modified by its ETag', async () => {
    const etag = '"elsa-all-1"';
    const seen: Array<string | undefined> = [];
    const server = await startLoopbackServer((req, res) => {
      seen.push(req.headers['if-none-match']);
      if (req.url !== '/security/oval/com.oracle.elsa-all.xml.bz2') res.writeHead(404).end();
      else if (req.headers['if-none-match'] === etag) res.writeHead(304, { etag }).end();
      else res.writeHead(200, { etag, 'content-type': 'application/x-bzip2', 'content-length': EXCERPT_BZ2.length }).end(EXCERPT_BZ2);
    });
    stop = server.stop;
    const source = oracleOvalSource({ url: `${server.origin}/security/oval/com.oracle.elsa-all.xml.bz2` });
    expect(source.name).toBe('oracle-oval');
    expect(source.ecosystems).toContain('Oracle Linux:9');

    const first = recordingContext(workDir);
    const outcome = await source.run(first.context);
    expect(outcome).toEqual({ status: 'updated', cursor: JSON.stringify({ etag, generated: '2022-04-27T06:35:16' }) });
    expect(first.written.map((r) => r.id)).toEqual(['ELSA-2007-0057', 'ELSA-2023-12342']);
    expect(first.notes).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);

    const second = recordingContext(workDir, { cursor: outcome.cursor });
    expect(await source.run(second.context)).toEqual({ status: 'not-modified' });
    expect(second.written).toEqual([]);
    expect(seen).toEqual([undefined, etag]);
  });

  it('fails naming the URL when the server errs, and when the bzip2 is corrupt', async () => {
    const server = await startLoopbackServer((req, res) => {
      if (req.url === '/broken.xml.bz2') res.writeHead(200).end(Buffer.concat([EXCERPT_BZ2.subarray(0, 200), Buffer.alloc(400, 7)]));
      else res.writeHead(503).end('busy');
    });
    stop = server.stop;
    const down = oracleOvalSource({ url: `${server.origin}/com.oracle.elsa-all.xml.bz2`, maxDownloadAttempts: 1 });
    await expect(down.run(recordingContext(workDir).context)).rejects.toThrow(`GET ${server.origin}/com.oracle.elsa-all.xml.bz2: HTTP 503 Service Unavailable`);
    const broken = oracleOvalSource({ url: `${server.origin}/broken.xml.bz2` });
    await expect(broken.run(recordingContext(workDir).context)).rejects.toThrow(`GET ${server.origin}/broken.xml.bz2: cannot read the document`);
  });
});
