import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { compareAdvisoryVersions } from '../../../lib/versions';
import { affectedVerdict } from '../../../lib/vulndb/affected';
import type { Osv } from '../../../lib/vulndb/osv';
import { parseOsv } from '../../../lib/vulndb/osv-parse';
import { alasAdvisoryUrl, alasRelease, alasSources, alasTimestamp, alasUpdateinfoFormat, parseAlasId } from '../../../lib/vulndb/sources/alas';
import type { AdvisorySource } from '../../../lib/vulndb/sources/types';
import { closedPort, type Handler, recordingContext, type RoutedServer, startRoutedServer } from '../../support/feed-server';
import { rejection } from '../../support/outcomes';

/*
 * Real Amazon updateinfo.xml, repomd.xml and mirror lists (test/vulndb/sources/data/alas, see PROVENANCE.md). The
 * source tests serve them from a loopback HTTP server laid out like Amazon's CDN: mirror.list → repomd.xml →
 * repodata/updateinfo.xml.gz.
 */

const DATA = join(__dirname, 'data', 'alas');
const fixture = (name: string) => readFileSync(join(DATA, name), 'utf8');

interface Parsed {
  records: Osv[];
  notes: string[];
}

async function parseStream(input: Readable): Promise<Parsed> {
  const records: Osv[] = [];
  const notes: string[] = [];
  for await (const osv of alasUpdateinfoFormat.parse(input, { fileName: 'updateinfo.xml', malformed: (reason) => notes.push(reason) })) records.push(osv);
  return { records, notes };
}

const parseText = (text: string) => parseStream(Readable.from([Buffer.from(text)]));

function byId(records: Osv[], id: string): Osv {
  const record = records.find((r) => r.id === id);
  if (!record) throw new Error(`no record ${id} in ${records.map((r) => r.id).join(', ')}`);
  return record;
}

function fixedOf(record: Osv, name: string): string | undefined {
  const entry = record.affected?.find((a) => a.package?.name === name);
  return entry?.ranges?.[0].events.find((e) => e.fixed)?.fixed;
}

const packageNames = (record: Osv) => record.affected?.map((a) => a.package?.name);

describe('ALAS ids', () => {
  it.each([
    ['ALAS-2018-1000', '1'],
    ['ALAS-2011-1', '1'],
    ['ALAS2-2023-1993', '2'],
    ['ALAS2-2018-942', '2'],
    ['ALAS2KERNEL-5.15-2022-001', '2'],
    ['ALAS2GOLANG1.19-2023-001', '2'],
    ['ALAS2LIVEPATCH-2020-002', '2'],
    ['ALAS2022-2021-001', '2022'],
    ['ALAS2023-2023-123', '2023'],
    ['ALAS2023LIVEPATCH-2023-001', '2023'],
  ])('%s is Amazon Linux %s', (id, release) => {
    expect(alasRelease(id)).toBe(release);
  });

  it('tells AL2 extras topics from core and livepatch', () => {
    expect(parseAlasId('ALAS2KERNEL-5.15-2022-001')).toEqual({ release: '2', topic: 'KERNEL-5.15', extras: true, year: '2022', number: '001' });
    expect(parseAlasId('ALAS2GOLANG1.19-2023-001')?.extras).toBe(true);
    expect(parseAlasId('ALAS2-2018-942')?.extras).toBe(false);
    expect(parseAlasId('ALAS2LIVEPATCH-2020-002')?.extras).toBe(false);
    expect(parseAlasId('ALAS2023LIVEPATCH-2023-001')).toEqual({ release: '2023', topic: 'LIVEPATCH', extras: false, year: '2023', number: '001' });
  });

  it('refuses what is not an updateinfo ALAS id', () => {
    expect(alasRelease('RHSA-2011:1245')).toBeUndefined();
    expect(alasRelease('ALAS2-B')).toBeUndefined();
    // The web page's name of an extras advisory: no release in it.
    expect(alasRelease('ALASKERNEL-5.10-2022-002')).toBeUndefined();
  });

  it.each([
    ['ALAS2-2018-942', 'https://alas.aws.amazon.com/AL2/ALAS-2018-942.html'],
    ['ALAS2KERNEL-5.15-2022-001', 'https://alas.aws.amazon.com/AL2/ALASKERNEL-5.15-2022-001.html'],
    ['ALAS2022-2021-001', 'https://alas.aws.amazon.com/AL2022/ALAS-2021-001.html'],
    ['ALAS2023-2023-126', 'https://alas.aws.amazon.com/AL2023/ALAS-2023-126.html'],
    ['ALAS-2011-1', 'https://alas.aws.amazon.com/ALAS-2011-1.html'],
  ])('%s has its page at %s', (id, url) => {
    expect(alasAdvisoryUrl(id)).toBe(url);
  });

  it("reads both of Amazon's date forms as UTC", () => {
    expect(alasTimestamp('2018-02-07 18:49')).toBe('2018-02-07T18:49:00Z');
    expect(alasTimestamp('2023-02-17 20:41:00')).toBe('2023-02-17T20:41:00Z');
    expect(alasTimestamp('yesterday')).toBeUndefined();
    expect(alasTimestamp(undefined)).toBeUndefined();
  });
});

describe('alasUpdateinfoFormat.sniff', () => {
  const head = (name: string) => fixture(name).slice(0, 64 * 1024);

  it.each([
    'al1-updates-updateinfo.xml',
    'al2-core-updateinfo.xml',
    'al2-extras-kernel-5.15-updateinfo.xml',
    'al2-extras-golang1.19-updateinfo.xml',
    'al2022-core-updateinfo.xml',
    'al2023-core-updateinfo.xml',
    'al2023-kernel-livepatch-updateinfo.xml',
  ])('recognises %s', (name) => {
    expect(alasUpdateinfoFormat.sniff(head(name))).toBe(true);
  });

  it('passes over other documents', () => {
    expect(alasUpdateinfoFormat.sniff(head('al2-core-repomd-2022.xml'))).toBe(false);
    expect(alasUpdateinfoFormat.sniff(head('al2-extras-catalog-excerpt.json'))).toBe(false);
    expect(alasUpdateinfoFormat.sniff('{"id":"ALAS2-2018-942","modified":"2018-02-08T21:46:00Z"}')).toBe(false);
    expect(alasUpdateinfoFormat.sniff(head('al2-core-updateinfo.xml').replaceAll('ALAS2-', 'FEDORA-'))).toBe(false);
  });
});

describe('alasUpdateinfoFormat.parse', () => {
  it('converts Amazon Linux 2 core advisories: one affected entry per package, epochs kept', async () => {
    const { records, notes } = await parseText(fixture('al2-core-updateinfo.xml'));
    expect(notes).toEqual([]);
    expect(records.map((r) => r.id)).toEqual(['ALAS2-2018-942', 'ALAS2-2018-949']);

    const qemu = byId(records, 'ALAS2-2018-942');
    expect(packageNames(qemu)).toEqual(['qemu-img', 'qemu-kvm', 'qemu-kvm-common', 'qemu-kvm-debuginfo', 'qemu-kvm-tools']);
    expect(qemu.affected?.[1]).toEqual({
      package: { ecosystem: 'Amazon Linux:2', name: 'qemu-kvm', purl: 'pkg:rpm/amazon/qemu-kvm?distro=amazon-2' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '10:1.5.3-141.amzn2.5.3' }] }],
      ecosystem_specific: { severity: 'important' },
    });
    expect(qemu.aliases).toEqual(['CVE-2017-5715']);
    expect(qemu.summary).toBe('Amazon Linux 2 2017.12 - ALAS2-2018-942: important priority package update for qemu-kvm');
    expect(qemu.details).toMatch(/^Package updates are available for Amazon Linux 2 that fix the following vulnerabilities:\nCVE-2017-5715:/);
    expect(qemu.details).toMatch(/branch target injection$/);
    expect(qemu.published).toBe('2018-02-07T18:49:00Z');
    expect(qemu.modified).toBe('2018-02-08T21:46:00Z');
    expect(qemu.references).toEqual([
      { type: 'ADVISORY', url: 'https://alas.aws.amazon.com/AL2/ALAS-2018-942.html' },
      { type: 'WEB', url: 'http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2017-5715' },
    ]);
    expect(qemu.database_specific).toEqual({ source: 'alas' });

    const java = byId(records, 'ALAS2-2018-949');
    expect(fixedOf(java, 'java-1.8.0-openjdk')).toBe('1:1.8.0.161-0.b14.amzn2');
    expect(fixedOf(java, 'java-1.8.0-openjdk-javadoc')).toBe('1:1.8.0.161-0.b14.amzn2');
    expect(java.aliases).toHaveLength(15);
    expect(java.aliases?.slice(0, 3)).toEqual(['CVE-2018-2579', 'CVE-2018-2582', 'CVE-2018-2588']);
    expect(java.references).toHaveLength(16);
  });

  it('converts Amazon Linux 2023: arches collapse to one entry per name, epoch 0 left out, seconds in the dates', async () => {
    const { records, notes } = await parseText(fixture('al2023-core-updateinfo.xml'));
    expect(notes).toEqual([]);
    expect(records).toHaveLength(1);
    const rsyslog = records[0];
    expect(rsyslog.id).toBe('ALAS2023-2023-001');
    expect(rsyslog.affected).toHaveLength(21);
    expect(new Set(rsyslog.affected?.map((a) => a.package?.ecosystem))).toEqual(new Set(['Amazon Linux:2023']));
    expect(rsyslog.affected?.find((a) => a.package?.name === 'rsyslog')).toEqual({
      package: { ecosystem: 'Amazon Linux:2023', name: 'rsyslog', purl: 'pkg:rpm/amazon/rsyslog?distro=amazon-2023' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '8.2204.0-3.amzn2023.0.2' }] }],
      ecosystem_specific: { severity: 'Important' },
    });
    expect(rsyslog.aliases).toEqual(['CVE-2014-3634', 'CVE-2022-24903']);
    expect(rsyslog.published).toBe('2023-02-17T20:41:00Z');
    expect(rsyslog.modified).toBe('2023-02-22T23:22:00Z');
    expect(rsyslog.details).toMatch(/^Package updates are available for Amazon Linux 2023/);
    expect(rsyslog.details).toMatch(/rsyslog daemon\.$/);
    expect(rsyslog.references?.[0]).toEqual({ type: 'ADVISORY', url: 'https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html' });
  });

  it('converts Amazon Linux 2022 with its epoch 2 vim builds', async () => {
    const { records } = await parseText(fixture('al2022-core-updateinfo.xml'));
    const vim = byId(records, 'ALAS2022-2021-001');
    expect(fixedOf(vim, 'vim-enhanced')).toBe('2:8.2.3512-1.amzn2022');
    expect(vim.affected?.[0].package?.ecosystem).toBe('Amazon Linux:2022');
    expect(vim.affected?.[0].ecosystem_specific).toEqual({ severity: 'medium' });
    expect(vim.aliases).toEqual(['CVE-2021-3778', 'CVE-2021-3796', 'CVE-2021-3872', 'CVE-2021-3875']);
  });

  it('converts Amazon Linux AMI (AL1): CVE references only become aliases, not the Red Hat one', async () => {
    const { records } = await parseText(fixture('al1-updates-updateinfo.xml'));
    const httpd = byId(records, 'ALAS-2011-1');
    expect(httpd.affected).toEqual([
      {
        package: { ecosystem: 'Amazon Linux:1', name: 'httpd-devel', purl: 'pkg:rpm/amazon/httpd-devel?distro=amazon-1' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.2.21-1.18.amzn1' }] }],
        ecosystem_specific: { severity: 'medium' },
      },
    ]);
    expect(httpd.aliases).toEqual(['CVE-2011-3192']);
    expect(httpd.references).toEqual([
      { type: 'ADVISORY', url: 'https://alas.aws.amazon.com/ALAS-2011-1.html' },
      { type: 'WEB', url: 'http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2011-3192' },
    ]);
    expect(httpd.published).toBe('2011-09-27T22:46:00Z');
    expect(httpd.modified).toBe('2014-09-14T14:25:00Z');
  });

  it('marks AL2 extras advisories and keeps them in Amazon Linux 2', async () => {
    const kernel = (await parseText(fixture('al2-extras-kernel-5.15-updateinfo.xml'))).records[0];
    expect(kernel.id).toBe('ALAS2KERNEL-5.15-2022-001');
    expect(fixedOf(kernel, 'kernel')).toBe('5.15.43-20.123.amzn2');
    expect(kernel.affected?.every((a) => a.package?.ecosystem === 'Amazon Linux:2')).toBe(true);
    expect(kernel.affected?.[0].ecosystem_specific).toEqual({ severity: 'important', extras: true });
    expect(kernel.references?.[0]).toEqual({ type: 'ADVISORY', url: 'https://alas.aws.amazon.com/AL2/ALASKERNEL-5.15-2022-001.html' });

    const golang = (await parseText(fixture('al2-extras-golang1.19-updateinfo.xml'))).records[0];
    expect(golang.id).toBe('ALAS2GOLANG1.19-2023-001');
    expect(fixedOf(golang, 'golang')).toBe('1.19.10-1.amzn2.0.2');
    expect(golang.affected?.[0].ecosystem_specific).toEqual({ severity: 'important', extras: true });
  });

  it('does not mark a livepatch advisory as extras', async () => {
    const livepatch = (await parseText(fixture('al2023-kernel-livepatch-updateinfo.xml'))).records[0];
    expect(livepatch.id).toBe('ALAS2023LIVEPATCH-2023-001');
    expect(livepatch.affected).toEqual([
      {
        package: {
          ecosystem: 'Amazon Linux:2023',
          name: 'kernel-livepatch-6.1.12-19.43',
          purl: 'pkg:rpm/amazon/kernel-livepatch-6.1.12-19.43?distro=amazon-2023',
        },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1.amzn2023' }] }],
        ecosystem_specific: { severity: 'important' },
      },
    ]);
    expect(livepatch.references?.[0].url).toBe('https://alas.aws.amazon.com/AL2023/ALASLIVEPATCH-2023-001.html');
  });

  it('keeps the highest EVR by rpm order when the arches disagree', async () => {
    // The real AL2023 document with its aarch64 rsyslog build bumped: 0.10 is above 0.2 for rpm, below it as text.
    const text = fixture('al2023-core-updateinfo.xml').replace(
      /(<package name="rsyslog" version="8\.2204\.0" release=")3\.amzn2023\.0\.2(" epoch="0" arch="aarch64")/,
      '$13.amzn2023.0.10$2',
    );
    expect(text).toContain('release="3.amzn2023.0.10"');
    const { records } = await parseText(text);
    expect(fixedOf(records[0], 'rsyslog')).toBe('8.2204.0-3.amzn2023.0.10');
    expect(fixedOf(records[0], 'rsyslog-mmaudit')).toBe('8.2204.0-3.amzn2023.0.2');
  });

  it('produces records the OSV import accepts unchanged', async () => {
    for (const name of ['al1-updates-updateinfo.xml', 'al2-core-updateinfo.xml', 'al2023-core-updateinfo.xml', 'al2-extras-kernel-5.15-updateinfo.xml']) {
      for (const record of (await parseText(fixture(name))).records) expect(parseOsv(JSON.parse(JSON.stringify(record)))).toEqual(record);
    }
  });

  it('reads the same records however the bytes are split', async () => {
    const bytes = Buffer.from(fixture('al2-core-updateinfo.xml'));
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 997) chunks.push(bytes.subarray(i, i + 997));
    expect(await parseStream(Readable.from(chunks))).toEqual(await parseText(bytes.toString('utf8')));
  });

  it('reports an update without an id or without packages and carries on', async () => {
    const text = fixture('al2-core-updateinfo.xml')
      .replace('<id>ALAS2-2018-942</id>', '')
      .replace(/(<id>ALAS2-2018-949<\/id>[\s\S]*?)<pkglist>[\s\S]*?<\/pkglist>/, '$1');
    const { records, notes } = await parseText(text);
    expect(records).toEqual([]);
    expect(notes).toEqual(['an <update> without an <id>', 'ALAS2-2018-949: no packages']);
  });

  it('ends a truncated document with one note, keeping the updates before the cut', async () => {
    const { records, notes } = await parseText(fixture('al2-core-updateinfo-truncated.xml'));
    expect(records.map((r) => r.id)).toEqual(['ALAS2-2018-939']);
    expect(fixedOf(records[0], 'kernel')).toBe('4.9.76-38.79.amzn2');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^not well-formed XML at character \d+: /);
  });

  it.each([
    ['what is not XML', 'PK\u0003\u0004 not xml at all <<<>>>', 'not well-formed XML at character 3: disallowed character.'],
    ['another XML document', fixture('al2-core-repomd-2022.xml'), 'not an updateinfo document: the root element is <repomd>'],
    ['nothing', '', 'not well-formed XML at character 0: document must contain a root element.'],
  ])('gives one note, no records and no exception for %s', async (_what, text, note) => {
    expect(await parseText(text)).toEqual({ records: [], notes: [note] });
  });

  it('turns a gzip stream cut short into a note, not an exception', async () => {
    const gz = gzipSync(fixture('al2023-core-updateinfo.xml'));
    const input = Readable.from([gz.subarray(0, gz.length - 200)]).pipe(createGunzip());
    const { notes } = await parseStream(input);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^cannot read the document: /);
  });
});

describe('matching ALAS records', () => {
  const verdict = (record: Osv, name: string, installed: string) => {
    const entry = record.affected?.find((a) => a.package?.name === name);
    if (!entry?.package) throw new Error(`no ${name} in ${record.id}`);
    const ecosystem = entry.package.ecosystem;
    return affectedVerdict(installed, entry, (a, b) => compareAdvisoryVersions(ecosystem, a, b));
  };

  it('an installed build below the fixed EVR is affected, the fixed one is not', async () => {
    const al2 = (await parseText(fixture('al2-core-updateinfo.xml'))).records;
    const qemu = byId(al2, 'ALAS2-2018-942');
    expect(verdict(qemu, 'qemu-kvm', '10:1.5.3-141.amzn2.5.2')).toEqual({ affected: true, fixedBy: '10:1.5.3-141.amzn2.5.3' });
    expect(verdict(qemu, 'qemu-kvm', '10:1.5.3-141.amzn2.5.3')).toEqual({ affected: false });
    const java = byId(al2, 'ALAS2-2018-949');
    expect(verdict(java, 'java-1.8.0-openjdk', '1:1.8.0.151-1.b12.amzn2')).toMatchObject({ affected: true });
    // No epoch is epoch 0, below the fix's 1 whatever the version says: rpm order, not text order.
    expect(verdict(java, 'java-1.8.0-openjdk', '1.8.0.161-0.b14.amzn2')).toMatchObject({ affected: true });
    expect(verdict(java, 'java-1.8.0-openjdk', '1:1.8.0.161-0.b14.amzn2')).toEqual({ affected: false });

    const rsyslog = (await parseText(fixture('al2023-core-updateinfo.xml'))).records[0];
    expect(verdict(rsyslog, 'rsyslog', '8.2204.0-3.amzn2023.0.1')).toEqual({ affected: true, fixedBy: '8.2204.0-3.amzn2023.0.2' });
    expect(verdict(rsyslog, 'rsyslog', '8.2204.0-3.amzn2023.0.2')).toEqual({ affected: false });

    const vim = (await parseText(fixture('al2022-core-updateinfo.xml'))).records[0];
    expect(verdict(vim, 'vim-minimal', '2:8.2.3511-1.amzn2022')).toMatchObject({ affected: true });
    expect(verdict(vim, 'vim-minimal', '2:8.2.3512-1.amzn2022')).toEqual({ affected: false });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Sources against a loopback server

const send =
  (body: string | Buffer, status = 200): Handler =>
  (_req, res) =>
    res.writeHead(status, { 'content-length': Buffer.byteLength(body) }).end(body);

/** A real mirror list pointed at the test server: every mirror's host becomes the server's. */
const localMirrorList = (name: string, origin: string) => fixture(name).replace(/https?:\/\/[^/\s]+/g, origin);

/** A real repomd.xml whose updateinfo entry names the document served here. */
function localRepomd(name: string, updateinfo: Buffer, href = 'repodata/updateinfo.xml.gz'): string {
  const sha256 = createHash('sha256').update(updateinfo).digest('hex');
  return fixture(name).replace(/(<data type="updateinfo">[\s\S]*?<\/data>)/, (data) =>
    data.replace(/(<checksum type="sha256">)[0-9a-f]+(<\/checksum>)/, `$1${sha256}$2`).replace(/<location href="[^"]*"/, `<location href="${href}"`),
  );
}

/** Serves one repository: `mirrorListPath` lists `basePath` (as the real list does), which has repomd.xml and the updateinfo. */
function serveRepository(
  server: RoutedServer,
  repo: { mirrorListPath: string; mirrorList: string; updateinfo: Buffer; repomd?: string },
): { updateinfoPath: string } {
  server.routes.set(repo.mirrorListPath, send(repo.mirrorList));
  const base = new URL(repo.mirrorList.split('\n')[0].trim().replace(/\/+$/, '')).pathname;
  server.routes.set(`${base}/repodata/repomd.xml`, send(repo.repomd ?? localRepomd('al2-core-repomd-2022.xml', repo.updateinfo)));
  const updateinfoPath = `${base}/repodata/updateinfo.xml.gz`;
  server.routes.set(updateinfoPath, send(repo.updateinfo));
  return { updateinfoPath };
}

const sourceNamed = (sources: AdvisorySource[], name: string) => {
  const source = sources.find((s) => s.name === name);
  if (!source) throw new Error(`no source ${name}`);
  return source;
};

const AL2023_MIRROR_LIST = '/al2023/core/mirrors/latest/x86_64/mirror.list';
const AL2_MIRROR_LIST = '/2/core/latest/x86_64/mirror.list';
const AL1_MIRROR_LIST = '/2018.03/updates/x86_64/mirror.list';

describe('alasSources', () => {
  let server: RoutedServer;
  let workDir: string;

  beforeEach(async () => {
    server = await startRoutedServer();
    workDir = await mkdtemp(join(tmpdir(), 'lamina-alas-'));
  });
  afterEach(async () => {
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  const sources = (options: Parameters<typeof alasSources>[0] = {}) =>
    alasSources({
      baseUrls: {
        '2023': `${server.origin}${AL2023_MIRROR_LIST}`,
        '2': `${server.origin}${AL2_MIRROR_LIST}`,
        '2-extras': `${server.origin}/2/extras-catalog.json`,
        '1': `${server.origin}${AL1_MIRROR_LIST}`,
      },
      maxDownloadAttempts: 1,
      ...options,
    });

  it('names one source per repository, with the ecosystems it fills and the real mirror lists by default', () => {
    const defaults = alasSources();
    expect(defaults.map((s) => [s.name, s.ecosystems])).toEqual([
      ['alas:2023', ['Amazon Linux:2023']],
      ['alas:2', ['Amazon Linux:2']],
      ['alas:2-extras', ['Amazon Linux:2']],
      ['alas:1', ['Amazon Linux:1']],
    ]);
    expect(alasSources({ releases: ['2'] }).map((s) => s.name)).toEqual(['alas:2']);
    expect(() => alasSources({ releases: ['2025'] })).toThrow(/Amazon Linux 2025/);
  });

  it('imports AL2023 core through mirror.list, repomd.xml and updateinfo.xml.gz; the next run with the cursor is not-modified', async () => {
    const updateinfo = gzipSync(fixture('al2023-core-updateinfo.xml'));
    const { updateinfoPath } = serveRepository(server, {
      mirrorListPath: AL2023_MIRROR_LIST,
      mirrorList: localMirrorList('al2023-core-mirror.list', server.origin),
      updateinfo,
    });
    const source = sourceNamed(sources(), 'alas:2023');
    const first = recordingContext(workDir);
    const outcome = await source.run(first.context);
    expect(outcome).toEqual({ status: 'updated', cursor: `sha256:${createHash('sha256').update(updateinfo).digest('hex')}` });
    expect(first.batches.flat()).toEqual((await parseText(fixture('al2023-core-updateinfo.xml'))).records);
    expect(first.notes).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);

    const second = recordingContext(workDir, { cursor: outcome.cursor });
    expect(await source.run(second.context)).toEqual({ status: 'not-modified' });
    expect(second.batches).toEqual([]);
    expect(server.requests.map((r) => r.path).filter((p) => p === updateinfoPath)).toHaveLength(1);
  });

  it('writes in batches of 1000', async () => {
    // The real AL2 advisory repeated under 2500 ids.
    const real = fixture('al2-core-updateinfo.xml');
    const update = /<update [\s\S]*?<\/update>/.exec(real)?.[0] ?? '';
    const many = Array.from({ length: 2500 }, (_, i) => update.replace('ALAS2-2018-942', `ALAS2-2018-${10000 + i}`)).join('');
    serveRepository(server, {
      mirrorListPath: AL2_MIRROR_LIST,
      mirrorList: localMirrorList('al2-core-mirror.list', server.origin),
      updateinfo: gzipSync(`<?xml version="1.0" ?>\n<updates>${many}</updates>`),
    });
    const run = recordingContext(workDir);
    await sourceNamed(sources(), 'alas:2').run(run.context);
    expect(run.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
  });

  it('uses the first URL of the AL1 mirror list (regional mirrors follow it)', async () => {
    serveRepository(server, {
      mirrorListPath: AL1_MIRROR_LIST,
      mirrorList: localMirrorList('al1-mirror.list', server.origin),
      updateinfo: gzipSync(fixture('al1-updates-updateinfo.xml')),
      repomd: localRepomd('al2-core-repomd-2019.xml', gzipSync(fixture('al1-updates-updateinfo.xml'))),
    });
    const run = recordingContext(workDir);
    await sourceNamed(sources(), 'alas:1').run(run.context);
    expect(run.batches.flat().map((r) => r.id)).toEqual(['ALAS-2011-1']);
    expect(server.requests.map((r) => r.path).filter((p) => p.endsWith('/repomd.xml'))).toEqual(['/2018.03/updates/c539f2128d87/x86_64/repodata/repomd.xml']);
  });

  it('reads every AL2 extras topic from the catalog, passing over topics without updateinfo', async () => {
    server.routes.set('/2/extras-catalog.json', send(fixture('al2-extras-catalog-excerpt.json')));
    // emacs: a real extras repomd.xml without updateinfo.
    server.routes.set(
      '/2/extras/emacs/latest/x86_64/mirror.list',
      send(`${server.origin}/2/extras/emacs/25.3/x86_64/1254dd71e49d635ee063d8842db13fcde9283d5756b7d365860a6985c1c94358\n`),
    );
    server.routes.set(
      '/2/extras/emacs/25.3/x86_64/1254dd71e49d635ee063d8842db13fcde9283d5756b7d365860a6985c1c94358/repodata/repomd.xml',
      send(fixture('al2-extras-emacs-repomd-no-updateinfo.xml')),
    );
    const updateinfo = gzipSync(fixture('al2-extras-kernel-5.15-updateinfo.xml'));
    serveRepository(server, {
      mirrorListPath: '/2/extras/kernel-5.15/latest/x86_64/mirror.list',
      mirrorList: `${server.origin}/2/extras/kernel-5.15/stable/x86_64/3cea6107e9fffdc60f8ca99c7dac421b427d2ea06003cf5eb970344e4c2e18f4\n`,
      updateinfo,
    });
    const source = sourceNamed(sources(), 'alas:2-extras');
    const first = recordingContext(workDir);
    const outcome = await source.run(first.context);
    const cursor = JSON.stringify({ 'kernel-5.15': `sha256:${createHash('sha256').update(updateinfo).digest('hex')}` });
    expect(outcome).toEqual({ status: 'updated', cursor });
    expect(first.notes).toEqual([]);
    expect(first.progress).toEqual([cursor]);
    const kernel = first.batches.flat();
    expect(kernel.map((r) => r.id)).toEqual(['ALAS2KERNEL-5.15-2022-001']);
    expect(kernel[0].affected?.[0].ecosystem_specific).toEqual({ severity: 'important', extras: true });

    const second = recordingContext(workDir, { cursor: outcome.cursor });
    expect(await source.run(second.context)).toEqual({ status: 'not-modified' });
    expect(second.batches).toEqual([]);
  });

  it('notes an extras topic that cannot be read and keeps its old cursor, so the next run tries it again', async () => {
    server.routes.set('/2/extras-catalog.json', send(fixture('al2-extras-catalog-excerpt.json')));
    const updateinfo = gzipSync(fixture('al2-extras-kernel-5.15-updateinfo.xml'));
    serveRepository(server, {
      mirrorListPath: '/2/extras/kernel-5.15/latest/x86_64/mirror.list',
      mirrorList: `${server.origin}/2/extras/kernel-5.15/stable/x86_64/3cea6107e9fffdc60f8ca99c7dac421b427d2ea06003cf5eb970344e4c2e18f4\n`,
      updateinfo,
    });
    const run = recordingContext(workDir, { cursor: JSON.stringify({ emacs: 'sha256:old' }) });
    const outcome = await sourceNamed(sources(), 'alas:2-extras').run(run.context);
    expect(run.notes).toEqual([`extras topic emacs: GET ${server.origin}/2/extras/emacs/latest/x86_64/mirror.list: HTTP 404 Not Found`]);
    expect(JSON.parse(outcome.cursor ?? '{}')).toEqual({ emacs: 'sha256:old', 'kernel-5.15': expect.stringMatching(/^sha256:/) });
  });

  it('fails naming the URL when the mirror list is missing, repomd.xml errs or the updateinfo is gone', async () => {
    const source = sourceNamed(sources(), 'alas:2023');
    const missing = await rejection(source.run(recordingContext(workDir).context));
    expect(missing.message).toBe(`GET ${server.origin}${AL2023_MIRROR_LIST}: HTTP 404 Not Found`);

    const updateinfo = gzipSync(fixture('al2023-core-updateinfo.xml'));
    const { updateinfoPath } = serveRepository(server, {
      mirrorListPath: AL2023_MIRROR_LIST,
      mirrorList: localMirrorList('al2023-core-mirror.list', server.origin),
      updateinfo,
    });
    const repomdPath = updateinfoPath.replace('updateinfo.xml.gz', 'repomd.xml');
    const repomdHandler = server.routes.get(repomdPath);
    server.routes.set(repomdPath, send('oops', 500));
    const broken = await rejection(source.run(recordingContext(workDir).context));
    expect(broken.message).toBe(`GET ${server.origin}${repomdPath}: HTTP 500 Internal Server Error`);

    server.routes.set(repomdPath, repomdHandler as Handler);
    server.routes.delete(updateinfoPath);
    const gone = await rejection(source.run(recordingContext(workDir).context));
    expect(gone.message).toBe(`GET ${server.origin}${updateinfoPath}: HTTP 404 Not Found`);
  });

  it('fails naming the URL and the cause when nothing listens', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}${AL2023_MIRROR_LIST}`;
    const err = await rejection(alasSources({ releases: ['2023'], baseUrls: { '2023': url } })[0].run(recordingContext(workDir).context));
    expect(err.message).toBe(`GET ${url}: connection refused by 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('gives up on a server that never answers, naming the URL', async () => {
    server.routes.set(AL2023_MIRROR_LIST, () => undefined);
    const err = await rejection(sourceNamed(sources({ requestTimeoutMs: 300 }), 'alas:2023').run(recordingContext(workDir).context));
    expect(err.message).toBe(`GET ${server.origin}${AL2023_MIRROR_LIST}: timed out after 300 ms`);
  });

  it('refuses an updateinfo that is not the one repomd.xml names', async () => {
    const { updateinfoPath } = serveRepository(server, {
      mirrorListPath: AL2023_MIRROR_LIST,
      mirrorList: localMirrorList('al2023-core-mirror.list', server.origin),
      updateinfo: gzipSync(fixture('al2023-core-updateinfo.xml')),
      repomd: fixture('al2-core-repomd-2022.xml'),
    });
    const run = recordingContext(workDir);
    const err = await rejection(sourceNamed(sources(), 'alas:2023').run(run.context));
    expect(err.message).toMatch(new RegExp(`^GET ${server.origin}${updateinfoPath}: checksum mismatch: repomd.xml says sha256 bec8d2c7`));
    expect(run.batches).toEqual([]);
  });

  it('fails naming the URL on a truncated gzip, without hanging', async () => {
    const gz = gzipSync(fixture('al2023-core-updateinfo.xml'));
    const { updateinfoPath } = serveRepository(server, {
      mirrorListPath: AL2023_MIRROR_LIST,
      mirrorList: localMirrorList('al2023-core-mirror.list', server.origin),
      updateinfo: gz.subarray(0, gz.length - 100),
    });
    const err = await rejection(sourceNamed(sources(), 'alas:2023').run(recordingContext(workDir).context));
    expect(err.message).toBe(`GET ${server.origin}${updateinfoPath}: cannot read the updateinfo: unexpected end of file`);
  });

  it('notes malformed XML in the updateinfo and keeps what came before it', async () => {
    const { updateinfoPath } = serveRepository(server, {
      mirrorListPath: AL2_MIRROR_LIST,
      mirrorList: localMirrorList('al2-core-mirror.list', server.origin),
      updateinfo: gzipSync(fixture('al2-core-updateinfo-truncated.xml')),
    });
    const run = recordingContext(workDir);
    const outcome = await sourceNamed(sources(), 'alas:2').run(run.context);
    expect(outcome.status).toBe('updated');
    expect(run.batches.flat().map((r) => r.id)).toEqual(['ALAS2-2018-939']);
    expect(run.notes).toHaveLength(1);
    expect(run.notes[0]).toMatch(new RegExp(`^${server.origin}${updateinfoPath}: not well-formed XML at character \\d+: `));
  });

  it('reads an updateinfo served uncompressed', async () => {
    const plain = Buffer.from(fixture('al2-core-updateinfo.xml'));
    serveRepository(server, { mirrorListPath: AL2_MIRROR_LIST, mirrorList: localMirrorList('al2-core-mirror.list', server.origin), updateinfo: plain });
    const run = recordingContext(workDir);
    await sourceNamed(sources(), 'alas:2').run(run.context);
    expect(run.batches.flat().map((r) => r.id)).toEqual(['ALAS2-2018-942', 'ALAS2-2018-949']);
  });

  it('stops when the signal is aborted', async () => {
    serveRepository(server, {
      mirrorListPath: AL2023_MIRROR_LIST,
      mirrorList: localMirrorList('al2023-core-mirror.list', server.origin),
      updateinfo: gzipSync(fixture('al2023-core-updateinfo.xml')),
    });
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const err = await rejection(sourceNamed(sources(), 'alas:2023').run(recordingContext(workDir, { signal: controller.signal }).context));
    expect(err.message).toBe('deadline');
  });
});
