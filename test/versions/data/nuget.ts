/**
 * NuGet cases transcribed from NuGet/NuGet.Client's
 * test/NuGet.Core.Tests/NuGet.Versioning.Test/VersionComparerTests.cs (VersionComparisonDefaultEqual
 * and VersionComparisonDefaultLess); the four-part rows are NuGet.Versioning facts (missing parts
 * are zero, the fourth part is compared after the third).
 */
export const NUGET_EQUAL: Array<[string, string]> = [
  ['1.0.0', '1.0.0'],
  ['1.0.0-BETA', '1.0.0-beta'],
  ['1.0.0-BETA+AA', '1.0.0-beta+aa'],
  ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.77.0+aa'],
  ['1.0', '1.0.0'],
  ['1.0.0.0', '1.0.0'],
  ['1.0.0+build', '1.0.0'],
  ['1.01.0', '1.1.0'],
];

export const NUGET_LESS: Array<[string, string]> = [
  ['0.0.0', '1.0.0'],
  ['1.0.0', '1.1.0'],
  ['1.0.0', '1.0.1'],
  ['1.999.9999', '2.1.1'],
  ['1.0.0-BETA', '1.0.0-beta2'],
  ['1.0.0-beta+AA', '1.0.0+aa'],
  ['1.0.0-BETA', '1.0.0-beta.1+AA'],
  ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.79.0+aa'],
  ['1.0.0-BETA.X.y.5.79.0+AA', '1.0.0-beta.x.y.5.790.0+abc'],
  ['1.0.0', '1.0.0.1'],
  ['1.0.0.1', '1.0.1'],
  ['1.0.0.9', '1.0.0.10'],
  ['1.0.0.1-beta', '1.0.0.1'],
  ['1.0.0-1', '1.0.0-alpha'],
  ['1.0.0-alpha.2', '1.0.0-alpha.10'],
];

export const NUGET_INVALID = ['', 'a.b.c', '1.0.0.0.0', '1.0.0-', '1.0.0-beta..1', '1.0.0+', '99999999999.0.0', '1.0.0-be ta'];
