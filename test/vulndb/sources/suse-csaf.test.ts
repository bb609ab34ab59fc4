import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { OsPackage, OsRelease } from '../../../lib/analyzers/types';
import { releaseEcosystem } from '../../../lib/distros';
import type { Package } from '../../../lib/index/types';
import { CachedAdvisoryStore } from '../../../lib/vulndb/cached-store';
import { importAdvisories } from '../../../lib/vulndb/import';
import { matchInventory } from '../../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../../lib/vulndb/memory-store';
import { ecosystemKey, type Osv } from '../../../lib/vulndb/osv';
import { queryFor } from '../../../lib/vulndb/package-keys';
import { DEFAULT_SOURCES, sourcesNamed } from '../../../lib/vulndb/sources';
import { FEED_FORMATS } from '../../../lib/vulndb/sources/formats';
import { redhatCsafFormat } from '../../../lib/vulndb/sources/redhat-csaf';
import { splitNevr, suseCsafFormat, suseCsafSource, suseEcosystem, suseVexRecord } from '../../../lib/vulndb/sources/suse-csaf';
import { type LoopbackServer, recordingContext, startLoopbackServer } from '../../support/feed-server';
import { inventoryOf, osPackage } from '../../support/packages';

/** Real SUSE CSAF VEX documents (see data/suse/PROVENANCE.md). */
const DATA = join(__dirname, 'data', 'suse');
/** CVE-2023-5568 (samba): fixed on SLE Micro 6.0 and Tumbleweed, not affected on 1,153 product packages, as SUSE served it. */
const SAMBA = gunzipSync(readFileSync(join(DATA, 'cve-2023-5568.json.gz'))).toString('utf8');
/** CVE-1999-0003: a document with no vulnerability statements at all. */
const EMPTY = readFileSync(join(DATA, 'cve-1999-0003.json'), 'utf8');
const TUMBLEWEED_FIX = '4.19.2+git.322.7e9201cef5-1.1';
const MICRO_FIX = '4.19.4+git.339.acf1ccaa02-1.22';

async function parse(text: string): Promise<{ records: Osv[]; malformed: string[] }> {
  const records: Osv[] = [];
  const malformed: string[] = [];
  for await (const record of suseCsafFormat.parse(Readable.from([Buffer.from(text)]), { fileName: 'doc.json', malformed: (r) => malformed.push(r) })) {
    records.push(record);
  }
  return { records, malformed };
}

const documentOf = (text: string) => JSON.parse(text) as any;

describe('SUSE product names and builds', () => {
  it('names products as SUSE’s OSV ecosystems do, and leaves out products no image runs', () => {
    expect(suseEcosystem('SUSE Linux Enterprise Server 15 SP5')).toBe('SUSE:Linux Enterprise Server 15 SP5');
    expect(suseEcosystem('SUSE Linux Enterprise Module for Basesystem 15 SP5')).toBe('SUSE:Linux Enterprise Module for Basesystem 15 SP5');
    expect(suseEcosystem('SUSE Linux Enterprise Micro 6.0')).toBe('SUSE:Linux Enterprise Micro 6.0');
    expect(suseEcosystem('openSUSE Tumbleweed')).toBe('openSUSE:Tumbleweed');
    expect(suseEcosystem('openSUSE Leap 15.5')).toBe('openSUSE:Leap 15.5');
    expect(suseEcosystem('openSUSE Leap Micro 5.5')).toBe('openSUSE:Leap Micro 5.5');
    for (const other of [
      'SUSE Manager Server 4.2',
      'SUSE CaaS Platform 4.0',
      'SUSE Enterprise Storage 7.1',
      'SUSE OpenStack Cloud 9',
      'Open Enterprise Server 23.4',
    ]) {
      expect(suseEcosystem(other)).toBeUndefined();
    }
  });

  it('the lookup release of each product is the image’s', () => {
    const key = (os: OsRelease) => ecosystemKey(releaseEcosystem(os)!);
    expect(ecosystemKey('SUSE:Linux Enterprise Module for Basesystem 15 SP5')).toBe(key({ id: 'sles', versionId: '15.5' }));
    expect(ecosystemKey('SUSE:Linux Enterprise Micro 6.0')).toBe(key({ id: 'sl-micro', versionId: '6.0' }));
    expect(ecosystemKey('SUSE:Linux Enterprise Micro 5.5')).toBe(key({ id: 'sle-micro', versionId: '5.5' }));
    expect(ecosystemKey('openSUSE:Tumbleweed')).toBe(key({ id: 'opensuse-tumbleweed', versionId: '20240801' }));
    expect(ecosystemKey('SUSE:Linux Enterprise Micro 6.0')).not.toBe(ecosystemKey('SUSE:Linux Enterprise Micro 5.5'));
  });

  it('splits a build into name and EVR at its last two hyphens', () => {
    expect(splitNevr('samba-client-libs-4.19.4+git.339.acf1ccaa02-1.22')).toEqual({ name: 'samba-client-libs', evr: '4.19.4+git.339.acf1ccaa02-1.22' });
    expect(splitNevr('libsamba-policy0-python3-32bit-4.19.2+git.322.7e9201cef5-1.1')?.name).toBe('libsamba-policy0-python3-32bit');
    expect(splitNevr('xz-1:5.4.1-1.1')).toEqual({ name: 'xz', evr: '1:5.4.1-1.1' });
    expect(splitNevr('xz-0:5.4.1-1.1')).toEqual({ name: 'xz', evr: '5.4.1-1.1' });
    expect(splitNevr('python3-uamqp-1.5.3-150100.4.13.1.x86_64')).toEqual({ name: 'python3-uamqp', evr: '1.5.3-150100.4.13.1' });
    for (const bad of ['samba', 'samba-client', 'samba-client-libs-x-1', '-1.0-1', 'a b-1.0-1']) expect(splitNevr(bad)).toBeUndefined();
  });
});

describe('suseCsafFormat', () => {
  it('takes SUSE’s VEX documents and no other publisher’s', () => {
    expect(suseCsafFormat.sniff(SAMBA.slice(0, 4096))).toBe(true);
    expect(suseCsafFormat.sniff(EMPTY)).toBe(true);
    expect(redhatCsafFormat.sniff(SAMBA.slice(0, 4096))).toBe(false);
    const redhat = readFileSync(join(__dirname, 'data', 'redhat', 'cve-2023-0051.json'), 'utf8');
    expect(suseCsafFormat.sniff(redhat.slice(0, 4096))).toBe(false);
    expect(FEED_FORMATS.filter((f) => f.sniff(SAMBA.slice(0, 4096))).map((f) => f.name)).toEqual(['suse-csaf-vex']);
  });

  it('samba: the SLE Micro 6.0 fix and Tumbleweed’s, per binary package; not-affected products and non-OS products left out', async () => {
    const { records, malformed } = await parse(SAMBA);
    expect(malformed).toEqual([]);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({
      id: 'SUSE-CVE-2023-5568',
      modified: '2024-07-26T03:43:57Z',
      published: '2023-10-20T01:08:03Z',
      aliases: ['CVE-2023-5568'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H' }],
      database_specific: { source: 'suse-csaf' },
    });
    expect(record.details).toMatch(/^A heap-based Buffer Overflow flaw was discovered in Samba/);
    expect(record.references?.[0]).toEqual({ type: 'ADVISORY', url: 'https://www.suse.com/security/cve/CVE-2023-5568.html' });
    expect(record.references?.filter((r) => r.url.startsWith('https://www.suse.com/security/cve/'))).toHaveLength(1);
    expect(record.references?.map((r) => r.url)).toContain('https://bugzilla.suse.com/1216440');
    const entries = (record.affected ?? []).map((a) => [a.package?.ecosystem, a.package?.name, a.ranges?.[0].events.at(-1)?.fixed]);
    // 32 recommended builds: one on SLE Micro 6.0, 31 on Tumbleweed.
    expect(entries).toHaveLength(32);
    expect(entries).toContainEqual(['SUSE:Linux Enterprise Micro 6.0', 'samba-client-libs', MICRO_FIX]);
    expect(entries).toContainEqual(['openSUSE:Tumbleweed', 'samba-client', TUMBLEWEED_FIX]);
    expect(entries).toContainEqual(['openSUSE:Tumbleweed', 'libsamba-policy0-python3-32bit', TUMBLEWEED_FIX]);
    expect(entries.filter(([ecosystem]) => ecosystem === 'openSUSE:Tumbleweed')).toHaveLength(31);
    const micro = record.affected?.find((a) => a.package?.ecosystem === 'SUSE:Linux Enterprise Micro 6.0');
    expect(micro?.ecosystem_specific).toEqual({ severity: 'moderate' });
    expect(micro?.package?.purl).toBe('pkg:rpm/suse/samba-client-libs?distro=Linux%20Enterprise%20Micro%206.0');
  });

  it('known_affected without a fix is an open entry, unless the same package is also not affected; a fix wins over both', () => {
    const doc = documentOf(SAMBA);
    const status = doc.vulnerabilities[0].product_status;
    // Real product ids of this document, moved between statuses.
    status.known_affected = ['SUSE Linux Enterprise Module for Basesystem 15 SP5:samba-client', 'SUSE Linux Enterprise Micro 5.5:samba'];
    status.known_not_affected = status.known_not_affected.filter((id: string) => id !== 'SUSE Linux Enterprise Module for Basesystem 15 SP5:samba-client');
    status.known_not_affected.push('SUSE Linux Enterprise Micro 6.0:samba-client-libs');
    const record = suseVexRecord(doc) as Osv;
    const entries = (record.affected ?? []).map((a) => [a.package?.ecosystem, a.package?.name, a.ranges?.[0].events]);
    expect(entries).toContainEqual(['SUSE:Linux Enterprise Module for Basesystem 15 SP5', 'samba-client', [{ introduced: '0' }]]);
    // Micro 5.5's samba is stated not affected in the document too: not affected wins without a fix.
    expect(entries.some(([ecosystem]) => ecosystem === 'SUSE:Linux Enterprise Micro 5.5')).toBe(false);
    expect(entries).toContainEqual(['SUSE:Linux Enterprise Micro 6.0', 'samba-client-libs', [{ introduced: '0' }, { fixed: MICRO_FIX }]]);
  });

  it('products of one service pack share an entry per package: a fix of any is the fix, the highest of several', () => {
    const doc = documentOf(SAMBA);
    const status = doc.vulnerabilities[0].product_status;
    // Derived: samba-client unfixed on the 15 SP5 Basesystem module, fixed on two other 15 SP5 products at builds added here.
    status.known_affected = ['SUSE Linux Enterprise Module for Basesystem 15 SP5:samba-client'];
    status.known_not_affected = status.known_not_affected.filter((id: string) => !id.endsWith('15 SP5:samba-client'));
    const fixes: Array<[string, string]> = [
      ['SUSE Linux Enterprise High Availability Extension 15 SP5', 'samba-client-4.17.12+git.421.abde31ca5c2-150500.3.17.1'],
      ['SUSE Linux Enterprise Server for SAP Applications 15 SP5', 'samba-client-4.17.12+git.421.abde31ca5c2-150500.3.20.1'],
    ];
    for (const [platform, build] of fixes) {
      const id = `${platform}:${build}`;
      doc.product_tree.relationships.push({
        category: 'default_component_of',
        full_product_name: { name: `${build} as component of ${platform}`, product_id: id },
        product_reference: build,
        relates_to_product_reference: platform,
      });
      status.recommended.push(id);
    }
    const record = suseVexRecord(doc) as Osv;
    const sp5 = (record.affected ?? []).filter((a) => ecosystemKey(a.package!.ecosystem) === ecosystemKey('SUSE:15.5'));
    expect(sp5.map((a) => [a.package?.ecosystem, a.package?.name, a.ranges?.[0].events])).toEqual([
      [
        'SUSE:Linux Enterprise High Availability Extension 15 SP5',
        'samba-client',
        [{ introduced: '0' }, { fixed: '4.17.12+git.421.abde31ca5c2-150500.3.20.1' }],
      ],
    ]);
  });

  it('a document stating nothing about any product yields no record and no note', async () => {
    expect(await parse(EMPTY)).toEqual({ records: [], malformed: [] });
    const doc = documentOf(SAMBA);
    doc.vulnerabilities[0].product_status = { known_not_affected: doc.vulnerabilities[0].product_status.known_not_affected };
    expect(suseVexRecord(doc)).toBeUndefined();
  });

  it('notes a document that is not JSON, names no CVE, is another publisher’s or has an unreadable product tree', async () => {
    expect((await parse('{"document": {')).malformed[0]).toMatch(/^not JSON/);
    const noCve = documentOf(SAMBA);
    noCve.vulnerabilities[0].cve = 'nothing';
    noCve.document.tracking.id = 'SUSE-nothing';
    expect(suseVexRecord(noCve)).toEqual({ malformed: 'no CVE id in the document' });
    const other = documentOf(SAMBA);
    other.document.publisher.namespace = 'https://example.com';
    expect(suseVexRecord(other)).toEqual({ malformed: 'CVE-2023-5568: published by https://example.com, not SUSE' });
    const tree = documentOf(SAMBA);
    tree.product_tree = { branches: 'no' };
    expect(suseVexRecord(tree)).toEqual({ malformed: 'CVE-2023-5568: unreadable product_tree' });
    expect(suseVexRecord([])).toEqual({ malformed: 'not a CSAF document' });
  });
});

/** A binary rpm built from `sourceName`, as the rpm database records it. */
function rpm(name: string, version: string, os: OsRelease, sourceName: string): Package {
  const record: OsPackage = { manager: 'rpm', name, version, architecture: 'x86_64', sourceName, sourceVersion: version };
  return osPackage(record, os);
}

const SL_MICRO_6: OsRelease = { id: 'sl-micro', versionId: '6.0' };
const SLE_MICRO_55: OsRelease = { id: 'sle-micro', versionId: '5.5' };
const SLES_15_SP5: OsRelease = { id: 'sles', versionId: '15.5' };
const TUMBLEWEED: OsRelease = { id: 'opensuse-tumbleweed', versionId: '20240701' };

describe('matching SUSE images with the VEX records (imported by `db import` from the real file)', () => {
  let store: MemoryAdvisoryStore;
  beforeAll(async () => {
    store = new MemoryAdvisoryStore();
    const imported = await importAdvisories(DATA, store);
    expect(imported).toMatchObject({ records: 1, malformed: 0 });
  });

  const findings = async (os: OsRelease, packages: Package[]) => {
    const match = await matchInventory(inventoryOf(os, packages), store);
    return { match, found: match.findings.map((f) => [f.packageIndex, f.id, f.fixedVersion ?? null]) };
  };

  it('looks a binary up under its own name besides its source package’s', () => {
    const inventory = inventoryOf(SL_MICRO_6, []);
    expect(queryFor(rpm('samba-client-libs', '4.19.4-1', SL_MICRO_6, 'samba'), inventory)).toMatchObject({ name: 'samba', binaryName: 'samba-client-libs' });
    // A binary named as its source needs one lookup.
    expect(queryFor(rpm('samba', '4.19.4-1', SL_MICRO_6, 'samba'), inventory)?.binaryName).toBeUndefined();
  });

  it('SUSE Linux Micro 6.0: the binary below the fix has CVE-2023-5568 with the fix; the fixed build has nothing', async () => {
    const { match, found } = await findings(SL_MICRO_6, [
      rpm('samba-client-libs', '4.19.4+git.339.acf1ccaa02-1.21', SL_MICRO_6, 'samba'),
      rpm('samba-client-libs', MICRO_FIX, SL_MICRO_6, 'samba'),
      // Fixed on Tumbleweed only: nothing is said of Micro 6.0's samba-client.
      rpm('samba-client', '4.19.4+git.339.acf1ccaa02-1.21', SL_MICRO_6, 'samba'),
    ]);
    expect(match.osAdvisoriesUnavailable).toBe(false);
    expect(found).toEqual([[0, 'CVE-2023-5568', MICRO_FIX]]);
    // SUSE's CVE page once (tracker and advisory are the same page); no osv.dev page, which has none for a record lamina made from a vendor feed.
    expect(match.findings[0]).toMatchObject({
      advisoryIds: ['SUSE-CVE-2023-5568'],
      vendorRating: 'MODERATE',
      links: ['https://www.suse.com/security/cve/CVE-2023-5568.html', 'https://nvd.nist.gov/vuln/detail/CVE-2023-5568'],
    });
  });

  it('openSUSE Tumbleweed: each binary of samba below the fix, named as it is installed', async () => {
    const { found } = await findings(TUMBLEWEED, [
      rpm('samba-client', '4.19.0+git.301.f0a5fc6e72-2.1', TUMBLEWEED, 'samba'),
      rpm('ctdb', '4.19.0+git.301.f0a5fc6e72-2.1', TUMBLEWEED, 'samba'),
      rpm('samba-client', '4.19.3+git.330.0f8f1a6fa2-1.1', TUMBLEWEED, 'samba'),
    ]);
    expect(found).toEqual([
      [0, 'CVE-2023-5568', TUMBLEWEED_FIX],
      [1, 'CVE-2023-5568', TUMBLEWEED_FIX],
    ]);
  });

  it('the same findings through the service’s cache, cold and warm (what one package’s two lookups found is kept with them)', async () => {
    const packages = [
      rpm('samba-client', '4.19.0+git.301.f0a5fc6e72-2.1', TUMBLEWEED, 'samba'),
      rpm('samba', '4.19.0+git.301.f0a5fc6e72-2.1', TUMBLEWEED, 'samba'),
    ];
    const direct = await matchInventory(inventoryOf(TUMBLEWEED, packages), store);
    const cached = new CachedAdvisoryStore(store);
    const cold = await matchInventory(inventoryOf(TUMBLEWEED, packages), cached);
    const warm = await matchInventory(inventoryOf(TUMBLEWEED, packages), cached);
    expect(direct.findings.map((f) => [f.packageIndex, f.id, f.fixedVersion])).toEqual([
      [0, 'CVE-2023-5568', TUMBLEWEED_FIX],
      [1, 'CVE-2023-5568', TUMBLEWEED_FIX],
    ]);
    expect(cold.findings).toEqual(direct.findings);
    expect(warm.findings).toEqual(direct.findings);
  });

  it('another release’s fix does not match: SLE Micro 5.5 and SLES 15 SP5, where SUSE states samba not affected', async () => {
    expect((await findings(SLE_MICRO_55, [rpm('samba-client-libs', '4.17.12+git.421.abde31ca5c2-150500.3.17.1', SLE_MICRO_55, 'samba')])).found).toEqual([]);
    const sles = await findings(SLES_15_SP5, [rpm('samba-client-libs', '4.17.9+git.421.abde31ca5c2-150500.3.14.1', SLES_15_SP5, 'samba')]);
    expect(sles.found).toEqual([]);
    expect(sles.match.osAdvisoriesUnavailable).toBe(true);
  });
});

describe('db import of SUSE’s archive', () => {
  it('reads the documents of a tar laid out as csaf-vex.tar.bz2 is, past the signatures, checksums and listings beside them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lamina-suse-'));
    try {
      const tar = pack();
      const chunks: Buffer[] = [];
      tar.on('data', (chunk) => chunks.push(chunk as Buffer));
      const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()));
      const members: Array<[string, string]> = [
        ['csaf-vex/cve-2023-5568.json', SAMBA],
        ['csaf-vex/cve-2023-5568.json.asc', '-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n'],
        ['csaf-vex/cve-2023-5568.json.sha256', '63aea135d3ec09c1399b45053d0f4ff3fe603dcabae8afe1be6c0e158faf3c7a  cve-2023-5568.json\n'],
        ['csaf-vex/cve-1999-0003.json', EMPTY],
        ['csaf-vex/index.txt', 'cve-1999-0003.json\ncve-2023-5568.json\n'],
        ['csaf-vex/changes.csv', '"cve-1999-0003.json","2023-02-15T06:22:07Z"\n"cve-2023-5568.json","2024-07-26T03:43:57Z"\n'],
        ['csaf-vex/README', 'not an advisory'],
      ];
      for (const [name, text] of members) tar.entry({ name }, text);
      tar.finalize();
      await ended;
      const archive = join(dir, 'csaf-vex.tar.gz');
      await writeFile(archive, gzipSync(Buffer.concat(chunks)));
      const store = new MemoryAdvisoryStore();
      const notes: string[] = [];
      const imported = await importAdvisories(archive, store, { onMalformed: (note) => notes.push(`${note.file}: ${note.reason}`) });
      expect(imported).toMatchObject({ records: 1, malformed: 1 });
      // Only the file that is neither a document nor a known companion of one is noted.
      expect(notes).toEqual([expect.stringContaining('csaf-vex/README: not a known advisory format')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('suseCsafSource', () => {
  let server: LoopbackServer;
  const files = new Map<string, string>();
  const requests: string[] = [];
  beforeEach(async () => {
    files.clear();
    requests.length = 0;
    server = await startLoopbackServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      requests.push(path);
      const body = files.get(path);
      if (body === undefined) res.writeHead(404).end('not found');
      else res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  afterEach(() => server.stop());

  const base = () => `${server.origin}/csaf-vex/`;
  const csv = (rows: Array<[string, string]>) => rows.map(([path, when]) => `"${path}","${when}"\n`).join('');
  /** The samba document under other CVEs, so that a listing names several real documents. */
  const samba = (cve: string, modified = '2024-07-26T03:43:57Z') =>
    SAMBA.replaceAll('CVE-2023-5568', cve).replace('"current_release_date":"2024-07-26T03:43:57Z"', `"current_release_date":"${modified}"`);

  function publish(): void {
    files.set('/csaf-vex/cve-1999-0003.json', EMPTY);
    files.set('/csaf-vex/cve-2023-5568.json', SAMBA);
    files.set('/csaf-vex/cve-2024-0001.json', samba('CVE-2024-0001'));
    files.set(
      '/csaf-vex/changes.csv',
      csv([
        ['cve-1999-0003.json', '2023-02-15T06:22:07Z'],
        ['cve-2023-5568.json', '2024-07-26T03:43:57Z'],
        ['cve-2024-0001.json', '2024-08-01T00:00:00Z'],
      ]),
    );
  }

  it('is a default source, named by the SUSE and openSUSE descriptors', () => {
    expect(DEFAULT_SOURCES).toContain('suse-csaf');
    const [source] = sourcesNamed(['suse-csaf']);
    expect(source.name).toBe('suse-csaf');
    expect(source.ecosystems).toEqual(['SUSE', 'openSUSE']);
  });

  it('first run: fetches every listed document and takes the newest row as its cursor', async () => {
    publish();
    const run = recordingContext(tmpdir());
    const outcome = await suseCsafSource({ baseUrl: base() }).run(run.context);
    expect(outcome).toEqual({ status: 'updated', cursor: 'vex 2024-08-01T00:00:00Z' });
    expect(run.written.map((r) => r.id).sort()).toEqual(['SUSE-CVE-2023-5568', 'SUSE-CVE-2024-0001']);
    expect(run.malformed).toEqual([]);
    // Checkpointed after the batch: the last path it wrote, and the row it loads up to.
    expect(run.progress).toEqual([JSON.stringify({ upTo: '2024-08-01T00:00:00Z', after: 'cve-2024-0001.json' })]);
    expect(requests).not.toContain('/csaf-vex/deletions.csv');
  });

  it('continues an interrupted first run after the last path it wrote, up to the row it was loading to', async () => {
    publish();
    // Listed after the interrupted run began: the next incremental run's.
    files.set('/csaf-vex/cve-2024-0002.json', samba('CVE-2024-0002'));
    files.set('/csaf-vex/changes.csv', `${files.get('/csaf-vex/changes.csv')}"cve-2024-0002.json","2024-09-01T00:00:00Z"\n`);
    const run = recordingContext(tmpdir(), { progress: JSON.stringify({ upTo: '2024-08-01T00:00:00Z', after: 'cve-2023-5568.json' }) });
    const outcome = await suseCsafSource({ baseUrl: base() }).run(run.context);
    expect(outcome).toEqual({ status: 'updated', cursor: 'vex 2024-08-01T00:00:00Z' });
    expect(run.written.map((r) => r.id)).toEqual(['SUSE-CVE-2024-0001']);
    expect(run.skipped).toEqual([3]);
  });

  it('later run: fetches what changed since the cursor, withdraws what deletions.csv names, not-modified when nothing is newer', async () => {
    publish();
    files.set('/csaf-vex/cve-2024-0001.json', samba('CVE-2024-0001', '2024-10-01T00:00:00Z'));
    files.set('/csaf-vex/changes.csv', `${files.get('/csaf-vex/changes.csv')}"cve-2024-0001.json","2024-10-01T00:00:00Z"\n`);
    files.set('/csaf-vex/deletions.csv', csv([['cve-2022-9999.json', '2024-09-15T00:00:00Z']]));
    const run = recordingContext(tmpdir(), { cursor: 'vex 2024-08-01T00:00:00Z' });
    const outcome = await suseCsafSource({ baseUrl: base(), listingLagMs: 0 }).run(run.context);
    expect(outcome).toEqual({ status: 'updated', cursor: 'vex 2024-10-01T00:00:00Z' });
    expect(run.written.map((r) => [r.id, r.modified, r.withdrawn !== undefined])).toEqual([
      ['SUSE-CVE-2024-0001', '2024-10-01T00:00:00Z', false],
      ['SUSE-CVE-2022-9999', expect.any(String), true],
    ]);
    const again = recordingContext(tmpdir(), { cursor: 'vex 2024-10-01T00:00:00Z' });
    expect(await suseCsafSource({ baseUrl: base(), listingLagMs: 0 }).run(again.context)).toEqual({ status: 'not-modified' });
  });

  it('notes a listed document that is gone or broken, and a bad listing row, and carries on', async () => {
    publish();
    files.delete('/csaf-vex/cve-2024-0001.json');
    files.set('/csaf-vex/cve-2024-0003.json', '{"document": ');
    files.set('/csaf-vex/changes.csv', `${files.get('/csaf-vex/changes.csv')}"cve-2024-0003.json","2024-08-02T00:00:00Z"\nnot a row\n`);
    const run = recordingContext(tmpdir());
    await suseCsafSource({ baseUrl: base() }).run(run.context);
    expect(run.written.map((r) => r.id)).toEqual(['SUSE-CVE-2023-5568']);
    expect(run.notes).toEqual([
      expect.stringMatching(/changes\.csv: line 5: not "<path>\.json","<timestamp>"$/),
      expect.stringMatching(/cve-2024-0001\.json: listed as changed but not found \(HTTP 404\)$/),
      expect.stringMatching(/cve-2024-0003\.json: not JSON/),
    ]);
  });

  it('tries a document again after a 503 or a dropped connection, and fails at once on another 4xx', async () => {
    publish();
    const flaky = new Map([
      ['/csaf-vex/cve-2023-5568.json', 1],
      ['/csaf-vex/cve-2024-0001.json', 2],
    ]);
    await server.stop();
    server = await startLoopbackServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      requests.push(path);
      const failures = flaky.get(path) ?? 0;
      if (failures > 0) {
        flaky.set(path, failures - 1);
        // The first failure of cve-2024-0001 drops the connection; the others answer 503.
        if (path.endsWith('0001.json') && failures === 2) req.socket.destroy();
        else res.writeHead(503).end('busy');
        return;
      }
      const body = files.get(path);
      if (body === undefined) res.writeHead(path.endsWith('forbidden.json') ? 403 : 404).end('no');
      else res.writeHead(200).end(body);
    });
    const run = recordingContext(tmpdir());
    await suseCsafSource({ baseUrl: base(), retryDelayMs: 1 }).run(run.context);
    expect(run.written.map((r) => r.id).sort()).toEqual(['SUSE-CVE-2023-5568', 'SUSE-CVE-2024-0001']);
    expect(requests.filter((p) => p === '/csaf-vex/cve-2024-0001.json')).toHaveLength(3);
    files.set('/csaf-vex/changes.csv', csv([['forbidden.json', '2024-08-01T00:00:00Z']]));
    requests.length = 0;
    const refused = recordingContext(tmpdir());
    await expect(suseCsafSource({ baseUrl: base(), retryDelayMs: 1 }).run(refused.context)).rejects.toThrow('forbidden.json: HTTP 403 Forbidden');
    expect(requests.filter((p) => p === '/csaf-vex/forbidden.json')).toHaveLength(1);
  });

  it('fails naming the URL when the listing cannot be read', async () => {
    const run = recordingContext(tmpdir());
    await expect(suseCsafSource({ baseUrl: base() }).run(run.context)).rejects.toThrow(`GET ${base()}changes.csv: HTTP 404 Not Found`);
  });
});
