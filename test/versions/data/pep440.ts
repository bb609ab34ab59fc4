/**
 * PEP 440 cases transcribed from pypa/packaging's tests/test_version.py: VERSIONS ("must be in
 * the correct sorting order"), the invalid-version list, and normalisation pairs (a version
 * equals its normalised form).
 */
export const PEP440_ORDERED = [
  '1.0.dev0', '1.0.dev456', '1.0.dev456+local', '1.0a0', '1.0a0.post0.dev0', '1.0a0.post0', '1.0a1.dev1',
  '1.0a1.dev1+local', '1.0a1', '1.0a1+local', '1.0b0', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456',
  '1.0b2.post345', '1.0b2-346', '1.0rc0', '1.0rc1.dev1', '1.0c1', '1.0rc2', '1.0', '1.0.post0.dev0', '1.0.post0',
  '1.0.post456.dev34', '1.0.post456', '1.0.post456+local', '1.0.1.dev1', '1.0.1a1', '1.0.1', '1.0.1+local',
  '1.0.1.post1', '1.1.dev1', '1.2+a', '1.2+abc', '1.2+abcdef', '1.2+def', '1.2+0', '1.2+1', '1.2+1.abc', '1.2+1.1',
  '1.2+1.1.0', '1.2+2', '1.2+123', '1.2+123456', '1.2.r32+123456', '1.2.rev33+123456',
].flatMap((v) => [v, `1!${v}`]).sort((x, y) => Number(x.startsWith('1!')) - Number(y.startsWith('1!')));

export const PEP440_INVALID = [
  'french toast', '1.0+a+', '1.0++', '1.0+_foobar', '1.0+foo&asd', '1.0+1+1', '1. 0', '1 .0', '1. 0a1', '1 .0a1',
  '1.0 a1', '1.0a 1', '٠١٢.٣٤٥.٦٧٨٩', '.', '..', '1..0', '1.0.', '.1.0', '1..2.3', '1.0+\u0130',
];

export const PEP440_NORMALIZED: Array<[string, string]> = [
  ['1.0dev', '1.0.dev0'], ['1.0.dev', '1.0.dev0'], ['1.0dev1', '1.0.dev1'], ['1.0-dev', '1.0.dev0'],
  ['1.0-dev1', '1.0.dev1'], ['1.0DEV', '1.0.dev0'], ['1.0.DEV1', '1.0.dev1'], ['1.0a', '1.0a0'], ['1.0.a1', '1.0a1'],
  ['1.0-a', '1.0a0'], ['1.0alpha', '1.0a0'], ['1.0-alpha1', '1.0a1'], ['1.0A', '1.0a0'], ['1.0-ALPHA1', '1.0a1'],
  ['1.0b', '1.0b0'], ['1.0.beta1', '1.0b1'], ['1.0-BETA', '1.0b0'], ['1.0c', '1.0rc0'], ['1.0.c1', '1.0rc1'],
  ['1.0rc', '1.0rc0'], ['1.0-RC1', '1.0rc1'], ['1.0post', '1.0.post0'], ['1.0.post', '1.0.post0'],
  ['1.0post1', '1.0.post1'], ['1.0-POST1', '1.0.post1'], ['1.0r', '1.0.post0'], ['1.0rev', '1.0.post0'],
  ['1.0.r1', '1.0.post1'], ['1.0.rev1', '1.0.post1'], ['1.0-5', '1.0.post5'], ['1.0-r5', '1.0.post5'],
  ['1.0-rev5', '1.0.post5'], ['1.0+AbC', '1.0+abc'], ['1.01', '1.1'], ['1.0a05', '1.0a5'], ['1.0b07', '1.0b7'],
  ['1.0c056', '1.0rc56'], ['1.0rc09', '1.0rc9'], ['1.0.post000', '1.0.post0'], ['1.1.dev09000', '1.1.dev9000'],
  ['00!1.2', '1.2'], ['0100!0.0', '100!0.0'], ['v1.0', '1.0'], ['   v1.0\t\n', '1.0'], ['1.0rc1', '1.0c1'],
];
