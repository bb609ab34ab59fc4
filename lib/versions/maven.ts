import { InvalidVersionError } from './errors';
import { compareStrings, type VersionScheme } from './scheme';

/**
 * Maven's ComparableVersion (maven-artifact, Maven 3.9/4): a version is a tree of items. `.`
 * separates items, `-` opens a nested list, and a switch between digits and letters separates
 * too; letters followed by digits form one combination item (`rc1`, `sp-1`). Trailing zeros and
 * release qualifiers are trimmed from each list, so 1 == 1.0 == 1-0 == 1-ga.
 */
type Item =
  | { kind: 'int'; value: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'combination'; stringPart: StringItem; digitPart: Item }
  | { kind: 'list'; items: Item[] };
type StringItem = Extract<Item, { kind: 'string' }>;
type ListItem = Extract<Item, { kind: 'list' }>;

const MAX_LENGTH = 256;
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = new Set(['ga', 'final', 'release']);
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(raw: string, followedByDigit: boolean): StringItem {
  let value = raw;
  if (followedByDigit && value.length === 1) {
    value = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[value] ?? value;
  }
  return { kind: 'string', value: value === 'cr' ? 'rc' : value };
}

/** Known qualifiers by rank, unknown ones after them in lexical order, as comparable strings. */
function comparableQualifier(qualifier: string): string {
  if (RELEASE_QUALIFIERS.has(qualifier)) return RELEASE_INDEX;
  const i = QUALIFIERS.indexOf(qualifier);
  return i === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(i);
}

function digitItem(digits: string): Item {
  return { kind: 'int', value: BigInt(digits === '' ? '0' : digits) };
}

function combinationItem(value: string): Item {
  const firstDigit = value.search(/[0-9]/);
  const index = firstDigit < 0 ? value.length : firstDigit;
  return { kind: 'combination', stringPart: stringItem(value.slice(0, index), true), digitPart: digitItem(value.slice(index)) };
}

function parseItem(isCombination: boolean, isDigit: boolean, text: string): Item {
  if (isCombination) return combinationItem(text.replace(/-/g, ''));
  if (isDigit) return digitItem(text);
  return stringItem(text, false);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'int':
      return item.value === 0n;
    case 'string':
      return item.value === '';
    case 'combination':
      return false;
    case 'list':
      return item.items.length === 0;
  }
}

function normalize(list: ListItem): void {
  const items = list.items;
  for (let i = items.length - 1; i >= 0; i--) {
    if (!isNull(items[i])) continue;
    const next = items[i + 1];
    if (next === undefined || next.kind === 'string') {
      items.splice(i, 1);
    } else if (next.kind === 'list') {
      const first = next.items[0];
      if (first !== undefined && (first.kind === 'combination' || first.kind === 'string')) items.splice(i, 1);
    }
  }
  if (items.length === 1 && items[0].kind === 'list') list.items = items[0].items;
}

/** Parses a version into its item tree. */
export function parseMavenVersion(input: string): ListItem {
  if (input.length > MAX_LENGTH) throw new InvalidVersionError('maven', input, `longer than ${MAX_LENGTH} characters`);
  const version = input.toLowerCase();
  const root: ListItem = { kind: 'list', items: [] };
  let list = root;
  const stack: ListItem[] = [root];
  const openList = (): void => {
    const sub: ListItem = { kind: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };

  let isDigit = false;
  let isCombination = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i];
    if (c === '.') {
      list.items.push(i === start ? digitItem('0') : parseItem(isCombination, isDigit, version.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (c === '-') {
      if (i === start) {
        list.items.push(digitItem('0'));
      } else {
        // "X-1" is read as "X1".
        if (!isDigit && i !== version.length - 1 && /[0-9]/.test(version[i + 1])) {
          isCombination = true;
          continue;
        }
        list.items.push(parseItem(isCombination, isDigit, version.slice(start, i)));
      }
      start = i + 1;
      if (list.items.length > 0) openList();
      isCombination = false;
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        isCombination = true;
        if (list.items.length > 0) openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(isCombination, true, version.slice(start, i)));
        start = i;
        openList();
        isCombination = false;
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: a trailing qualifier after a dot is treated as after a hyphen.
    if (!isDigit && list.items.length > 0) openList();
    list.items.push(parseItem(isCombination, isDigit, version.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop() as ListItem);
  return root;
}

const cmpBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Item.compareTo(other), where `null` stands for a missing item. */
function compareItem(item: Item, other: Item | null): number {
  switch (item.kind) {
    case 'int':
      if (other === null) return item.value === 0n ? 0 : 1;
      return other.kind === 'int' ? cmpBig(item.value, other.value) : 1;
    case 'string':
      if (other === null) return compareStrings(comparableQualifier(item.value), RELEASE_INDEX);
      switch (other.kind) {
        case 'int':
          return -1;
        case 'string':
          return compareStrings(comparableQualifier(item.value), comparableQualifier(other.value));
        case 'combination': {
          const r = compareItem(item, other.stringPart);
          if (r !== 0) return r;
          return compareItem(item, null) === 0 ? -compareItem(other.digitPart, null) : -1;
        }
        case 'list':
          return -compareItem(other, item);
      }
      break;
    case 'combination':
      if (other === null) {
        const r = compareItem(item.stringPart, null);
        return r === 0 ? compareItem(item.digitPart, null) : r;
      }
      switch (other.kind) {
        case 'int':
          return -1;
        case 'string': {
          const r = compareItem(item.stringPart, other);
          if (r !== 0) return r;
          return compareItem(item.stringPart, null) === 0 ? compareItem(item.digitPart, null) : 1;
        }
        case 'list':
          return -compareItem(other, item);
        case 'combination': {
          const r = compareItem(item.stringPart, other.stringPart);
          return r !== 0 ? r : compareItem(item.digitPart, other.digitPart);
        }
      }
      break;
    case 'list':
      return compareList(item, other);
  }
  return 0;
}

function compareList(list: ListItem, other: Item | null): number {
  const items = list.items;
  if (other === null) {
    for (const i of items) {
      const r = compareItem(i, null);
      if (r !== 0) return r;
    }
    return 0;
  }
  switch (other.kind) {
    case 'int':
      return -1;
    case 'string':
    case 'combination': {
      let r = items.length === 0 ? -compareItem(other, null) : compareItem(items[0], other);
      for (let i = 1; r === 0 && i < items.length; i++) r = compareItem(items[i], null);
      return r;
    }
    case 'list': {
      const n = Math.max(items.length, other.items.length);
      for (let i = 0; i < n; i++) {
        const l = items[i];
        const r = other.items[i];
        const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, null)) : compareItem(l, r ?? null);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

export const mavenScheme: VersionScheme = {
  name: 'maven',
  compare(a, b) {
    for (const v of [a, b]) if (v.trim() === '') throw new InvalidVersionError('maven', v, 'version string is empty');
    return Math.sign(compareList(parseMavenVersion(a.trim()), parseMavenVersion(b.trim())));
  },
  isValid: (version) => version.trim() !== '' && version.length <= MAX_LENGTH,
};
