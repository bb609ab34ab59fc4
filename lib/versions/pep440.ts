import { compare, valid } from '@renovatebot/pep440';
import { InvalidVersionError } from './errors';
import { parseCache } from './parse-cache';
import type { VersionScheme } from './scheme';

/** packaging strips surrounding blanks before parsing; @renovatebot/pep440 does not. */
function check(version: string): string {
  const text = version.trim();
  if (valid(text) === null) throw new InvalidVersionError('pep440', version, 'not a PEP 440 version');
  return text;
}

const checked = parseCache(check);

/** PEP 440 ordering (epochs, pre/post/dev releases, local versions) via @renovatebot/pep440. */
export const pep440Scheme: VersionScheme = {
  name: 'pep440',
  compare: (a, b) => Math.sign(compare(checked(a), checked(b))),
  isValid: (version) => valid(version.trim()) !== null,
};
