import { compareAdvisoryVersions, compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { coerceSemver } from '../../lib/versions/semver';
import { withoutPlatform } from '../../lib/versions/rubygems';

/**
 * Versions as real advisories and real installations write them. Each pair names where it comes from: an OSV
 * record's range event (id), or how an installation records the version.
 */

type Case = [string, string, -1 | 0 | 1, string];

function both(ecosystem: string, a: string, b: string, expected: number): void {
  expect([a, b, compareVersions(ecosystem, a, b)]).toEqual([a, b, expected]);
  expect([b, a, compareVersions(ecosystem, b, a)]).toEqual([b, a, -expected || 0]);
}

describe('a v or V before a SemVer or Go version', () => {
  test.each([
    ['npm', 'V1.2.3', '1.2.3', 0],
    ['npm', 'v1.2.5', '1.2.6', -1], // minimist 1.2.5 under GHSA-xvch-5gv4-984h's fix, as a git tag writes it
    ['npm', 'V1.2.6', 'v1.2.6', 0],
    ['npm', ' V 1.2.3', '1.2.3', 0],
    ['crates.io', 'V0.7.35', '0.7.31', 1], // zerocopy under RUSTSEC-2023-0074's last fix
    ['Go', 'V0.17.0', 'v0.17.0', 0], // golang.org/x/net at GO-2023-2102's fix
    ['Go', 'V0.7.0', '0.17.0', -1],
    ['Go', 'v0.0.0-20210520170846-37e1c6afe023', 'V0.0.0-20210428140749-89ef3d95e781', 1], // GO-2021-0238 vs GO-2022-0236 pseudo-versions
  ] as Array<[string, string, string, number]>)('%s: %j vs %j is %i', (ecosystem, a, b, expected) => {
    both(ecosystem, a, b, expected);
    expect(isValidVersion(ecosystem, a)).toBe(true);
  });

  test('a doubled V, or a V before something that is no version, is still refused', () => {
    for (const bad of ['VV1.2.3', 'V', 'Vlatest', 'V.1.2.3']) {
      expect(() => compareVersions('npm', bad, '1.0.0')).toThrow(InvalidVersionError);
      expect(() => compareVersions('Go', bad, '1.0.0')).toThrow(InvalidVersionError);
    }
  });
});

describe('SemVer versions with missing parts, as osv.dev orders them (semver_index.coerce)', () => {
  test.each([
    ['2.0', '2.0.0'],
    ['3', '3.0.0'],
    ['v2', '2.0.0'],
    ['V2.1', '2.1.0'],
    ['1.2-beta.1', '1.2.0-beta.1'],
    ['1.2+build', '1.2.0+build'],
    ['01.002.0003', '1.2.3'],
    ['1.2.3', '1.2.3'],
    ['1.2.3.4', '1.2.3.4'],
    ['latest', 'latest'],
  ])('coerceSemver(%j) is %j', (version, coerced) => {
    expect(coerceSemver(version)).toBe(coerced);
  });

  test.each([
    ['npm', '1.9.9', '2.0', -1],
    ['npm', '2.0.0', '2.0', 0],
    ['npm', '2.0.0-rc.1', '2.0', -1],
    ['npm', '3.0.1', '3', 1],
    ['npm', '2.9.99', '3', -1],
    ['crates.io', '0.3.5', '0.3', 1],
    ['Hex', '1.0.0', 'v1', 0],
  ] as Array<[string, string, string, number]>)('%s: %j vs %j is %i', (ecosystem, a, b, expected) => {
    expect(compareAdvisoryVersions(ecosystem, a, b)).toBe(expected);
    expect(compareAdvisoryVersions(ecosystem, b, a)).toBe(-expected || 0);
  });

  test('compareVersions keeps refusing them, as SemVer does; compareAdvisoryVersions still refuses junk', () => {
    expect(() => compareVersions('npm', '2.0', '1.9.9')).toThrow(InvalidVersionError);
    expect(isValidVersion('npm', '2.0')).toBe(false);
    for (const bad of ['1.2.3.4', 'latest', '', '1..2']) expect(() => compareAdvisoryVersions('npm', bad, '1.0.0')).toThrow(InvalidVersionError);
  });

  test('other schemes compare as compareVersions does', () => {
    expect(compareAdvisoryVersions('RubyGems', '2.2.3', '2.2')).toBe(compareVersions('RubyGems', '2.2.3', '2.2'));
    expect(compareAdvisoryVersions('Maven', '4.1.93.Final', '4.1.94.Final')).toBe(-1);
    expect(compareAdvisoryVersions('Go', '1.22.1', '1.22.0-0')).toBe(1);
  });
});

describe('RubyGems platform gems', () => {
  test.each([
    ['1.13.9-x86_64-linux', '1.13.9'],
    ['1.16.7-x86_64-linux-gnu', '1.16.7'],
    ['1.16.7-x86_64-linux-musl', '1.16.7'],
    ['1.16.7-aarch64-linux', '1.16.7'],
    ['1.16.7-arm64-darwin', '1.16.7'],
    ['1.16.7-universal-darwin-19', '1.16.7'],
    ['1.16.7-x64-mingw-ucrt', '1.16.7'],
    ['1.16.7-x86-mingw32', '1.16.7'],
    ['1.16.7-java', '1.16.7'],
    ['9.4.3.0-jruby', '9.4.3.0'],
    ['1.0.0-rc1', '1.0.0-rc1'],
    ['1.0.0-1', '1.0.0-1'],
    ['1.0.0-alpha.1', '1.0.0-alpha.1'],
    ['1.0.0-javascript', '1.0.0-javascript'],
  ])('withoutPlatform(%j) is %j', (version, release) => {
    expect(withoutPlatform(version)).toBe(release);
  });

  test.each([
    ['1.2.0-x86_64-linux', '1.2.0', 0, 'a platform gem is its release'],
    ['1.16.7-x86_64-linux', '1.16.7', 0, 'test/analyzers/data/gemspec/nokogiri-1.16.7-x86_64-linux.gemspec as Bundler writes it'],
    ['1.13.9-x86_64-linux', '1.13.10', -1, 'below a fix'],
    ['1.13.10-arm64-darwin', '1.13.10', 0, 'at a fix'],
    ['1.13.10-java', '1.13.10', 0, 'JRuby build, not a pre-release'],
    ['1.13.10-x64-mingw-ucrt', '1.13.9', 1, 'above the version before'],
    ['1.0.0-rc1', '1.0.0', -1, "Gem::Version's own - pre-release form stays a pre-release"],
    ['1.6.13', '2.0.9.1', -1, 'rack 1.6.13 under GHSA-wq4h-7r42-5hrr fix 2.0.9.1'],
    ['2.2.3', '2.2.3.1', -1, 'rack 2.2.3 under GHSA-wq4h-7r42-5hrr fix 2.2.3.1'],
    ['2.2.3', '2.2', 1, "rack 2.2.3 above GHSA-wq4h-7r42-5hrr's two-part introduced 2.2"],
    ['2.1.4.1', '2.1', 1, 'the fix of the 2.1 branch'],
  ] as Case[])('%j vs %j is %i (%s)', (a, b, expected) => {
    both('RubyGems', a, b, expected);
  });

  test('platform gem versions are valid; a malformed release before the platform is not', () => {
    expect(isValidVersion('RubyGems', '1.13.9-x86_64-linux')).toBe(true);
    expect(isValidVersion('RubyGems', '1..2-x86_64-linux')).toBe(false);
    expect(() => compareVersions('RubyGems', 'junk-x86_64-linux', '1.0')).toThrow(InvalidVersionError);
  });
});

describe('PEP 440 local versions', () => {
  test.each([
    ['1.26.4+ubuntu1', '1.26.4', 1, 'a local version sorts above its public version'],
    ['1.26.4+ubuntu1', '1.26.5', -1, 'urllib3 under GHSA-q2q7-5pp4-w6pg / PYSEC-2021-108 fix 1.26.5'],
    ['1.26.18+dfsg1', '1.26.18', 1, 'at PYSEC-2023-212 fix 1.26.18: not below it'],
    ['1.26.17+ubuntu0.1', '1.26.18', -1, 'below PYSEC-2023-212 fix 1.26.18'],
    ['2.0.7+local', '2.0.7', 1, "at PYSEC-2023-212's 2.x fix"],
    ['1.2.3+Ubuntu_1', '1.2.3+ubuntu.1', 0, 'local segments are case- and separator-insensitive'],
    ['1.2.3+ubuntu-1', '1.2.3+ubuntu.1', 0, 'dashes separate local segments too'],
    ['1.0+abc.5', '1.0+abc.10', -1, 'numeric local segments compare as numbers'],
    ['1.0+1', '1.0+abc', 1, 'numeric local segments sort above letters'],
    ['1.26.12', '1.25.9', 1, 'the Debian bookworm urllib3 against PYSEC-2020-148 fix 1.25.9'],
  ] as Case[])('%j vs %j is %i (%s)', (a, b, expected) => {
    both('PyPI', a, b, expected);
  });

  test('local versions are valid; empty or doubled separators are not', () => {
    expect(isValidVersion('PyPI', '1.2.3+ubuntu1')).toBe(true);
    expect(isValidVersion('PyPI', '1.26.12+dfsg-1')).toBe(true);
    for (const bad of ['1.0+', '1.0+ubuntu..1', '1.0+-x']) {
      expect(isValidVersion('PyPI', bad)).toBe(false);
      expect(() => compareVersions('PyPI', bad, '1.0')).toThrow(InvalidVersionError);
    }
  });
});

describe('Maven qualifiers in real advisories', () => {
  test.each([
    ['4.1.93.Final', '4.1.94.Final', -1, 'netty-handler under GHSA-6mjq-h674-j845 fix 4.1.94.Final'],
    ['4.1.94.Final', '4.1.94', 0, 'Final is the release'],
    ['4.1.0.Final', '4.1.0', 0, "GHSA-57m8-f3v5-hm5m's introduced"],
    ['4.1.93.Final', '4.1.99.Final', -1, "GHSA-57m8-f3v5-hm5m's last_affected"],
    ['4.1.100.Final', '4.1.99.Final', 1, 'numbers, not text'],
    ['2.14.1', '2.15.0', -1, 'log4j-core under GHSA-jfh8-c2jp-5v3q fix 2.15.0'],
    ['2.14.1', '2.13.0', 1, "above GHSA-jfh8-c2jp-5v3q's introduced 2.13.0"],
    ['2.12.1', '2.12.2', -1, 'the 2.12 branch fix'],
    ['2.4', '2.4.0', 0, "GHSA-jfh8-c2jp-5v3q's two-part introduced 2.4"],
    ['2.0-beta9', '2.0-rc1', -1, 'log4j 2.0 pre-releases'],
    ['2.0-rc1', '2.0', -1, 'a release candidate is below its release'],
    ['2.0-beta9', '2.3.1', -1, "below GHSA-jfh8-c2jp-5v3q's fix 2.3.1"],
    ['2.9.10.6', '2.12.6.1', -1, 'jackson-databind under GHSA-57j2-w4cx-62h2 fix 2.12.6.1'],
    ['2.13.2', '2.13.2.1', -1, 'a fourth part above the three'],
    ['2.13.2.0', '2.13.2', 0, 'a trailing zero part'],
    ['5.3.18.RELEASE', '5.3.18', 0, 'Spring release names'],
    ['2.0.0.M1', '2.0.0.RC1', -1, 'milestones below release candidates'],
    ['1.0.0.CR1', '1.0.0.RC1', 0, 'CR is RC'],
    ['5.0.0.Beta1', '5.0.0.Alpha2', 1, 'beta above alpha'],
    ['9.4.43.v20210629', '9.4.44', -1, 'Jetty date-stamped releases'],
    ['9.4.43.v20210629', '9.4.43', 1, 'an unknown qualifier sorts above the release'],
    ['31.1-jre', '32.0.0-android', -1, 'guava flavours'],
    ['32.0.0-jre', '32.0.0-android', 1, 'flavours compare as text'],
    ['3.0.0-M1', '3.0.0', -1, 'M1 is a milestone'],
    ['1.0-SNAPSHOT', '1.0', -1, 'a snapshot is below its release'],
    ['1.0-sp1', '1.0', 1, 'a service pack is above its release'],
  ] as Case[])('%j vs %j is %i (%s)', (a, b, expected) => {
    both('Maven', a, b, expected);
  });
});

describe('Go toolchain versions as binaries and GO- records name them', () => {
  test.each([
    ['1.22.1', '1.22.2', -1, 'stdlib of a go1.22.1 binary under GO-2024-2687 fix 1.22.2'],
    ['1.22.1', '1.22.1', 0, 'GO-2024-2598 fix 1.22.1: not affected'],
    ['1.22.1', '1.22.0-0', 1, "above GO-2024-2598's introduced 1.22.0-0"],
    ['1.15.2', '1.15.12', -1, 'stdlib of a go1.15.2 binary under GO-2022-0236 fix 1.15.12'],
    ['1.15.2', '1.16.0-0', -1, "below GO-2022-0236's second range"],
    ['1.22rc1', '1.22.0-0', 1, 'a release candidate as stdlibVersion gives it'],
  ] as Case[])('%j vs %j is %i (%s)', (a, b, expected) => {
    both('Go', a, b, expected);
  });
});
