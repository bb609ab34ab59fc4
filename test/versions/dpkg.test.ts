import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { DPKG_COMPARISONS, DPKG_ERRORS, DPKG_WARNINGS } from './data/dpkg';

describe('dpkg versions (Debian, Ubuntu)', () => {
  test.each(DPKG_COMPARISONS)('%j vs %j is %i, and reversed the opposite', (a, b, expected) => {
    expect(compareVersions('Debian:12', a, b)).toBe(expected);
    expect(compareVersions('Ubuntu:22.04:LTS', b, a)).toBe(-expected || 0);
  });

  test.each(DPKG_ERRORS)('%j is refused with InvalidVersionError', (bad) => {
    expect(() => compareVersions('Debian:12', bad, '1.0')).toThrow(InvalidVersionError);
    expect(isValidVersion('Debian', bad)).toBe(false);
  });

  test.each(DPKG_WARNINGS)('%j draws only a dpkg warning: ordered, but not valid', (odd) => {
    expect(() => compareVersions('Debian', odd, '0:0-0')).not.toThrow();
    expect(isValidVersion('Debian', odd)).toBe(false);
  });

  test('well-formed versions are valid', () => {
    for (const v of ['1.0', '1:2.36-9+deb12u4', '0:09azAZ.-+~:-0', '2.4.52-1ubuntu4.7']) {
      expect(isValidVersion('Debian:12', v)).toBe(true);
    }
  });

  test('very long digit runs compare by value without overflow', () => {
    expect(compareVersions('Debian', '1.99999999999999999999999', '1.100000000000000000000000')).toBe(-1);
  });
});
