/**
 * Composer version facts: normalisation pairs from composer/semver's VersionParserTest
 * (successfulNormalizedVersions, as far as tagged versions go) and orderings that follow from PHP's
 * version_compare special forms (dev < alpha = a < beta = b < RC = rc < # < pl = p), which
 * composer/semver's Comparator applies to normalised versions.
 */
export const COMPOSER_NORMALIZED: Array<[string, string]> = [
  ['1.0.0', '1.0.0.0'],
  ['1.2.3.4', '1.2.3.4'],
  ['1.0.0RC1dev', '1.0.0.0-RC1-dev'],
  ['1.0.0-rC15-dev', '1.0.0.0-RC15-dev'],
  ['1.0.0.RC.15-dev', '1.0.0.0-RC15-dev'],
  ['1.0.0-rc1', '1.0.0.0-RC1'],
  ['1.0.0.pl3-dev', '1.0.0.0-patch3-dev'],
  ['1.0-dev', '1.0.0.0-dev'],
  ['0', '0.0.0.0'],
  ['10.4.13-beta', '10.4.13.0-beta'],
  ['10.4.13beta2', '10.4.13.0-beta2'],
  ['10.4.13beta.2', '10.4.13.0-beta2'],
  ['v1.13.11-beta.0', '1.13.11.0-beta0'],
  ['10.4.13-b', '10.4.13.0-beta'],
  ['10.4.13-b5', '10.4.13.0-beta5'],
  ['v1.0.0', '1.0.0.0'],
  ['v20100102', '20100102'],
  ['2010.01.02', '2010.01.02.0'],
  ['1.0.0-stable', '1.0.0.0'],
  ['1.0.0-patch1', '1.0.0.0-patch1'],
  ['1.0.0-p1', '1.0.0.0-patch1'],
  ['1.0.0-alpha.3', '1.0.0.0-alpha3'],
];

export const COMPOSER_ORDERED = [
  '1.0.0-dev',
  '1.0.0-alpha1',
  '1.0.0-alpha2',
  '1.0.0-a3',
  '1.0.0-beta',
  '1.0.0-beta2',
  '1.0.0-b3',
  '1.0.0-RC1',
  '1.0.0-rc2',
  '1.0.0',
  '1.0.0-patch1',
  '1.0.0-pl2',
  '1.0.1',
  'v1.1.0-beta1',
  '1.1',
  '1.10.0',
  '2.0.0.1',
  '10.0',
];

export const COMPOSER_INVALID = ['', 'dev-master', '1.x-dev', 'a', '1.0.0-meh', '1.0.0.0.0', 'feature-foo'];
