import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTimestamps, ecosystemKey, packageKey, packageNameKey } from '../../lib/vulndb/osv';
import { MalformedAdvisoryError, parseOsv } from '../../lib/vulndb/osv-parse';
import { advisoryFixture, describeWithShared } from '../support/shared-fixtures';

function fixtureRecords(): Array<[string, unknown]> {
  const root = advisoryFixture('osv');
  return readdirSync(root).flatMap((ecosystem) =>
    readdirSync(join(root, ecosystem)).map((file): [string, unknown] => [
      `${ecosystem}/${file}`,
      JSON.parse(readFileSync(join(root, ecosystem, file), 'utf8')),
    ]),
  );
}

describeWithShared('OSV parser on real records', () => {
  it('accepts every fixture record and keeps its ids, dates, ranges and aliases', () => {
    const records = fixtureRecords();
    expect(records.length).toBeGreaterThanOrEqual(40);
    for (const [name, raw] of records) {
      const osv = parseOsv(raw);
      const source = raw as { id: string; modified: string; aliases?: string[]; affected?: unknown[] };
      expect({ name, id: osv.id, modified: osv.modified }).toEqual({ name, id: source.id, modified: source.modified });
      expect(osv.aliases).toEqual(source.aliases);
      expect(osv.affected?.length).toBe(source.affected?.length);
    }
  });

  it('reads the ranges of a Debian DLA as published', () => {
    const osv = parseOsv(JSON.parse(readFileSync(advisoryFixture('osv/Debian/DLA-3008-1.json'), 'utf8')));
    expect(osv.upstream).toEqual(['CVE-2022-1292', 'DEBIAN-CVE-2022-1292']);
    expect(osv.affected![0].package).toEqual({ name: 'openssl', ecosystem: 'Debian:9', purl: 'pkg:deb/debian/openssl?arch=source' });
    expect(osv.affected![0].ranges![0]).toEqual({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.0l-1~deb9u6' }] });
  });
});

describe('OSV parser on bad input', () => {
  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'GHSA-xxxx'],
    ['no id', { modified: '2024-01-01T00:00:00Z' }],
    ['no modified', { id: 'X-1' }],
    ['an unparseable modified', { id: 'X-1', modified: 'yesterday' }],
    ['an id with spaces', { id: 'X 1', modified: '2024-01-01T00:00:00Z' }],
    ['affected that is not a list', { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: { package: {} } }],
    ['a range without events', { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ ranges: [{ type: 'ECOSYSTEM' }] }] }],
    ['an empty event', { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{}] }] }] }],
    ['a package without a name', { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm' } }] }],
  ])('rejects %s', (_name, value) => {
    expect(() => parseOsv(value)).toThrow(MalformedAdvisoryError);
  });

  it('tolerates nulls, numbers for strings and unknown fields', () => {
    const osv = parseOsv({
      id: 'X-1',
      modified: '2024-01-01T00:00:00Z',
      published: null,
      aliases: null,
      summary: null,
      extra: { anything: true },
      affected: [
        { package: { ecosystem: 'PyPI', name: 'pyyaml' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 0 }, { fixed: 5.4 }] }], versions: null },
      ],
    });
    expect(osv).toEqual({
      id: 'X-1',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'PyPI', name: 'pyyaml' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.4' }] }] }],
    });
  });
});

describe('ecosystem and package keys', () => {
  it.each([
    ['Debian:12', 'Debian:12'],
    ['debian:12.4', 'Debian:12'],
    ['Ubuntu:22.04:LTS', 'Ubuntu:22.04:LTS'],
    ['Ubuntu:22.04', 'Ubuntu:22.04:LTS'],
    ['Ubuntu:23.10', 'Ubuntu:23.10'],
    ['Ubuntu:Pro:18.04:LTS', 'Ubuntu:Pro:18.04:LTS'],
    ['Alpine:v3.18', 'Alpine:v3.18'],
    ['alpine:3.18', 'Alpine:v3.18'],
    ['Red Hat:enterprise_linux:9::appstream', 'Red Hat:9'],
    ['Red Hat:9', 'Red Hat:9'],
    ['Red Hat:rhel_eus:9.2::appstream', 'Red Hat:rhel_eus:9.2::appstream'],
    ['Amazon Linux:2023', 'Amazon Linux:2023'],
    ['Amazon Linux:2018.03', 'Amazon Linux:1'],
    ['SUSE:Linux Enterprise Server 15 SP5', 'SUSE:15.5'],
    ['SUSE:Linux Enterprise Module for Basesystem 15 SP5', 'SUSE:15.5'],
    ['SUSE:Linux Enterprise Server LTSS 12 SP5', 'SUSE:12.5'],
    ['SUSE:Linux Enterprise Server 15', 'SUSE:15'],
    ['SUSE:Linux Enterprise Micro 5.5', 'SUSE:micro:5.5'],
    ['SUSE:Linux Enterprise Micro for Rancher 5.4', 'SUSE:micro:5.4'],
    ['SUSE:Linux Micro 6.0', 'SUSE:micro:6.0'],
    ['SUSE:Linux Enterprise Server 16.0', 'SUSE:16'],
    ['SUSE:Linux Enterprise Server 15 SP4-LTSS', 'SUSE:15.4'],
    ['SUSE:Linux Enterprise Server 12 SP5-ESPOS', 'SUSE:12.5'],
    ['openSUSE:Leap 15.5 NonFree', 'openSUSE:leap:15.5'],
    ['openSUSE:Leap 15.5', 'openSUSE:leap:15.5'],
    ['openSUSE:Leap Micro 5.5', 'openSUSE:leap-micro:5.5'],
    ['openSUSE:Tumbleweed', 'openSUSE:tumbleweed'],
    ['Azure Linux:3', 'Azure Linux:3.0'],
    ['CBL-Mariner:2.0', 'CBL-Mariner:2.0'],
    ['Oracle Linux:9', 'Oracle Linux:9'],
    ['Photon OS:5.0', 'Photon OS:5.0'],
    ['Rocky Linux:9', 'Rocky Linux:9'],
    ['AlmaLinux:8', 'AlmaLinux:8'],
    ['Wolfi', 'Wolfi'],
    ['Chainguard', 'Chainguard'],
    ['npm', 'npm'],
    ['pypi', 'PyPI'],
    ['Maven', 'Maven'],
    ['Maven:https://repo.maven.apache.org/maven2/', 'Maven'],
    ['Go', 'Go'],
    ['RubyGems', 'RubyGems'],
    ['nuget', 'NuGet'],
    ['crates.io', 'crates.io'],
    ['Packagist', 'Packagist'],
  ])('%s → %s', (input, key) => {
    expect(ecosystemKey(input)).toBe(key);
  });

  it('normalises names per ecosystem', () => {
    expect(packageNameKey('PyPI', 'Foo.Bar__baz')).toBe('foo-bar-baz');
    expect(packageNameKey('PyPI', 'PyYAML')).toBe('pyyaml');
    expect(packageNameKey('NuGet', 'Newtonsoft.Json')).toBe('newtonsoft.json');
    expect(packageNameKey('Packagist', 'Symfony/HTTP-Kernel')).toBe('symfony/http-kernel');
    expect(packageNameKey('Maven', 'org.apache.logging.log4j:log4j-core')).toBe('org.apache.logging.log4j:log4j-core');
    expect(packageNameKey('Go', 'github.com/BurntSushi/toml')).toBe('github.com/BurntSushi/toml');
    expect(packageNameKey('npm', '@Scope/Pkg')).toBe('@Scope/Pkg');
    expect(packageKey('pypi', 'Jinja2')).toBe('PyPI|jinja2');
  });

  it('orders timestamps below the millisecond', () => {
    expect(compareTimestamps('2026-03-09T01:23:33.375630Z', '2026-03-09T01:23:33.375631Z')).toBe(-1);
    expect(compareTimestamps('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z')).toBe(0);
    expect(compareTimestamps('2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00Z')).toBe(0);
    expect(compareTimestamps('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z')).toBe(1);
  });
});
