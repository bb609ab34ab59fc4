import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { SEMVER_EQUAL, SEMVER_GREATER } from './data/semver';

const ECOSYSTEMS = ['npm', 'crates.io', 'Hex', 'Pub', 'SwiftURL'];

describe('SemVer ecosystems', () => {
  test.each(SEMVER_GREATER)('%j > %j', (a, b) => {
    for (const eco of ECOSYSTEMS) {
      expect(compareVersions(eco, a, b)).toBe(1);
      expect(compareVersions(eco, b, a)).toBe(-1);
    }
  });

  test.each(SEMVER_EQUAL)('%j == %j (build metadata ignored)', (a, b) => {
    expect(compareVersions('npm', a, b)).toBe(0);
    expect(compareVersions('crates.io', b, a)).toBe(0);
  });

  test('versions SemVer cannot parse are refused', () => {
    for (const bad of ['1.2', 'not.a.version', '1.2.3.4', '1.2.99999999999999999', '']) {
      expect(() => compareVersions('npm', bad, '1.0.0')).toThrow(InvalidVersionError);
      expect(isValidVersion('npm', bad)).toBe(false);
    }
    expect(isValidVersion('npm', 'v1.2.3-beta.1+build')).toBe(true);
  });
});
