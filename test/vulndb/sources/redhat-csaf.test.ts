import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { compareAdvisoryVersions, getVersionScheme } from '../../../lib/versions';
import { compareRpmVersions, parseRpmVersion } from '../../../lib/versions/rpm';
import { affectedVerdict } from '../../../lib/vulndb/affected';
import type { Osv, OsvAffected } from '../../../lib/vulndb/osv';
import { redhatCsafFormat, redhatCsafSource } from '../../../lib/vulndb/sources/redhat-csaf';
import { recordingContext } from '../../support/feed-server';

const DATA = join(__dirname, 'data', 'redhat');
const fixture = (name: string) => readFileSync(join(DATA, name), 'utf8');

const NGINX = 'cve-2025-23419.trimmed.json';
const REDIS = 'cve-2024-31449.trimmed.json';
const SUBVERSION = 'cve-2024-46901.json';
const VIM = 'cve-2023-0051.json';
const FIREFOX = 'cve-2026-7323.json';
const POSTGRESQL = 'cve-2024-7348.trimmed.json';

async function parse(text: string): Promise<{ records: Osv[]; malformed: string[] }> {
  const records: Osv[] = [];
  const malformed: string[] = [];
  const input = Readable.from([Buffer.from(text)]);
  for await (const record of redhatCsafFormat.parse(input, { fileName: 'doc.json', malformed: (reason) => malformed.push(reason) })) records.push(record);
  return { records, malformed };
}

async function recordOf(text: string): Promise<Osv> {
  const { records, malformed } = await parse(text);
  expect(malformed).toEqual([]);
  expect(records).toHaveLength(1);
  return records[0];
}

/** A fixture as a value, to derive a document that differs in one stated way. */
const documentOf = (name: string) => JSON.parse(fixture(name)) as any;

const srpm = (name: string) => `pkg:rpm/redhat/${name}?arch=src`;
/** The CPE of a RHEL product: `el(9, 'appstream')` is `cpe:/a:redhat:enterprise_linux:9::appstream`, `el(9)` is RHEL 9 as a whole. */
const el = (release: number | string, variant?: string) =>
  variant ? `cpe:/${variant === 'baseos' ? 'o' : 'a'}:redhat:enterprise_linux:${release}::${variant}` : `cpe:/o:redhat:enterprise_linux:${release}`;

function entry(major: number, name: string, fixed: string | undefined, specific: Record<string, unknown>): OsvAffected {
  return {
    package: { ecosystem: `Red Hat:${major}`, name, purl: srpm(name) },
    ranges: [{ type: 'ECOSYSTEM', events: fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }] }],
    ecosystem_specific: specific,
  };
}

const summaryOf = (osv: Osv) =>
  (osv.affected ?? []).map((a) => [
    a.package?.ecosystem,
    a.package?.name,
    a.ecosystem_specific?.rpm_module ?? null,
    a.ranges?.[0].events.at(-1)?.fixed ?? null,
  ]);

describe('redhatCsafFormat.sniff', () => {
  it.each([NGINX, REDIS, SUBVERSION, VIM, FIREFOX, POSTGRESQL])('recognises %s by its first bytes', (name) => {
    expect(redhatCsafFormat.sniff(fixture(name).slice(0, 64 * 1024))).toBe(true);
  });

  it('does not take an OSV record, an ALAS updateinfo or another publisher’s VEX for Red Hat’s', () => {
    const osv = readFileSync(join(__dirname, '..', '..', 'scan', 'data', 'osv', 'npm', 'GHSA-xvch-5gv4-984h.json'), 'utf8');
    expect(redhatCsafFormat.sniff(osv)).toBe(false);
    expect(redhatCsafFormat.sniff('<?xml version="1.0"?><updates><update><id>ALAS-2023-1</id></update></updates>')).toBe(false);
    const other = fixture(VIM).replace('"name": "Red Hat Product Security"', '"name": "Example"').replace('"https://www.redhat.com"', '"https://example.com"');
    expect(redhatCsafFormat.sniff(other)).toBe(false);
  });
});

describe('redhatCsafFormat.parse', () => {
  it('nginx: a fixed RHEL 9 package with an epoch, unfixed module streams on RHEL 8 and 9, not-affected ones left out, each with its products', async () => {
    const details =
      'A flaw was found in nginx. When name-based virtual hosts are configured to share the same IP address and port combination with TLS 1.3 and OpenSSL, a previously authenticated attacker can use session resumption to bypass client certificate authentication requirements on these servers. This vulnerability arises when TLS session tickets are used, the SSL session cache is used in the default virtual server, and the default virtual server performs client certificate authentication.';
    const deferred = { severity: 'Moderate', fix_state: 'none_available', fix_state_details: 'Fix deferred' };
    const rhel8 = { ...deferred, cpes: [el(8)] };
    const rhel9 = { ...deferred, cpes: [el(9)] };
    expect(await recordOf(fixture(NGINX))).toEqual({
      id: 'REDHAT-CVE-2025-23419',
      modified: '2025-06-30T09:56:52Z',
      published: '2025-02-05T17:31:07.316000Z',
      aliases: ['CVE-2025-23419'],
      related: ['RHSA-2025:7331'],
      summary: 'nginx: TLS Session Resumption Vulnerability',
      details,
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N' }],
      affected: [
        entry(8, 'nginx', undefined, { ...rhel8, rpm_module: 'nginx:1.22' }),
        entry(8, 'nginx', undefined, { ...rhel8, rpm_module: 'nginx:1.24' }),
        // Fixed in AppStream only (the CPE of RHEL 9's AppStream product); the unfixed streams are RHEL 9's as a whole.
        entry(9, 'nginx', '2:1.20.1-22.el9', { severity: 'Moderate', cpes: [el(9, 'appstream')] }),
        entry(9, 'nginx', undefined, { ...rhel9, rpm_module: 'nginx:1.22' }),
        entry(9, 'nginx', undefined, { ...rhel9, rpm_module: 'nginx:1.24' }),
      ],
      references: [
        { type: 'ADVISORY', url: 'https://access.redhat.com/security/cve/CVE-2025-23419' },
        { type: 'ADVISORY', url: 'https://access.redhat.com/errata/RHSA-2025:7331' },
      ],
      database_specific: { source: 'redhat-csaf' },
    });
  });

  it('redis: fixed module streams (redis:6 on RHEL 8, redis:7 beside the default stream on RHEL 9), each with its own fix', async () => {
    const osv = await recordOf(fixture(REDIS));
    expect(osv).toEqual({
      id: 'REDHAT-CVE-2024-31449',
      modified: '2026-02-27T14:57:43Z',
      published: '2024-10-07T19:51:08.775000Z',
      aliases: ['CVE-2024-31449'],
      related: ['RHSA-2024:10869', 'RHSA-2025:0595', 'RHSA-2025:0693'],
      summary: 'redis: Lua library commands may lead to stack overflow and RCE in Redis',
      details:
        'A flaw was found in Redis. This flaw allows an authenticated user to use a specially crafted Lua script to trigger a stack buffer overflow in the bit library, which may lead to remote code execution. The problem exists in all versions of Redis with Lua scripting.',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [
        entry(8, 'redis', '6.2.17-1.module+el8.10.0+22680+748527fd', { severity: 'Moderate', rpm_module: 'redis:6', cpes: [el(8, 'appstream')] }),
        entry(9, 'redis', '6.2.17-1.el9_5', { severity: 'Moderate', cpes: [el(9, 'appstream')] }),
        entry(9, 'redis', '7.2.6-1.module+el9.5.0+22422+63e067d8', { severity: 'Moderate', rpm_module: 'redis:7', cpes: [el(9, 'appstream')] }),
      ],
      references: [
        { type: 'ADVISORY', url: 'https://access.redhat.com/security/cve/CVE-2024-31449' },
        { type: 'ADVISORY', url: 'https://access.redhat.com/errata/RHSA-2024:10869' },
        { type: 'ADVISORY', url: 'https://access.redhat.com/errata/RHSA-2025:0595' },
        { type: 'ADVISORY', url: 'https://access.redhat.com/errata/RHSA-2025:0693' },
      ],
      database_specific: { source: 'redhat-csaf' },
    });
  });

  it('postgresql (2024 layout, the module a product between RPM and platform): four RHEL 8 streams and two RHEL 9 ones, each with its fix; extended streams apart', async () => {
    const osv = await recordOf(fixture(POSTGRESQL));
    expect(osv).toMatchObject({
      id: 'REDHAT-CVE-2024-7348',
      modified: '2024-09-16T20:59:13Z',
      published: '2024-08-08T00:00:00Z',
      // The errata of every kept stream: the main streams' (5927 … 6020) and the extended ones'.
      related: [
        'RHSA-2024:5927',
        'RHSA-2024:5929',
        'RHSA-2024:5999',
        'RHSA-2024:6000',
        'RHSA-2024:6001',
        'RHSA-2024:6018',
        'RHSA-2024:6020',
        'RHSA-2024:6137',
        'RHSA-2024:6138',
        'RHSA-2024:6139',
        'RHSA-2024:6140',
        'RHSA-2024:6141',
        'RHSA-2024:6142',
        'RHSA-2024:6144',
        'RHSA-2024:6145',
        'RHSA-2024:6557',
        'RHSA-2024:6558',
        'RHSA-2024:6559',
      ],
      summary: 'postgresql: PostgreSQL relation replacement during pg_dump executes arbitrary SQL',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
    });
    const important = { severity: 'Important' };
    const rhel8 = { ...important, cpes: [el(8, 'appstream')] };
    const rhel9 = { ...important, cpes: [el(9, 'appstream')] };
    expect(osv.affected?.filter((a) => !a.ecosystem_specific?.extended_stream)).toEqual([
      entry(6, 'postgresql', undefined, { ...important, fix_state: 'no_fix_planned', fix_state_details: 'Out of support scope', cpes: [el(6)] }),
      entry(7, 'postgresql', undefined, { ...important, fix_state: 'none_available', fix_state_details: 'Affected', cpes: [el(7)] }),
      entry(8, 'postgresql', '12.20-1.module+el8.10.0+22214+9beb89d6', { ...rhel8, rpm_module: 'postgresql:12' }),
      entry(8, 'postgresql', '13.16-1.module+el8.10.0+22213+5adc94fe', { ...rhel8, rpm_module: 'postgresql:13' }),
      entry(8, 'postgresql', '15.8-1.module+el8.10.0+22212+a51fe170', { ...rhel8, rpm_module: 'postgresql:15' }),
      entry(8, 'postgresql', '16.4-1.module+el8.10.0+22209+060d7a0a', { ...rhel8, rpm_module: 'postgresql:16' }),
      // AppStream and CRB both ship the default stream's fix: one entry, for both products.
      entry(9, 'postgresql', '13.16-1.el9_4', { ...important, cpes: [el(9, 'appstream'), el(9, 'crb')] }),
      entry(9, 'postgresql', '15.8-1.module+el9.4.0+22208+cd6b92ff', { ...rhel9, rpm_module: 'postgresql:15' }),
      entry(9, 'postgresql', '16.4-1.module+el9.4.0+22207+8466e31f', { ...rhel9, rpm_module: 'postgresql:16' }),
    ]);
    // The AUS/E4S/TUS/EUS builds of these streams (el8_2 … el8_8, el9_0, el9_2) are entries of their own streams,
    // marked so that only images whose repositories name them are matched with them.
    const extended = osv.affected?.filter((a) => a.ecosystem_specific?.extended_stream === true) ?? [];
    expect(extended).toHaveLength(19);
    expect(extended).toContainEqual(
      entry(8, 'postgresql', '12.20-1.module+el8.8.0+22245+25697bde', {
        ...important,
        rpm_module: 'postgresql:12',
        cpes: ['cpe:/a:redhat:rhel_eus:8.8::appstream'],
        extended_stream: true,
      }),
    );
    expect(extended).toContainEqual(
      entry(9, 'postgresql', '13.16-1.el9_2', {
        ...important,
        cpes: ['cpe:/a:redhat:rhel_eus:9.2::appstream', 'cpe:/a:redhat:rhel_eus:9.2::crb'],
        extended_stream: true,
      }),
    );
    // The same build fixes the 8.4 AUS, E4S and TUS streams: one entry per stream, each with its own product.
    expect(
      extended.filter((a) => a.ranges?.[0].events.at(-1)?.fixed === '12.20-1.module+el8.4.0+22243+33bf1bc8').map((a) => a.ecosystem_specific?.cpes),
    ).toEqual([['cpe:/a:redhat:rhel_aus:8.4::appstream'], ['cpe:/a:redhat:rhel_e4s:8.4::appstream'], ['cpe:/a:redhat:rhel_tus:8.4::appstream']]);
  });

  it('subversion: every stream affected without a fix, the remediation’s state carried; unfixed modules from rpmmod', async () => {
    const deferred = { severity: 'Low', fix_state: 'none_available', fix_state_details: 'Fix deferred' };
    const rhel8 = { ...deferred, cpes: [el(8)] };
    expect(await recordOf(fixture(SUBVERSION))).toEqual({
      id: 'REDHAT-CVE-2024-46901',
      modified: '2025-05-20T18:53:00Z',
      published: '2024-12-09T09:36:52.445000Z',
      aliases: ['CVE-2024-46901'],
      summary: 'Subversion: Apache Subversion: mod_dav_svn denial-of-service via control characters in paths',
      details:
        'A flaw was found in Apache Subversion when serving repositories via mod_dav_svn. This issue may allow authenticated users with commit access to commit a corrupted revision, leading to disruption for users of the repository via insufficient validation of filenames against control characters.',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:L' }],
      affected: [
        entry(6, 'subversion', undefined, { ...deferred, cpes: [el(6)] }),
        entry(7, 'subversion', undefined, { ...deferred, cpes: [el(7)] }),
        entry(8, 'subversion', undefined, rhel8),
        // Red Hat's own data names a module `subversion-devel:1.10`; it is kept as written (it matches nothing).
        entry(8, 'subversion', undefined, { ...rhel8, rpm_module: 'subversion-devel:1.10' }),
        entry(8, 'subversion', undefined, { ...rhel8, rpm_module: 'subversion:1.10' }),
        entry(9, 'subversion', undefined, { ...deferred, cpes: [el(9)] }),
      ],
      references: [{ type: 'ADVISORY', url: 'https://access.redhat.com/security/cve/CVE-2024-46901' }],
      database_specific: { source: 'redhat-csaf' },
    });
  });

  it('vim (2023 layout, components without purls): affected on RHEL 6, 7 and 9, not affected on RHEL 8', async () => {
    const osv = await recordOf(fixture(VIM));
    expect(osv).toMatchObject({
      id: 'REDHAT-CVE-2023-0051',
      modified: '2023-07-07T08:32:33Z',
      published: '2023-01-03T00:00:00Z',
      aliases: ['CVE-2023-0051'],
      summary: 'heap-based buffer overflow in msg_puts_printf() in message.c',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H' }],
      references: [{ type: 'ADVISORY', url: 'https://access.redhat.com/security/cve/CVE-2023-0051' }],
    });
    expect(osv.related).toBeUndefined();
    expect(osv.affected).toEqual([
      entry(6, 'vim', undefined, { severity: 'Low', fix_state: 'no_fix_planned', fix_state_details: 'Out of support scope', cpes: [el(6)] }),
      entry(7, 'vim', undefined, { severity: 'Low', fix_state: 'no_fix_planned', fix_state_details: 'Out of support scope', cpes: [el(7)] }),
      entry(9, 'vim', undefined, { severity: 'Low', fix_state: 'no_fix_planned', fix_state_details: 'Will not fix', cpes: [el(9)] }),
    ]);
  });

  it('firefox (GA layout, per-minor products): EUS/AUS/E4S/TUS/ELS are streams of their own, a fix in a stream beats its unfixed product', async () => {
    const osv = await recordOf(fixture(FIREFOX));
    expect(osv).toMatchObject({
      id: 'REDHAT-CVE-2026-7323',
      modified: '2026-06-30T13:05:18Z',
      published: '2026-04-28T13:49:10Z',
      summary: 'Memory safety bugs fixed in Firefox ESR 140.10.1 and Firefox 150.0.1',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H' }],
    });
    expect(osv.related).toHaveLength(22);
    expect(osv.related).toEqual(expect.arrayContaining(['RHSA-2026:19588', 'RHSA-2026:20586']));
    const affected = { severity: 'Important', fix_state: 'none_available', fix_state_details: 'Affected' };
    // rhel-8.10.z::appstream fixed it (`…?arch=src&epoch=0`); rhel-8.10.z (`enterprise_linux:8`) still lists it as affected.
    const rhel8 = { severity: 'Important', cpes: ['cpe:/a:redhat:enterprise_linux:8', el(8, 'appstream')] };
    expect(osv.affected?.filter((a) => !a.ecosystem_specific?.extended_stream)).toEqual([
      entry(8, 'firefox', '140.10.1-1.el8_10', rhel8),
      entry(8, 'thunderbird', '140.10.1-1.el8_10', rhel8),
      // RHEL 9's fixes are all for extended streams (rhel_eus, rhel_e4s); the main stream, rhel-9.7.z, is affected.
      entry(9, 'firefox', undefined, { ...affected, cpes: ['cpe:/a:redhat:enterprise_linux:9'] }),
      entry(9, 'firefox-x11', undefined, { ...affected, cpes: ['cpe:/a:redhat:enterprise_linux:9'] }),
      entry(9, 'thunderbird', undefined, { ...affected, cpes: ['cpe:/a:redhat:enterprise_linux:9'] }),
      // RHEL 10's main stream has a minor in its CPE (enterprise_linux:10.1).
      entry(10, 'firefox', undefined, { ...affected, cpes: [el('10.1')] }),
      entry(10, 'thunderbird', undefined, { ...affected, cpes: [el('10.1')] }),
    ]);
    const extended = (major: number, name: string) =>
      (osv.affected ?? [])
        .filter((a) => a.ecosystem_specific?.extended_stream === true && a.package?.ecosystem === `Red Hat:${major}` && a.package.name === name)
        .map((a) => [a.ecosystem_specific?.cpes, a.ranges?.[0].events.at(-1)?.fixed ?? null]);
    expect(extended(9, 'firefox')).toEqual([
      [['cpe:/a:redhat:rhel_e4s:9.0::appstream'], '140.10.1-1.el9_0'],
      [['cpe:/a:redhat:rhel_e4s:9.2::appstream'], '140.10.1-1.el9_2'],
      [['cpe:/a:redhat:rhel_e4s:9.4::appstream'], '140.10.1-1.el9_4'],
      [['cpe:/a:redhat:rhel_eus:9.0'], null],
      [['cpe:/a:redhat:rhel_eus:9.2'], null],
      [['cpe:/a:redhat:rhel_eus:9.4'], null],
      // Fixed on rhel-9.6.z.eus::appstream, listed affected on rhel-9.6.z.eus: one stream, and its fix wins.
      [['cpe:/a:redhat:rhel_eus:9.6', 'cpe:/a:redhat:rhel_eus:9.6::appstream'], '140.10.1-1.el9_6'],
      [['cpe:/a:redhat:rhel_eus:9.8', 'cpe:/a:redhat:rhel_eus:9.8::appstream'], '140.10.1-1.el9_8'],
    ]);
    // RHEL 7 is fixed only in its Extended Life Cycle Support stream, RHEL 10's fixes are in its EUS minors.
    expect(extended(7, 'firefox')).toEqual([[['cpe:/o:redhat:rhel_els:7'], '140.10.1-1.el7_9']]);
    expect(extended(10, 'firefox')).toEqual([
      [['cpe:/o:redhat:enterprise_linux_eus:10.0'], '140.10.1-1.el10_0'],
      [['cpe:/o:redhat:enterprise_linux_eus:10.2'], '140.10.1-1.el10_2'],
    ]);
  });

  it('keeps the highest fixed EVR when two main-stream products of one major fix the same package', async () => {
    const doc = documentOf(FIREFOX);
    // Derived: the 8.6 AUS product given the RHEL 8 main-stream CPE, so RHEL 8 has fixes at el8_6 and el8_10.
    const products = JSON.stringify(doc.product_tree).replace('"cpe:/a:redhat:rhel_aus:8.6::appstream"', '"cpe:/a:redhat:enterprise_linux:8::appstream"');
    doc.product_tree = JSON.parse(products);
    const osv = await recordOf(JSON.stringify(doc));
    const main = { ...osv, affected: osv.affected?.filter((a) => !a.ecosystem_specific?.extended_stream) };
    expect(summaryOf(main).filter(([ecosystem]) => ecosystem === 'Red Hat:8')).toEqual([
      ['Red Hat:8', 'firefox', null, '140.10.1-1.el8_10'],
      ['Red Hat:8', 'thunderbird', null, '140.10.1-1.el8_10'],
    ]);
  });

  it('known_not_affected suppresses an unfixed entry of the same (major, package, module)', async () => {
    const doc = documentOf(VIM);
    // Derived: RHEL 9's vim listed as not affected as well as affected.
    doc.vulnerabilities[0].product_status.known_not_affected.push('red_hat_enterprise_linux_9:vim');
    expect(summaryOf(await recordOf(JSON.stringify(doc)))).toEqual([
      ['Red Hat:6', 'vim', null, null],
      ['Red Hat:7', 'vim', null, null],
    ]);
  });

  it('a fix is kept even where the same package is also listed not affected', async () => {
    const doc = documentOf(NGINX);
    // Derived: RHEL 9's default nginx stream also listed as not affected (as GA files list a minor that shipped the fix).
    doc.product_tree.relationships.push({
      category: 'default_component_of',
      full_product_name: { name: 'nginx as a component of Red Hat Enterprise Linux 9', product_id: 'red_hat_enterprise_linux_9:nginx' },
      product_reference: 'nginx',
      relates_to_product_reference: 'red_hat_enterprise_linux_9',
    });
    doc.vulnerabilities[0].product_status.known_not_affected.push('red_hat_enterprise_linux_9:nginx');
    expect(summaryOf(await recordOf(JSON.stringify(doc)))).toContainEqual(['Red Hat:9', 'nginx', null, '2:1.20.1-22.el9']);
  });

  it('gives a document Red Hat marked deleted as a withdrawn record', async () => {
    const doc = documentOf(VIM);
    doc.document.tracking.status = 'deleted';
    expect(await recordOf(JSON.stringify(doc))).toEqual({
      id: 'REDHAT-CVE-2023-0051',
      modified: '2023-07-07T08:32:33Z',
      withdrawn: '2023-07-07T08:32:33Z',
      database_specific: { source: 'redhat-csaf' },
    });
  });

  it('notes a document without a CVE, with an unreadable product tree, of another publisher, or not JSON, and yields nothing', async () => {
    const noCve = documentOf(VIM);
    delete noCve.vulnerabilities[0].cve;
    noCve.document.tracking.id = 'RHSA-2023:0001';
    const badTree = documentOf(VIM);
    badTree.product_tree = 'unavailable';
    const other = documentOf(VIM);
    other.document.publisher.namespace = 'https://example.com';
    const results = await Promise.all([JSON.stringify(noCve), JSON.stringify(badTree), JSON.stringify(other), '{"document": '].map(parse));
    expect(results.map((r) => r.records)).toEqual([[], [], [], []]);
    expect(results.map((r) => r.malformed)).toEqual([
      ['no CVE id in the document'],
      ['CVE-2023-0051: unreadable product_tree'],
      ['CVE-2023-0051: published by https://example.com, not Red Hat'],
      [expect.stringMatching(/^not JSON: /)],
    ]);
  });
});

describe('matching Red Hat records', () => {
  const rpm = (a: string, b: string) => compareRpmVersions(parseRpmVersion(a), parseRpmVersion(b));

  it('orders Red Hat versions by rpm', () => {
    expect(getVersionScheme('Red Hat:9')).toBe('rpm');
    expect(compareAdvisoryVersions('Red Hat:9', '1:9.9-1.el9', '2:1.20.1-22.el9')).toBe(-1);
  });

  it('an installed binary’s EVR against its source package’s entry: epoch, fixed, unfixed module streams', async () => {
    const osv = await recordOf(fixture(NGINX));
    const [rhel8Stream122, , rhel9Default, rhel9Stream122] = osv.affected ?? [];
    const verdict = (version: string, affected: OsvAffected) => affectedVerdict(version, affected, (a, b) => compareAdvisoryVersions('Red Hat:9', a, b));
    // nginx-core-2:1.20.1-20.el9 comes from nginx-2:1.20.1-20.el9.src.
    expect(verdict('2:1.20.1-20.el9', rhel9Default)).toEqual({ affected: true, fixedBy: '2:1.20.1-22.el9' });
    expect(verdict('2:1.20.1-22.el9', rhel9Default)).toEqual({ affected: false });
    expect(verdict('2:1.20.1-22.el9_6.1', rhel9Default)).toEqual({ affected: false });
    // Without the epoch a higher-looking version is still older.
    expect(verdict('1.26.3-1.el9', rhel9Default)).toEqual({ affected: true, fixedBy: '2:1.20.1-22.el9' });
    expect(verdict('2:1.22.1-8.module+el9.4.0+21749+9e2d8a3b', rhel9Stream122)).toEqual({ affected: true });
    expect(affectedVerdict('2:1.22.1-4.module+el8.8.0+18000+4a4b4a4b', rhel8Stream122, rpm)).toEqual({ affected: true });
  });

  it('a module stream’s fix against that stream’s builds', async () => {
    const [rhel8Redis6] = (await recordOf(fixture(REDIS))).affected ?? [];
    expect(affectedVerdict('6.2.7-1.module+el8.8.0+17567+5bd4c2d8', rhel8Redis6, rpm)).toEqual({
      affected: true,
      fixedBy: '6.2.17-1.module+el8.10.0+22680+748527fd',
    });
    expect(affectedVerdict('6.2.17-1.module+el8.10.0+22680+748527fd', rhel8Redis6, rpm)).toEqual({ affected: false });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The source, against a feed served on 127.0.0.1

/** A zstd frame of raw (stored) blocks (RFC 8878 §3.1.1): valid zstd without a compressor. */
function zstdStored(data: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32LE(0xfd2fb528, 0);
  // Frame header descriptor: 8-byte content size, single segment, no checksum, no dictionary.
  header[4] = 0xe0;
  header.writeBigUInt64LE(BigInt(data.length), 5);
  const parts: Buffer[] = [header];
  const blockBytes = 64 * 1024;
  let offset = 0;
  do {
    const block = data.subarray(offset, offset + blockBytes);
    offset += block.length;
    const blockHeader = Buffer.alloc(3);
    // Bit 0: last block; bits 1-2: type 0 (raw); bits 3-23: size.
    blockHeader.writeUIntLE((offset >= data.length ? 1 : 0) | (block.length << 3), 0, 3);
    parts.push(blockHeader, block);
  } while (offset < data.length);
  return Buffer.concat(parts);
}

const zstdTool = spawnSync('zstd', ['--version']).status === 0;

async function tarOf(files: Array<[string, string]>): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name: '2023/', type: 'directory' });
  archive.entry({ name: 'index.txt' }, 'not a document\n');
  for (const [name, body] of files) archive.entry({ name }, body);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Feed {
  base: string;
  files: Map<string, string | Buffer>;
  requests: string[];
  close(): Promise<void>;
}

async function serveFeed(): Promise<Feed> {
  const files = new Map<string, string | Buffer>();
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body), 'last-modified': 'Wed, 01 Jul 2026 04:10:00 GMT' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/vex/`,
    files,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function contextFor(cursor?: string, progress?: string) {
  const run = recordingContext(tmpdir(), { cursor, progress });
  const ids = () => run.batches.flat().map((r) => r.id);
  return { context: run.context, batches: run.batches, malformed: run.malformed, checkpoints: run.progress, ids };
}

const ARCHIVE = 'csaf_vex_2026-07-01.tar.zst';
const csv = (rows: Array<[string, string]>) => rows.map(([path, when]) => `"${path}","${when}"\n`).join('');

/**
 * Archived: vim, subversion, redis, firefox, and an older copy of nginx. nginx changed after the archive's day, and
 * firefox the day before it, which the archive may or may not hold: both are fetched on their own.
 */
async function publish(feed: Feed, compress: (tar: Buffer) => Buffer = zstdStored): Promise<void> {
  const archived: Array<[string, string]> = [
    ['2023/cve-2023-0051.json', fixture(VIM)],
    ['2024/cve-2024-46901.json', fixture(SUBVERSION)],
    ['2024/cve-2024-31449.json', fixture(REDIS)],
    ['2026/cve-2026-7323.json', fixture(FIREFOX)],
    ['2025/cve-2025-23419.json', fixture(NGINX).replace('2025-06-30T09:56:52+00:00', '2025-06-01T00:00:00+00:00')],
  ];
  feed.files.set('/vex/archive_latest.txt', `${ARCHIVE}\n`);
  feed.files.set(`/vex/${ARCHIVE}`, compress(await tarOf(archived)));
  feed.files.set('/vex/2025/cve-2025-23419.json', fixture(NGINX));
  feed.files.set('/vex/2026/cve-2026-7323.json', fixture(FIREFOX));
  feed.files.set('/vex/2024/cve-2024-46901.json', fixture(SUBVERSION));
  feed.files.set(
    '/vex/changes.csv',
    csv([
      ['2025/cve-2025-23419.json', '2026-07-01T02:00:00+00:00'],
      ['2026/cve-2026-7323.json', '2026-06-30T13:05:18+00:00'],
      ['2024/cve-2024-31449.json', '2026-02-27T14:57:43+00:00'],
      ['2024/cve-2024-46901.json', '2025-05-20T18:53:00+00:00'],
      ['2023/cve-2023-0051.json', '2023-07-07T08:32:33+00:00'],
    ]),
  );
  feed.files.set(
    '/vex/deletions.csv',
    csv([
      ['2024/cve-2024-0001.json', '2026-07-01T03:00:00+00:00'],
      ['2023/cve-2023-0030.json', '2024-01-10T00:00:00+00:00'],
    ]),
  );
}

describe('redhatCsafSource', () => {
  let feed: Feed;
  beforeEach(async () => {
    feed = await serveFeed();
  });
  afterEach(async () => {
    await feed.close();
  });

  it('names itself and the RHEL majors it fills', () => {
    const source = redhatCsafSource();
    expect(source.name).toBe('redhat-csaf');
    expect(source.ecosystems).toEqual(['Red Hat:6', 'Red Hat:7', 'Red Hat:8', 'Red Hat:9', 'Red Hat:10']);
  });

  it('first run: streams the archive, fetches what changed from the day before its date, withdraws what was deleted since', async () => {
    await publish(feed);
    const { context, batches, malformed, checkpoints, ids } = contextFor();
    const outcome = await redhatCsafSource({ baseUrl: feed.base }).run(context);
    // The cursor names the record shape it was written with (see the next test) and the newest listing row.
    expect(outcome).toEqual({ status: 'updated', cursor: 'streams 2026-07-01T03:00:00Z' });
    expect(feed.requests).toEqual([
      '/vex/archive_latest.txt',
      '/vex/changes.csv',
      '/vex/deletions.csv',
      `/vex/${ARCHIVE}`,
      '/vex/2025/cve-2025-23419.json',
      '/vex/2026/cve-2026-7323.json',
    ]);
    expect(malformed).toEqual([]);
    // The archive's copies of nginx and firefox are read past: the listed ones are fetched.
    expect(ids()).toEqual([
      'REDHAT-CVE-2023-0051',
      'REDHAT-CVE-2024-46901',
      'REDHAT-CVE-2024-31449',
      'REDHAT-CVE-2025-23419',
      'REDHAT-CVE-2026-7323',
      'REDHAT-CVE-2024-0001',
    ]);
    const records = batches.flat();
    expect(records.find((r) => r.id === 'REDHAT-CVE-2025-23419')?.modified).toBe('2025-06-30T09:56:52Z');
    expect(records.find((r) => r.id === 'REDHAT-CVE-2024-31449')).toEqual(await recordOf(fixture(REDIS)));
    const withdrawn = records.find((r) => r.id === 'REDHAT-CVE-2024-0001')!;
    expect(withdrawn).toEqual({
      id: 'REDHAT-CVE-2024-0001',
      modified: withdrawn.withdrawn,
      withdrawn: expect.any(String),
      database_specific: { source: 'redhat-csaf' },
    });
    expect(Date.parse(withdrawn.withdrawn!)).toBeGreaterThan(Date.now() - 60_000);
    expect(checkpoints.map((c) => JSON.parse(c))).toEqual([
      { archive: ARCHIVE, documents: 3 },
      { archive: ARCHIVE, documents: 0, archiveDone: true },
    ]);
  });

  it('starts over from the archive when the cursor was written for records of the older shape (without streams)', async () => {
    await publish(feed);
    const { context, ids } = contextFor('2026-07-01T03:00:00Z');
    const outcome = await redhatCsafSource({ baseUrl: feed.base }).run(context);
    expect(outcome).toEqual({ status: 'updated', cursor: 'streams 2026-07-01T03:00:00Z' });
    expect(feed.requests[0]).toBe('/vex/archive_latest.txt');
    expect(ids()).toHaveLength(6);
  });

  it('continues an interrupted first run past the documents it wrote', async () => {
    await publish(feed);
    const { context, ids } = contextFor(undefined, JSON.stringify({ archive: ARCHIVE, documents: 2 }));
    await redhatCsafSource({ baseUrl: feed.base }).run(context);
    expect(ids()).toEqual(['REDHAT-CVE-2024-31449', 'REDHAT-CVE-2025-23419', 'REDHAT-CVE-2026-7323', 'REDHAT-CVE-2024-0001']);
  });

  (zstdTool ? it : it.skip)('reads an archive compressed by the zstd tool', async () => {
    await publish(feed, (tar) => spawnSync('zstd', ['-q', '-c', '-19'], { input: tar, maxBuffer: 64 * 1024 * 1024 }).stdout);
    const { context, ids, malformed } = contextFor();
    await redhatCsafSource({ baseUrl: feed.base }).run(context);
    expect(malformed).toEqual([]);
    expect(ids()).toHaveLength(6);
  });
  if (!zstdTool) console.log('redhat-csaf: no zstd tool on PATH; the zstd-tool archive test is skipped (stored-block frames are still tested)');

  it('later run: fetches only the documents listed after the cursor and withdraws the deleted ones', async () => {
    await publish(feed);
    const cursor = 'streams 2026-07-01T03:00:00Z';
    feed.files.set('/vex/changes.csv', csv([['2024/cve-2024-46901.json', '2026-07-03T08:00:00+00:00']]) + (feed.files.get('/vex/changes.csv') as string));
    feed.files.set('/vex/deletions.csv', csv([['2023/cve-2023-0051.json', '2026-07-03T09:00:00+00:00']]) + (feed.files.get('/vex/deletions.csv') as string));
    const { context, batches, malformed } = contextFor(cursor);
    const outcome = await redhatCsafSource({ baseUrl: feed.base, listingLagMs: 0 }).run(context);
    expect(outcome).toEqual({ status: 'updated', cursor: 'streams 2026-07-03T09:00:00Z' });
    expect(feed.requests).toEqual(['/vex/changes.csv', '/vex/deletions.csv', '/vex/2024/cve-2024-46901.json']);
    expect(malformed).toEqual([]);
    const records = batches.flat();
    expect(records.map((r) => r.id)).toEqual(['REDHAT-CVE-2024-46901', 'REDHAT-CVE-2023-0051']);
    expect(records[0]).toEqual(await recordOf(fixture(SUBVERSION)));
    expect(records[1]).toMatchObject({ id: 'REDHAT-CVE-2023-0051', withdrawn: records[1].modified });
  });

  it('later run: rows up to the lag before the cursor are fetched again, in case they were listed late', async () => {
    await publish(feed);
    feed.files.set('/vex/changes.csv', csv([['2024/cve-2024-46901.json', '2026-07-03T08:00:00+00:00']]) + (feed.files.get('/vex/changes.csv') as string));
    const { context, ids } = contextFor('streams 2026-07-01T03:00:00Z');
    await redhatCsafSource({ baseUrl: feed.base, listingLagMs: 2 * 60 * 60 * 1000 }).run(context);
    // nginx's row (02:00) and the deletion (03:00, the cursor itself) are within two hours of the cursor.
    expect(ids()).toEqual(['REDHAT-CVE-2024-46901', 'REDHAT-CVE-2025-23419', 'REDHAT-CVE-2024-0001']);
  });

  it('later run: not-modified when no row is newer than the cursor', async () => {
    await publish(feed);
    const { context, batches } = contextFor('streams 2026-07-01T03:00:00Z');
    expect(await redhatCsafSource({ baseUrl: feed.base }).run(context)).toEqual({ status: 'not-modified' });
    expect(batches).toEqual([]);
    expect(feed.requests).toEqual(['/vex/changes.csv', '/vex/deletions.csv']);
  });

  it('notes a listed document that is gone and carries on', async () => {
    await publish(feed);
    feed.files.set('/vex/changes.csv', csv([['2025/cve-2025-99999.json', '2026-07-03T08:00:00+00:00']]));
    const { context, malformed, batches } = contextFor('streams 2026-07-01T03:00:00Z');
    await redhatCsafSource({ baseUrl: feed.base, listingLagMs: 0 }).run(context);
    expect(batches).toEqual([]);
    expect(malformed).toEqual([[`${feed.base}2025/cve-2025-99999.json`, 'listed as changed but not found (HTTP 404)']]);
  });

  it('fails naming the URL and the cause', async () => {
    await publish(feed);
    feed.files.delete('/vex/changes.csv');
    await expect(redhatCsafSource({ baseUrl: feed.base }).run(contextFor('streams 2026-07-01T03:00:00Z').context)).rejects.toThrow(
      `GET ${feed.base}changes.csv: HTTP 404 Not Found`,
    );
    feed.files.set(`/vex/${ARCHIVE}`, Buffer.from('this is not zstd, gzip or a tar'));
    feed.files.set('/vex/changes.csv', '');
    await expect(redhatCsafSource({ baseUrl: feed.base }).run(contextFor().context)).rejects.toThrow(`GET ${feed.base}${ARCHIVE}: `);
    const closed = await serveFeed();
    await closed.close();
    await expect(redhatCsafSource({ baseUrl: closed.base }).run(contextFor().context)).rejects.toThrow(
      `GET ${closed.base}archive_latest.txt: connection refused`,
    );
  });

  it('stops when its signal is aborted', async () => {
    await publish(feed);
    const { context } = contextFor();
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(redhatCsafSource({ baseUrl: feed.base }).run({ ...context, signal: controller.signal })).rejects.toThrow('deadline');
  });
});
