import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { compareAdvisoryVersions } from '../../../lib/versions';
import { affectedVerdict } from '../../../lib/vulndb/affected';
import type { Osv } from '../../../lib/vulndb/osv';
import { parseOsv } from '../../../lib/vulndb/osv-parse';
import { sourcesNamed, UnknownSourceError } from '../../../lib/vulndb/sources';
import { fedoraBodhiReleaseSource, fedoraBodhiSource } from '../../../lib/vulndb/sources/fedora-bodhi';
import { bodhiTimestamp, bodhiUpdatesFormat, fedoraReleaseOf, parseNvr, updateRecords } from '../../../lib/vulndb/sources/fedora-bodhi-records';
import { closedPort, recordingContext, type RoutedServer, startRoutedServer } from '../../support/feed-server';
import { rejection } from '../../support/outcomes';

/*
 * Real Bodhi updates and a real `/releases/` page (test/vulndb/sources/data/fedora, see PROVENANCE.md). The source
 * tests serve them from a loopback server that answers `/updates/` the way Bodhi does: filtered by release, type,
 * status and `pushed_since`, newest submission first, in pages of `rows_per_page`.
 */

const DATA = join(__dirname, 'data', 'fedora');
type Update = Record<string, any>;
const update = (alias: string): Update => JSON.parse(readFileSync(join(DATA, `${alias}.json`), 'utf8'));

const NETATALK = 'FEDORA-2024-900475e0f7'; // F40, epoch 5, three CVEs in two bug titles
const ICECAT = 'FEDORA-2025-bca38111fc'; // F40, epoch 2, one CVE tracked in two bugs, severity unspecified
const XORG = 'FEDORA-2025-fd490bcdcd'; // F40, no bugs: its CVEs are in the notes
const RAILS = 'FEDORA-2023-91e69ea326'; // F40 (Rawhide then), bugs with and without CVEs
const LIBVPX = 'FEDORA-2025-f5bf0fb721'; // F42, urgent
const LIBCAP = 'FEDORA-2023-5911638116'; // F38, still in testing
const EPEL = 'FEDORA-EPEL-2025-0d08cf47ee'; // EPEL-10.0
const MODULAR = 'FEDORA-MODULAR-2023-5b8a7bde59'; // F38M

/** A real F40 update moved to ELN, whose updates are `FEDORA-` too (the release as Bodhi describes ELN). */
function elnUpdate(): Update {
  return { ...update(NETATALK), release: { name: 'ELN', version: 'eln', id_prefix: 'FEDORA', branch: 'eln', dist_tag: 'eln', long_name: 'Fedora ELN' } };
}

const idsOf = (records: Osv[]) => records.map((r) => r.id);
const fixedOf = (record: Osv, name: string) => record.affected?.find((a) => a.package?.name === name)?.ranges?.[0].events.find((e) => e.fixed)?.fixed;

describe('Bodhi names, versions and times', () => {
  it.each([
    ['netatalk-3.2.1-1.fc40', { name: 'netatalk', version: '3.2.1', release: '1.fc40' }],
    ['rubygem-rails-html-sanitizer-1.6.0-1.fc40', { name: 'rubygem-rails-html-sanitizer', version: '1.6.0', release: '1.fc40' }],
    ['xorg-x11-server-1.20.14-37.fc40', { name: 'xorg-x11-server', version: '1.20.14', release: '37.fc40' }],
    ['icecat-115.22.0-2.rh1.fc40', { name: 'icecat', version: '115.22.0', release: '2.rh1.fc40' }],
    ['perl-File-Find-Rule-0.35-1.el10_0', { name: 'perl-File-Find-Rule', version: '0.35', release: '1.el10_0' }],
  ])('splits the NVR %s at its last two dashes', (nvr, parsed) => {
    expect(parseNvr(nvr)).toEqual(parsed);
  });

  it.each(['libcap', 'libcap-2.48', '-2.48-7', 'libcap--7', 'libcap-2.48-', 'lib cap-2.48-7.fc38'])('refuses %j', (nvr) => {
    expect(parseNvr(nvr)).toBeUndefined();
  });

  it('knows Fedora releases from EPEL, ELN, containers, flatpaks and modules', () => {
    expect(fedoraReleaseOf(update(NETATALK).release)).toBe('40');
    expect(fedoraReleaseOf(update(LIBVPX).release)).toBe('42');
    expect(fedoraReleaseOf(update(EPEL).release)).toBeUndefined();
    expect(fedoraReleaseOf(update(MODULAR).release)).toBeUndefined();
    expect(fedoraReleaseOf(elnUpdate().release)).toBeUndefined();
    const releases = JSON.parse(readFileSync(join(DATA, 'releases.json'), 'utf8')).releases as Update[];
    expect(releases.map((r) => [r.name, fedoraReleaseOf(r) ?? null])).toEqual([
      ['F29C', null],
      ['F38', '38'],
      ['F38M', null],
      ['F38F', null],
      ['F38C', null],
      ['F40', '40'],
    ]);
  });

  it("reads Bodhi's UTC times", () => {
    expect(bodhiTimestamp('2024-07-09 01:53:44')).toBe('2024-07-09T01:53:44Z');
    expect(bodhiTimestamp('2024-07-09T01:53:44Z')).toBe('2024-07-09T01:53:44Z');
    expect(bodhiTimestamp(null)).toBeUndefined();
    expect(bodhiTimestamp('last week')).toBeUndefined();
  });
});

describe('updateRecords', () => {
  it('makes one record per CVE, fixed at the build with its epoch, rated by Bodhi, linked to the update and its bugs', () => {
    const { records, notes } = updateRecords(update(NETATALK));
    expect(notes).toEqual([]);
    expect(idsOf(records)).toEqual([`${NETATALK}-CVE-2024-38439`, `${NETATALK}-CVE-2024-38440`, `${NETATALK}-CVE-2024-38441`]);
    expect(records[0]).toEqual({
      id: `${NETATALK}-CVE-2024-38439`,
      modified: '2024-07-09T01:53:44Z',
      published: '2024-07-09T01:53:44Z',
      aliases: ['CVE-2024-38439'],
      related: [NETATALK],
      summary: 'netatalk: multiple vulnerabilities',
      details: 'Security fix for CVE-2024-38439, CVE-2024-38440, and CVE-2024-38441',
      affected: [
        {
          package: { ecosystem: 'Fedora:40', name: 'netatalk', purl: 'pkg:rpm/fedora/netatalk?distro=fedora-40' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5:3.2.1-1.fc40' }] }],
          ecosystem_specific: { severity: 'medium' },
        },
      ],
      references: [
        { type: 'ADVISORY', url: `https://bodhi.fedoraproject.org/updates/${NETATALK}` },
        { type: 'REPORT', url: 'https://bugzilla.redhat.com/show_bug.cgi?id=2292817' },
        { type: 'REPORT', url: 'https://bugzilla.redhat.com/show_bug.cgi?id=2292818' },
      ],
      database_specific: { source: 'fedora-bodhi' },
    });
  });

  it('keeps an epoch 2 build, and leaves the rating out when Bodhi says unspecified', () => {
    const [icecat, ...rest] = updateRecords(update(ICECAT)).records;
    expect(rest).toEqual([]);
    expect(icecat.id).toBe(`${ICECAT}-CVE-2025-3416`);
    expect(fixedOf(icecat, 'icecat')).toBe('2:115.22.0-2.rh1.fc40');
    expect(icecat.affected?.[0].ecosystem_specific).toBeUndefined();
    expect(icecat.summary).toBe('icecat: rust-openssl Use-After-Free in `Md::fetch` and `Cipher::fetch`');
    expect(icecat.references?.map((r) => r.url)).toEqual([
      `https://bodhi.fedoraproject.org/updates/${ICECAT}`,
      'https://bugzilla.redhat.com/show_bug.cgi?id=2357926',
      'https://bugzilla.redhat.com/show_bug.cgi?id=2357938',
    ]);
  });

  it('takes the CVEs from the notes when no bug names one', () => {
    const { records } = updateRecords(update(XORG));
    expect(records.map((r) => r.aliases?.[0])).toEqual([
      'CVE-2025-26594',
      'CVE-2025-26595',
      'CVE-2025-26596',
      'CVE-2025-26597',
      'CVE-2025-26598',
      'CVE-2025-26599',
      'CVE-2025-26600',
      'CVE-2025-26601',
    ]);
    expect(records[0].summary).toBe('xorg-x11-server-1.20.14-37.fc40');
    expect(records[0].references).toEqual([{ type: 'ADVISORY', url: `https://bodhi.fedoraproject.org/updates/${XORG}` }]);
    expect(fixedOf(records[0], 'xorg-x11-server')).toBe('1.20.14-37.fc40');
  });

  it('passes over bugs that name no CVE', () => {
    const { records } = updateRecords(update(RAILS));
    expect(records.map((r) => [r.aliases?.[0], r.summary, r.references?.slice(1).map((ref) => ref.url)])).toEqual([
      [
        'CVE-2022-23518',
        'rubygem-rails-html-sanitizer: Improper neutralization of data URIs leading to Cross site scripting',
        ['https://bugzilla.redhat.com/show_bug.cgi?id=2153702'],
      ],
      [
        'CVE-2022-23519',
        'rubygem-rails-html-sanitizer: Cross site scripting vulnerability with certain configurations',
        ['https://bugzilla.redhat.com/show_bug.cgi?id=2153747'],
      ],
      [
        'CVE-2022-23520',
        'rubygem-rails-html-sanitizer: Cross site scripting vulnerability with certain configurations',
        ['https://bugzilla.redhat.com/show_bug.cgi?id=2153753'],
      ],
    ]);
    // `date_modified` is null there: the push is the latest change.
    expect(records[0].modified).toBe('2023-11-23T12:33:36Z');
  });

  it("reads Bodhi's urgent as critical", () => {
    const [libvpx] = updateRecords(update(LIBVPX)).records;
    expect(libvpx.affected?.[0]).toMatchObject({ package: { ecosystem: 'Fedora:42', name: 'libvpx' }, ecosystem_specific: { severity: 'critical' } });
    expect(fixedOf(libvpx, 'libvpx')).toBe('1.15.0-3.fc42');
  });

  it('keeps an update naming no CVE under its own id', () => {
    // The real xorg update with the notes that name its CVEs removed.
    const { records } = updateRecords({ ...update(XORG), notes: 'Rebuild' });
    expect(idsOf(records)).toEqual([XORG]);
    expect(records[0].aliases).toBeUndefined();
    expect(records[0].details).toBe('Rebuild');
  });

  it('gives nothing, and says nothing, for EPEL, ELN, modules and updates not yet stable', () => {
    for (const other of [update(EPEL), update(MODULAR), elnUpdate(), update(LIBCAP)]) expect(updateRecords(other)).toEqual({ records: [], notes: [] });
  });

  it('notes what makes an update unusable', () => {
    expect(updateRecords({ ...update(NETATALK), alias: undefined, updateid: undefined }).notes).toEqual(['an update without an alias']);
    expect(updateRecords({ ...update(NETATALK), builds: [] }).notes).toEqual([`${NETATALK}: no rpm build`]);
    expect(updateRecords({ ...update(NETATALK), release: null }).notes).toEqual([`${NETATALK}: no release`]);
    const noDates = { ...update(NETATALK), date_stable: null, date_pushed: null, date_submitted: 'soon', date_modified: null };
    expect(updateRecords(noDates).notes).toEqual([`${NETATALK}: no readable date_stable, date_pushed or date_submitted`]);
    const badBuild = updateRecords({ ...update(NETATALK), builds: [{ nvr: 'netatalk', epoch: 5, type: 'rpm' }, ...update(NETATALK).builds] });
    expect(badBuild.notes).toEqual([`${NETATALK}: build "netatalk" (epoch 5) is not name-version-release`]);
    expect(badBuild.records).toHaveLength(3);
    expect(updateRecords('FEDORA-2024-900475e0f7').notes).toEqual(['an update that is not a JSON object']);
  });

  it('produces records the OSV import accepts unchanged', () => {
    for (const alias of [NETATALK, ICECAT, XORG, RAILS, LIBVPX]) {
      for (const record of updateRecords(update(alias)).records) expect(parseOsv(JSON.parse(JSON.stringify(record)))).toEqual(record);
    }
  });

  it('fixes at the build: below is affected, the build itself and later are not, by rpm order with epochs', () => {
    const verdict = (record: Osv, installed: string) => {
      const entry = record.affected![0];
      return affectedVerdict(installed, entry, (a, b) => compareAdvisoryVersions(entry.package!.ecosystem, a, b));
    };
    const [netatalk] = updateRecords(update(NETATALK)).records;
    expect(verdict(netatalk, '5:3.2.0-3.fc40')).toEqual({ affected: true, fixedBy: '5:3.2.1-1.fc40' });
    expect(verdict(netatalk, '5:3.2.1-1.fc40')).toEqual({ affected: false });
    // No epoch is epoch 0: below the fix's 5 whatever the version says.
    expect(verdict(netatalk, '3.2.5-1.fc40')).toMatchObject({ affected: true });
  });
});

/** The real update documents as one page of Bodhi's `/updates/`. */
function page(updates: Update[], pageNumber = 1, pages = 1) {
  return { updates, page: pageNumber, pages, rows_per_page: 20, total: updates.length, chrome: true, display_user: true, display_request: true, package: null };
}

describe('bodhiUpdatesFormat', () => {
  const text = (value: unknown) => JSON.stringify(value, null, 2);

  it('recognises a page of /updates/, one update, a bare update and a list of them', () => {
    expect(bodhiUpdatesFormat.sniff(readFileSync(join(DATA, `${NETATALK}.json`), 'utf8'))).toBe(true);
    expect(bodhiUpdatesFormat.sniff(text(page([update(NETATALK)])))).toBe(true);
    expect(bodhiUpdatesFormat.sniff(text(page([])))).toBe(true);
    expect(bodhiUpdatesFormat.sniff(text({ update: update(RAILS), can_edit: false }))).toBe(true);
    expect(bodhiUpdatesFormat.sniff(text([update(XORG)]))).toBe(true);
  });

  it('passes over OSV records, CSAF VEX and Bodhi releases', () => {
    expect(bodhiUpdatesFormat.sniff(readFileSync(join(DATA, 'releases.json'), 'utf8'))).toBe(false);
    expect(bodhiUpdatesFormat.sniff(readFileSync(join(__dirname, 'data', 'redhat', 'cve-2023-0051.json'), 'utf8').slice(0, 16384))).toBe(false);
    expect(bodhiUpdatesFormat.sniff(readFileSync(join(__dirname, '..', 'vendors', 'data', 'suse', 'SUSE-SU-403.json'), 'utf8'))).toBe(false);
    expect(bodhiUpdatesFormat.sniff(text(updateRecords(update(NETATALK)).records[0]))).toBe(false);
  });

  const parse = async (body: string) => {
    const records: Osv[] = [];
    const notes: string[] = [];
    for await (const osv of bodhiUpdatesFormat.parse(Readable.from([Buffer.from(body)]), { fileName: 'updates.json', malformed: (n) => notes.push(n) })) {
      records.push(osv);
    }
    return { records, notes };
  };

  it("reads a page's Fedora updates and leaves the other products out", async () => {
    const { records, notes } = await parse(text(page([update(EPEL), update(NETATALK), update(MODULAR), elnUpdate(), update(LIBVPX), update(LIBCAP)])));
    expect(notes).toEqual([]);
    expect(idsOf(records)).toEqual([...idsOf(updateRecords(update(NETATALK)).records), `${LIBVPX}-CVE-2025-5262`]);
  });

  it('gives one note for a document it cannot read', async () => {
    expect(await parse('{"updates": [')).toEqual({ records: [], notes: [expect.stringMatching(/^cannot read the document: /)] });
    expect(await parse('{"releases": []}')).toEqual({ records: [], notes: ['not a Bodhi updates document: no "updates" list, "update" or "alias"'] });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The source against a loopback Bodhi

const RELEASES_PAGE = readFileSync(join(DATA, 'releases.json'), 'utf8');
const BODHI_TIME = (value: string) => value.replace('T', ' ').replace(/Z$/, '');

/** `/updates/` as Bodhi answers it, over `updates`; `override` may answer a request itself. */
function serveUpdates(server: RoutedServer, updates: Update[], override?: (query: URLSearchParams, res: ServerResponse) => boolean) {
  server.routes.set('/updates/', (req: IncomingMessage, res: ServerResponse) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    if (req.headers.accept !== 'application/json') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    if (override?.(query, res)) return;
    const since = query.get('pushed_since');
    const matching = updates
      .filter((u) => (!query.get('releases') || u.release.name === query.get('releases')) && u.type === query.get('type') && u.status === query.get('status'))
      .filter((u) => !since || BODHI_TIME(u.date_pushed) >= BODHI_TIME(since))
      .sort((a, b) => (a.date_submitted < b.date_submitted ? 1 : -1));
    const rows = Number(query.get('rows_per_page') ?? 20);
    const number = Number(query.get('page') ?? 1);
    const body = {
      ...page(matching.slice((number - 1) * rows, number * rows), number, Math.ceil(matching.length / rows)),
      rows_per_page: rows,
      total: matching.length,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
}

/** The release, page and pushed_since of each `/updates/` request. */
const updatesQueries = (requests: Array<{ url: string }>) =>
  requests
    .map((r) => new URL(r.url))
    .filter((url) => url.pathname === '/updates/')
    .map(({ searchParams: q }) => [q.get('releases'), q.get('page'), q.get('pushed_since')]);

describe('fedoraBodhiSource', () => {
  let server: RoutedServer;
  let workDir: string;
  let asked: Array<{ url: string }>;
  const fetchLogged: typeof fetch = (input, init) => {
    asked.push({ url: String(input) });
    return fetch(input, init);
  };

  beforeEach(async () => {
    server = await startRoutedServer();
    workDir = await mkdtemp(join(tmpdir(), 'lamina-bodhi-'));
    asked = [];
    server.routes.set('/releases/', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(RELEASES_PAGE));
  });
  afterEach(async () => {
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  const source = (options: Parameters<typeof fedoraBodhiSource>[0] = {}) =>
    fedoraBodhiSource({ baseUrl: server.origin, retryDelayMs: 0, maxAttempts: 2, ...options });
  const context = (overrides: Parameters<typeof recordingContext>[1] = {}) => recordingContext(workDir, { fetch: fetchLogged, ...overrides });
  const asks = () => updatesQueries(asked);
  const F40 = [RAILS, NETATALK, XORG, ICECAT].map(update);

  it('is named fedora-bodhi, and fedora-bodhi:<release> for one release', () => {
    expect([fedoraBodhiSource().name, fedoraBodhiSource().ecosystems]).toEqual(['fedora-bodhi', ['Fedora']]);
    expect(sourcesNamed(['fedora-bodhi', 'fedora-bodhi:40']).map((s) => [s.name, s.ecosystems])).toEqual([
      ['fedora-bodhi', ['Fedora']],
      ['fedora-bodhi:40', ['Fedora:40']],
    ]);
    expect(fedoraBodhiReleaseSource('fedora-bodhi:rawhide')).toBeUndefined();
    expect(() => sourcesNamed(['fedora-bodhi:rawhide'])).toThrow(UnknownSourceError);
  });

  it("reads every release Bodhi lists as live, and keeps each one's latest push as its cursor", async () => {
    serveUpdates(server, [...F40, update(LIBCAP), update(EPEL), update(MODULAR)]);
    const run = context();
    const outcome = await source().run(run.context);
    // F29C is archived; F38M, F38F and F38C are other products; F40 was Rawhide (pending) then.
    expect(asks()).toEqual([
      ['F38', '1', null],
      ['F40', '1', null],
    ]);
    expect(outcome).toEqual({ status: 'updated', cursor: JSON.stringify({ '40': '2025-04-30T01:59:13Z' }) });
    // F38's only update is still in testing.
    expect(new Set(run.written.map((r) => r.related?.[0] ?? r.id))).toEqual(new Set([RAILS, NETATALK, XORG, ICECAT]));
    expect(run.written).toHaveLength(3 + 3 + 8 + 1);
    expect(run.notes).toEqual([]);
  });

  it('asks for JSON: Bodhi answers HTML otherwise', async () => {
    serveUpdates(server, F40);
    const run = context();
    await source({ releases: ['40'] }).run(run.context);
    expect(run.notes).toEqual([]);
    expect(run.written).toHaveLength(15);
  });

  it('follows the pages, checkpointing after each, newest submission first', async () => {
    serveUpdates(server, F40);
    const run = context();
    const outcome = await source({ releases: ['40'], rowsPerPage: 2 }).run(run.context);
    expect(asks()).toEqual([
      ['F40', '1', null],
      ['F40', '2', null],
    ]);
    expect(run.batches.map((b) => [...new Set(b.map((r) => r.related?.[0]))])).toEqual([
      [ICECAT, XORG],
      [NETATALK, RAILS],
    ]);
    expect(run.progress.map((p) => JSON.parse(p))).toEqual([
      { finished: {}, reading: { release: '40', page: 1, newest: '2025-04-30T01:59:13Z' } },
      { finished: {}, reading: { release: '40', page: 2, newest: '2025-04-30T01:59:13Z' } },
      { finished: { '40': '2025-04-30T01:59:13Z' } },
    ]);
    expect(outcome.cursor).toBe(JSON.stringify({ '40': '2025-04-30T01:59:13Z' }));
  });

  it('asks later runs only for what was pushed since its cursor', async () => {
    const older = [RAILS, NETATALK, XORG].map(update);
    serveUpdates(server, older);
    const first = await source({ releases: ['40'] }).run(context().context);
    expect(first.cursor).toBe(JSON.stringify({ '40': '2025-03-14T02:12:06Z' }));

    serveUpdates(server, [...older, update(ICECAT)]);
    asked = [];
    const run = context({ cursor: first.cursor });
    const second = await source({ releases: ['40'] }).run(run.context);
    expect(asks()).toEqual([['F40', '1', '2025-03-14T02:12:06']]);
    // Bodhi's pushed_since is inclusive: the last update read comes again, for the store to find unchanged.
    expect(new Set(run.written.map((r) => r.related?.[0]))).toEqual(new Set([XORG, ICECAT]));
    expect(second.cursor).toBe(JSON.stringify({ '40': '2025-04-30T01:59:13Z' }));

    const unchanged = context({ cursor: second.cursor, putAdvisories: async (records) => ({ written: 0, skipped: records.length }) });
    expect(await source({ releases: ['40'] }).run(unchanged.context)).toEqual({ status: 'not-modified' });
  });

  it('continues an interrupted run from its checkpoint, keeping the newest push it had seen', async () => {
    serveUpdates(server, F40);
    const controller = new AbortController();
    const first = context({
      signal: controller.signal,
      putAdvisories: async (records) => {
        controller.abort(new Error('deadline'));
        return { written: records.length, skipped: 0 };
      },
    });
    const err = await rejection(source({ releases: ['40'], rowsPerPage: 2 }).run(first.context));
    expect(err.message).toBe('deadline');
    expect(first.progress).toHaveLength(1);

    asked = [];
    const second = context({ progress: first.progress[0] });
    const outcome = await source({ releases: ['40'], rowsPerPage: 2 }).run(second.context);
    expect(asks()).toEqual([['F40', '2', null]]);
    expect(new Set(second.written.map((r) => r.related?.[0]))).toEqual(new Set([NETATALK, RAILS]));
    // ICECAT, the latest push, was on the page the first run wrote.
    expect(outcome.cursor).toBe(JSON.stringify({ '40': '2025-04-30T01:59:13Z' }));
  });

  it('notes a page that is not JSON, keeps the pages around it, and leaves the cursor where it was', async () => {
    serveUpdates(server, F40, (query, res) => {
      if (query.get('page') !== '2') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>Service Unavailable</html>');
      return true;
    });
    const cursor = JSON.stringify({ '40': '2023-01-01T00:00:00Z' });
    const run = context({ cursor });
    const outcome = await source({ releases: ['40'], rowsPerPage: 1 }).run(run.context);
    expect(asks().map(([, p]) => p)).toEqual(['1', '2', '3', '4']);
    expect(run.malformed).toEqual([[expect.stringContaining('page=2'), expect.stringMatching(/^not JSON: /)]]);
    expect(new Set(run.written.map((r) => r.related?.[0]))).toEqual(new Set([ICECAT, NETATALK, RAILS]));
    // The next run reads the release again from the old cursor: nothing of page 2 is lost.
    expect(outcome).toEqual({ status: 'updated', cursor });
  });

  it('notes an update it cannot use and writes the others of its page', async () => {
    serveUpdates(server, [{ ...update(NETATALK), builds: [] }, update(ICECAT)]);
    const run = context();
    await source({ releases: ['40'] }).run(run.context);
    expect(run.malformed).toEqual([[expect.stringContaining('/updates/?releases=F40'), `${NETATALK}: no rpm build`]]);
    expect(idsOf(run.written)).toEqual([`${ICECAT}-CVE-2025-3416`]);
  });

  it('writes nothing of EPEL, ELN or modules, should a page hold them', async () => {
    serveUpdates(server, [], (_query, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page([update(EPEL), elnUpdate(), update(MODULAR), update(LIBVPX)])));
      return true;
    });
    const run = context();
    await source({ releases: ['42'] }).run(run.context);
    expect(idsOf(run.written)).toEqual([`${LIBVPX}-CVE-2025-5262`]);
    expect(run.notes).toEqual([]);
  });

  it('tries again after a 503, and fails naming the URL when Bodhi keeps failing', async () => {
    let calls = 0;
    serveUpdates(server, F40, (_query, res) => {
      if (calls++ > 0) return false;
      res.writeHead(503).end('busy');
      return true;
    });
    const run = context();
    await source({ releases: ['40'] }).run(run.context);
    expect(calls).toBe(2);
    expect(run.written).toHaveLength(15);

    serveUpdates(server, F40, (_query, res) => {
      res.writeHead(500).end('oops');
      return true;
    });
    asked = [];
    const err = await rejection(source({ releases: ['40'] }).run(context().context));
    expect(asked).toHaveLength(2);
    expect(err.message).toBe(`GET ${asked[1].url}: HTTP 500 Internal Server Error`);
  });

  it('gives up on a Bodhi that never answers, naming the URL', async () => {
    server.routes.set('/updates/', () => undefined);
    const err = await rejection(source({ releases: ['40'], maxAttempts: 1, requestTimeoutMs: 200 }).run(context().context));
    expect(err.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/updates\/\?releases=F40&.*: timed out after 200 ms$/);
  });

  it('fails at once on a status another attempt will not change', async () => {
    server.routes.delete('/releases/');
    const err = await rejection(source().run(context().context));
    expect(asked).toHaveLength(1);
    expect(err.message).toBe(`GET ${server.origin}/releases/?exclude_archived=True&rows_per_page=100&page=1: HTTP 404 Not Found`);
  });

  it('fails naming the URL and the cause when nothing listens', async () => {
    const port = await closedPort();
    const err = await rejection(fedoraBodhiSource({ baseUrl: `http://127.0.0.1:${port}`, releases: ['40'], maxAttempts: 1 }).run(context().context));
    expect(err.message).toMatch(
      new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/updates/\\?releases=F40&.*: connection refused by 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)$`),
    );
  });

  it('says so when Bodhi lists no live Fedora release', async () => {
    server.routes.set('/releases/', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"releases": []}'));
    const err = await rejection(source().run(context().context));
    expect(err.message).toBe(`${server.origin}/releases/: Bodhi lists no Fedora release that is not archived`);
  });
});
