import { compareVersions, InvalidVersionError } from '../../lib/versions';
import { LEADING_ZERO_ONES, LEADING_ZERO_ZEROS, MAVEN_EQUAL, MAVEN_LESS, MNG_7644_QUALIFIERS, VERSIONS_NUMBER, VERSIONS_QUALIFIER } from './data/maven';

const cmp = (a: string, b: string): number => compareVersions('Maven', a, b);

function expectOrdered(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      expect([versions[i], versions[j], cmp(versions[i], versions[j])]).toEqual([versions[i], versions[j], -1]);
      expect([versions[j], versions[i], cmp(versions[j], versions[i])]).toEqual([versions[j], versions[i], 1]);
    }
  }
}

describe('Maven ComparableVersion', () => {
  test('VERSIONS_QUALIFIER is strictly increasing', () => expectOrdered(VERSIONS_QUALIFIER));
  test('VERSIONS_NUMBER is strictly increasing', () => expectOrdered(VERSIONS_NUMBER));

  test.each(MAVEN_EQUAL)('%j == %j', (a, b) => {
    expect(cmp(a, b)).toBe(0);
    expect(cmp(b, a)).toBe(0);
  });

  test.each(MAVEN_LESS)('%j < %j', (a, b) => {
    expect(cmp(a, b)).toBe(-1);
    expect(cmp(b, a)).toBe(1);
  });

  test.each(MNG_7644_QUALIFIERS)('MNG-7644 with qualifier %j', (x) => {
    expect(cmp(`1.0.0.${x}1`, `1.0.0-${x}2`)).toBe(-1);
    expect(cmp(`2-${x}`, `2.0.${x}`)).toBe(0);
    expect(cmp(`2-${x}`, `2.0.0.${x}`)).toBe(0);
    expect(cmp(`2.0.${x}`, `2.0.0.${x}`)).toBe(0);
  });

  test('leading zeros never matter', () => {
    for (const group of [LEADING_ZERO_ONES, LEADING_ZERO_ZEROS]) {
      for (const a of group) for (const b of group) expect(cmp(a, b)).toBe(0);
    }
  });

  test('the OSV ecosystem suffix naming a repository is ignored', () => {
    expect(compareVersions('Maven:https://maven.google.com', '2.0-rc1', '2.0')).toBe(-1);
  });

  test('versions longer than 256 characters are refused like Maven does', () => {
    expect(() => cmp('1.'.repeat(200), '1')).toThrow(InvalidVersionError);
  });
});
