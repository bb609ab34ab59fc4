import { readFileSync } from 'node:fs';
import { compareVersions, getVersionScheme, InvalidVersionError, isValidVersion, MAX_VERSION_LENGTH } from '../../lib/versions';
import { advisoryFixture, describeWithShared } from '../support/shared-fixtures';

describe('ecosystem to scheme', () => {
  test.each([
    ['Debian:12', 'dpkg'],
    ['Ubuntu:Pro:18.04:LTS', 'dpkg'],
    ['Alpine:v3.18', 'apk'],
    ['Wolfi', 'apk'],
    ['Chainguard', 'apk'],
    ['Red Hat:rhel_aus:8.4::appstream', 'rpm'],
    ['Rocky Linux:9', 'rpm'],
    ['AlmaLinux', 'rpm'],
    ['openSUSE:Tumbleweed', 'rpm'],
    ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
    ['Mageia:9', 'rpm'],
    ['Photon OS:5.0', 'rpm'],
    ['Azure Linux:3', 'rpm'],
    ['npm', 'semver'],
    ['crates.io', 'semver'],
    ['Hex', 'semver'],
    ['Pub', 'semver'],
    ['SwiftURL', 'semver'],
    ['Go', 'go'],
    ['PyPI', 'pep440'],
    ['Maven:https://maven.google.com', 'maven'],
    ['RubyGems', 'rubygems'],
    ['NuGet', 'nuget'],
    ['Packagist', 'packagist'],
    ['Root:Alpine:3.18', 'apk'],
    ['Root:PyPI', 'pep440'],
    ['CRAN', 'generic'],
    ['constructor', 'generic'],
    ['', 'generic'],
  ])('%j uses %s', (ecosystem, scheme) => {
    expect(getVersionScheme(ecosystem)).toBe(scheme);
  });
});

describe('generic order for unknown ecosystems', () => {
  test.each([
    ['1.0', '1.0.1', -1],
    ['1.10', '1.9', 1],
    ['1.0a', '1.0b', -1],
    ['1.0A', '1.0a', 0],
    ['1.0-1', '1.0.1', 0],
    ['2.0', '2.0rc1', -1],
    ['r100', 'r99', 1],
    ['1.0', '1.a', 1],
  ] as Array<[string, string, number]>)('%j vs %j is %i', (a, b, expected) => {
    expect(compareVersions('Hackage', a, b)).toBe(expected);
    expect(compareVersions('Hackage', b, a)).toBe(-expected || 0);
  });

  test('a version with no digits or letters is refused', () => {
    expect(() => compareVersions('CRAN', '...', '1.0')).toThrow(InvalidVersionError);
    expect(isValidVersion('CRAN', '---')).toBe(false);
  });
});

describe('bad input never crashes the matcher', () => {
  const ecosystems = ['Debian', 'Red Hat', 'Alpine', 'npm', 'Go', 'PyPI', 'Maven', 'RubyGems', 'NuGet', 'Packagist', 'CRAN'];
  const hostile: unknown[] = ['', ' ', 'x'.repeat(MAX_VERSION_LENGTH + 1), '1.'.repeat(300), null, undefined, 42, '\u0000', '💥', '-'.repeat(200)];

  test.each(ecosystems)('%s: every outcome is a number or an InvalidVersionError', (ecosystem) => {
    for (const bad of hostile) {
      for (const pair of [
        [bad, '1.0'],
        ['1.0', bad],
      ]) {
        try {
          const r = compareVersions(ecosystem, pair[0] as string, pair[1] as string);
          expect([-1, 0, 1]).toContain(r);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidVersionError);
          expect((err as InvalidVersionError).message.length).toBeLessThan(200);
        }
      }
      expect(typeof isValidVersion(ecosystem, bad as string)).toBe('boolean');
    }
  });

  test('InvalidVersionError names the scheme and the version', () => {
    try {
      compareVersions('npm', 'not-a-version', '1.0.0');
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidVersionError);
      const e = err as InvalidVersionError;
      expect(e.scheme).toBe('semver');
      expect(e.version).toBe('not-a-version');
      expect(e.message).toContain('not-a-version');
    }
  });
});

describeWithShared('versions of the shared advisory fixtures', () => {
  test('the ecosystem list has a scheme for every ecosystem the task names', () => {
    const names = Object.keys(JSON.parse(readFileSync(advisoryFixture('schema/osv-ecosystems.json'), 'utf8')) as Record<string, string>);
    for (const name of [
      'Debian',
      'Ubuntu',
      'Alpine',
      'Red Hat',
      'Rocky Linux',
      'AlmaLinux',
      'Wolfi',
      'Chainguard',
      'npm',
      'PyPI',
      'Maven',
      'Go',
      'RubyGems',
      'NuGet',
      'crates.io',
      'Packagist',
      'Hex',
      'Pub',
      'SwiftURL',
      'openSUSE',
      'SUSE',
      'Mageia',
      'Photon OS',
      'Azure Linux',
    ]) {
      expect(names).toContain(name);
      expect(getVersionScheme(name)).not.toBe('generic');
    }
  });
});
