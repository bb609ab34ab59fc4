import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { GO_COMPARE, GO_SEMVER_TESTS } from './data/semver';

const valid = GO_SEMVER_TESTS.filter(([, canonical]) => canonical !== '');

describe('Go module and toolchain versions', () => {
  test.each(GO_SEMVER_TESTS)('%j validity follows its canonical form %j', (input, canonical) => {
    expect(isValidVersion('Go', input)).toBe(canonical !== '');
  });

  test('the semver_test.go table is in order, equal canonical forms compare equal', () => {
    for (let i = 0; i < valid.length; i++) {
      for (let j = 0; j < valid.length; j++) {
        const want = valid[i][1] === valid[j][1] ? 0 : i < j ? -1 : 1;
        expect([valid[i][0], valid[j][0], compareVersions('Go', valid[i][0], valid[j][0])]).toEqual([valid[i][0], valid[j][0], want]);
      }
    }
  });

  test.each(GO_COMPARE)('Compare(%j, %j) = %i', (a, b, expected) => {
    expect(compareVersions('Go', a, b)).toBe(expected);
  });

  test('OSV drops the v; +incompatible is build metadata; pseudo-versions are pre-releases', () => {
    expect(compareVersions('Go', '1.2.3', 'v1.2.3')).toBe(0);
    expect(compareVersions('Go', '2.0.0+incompatible', '2.0.0')).toBe(0);
    expect(compareVersions('Go', '2.0.1+incompatible', '2.0.0+incompatible')).toBe(1);
    expect(compareVersions('Go', '0.0.0-20210101000000-abcdefabcdef', '0.0.0-20220101000000-abcdefabcdef')).toBe(-1);
    expect(compareVersions('Go', '1.2.4-0.20210101000000-abcdefabcdef', '1.2.3')).toBe(1);
    expect(compareVersions('Go', '1.2.4-0.20210101000000-abcdefabcdef', '1.2.4')).toBe(-1);
    expect(compareVersions('Go', '1.2.3-pre.0.20210101000000-abcdefabcdef', '1.2.3-pre')).toBe(1);
  });

  test('toolchain versions: go prefix, release candidates, language versions', () => {
    expect(compareVersions('Go', 'go1.21.3', '1.21.3')).toBe(0);
    expect(compareVersions('Go', '1.22rc1', '1.22.0')).toBe(-1);
    expect(compareVersions('Go', '1.22rc1', '1.22rc2')).toBe(-1);
    expect(compareVersions('Go', 'go1.21beta1', 'go1.21rc1')).toBe(-1);
    expect(compareVersions('Go', 'go1.21', 'go1.21rc1')).toBe(-1);
    expect(compareVersions('Go', 'go1.21', '1.21.0-0')).toBe(0);
    expect(compareVersions('Go', 'go1.20', '1.20.0')).toBe(0);
    expect(compareVersions('Go', 'go1.20', 'go1.20.1')).toBe(-1);
  });

  test('leading zeros and junk are refused', () => {
    for (const bad of ['v01.2.3', '1.2.3-01', 'latest', 'v1.2.3.4', '']) {
      expect(() => compareVersions('Go', bad, '1.0.0')).toThrow(InvalidVersionError);
    }
  });
});
