import { InvalidVersionError } from './errors';
import { compareDigits, compareStrings, type VersionScheme } from './scheme';

/**
 * Order for ecosystems without a scheme of their own: runs of digits compare by value, runs of
 * letters case-insensitively, numbers above letters, and any other characters only separate.
 * A version that is a prefix of the other sorts first (1.0 < 1.0.1).
 */
export function compareGeneric(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  const n = Math.min(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i];
    const y = tb[i];
    const xNum = /^[0-9]/.test(x);
    const yNum = /^[0-9]/.test(y);
    if (xNum !== yNum) return xNum ? 1 : -1;
    const r = xNum ? compareDigits(x, y) : compareStrings(x, y);
    if (r !== 0) return r;
  }
  return Math.sign(ta.length - tb.length);
}

function tokens(version: string): string[] {
  return version.toLowerCase().match(/[0-9]+|[a-z]+/g) ?? [];
}

export const genericScheme: VersionScheme = {
  name: 'generic',
  compare(a, b) {
    for (const v of [a, b]) if (tokens(v).length === 0) throw new InvalidVersionError('generic', v, 'no digits or letters');
    return compareGeneric(a, b);
  },
  isValid: (version) => tokens(version).length > 0,
};
