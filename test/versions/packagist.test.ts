import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { normalizeComposerVersion } from '../../lib/versions/packagist';
import { COMPOSER_INVALID, COMPOSER_NORMALIZED, COMPOSER_ORDERED } from './data/packagist';

describe('Composer versions (Packagist)', () => {
  test.each(COMPOSER_NORMALIZED)('%j normalises to %j and compares equal to it', (version, normal) => {
    expect(normalizeComposerVersion(version)).toBe(normal);
    expect(compareVersions('Packagist', version, normal)).toBe(0);
  });

  test('stabilities order dev < alpha < beta < RC < stable < patch', () => {
    for (let i = 0; i < COMPOSER_ORDERED.length; i++) {
      for (let j = i + 1; j < COMPOSER_ORDERED.length; j++) {
        const [a, b] = [COMPOSER_ORDERED[i], COMPOSER_ORDERED[j]];
        expect([a, b, compareVersions('Packagist', a, b)]).toEqual([a, b, -1]);
        expect([b, a, compareVersions('Packagist', b, a)]).toEqual([b, a, 1]);
      }
    }
  });

  test('padding and v prefix do not matter', () => {
    expect(compareVersions('Packagist', 'v1.2', '1.2.0.0')).toBe(0);
    expect(compareVersions('Packagist:https://packages.drupal.org/8', '8.9.0-rc1', '8.9.0')).toBe(-1);
  });

  test.each(COMPOSER_INVALID)('%j is refused', (bad) => {
    expect(isValidVersion('Packagist', bad)).toBe(false);
    expect(() => compareVersions('Packagist', bad, '1.0.0')).toThrow(InvalidVersionError);
  });
});
