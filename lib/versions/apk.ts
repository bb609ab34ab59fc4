import { InvalidVersionError } from './errors';
import { compareDigits, compareStrings, type VersionScheme } from './scheme';

/**
 * Token kinds of an apk version `digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}`, in the order
 * they may follow each other; a version that ends earlier sorts by this order too.
 */
enum Token {
  InitialDigit,
  Digit,
  Letter,
  Suffix,
  SuffixNumber,
  CommitHash,
  Revision,
  End,
  Invalid,
}

/** Suffix ranks: pre-release suffixes below the plain release (None), post-release ones above. */
const SUFFIXES = new Map<string, number>([
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
]);
const SUFFIX_NONE = 5;

interface TokenState {
  token: Token;
  value: string;
  suffix: number;
}

/** Walks an apk version one token at a time, as apk-tools' tokenizer does. */
class ApkTokenizer {
  private pos = 0;
  readonly state: TokenState = { token: Token.InitialDigit, value: '', suffix: 0 };

  constructor(private readonly text: string) {
    this.digits();
  }

  private digits(): void {
    const start = this.pos;
    while (this.pos < this.text.length && isDigit(this.text[this.pos])) this.pos++;
    this.state.value = this.text.slice(start, this.pos);
    if (this.state.value === '') this.state.token = Token.Invalid;
  }

  private span(accept: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length && accept(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  next(): void {
    const t = this.state;
    if (this.pos >= this.text.length) {
      t.token = Token.End;
      return;
    }
    const c = this.text[this.pos];
    if (c >= 'a' && c <= 'z') {
      if (t.token > Token.Digit) return this.invalid();
      t.value = c;
      t.token = Token.Letter;
      this.pos++;
    } else if (c === '.' || isDigit(c)) {
      if (c === '.') {
        if (t.token > Token.Digit) return this.invalid();
        this.pos++;
      }
      if (t.token === Token.InitialDigit || t.token === Token.Digit) t.token = Token.Digit;
      else if (t.token === Token.Suffix) t.token = Token.SuffixNumber;
      else return this.invalid();
      this.digits();
    } else if (c === '_') {
      if (t.token > Token.SuffixNumber) return this.invalid();
      this.pos++;
      t.value = this.span((ch) => ch >= 'a' && ch <= 'z');
      const rank = SUFFIXES.get(t.value);
      if (rank === undefined) return this.invalid();
      t.suffix = rank;
      t.token = Token.Suffix;
    } else if (c === '~') {
      if (t.token >= Token.CommitHash) return this.invalid();
      this.pos++;
      t.value = this.span((ch) => /[0-9a-fA-F]/.test(ch));
      if (t.value === '') return this.invalid();
      t.token = Token.CommitHash;
    } else if (c === '-') {
      if (t.token >= Token.Revision || this.text[this.pos + 1] !== 'r') return this.invalid();
      this.pos += 2;
      t.token = Token.Revision;
      this.digits();
    } else {
      this.invalid();
    }
  }

  private invalid(): void {
    this.state.token = Token.Invalid;
  }
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

function compareTokens(a: TokenState, b: TokenState): number {
  switch (a.token) {
    case Token.Digit:
      // A leading zero after a dot makes the component a fraction-like string (Gentoo rule).
      if (a.value[0] === '0' || b.value[0] === '0') return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case Token.InitialDigit:
    case Token.SuffixNumber:
    case Token.Revision:
      return compareDigits(a.value, b.value);
    case Token.Letter:
      return compareStrings(a.value, b.value);
    case Token.Suffix:
      return Math.sign(a.suffix - b.suffix);
    default:
      return compareStrings(a.value, b.value);
  }
}

/** apk-tools' version order, including its fixed answers for strings it considers invalid. */
export function compareApkVersions(a: string, b: string): number {
  const ta = new ApkTokenizer(a);
  const tb = new ApkTokenizer(b);
  const sa = ta.state;
  const sb = tb.state;
  while (sa.token === sb.token && sa.token < Token.End) {
    const r = compareTokens(sa, sb);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  if (sa.token === sb.token) return 0;
  if (sa.token === Token.Suffix && sa.suffix < SUFFIX_NONE) return -1;
  if (sb.token === Token.Suffix && sb.suffix < SUFFIX_NONE) return 1;
  return sa.token > sb.token ? -1 : 1;
}

export function isValidApkVersion(version: string): boolean {
  const t = new ApkTokenizer(version);
  while (t.state.token < Token.End) t.next();
  return t.state.token === Token.End;
}

export const apkScheme: VersionScheme = {
  name: 'apk',
  compare(a, b) {
    for (const v of [a, b]) if (v.trim() === '') throw new InvalidVersionError('apk', v, 'version string is empty');
    return compareApkVersions(a.trim(), b.trim());
  },
  isValid: (version) => isValidApkVersion(version.trim()),
};
