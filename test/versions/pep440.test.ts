import { compare as libraryCompare } from '@renovatebot/pep440';
import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { PEP440_INVALID, PEP440_NORMALIZED, PEP440_ORDERED } from './data/pep440';

describe('PEP 440 versions (PyPI)', () => {
  test('the packaging VERSIONS list, with and without epoch 1, is strictly increasing', () => {
    expect(PEP440_ORDERED).toHaveLength(92);
    for (let i = 0; i < PEP440_ORDERED.length; i++) {
      for (let j = i + 1; j < PEP440_ORDERED.length; j++) {
        const [a, b] = [PEP440_ORDERED[i], PEP440_ORDERED[j]];
        expect([a, b, compareVersions('PyPI', a, b)]).toEqual([a, b, -1]);
        expect([b, a, compareVersions('PyPI', b, a)]).toEqual([b, a, 1]);
      }
    }
  });

  test.each(PEP440_INVALID)('%j is invalid and refused', (bad) => {
    expect(isValidVersion('PyPI', bad)).toBe(false);
    expect(() => compareVersions('PyPI', bad, '1.0')).toThrow(InvalidVersionError);
  });

  test.each(PEP440_NORMALIZED)('%j equals its normal form %j', (version, normal) => {
    expect(compareVersions('PyPI', version, normal)).toBe(0);
  });

  test('the release segment is zero-padded', () => {
    expect(compareVersions('PyPI', '1.0', '1.0.0')).toBe(0);
    expect(compareVersions('PyPI', '2.28.0', '2.3')).toBe(1);
  });

  test('orders every pair as @renovatebot/pep440 does, with its keys computed once per version', () => {
    const versions = [...PEP440_ORDERED, ...PEP440_NORMALIZED.flat(), '1.0+abc.5', '1.0+abc.10', '1.0+5', '1.0+ABC', '0!1.0', '1.0.post0.dev0', '1.0rc'];
    const ours = versions.flatMap((a) => versions.map((b) => `${a} ${b} ${compareVersions('PyPI', a, b)}`));
    expect(ours).toEqual(versions.flatMap((a) => versions.map((b) => `${a} ${b} ${Math.sign(libraryCompare(a.trim(), b.trim()))}`)));
  });
});
