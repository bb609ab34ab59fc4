import { compare, valid } from '@renovatebot/pep440';
import { InvalidVersionError } from './errors';
import { type VersionScheme } from './scheme';

function check(version: string): string {
  if (valid(version) === null) throw new InvalidVersionError('pep440', version, 'not a PEP 440 version');
  return version;
}

/** PEP 440 ordering (epochs, pre/post/dev releases, local versions) via @renovatebot/pep440. */
export const pep440Scheme: VersionScheme = {
  name: 'pep440',
  compare: (a, b) => Math.sign(compare(check(a), check(b))),
  isValid: (version) => valid(version) !== null,
};
