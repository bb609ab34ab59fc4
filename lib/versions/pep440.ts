import { parse, valid } from '@renovatebot/pep440';
import { InvalidVersionError } from './errors';
import { memoizedByText } from '../memo';
import type { VersionScheme } from './scheme';

/** A sort key as @renovatebot/pep440's `compare` builds it (packaging's `_cmpkey`): nested arrays of numbers and strings. */
type Key = number | string | Key[];

/**
 * @renovatebot/pep440's calculateKey, which it does not export: its `compare` parses and keys both versions on
 * every call, and a match compares each installed version with every version its advisories name.
 */
function keyOf(parsed: NonNullable<ReturnType<typeof parse>>): Key[] {
  const { epoch } = parsed;
  let { pre, post, dev, local } = parsed as { pre: Key; post: Key; dev: Key; local: Key };
  // Trailing zeros of the release do not count.
  const release = [...parsed.release];
  while (release.length && release[release.length - 1] === 0) release.pop();
  // 1.0.dev0 sorts before 1.0a0; without a pre-release (so noted), after those with one.
  if (!pre && !post && dev) pre = Number.NEGATIVE_INFINITY;
  else if (!pre) pre = Number.POSITIVE_INFINITY;
  if (!post) post = Number.NEGATIVE_INFINITY;
  if (!dev) dev = Number.POSITIVE_INFINITY;
  if (!local) local = Number.NEGATIVE_INFINITY;
  else local = (local as string[]).map((part) => (Number.isNaN(Number(part)) ? [Number.NEGATIVE_INFINITY, part] : [Number(part), '']));
  return [epoch, release, pre, post, dev, local];
}

/** Python's ordering of the keys, as @renovatebot/pep440's pyCompare ports it. */
function pyCompare(elemIn: Key, otherIn: Key): number {
  let elem = elemIn;
  let other = otherIn;
  if (elem === other) return 0;
  if (Array.isArray(elem) !== Array.isArray(other)) {
    elem = Array.isArray(elem) ? elem : [elem];
    other = Array.isArray(other) ? other : [other];
  }
  if (Array.isArray(elem)) {
    const others = other as Key[];
    const length = Math.min(elem.length, others.length);
    for (let i = 0; i < length; i++) {
      const result = pyCompare(elem[i], others[i]);
      if (result !== 0) return result;
    }
    return elem.length - others.length;
  }
  if (elem === Number.NEGATIVE_INFINITY || other === Number.POSITIVE_INFINITY) return -1;
  if (elem === Number.POSITIVE_INFINITY || other === Number.NEGATIVE_INFINITY) return 1;
  return elem < other ? -1 : 1;
}

/** packaging strips surrounding blanks before parsing; @renovatebot/pep440 does not. */
function keyed(version: string): Key[] {
  const text = version.trim();
  const parsed = valid(text) === null ? null : parse(text);
  if (!parsed) throw new InvalidVersionError('pep440', version, 'not a PEP 440 version');
  return keyOf(parsed);
}

// Keys are only compared, never changed, so they can be shared.
const keys = memoizedByText(keyed);

/** PEP 440 ordering (epochs, pre/post/dev releases, local versions), as @renovatebot/pep440's `compare` orders them. */
export const pep440Scheme: VersionScheme = {
  name: 'pep440',
  compare: (a, b) => Math.sign(pyCompare(keys(a), keys(b))),
  isValid: (version) => valid(version.trim()) !== null,
};
