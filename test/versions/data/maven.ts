/**
 * Maven ComparableVersion cases transcribed from apache/maven's
 * compat/maven-artifact/src/test/java/org/apache/maven/artifact/versioning/ComparableVersionTest.java
 * (Maven 4; the same cases live under maven-artifact/ in Maven 3.9).
 */

/** Each list is in strictly increasing order: every earlier entry is less than every later one. */
export const VERSIONS_QUALIFIER = [
  '1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2',
  '1-rc123', '1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot',
  '1-1', '1-2', '1-123',
];

export const VERSIONS_NUMBER = [
  '2.0', '2.0.a', '2-1', '2.0.2', '2.0.123', '2.1.0', '2.1-a', '2.1b', '2.1-c', '2.1-1', '2.1.0.1', '2.2',
  '2.123', '11.a2', '11.a11', '11.b2', '11.b11', '11.m2', '11.m11', '11', '11.a', '11b', '11c', '11m',
];

/** testVersionsEqual and testVersionsHaveSameOrderButAreNotEqual: compare as 0. */
export const MAVEN_EQUAL: Array<[string, string]> = [
  ['1', '1'], ['1', '1.0'], ['1', '1.0.0'], ['1.0', '1.0.0'], ['1', '1-0'], ['1', '1.0-0'], ['1.0', '1.0-0'],
  ['1a', '1-a'], ['1a', '1.0-a'], ['1a', '1.0.0-a'], ['1.0a', '1-a'], ['1.0.0a', '1-a'],
  ['1x', '1-x'], ['1x', '1.0-x'], ['1x', '1.0.0-x'], ['1.0x', '1-x'], ['1.0.0x', '1-x'],
  ['1cr', '1rc'], ['1a1', '1-alpha-1'], ['1b2', '1-beta-2'], ['1m3', '1-milestone-3'],
  ['1X', '1x'], ['1A', '1a'], ['1B', '1b'], ['1M', '1m'], ['1Cr', '1Rc'], ['1cR', '1rC'],
  ['1m3', '1Milestone3'], ['1m3', '1MileStone3'], ['1m3', '1MILESTONE3'],
  ['1ga', '1'], ['1release', '1'], ['1final', '1'], ['1Ga', '1'], ['1GA', '1'], ['1RELEASE', '1'],
  ['1RELeaSE', '1'], ['1Final', '1'], ['1FinaL', '1'], ['1FINAL', '1'],
  ['1-abcdefghijklmnopqrstuvwxyz', '1-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  ['1.0.0-alpha1', '1.0.0-ALPHA1'], ['1.a', '1.A'], ['1.é', '1.É'],
];

/** testVersionComparing, testLeadingZeroes, MNG-5568, MNG-6572, MNG-6964, MNG-7644: a < b. */
export const MAVEN_LESS: Array<[string, string]> = [
  ['1', '2'], ['1.5', '2'], ['1', '2.5'], ['1.0', '1.1'], ['1.1', '1.2'], ['1.0.0', '1.1'], ['1.0.1', '1.1'],
  ['1.1', '1.2.0'], ['1.0-alpha-1', '1.0'], ['1.0-alpha-1', '1.0-alpha-2'], ['1.0-alpha-1', '1.0-beta-1'],
  ['1.0-beta-1', '1.0-SNAPSHOT'], ['1.0-SNAPSHOT', '1.0'], ['1.0-alpha-1-SNAPSHOT', '1.0-alpha-1'],
  ['1.0', '1.0-1'], ['1.0-1', '1.0-2'], ['1.0.0', '1.0-1'], ['2.0-1', '2.0.1'], ['2.0.1-klm', '2.0.1-lmn'],
  ['2.0.1', '2.0.1-xyz'], ['2.0.1', '2.0.1-123'], ['2.0.1-xyz', '2.0.1-123'],
  ['0.7', '2'], ['0.2', '1.0.7'],
  ['J', '7'], ['c', '7'], ['aardvark', 'zebra'], ['zebra', 'ζέβρα'], ['é', '1'], ['\u0668', '1'], ['\u0668', '9'],
  // MNG-5568
  ['6.1.0rc3', '6.1.0'], ['6.1.0rc3', '6.1H.5-beta'], ['6.1.0', '6.1H.5-beta'],
  // MNG-6572
  ['20190126.230843', '1234567890.12345'], ['1234567890.12345', '123456789012345.1H.5-beta'],
  ['20190126.230843', '123456789012345.1H.5-beta'], ['123456789012345.1H.5-beta', '12345678901234567890.1H.5-beta'],
  ['1234567890.12345', '12345678901234567890.1H.5-beta'], ['20190126.230843', '12345678901234567890.1H.5-beta'],
  // MNG-6964
  ['1-0.alpha', '1'], ['1-0.beta', '1'], ['1-0.alpha', '1-0.beta'],
  // MNG-7714
  ['1.0.final-redhat', '1.0-sp1-redhat'], ['1.0.final-redhat', '1.0-sp-1-redhat'], ['1.0.final-redhat', '1.0-sp.1-redhat'],
];

/** MNG-7644: for any qualifier X, 1.0.0.X1 < 1.0.0-X2 and 2-X == 2.0.X == 2.0.0.X. */
export const MNG_7644_QUALIFIERS = ['abc', 'alpha', 'a', 'beta', 'b', 'def', 'milestone', 'm', 'RC'];

/** testVersionEqualWithLeadingZeroes / testVersionZeroEqualWithLeadingZeroes: all equal. */
export const LEADING_ZERO_ONES = Array.from({ length: 19 }, (_, i) => `${'0'.repeat(18 - i)}1`);
export const LEADING_ZERO_ZEROS = Array.from({ length: 19 }, (_, i) => '0'.repeat(19 - i));
