import { compareVersions, InvalidVersionError, isValidVersion } from '../../lib/versions';
import { NUGET_EQUAL, NUGET_INVALID, NUGET_LESS } from './data/nuget';

describe('NuGet versions', () => {
  test.each(NUGET_EQUAL)('%j == %j', (a, b) => {
    expect(compareVersions('NuGet', a, b)).toBe(0);
    expect(compareVersions('NuGet', b, a)).toBe(0);
  });

  test.each(NUGET_LESS)('%j < %j', (a, b) => {
    expect(compareVersions('NuGet', a, b)).toBe(-1);
    expect(compareVersions('NuGet', b, a)).toBe(1);
  });

  test.each(NUGET_INVALID)('%j is refused', (bad) => {
    expect(isValidVersion('NuGet', bad)).toBe(false);
    expect(() => compareVersions('NuGet', bad, '1.0.0')).toThrow(InvalidVersionError);
  });
});
