import { compareDigits, compareStrings } from './scheme';

const NUMERIC = /^[0-9]+$/;

/**
 * SemVer 2.0 precedence of dot-separated pre-release identifiers: no pre-release sorts above any;
 * numeric identifiers compare by value and below alphanumeric ones; a shorter list that is a
 * prefix of the other sorts first. `foldCase` compares alphanumerics case-insensitively (NuGet).
 */
export function comparePrerelease(a: string[], b: string[], foldCase = false): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length === 0 ? 0 : a.length === 0 ? 1 : -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const xNum = NUMERIC.test(x);
    const yNum = NUMERIC.test(y);
    let r: number;
    if (xNum && yNum) r = compareDigits(x, y);
    else if (xNum !== yNum) r = xNum ? -1 : 1;
    else r = foldCase ? compareStrings(x.toLowerCase(), y.toLowerCase()) : compareStrings(x, y);
    if (r !== 0) return r;
  }
  return Math.sign(a.length - b.length);
}
