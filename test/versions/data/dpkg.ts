/**
 * Debian version cases transcribed from dpkg's lib/dpkg/t/t-version.c (guillemj/dpkg), where the
 * C test builds DPKG_VERSION_OBJECT(epoch, upstream, revision) values; here each is written as the
 * string `epoch:upstream-revision` it stands for. Extra ordering facts marked "policy" come from
 * the Debian Policy Manual's description of the Version field (tilde, letters before non-letters).
 */

/** [a, b, expected sign of compare(a, b)] */
export const DPKG_COMPARISONS: Array<[string, string, -1 | 0 | 1]> = [
  // test_version_compare
  ['1:0', '2:0', -1],
  ['0:1-1', '0:2-1', -1],
  ['0:1-1', '0:1-2', -1],
  ['0:0-0', '0:0-0', 0],
  ['0:0-00', '0:00-0', 0],
  ['1:2-3', '1:2-3', 0],
  ['0:0-0', '1:0-0', -1],
  ['0:a-0', '0:b-0', -1],
  ['0:0-a', '0:0-b', -1],
  // test_version_relate
  ['0:1-1', '0:1-1', 0],
  ['0:1-1', '0:2-1', -1],
  ['0:2-1', '0:1-1', 1],
  // test_version_parse: each string parses to the object it is compared with
  ['0', '0:0', 0],
  ['0:0', '0:0-', 0],
  ['0:0-0', '0-0', 0],
  ['0:0.0-0.0', '0.0-0.0', 0],
  ['1:0', '1:0-', 0],
  ['5:1', '5:1-', 0],
  ['0:0-0-0', '0-0-0', 0],
  ['0:0-0-0-0', '0-0-0-0', 0],
  ['0:0:0-0', '0:0:0-0', 0],
  ['0:0:0:0-0', '0:0:0:0-0', 0],
  ['0:0:0-0-0', '0:0:0-0-0', 0],
  ['0:0-0:0-0', '0:0-0:0-0', 0],
  ['0:09azAZ.-+~:-0', '0:09azAZ.-+~:-0', 0],
  ['0:0-azAZ09.+~', '0:0-azAZ09.+~', 0],
  ['  \t0:0-1', '0:0-1', 0],
  ['0:0-1\t  ', '0:0-1', 0],
  ['\t  0:0-1  \t', '0:0-1', 0],
  // policy: tilde sorts before anything, even the end of the part; letters before non-letters
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~~a', -1],
  ['1.0~~a', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0a', -1],
  ['1.0a', '1.0+', -1],
  ['1.0+', '1.0.', -1],
  ['1.0-1', '1.0-1+deb12u1', -1],
  ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
  ['1:1.0', '2.0', 1],
  ['1.10', '1.9', 1],
  ['1.010', '1.10', 0],
  ['1.2.3', '1.2.3-0', 0],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12', -1],
  ['3.0.11-1~deb12u2', '3.0.11-1', -1],
  ['1.2.3-1ubuntu1', '1.2.3-1', 1],
  ['1.2.3-1ubuntu0.1', '1.2.3-1ubuntu1', -1],
];

/** Strings dpkg's parseversion rejects with an error (compare throws). */
export const DPKG_ERRORS: string[] = ['', '  ', '0:', '0:0 0-1', '-1:0-1', '999999999999999999999999:0-1', 'a:0-0', 'A:0-0', '-0', '0:-0'];

/** Strings dpkg parses with a warning: compare orders them, isValidVersion is false. */
export const DPKG_WARNINGS: string[] = [
  '0:abc3-0',
  ..."!#@$%&/|\\<>()[]{};,_=*^'".split('').map((c) => `0:0${c}-0`),
  '0:0-0:0',
  ..."!#@$%&/|\\<>()[]{}:;,_=*^'".split('').map((c) => `0:0-${c}`),
];
