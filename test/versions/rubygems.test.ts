import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { GEM_COMPARE, GEM_INVALID } from './data/rubygems';

describe('RubyGems versions', () => {
  test.each(GEM_COMPARE)('%j <=> %j is %i', (a, b, expected) => {
    expect(compareVersions('RubyGems', a, b)).toBe(expected);
    expect(compareVersions('RubyGems', b, a)).toBe(-expected || 0);
  });

  test.each(GEM_INVALID)('%j is a malformed version number string', (bad) => {
    expect(isValidVersion('RubyGems', bad)).toBe(false);
    expect(() => compareVersions('RubyGems', bad, '1.0')).toThrow(InvalidVersionError);
  });

  test('large segments compare by value', () => {
    expect(compareVersions('RubyGems', '1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
  });
});
