/**
 * Gem::Version cases transcribed from rubygems/rubygems' test/rubygems/test_gem_version.rb
 * (test_spaceship, test_semver, test_equals2, test_eql_eh, test_initialize, test_initialize_invalid,
 * test_empty_version, test_frozen_version).
 */
export const GEM_COMPARE: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0.0', 0],
  ['1.0', '1.0.a', 1],
  ['1.8.2', '0.0.0', 1],
  ['1.8.2', '1.8.2.a', 1],
  ['1.8.2.b', '1.8.2.a', 1],
  ['1.8.2.a', '1.8.2', -1],
  ['1.8.2.a10', '1.8.2.a9', 1],
  ['', '0', 0],
  ['0.beta.1', '0.0.beta.1', 0],
  ['0.0.beta', '0.0.beta.1', -1],
  ['0.0.beta', '0.beta.1', -1],
  ['5.a', '5.0.0.rc2', -1],
  ['5.x', '5.0.0.rc2', 1],
  // test_semver
  ['1.0.0-alpha', '1.0.0-alpha.1', -1],
  ['1.0.0-alpha.1', '1.0.0-beta.2', -1],
  ['1.0.0-beta.2', '1.0.0-beta.11', -1],
  ['1.0.0-beta.11', '1.0.0-rc.1', -1],
  ['1.0.0-rc1', '1.0.0', -1],
  ['1.0.0-1', '1', -1],
  // test_equals2, test_eql_eh (== ignores trailing zeros), test_initialize
  ['1.2', '1.2', 0],
  ['1.2', '1.3', -1],
  ['1.2.b1', '1.2.b.1', 0],
  ['1.2', '1.2.0', 0],
  ['1.2.pre.1', '1.2.0.pre.1.0', 0],
  ['1.0', '1.0 ', 0],
  ['1.0', ' 1.0 ', 0],
  ['1.0', '1.0\n', 0],
  ['1.0', '\n1.0\n', 0],
  ['1.freeze.test', '1', -1],
  ['   ', '0', 0],
];

export const GEM_INVALID = ['junk', '1.0\n2.0', '1..2', '1.2 3.4', '2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.'];
