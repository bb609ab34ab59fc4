import { InvalidVersionError } from './errors';
import { compareDigits, type VersionScheme } from './scheme';

const CLASSICAL = /^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?/i;
const DATE = /^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})/i;
const MODIFIER = /^[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?$/i;

/**
 * Composer's VersionParser::normalize for tagged versions: `v` dropped, four numeric parts,
 * stability suffixes spelled out (a → alpha, b → beta, p/pl → patch, rc → RC), `-dev` kept.
 * Branch names (`dev-main`, `1.x-dev`) name no single version and are refused.
 */
export function normalizeComposerVersion(input: string): string {
  const text = input.trim().replace(/@[a-z]+$/i, '');
  let numeric: string;
  let rest: string;
  const classical = CLASSICAL.exec(text);
  const date = DATE.exec(text);
  if (classical && !(date && date[0].length > classical[0].length)) {
    numeric = [1, 2, 3, 4].map((i) => (classical[i] ?? '.0').replace(/^\./, '')).join('.');
    rest = text.slice(classical[0].length);
  } else if (date) {
    numeric = date[1].replace(/[^0-9]/g, '.');
    rest = text.slice(date[0].length);
  } else {
    throw new InvalidVersionError('packagist', input, 'not a Composer version');
  }
  const m = MODIFIER.exec(rest);
  if (!m) throw new InvalidVersionError('packagist', input, 'not a Composer version');
  const [, stability, number, dev] = m;
  let normalized = numeric;
  if (stability && stability.toLowerCase() !== 'stable') {
    normalized += `-${expandStability(stability)}${(number ?? '').replace(/^[.-]/, '')}`;
  }
  if (dev) normalized += '-dev';
  return normalized;
}

function expandStability(stability: string): string {
  const s = stability.toLowerCase();
  if (s === 'a') return 'alpha';
  if (s === 'b') return 'beta';
  if (s === 'p' || s === 'pl') return 'patch';
  if (s === 'rc') return 'RC';
  return s;
}

/** PHP's canonical form for version_compare: specials become dots, digit/letter switches split. */
function canonicalParts(version: string): string[] {
  let out = '';
  const isDigit = (c: string): boolean => c >= '0' && c <= '9';
  for (let i = 0; i < version.length; i++) {
    const c = version[i];
    const prev = i > 0 ? version[i - 1] : '';
    const last = out[out.length - 1];
    if (i === 0) out += c;
    else if (c === '-' || c === '_' || c === '+' || !/[0-9A-Za-z]/.test(c)) {
      if (last !== '.') out += '.';
    } else if (prev !== '.' && prev !== '' && isDigit(prev) !== isDigit(c)) {
      if (last !== '.') out += '.';
      out += c;
    } else {
      out += c;
    }
  }
  return out.split('.').filter((p) => p !== '');
}

const SPECIAL_FORMS: Array<[string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

/** Rank of a non-numeric part; `#` stands for a number. Unknown words rank below dev. */
function specialForm(part: string): number {
  for (const [name, rank] of SPECIAL_FORMS) if (part.startsWith(name)) return rank;
  return -1;
}

/** PHP's version_compare on canonical parts. */
export function phpVersionCompare(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const xNum = /^[0-9]/.test(x);
    const yNum = /^[0-9]/.test(y);
    let r: number;
    if (xNum && yNum) r = compareDigits(x.match(/^[0-9]+/)?.[0] ?? '0', y.match(/^[0-9]+/)?.[0] ?? '0');
    else r = Math.sign(specialForm(xNum ? '#' : x) - specialForm(yNum ? '#' : y));
    if (r !== 0) return r;
  }
  if (a.length > n) return /^[0-9]/.test(a[n]) ? 1 : phpVersionCompare(a.slice(n), ['#']);
  if (b.length > n) return /^[0-9]/.test(b[n]) ? -1 : phpVersionCompare(['#'], b.slice(n));
  return 0;
}

export function compareComposerVersions(a: string, b: string): number {
  return phpVersionCompare(canonicalParts(normalizeComposerVersion(a)), canonicalParts(normalizeComposerVersion(b)));
}

export const packagistScheme: VersionScheme = {
  name: 'packagist',
  compare: compareComposerVersions,
  isValid(version) {
    try {
      normalizeComposerVersion(version);
      return true;
    } catch {
      return false;
    }
  },
};
