export type SchemeName = 'dpkg' | 'rpm' | 'apk' | 'semver' | 'go' | 'pep440' | 'maven' | 'rubygems' | 'nuget' | 'packagist' | 'generic';

/** One ordering of version strings. `compare` throws InvalidVersionError for input it cannot order. */
export interface VersionScheme {
  readonly name: SchemeName;
  compare(a: string, b: string): number;
  isValid(version: string): boolean;
}

/** Sign of a comparison as -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares two runs of ASCII digits by value, of any length, ignoring leading zeros. */
export function compareDigits(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits[i] === '0') i++;
  return digits.slice(i);
}

/** Byte-wise (code unit) string order, as C's strcmp/memcmp and Ruby's String#<=> give for ASCII. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
