import type { ImagePath, LayerFile } from '../layers/types';
import { PLATFORM_WORDS } from '../versions/rubygems';
import { baseName, parentDir } from './path-hints';
import type { AnalysisResult, Analyzer, PackageRecord } from './types';

const EXTENSION = '.gemspec';
/** Installed specifications are a few KiB (the longest list every file of the gem). */
const MAX_GEMSPEC_BYTES = 1024 * 1024;

function isSpecificationsDir(dir: string): boolean {
  return dir === 'specifications' || dir.endsWith('/specifications');
}

/**
 * Whether `path` is a specification RubyGems wrote on installing a gem: `<gem home>/specifications/<full name>.gemspec`,
 * or `specifications/default/` for the gems bundled with Ruby. Gemspecs in source trees (`gems/x-1.0/x.gemspec`,
 * bundler's git checkouts) are build scripts, not installed evidence. String tests only: asked about every path.
 */
export function isInstalledGemspec(path: ImagePath): boolean {
  if (!path.endsWith(EXTENSION) || baseName(path).length <= EXTENSION.length) return false;
  const dir = parentDir(path);
  if (isSpecificationsDir(dir)) return true;
  return (dir === 'specifications/default' || dir.endsWith('/specifications/default')) && isSpecificationsDir(parentDir(dir));
}

/** Where a Ruby literal ends in `source`, and what it says; undefined for anything that is not a plain literal. */
interface Literal {
  value: string;
  end: number;
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

/** A double-quoted string's escapes; `#{…}`, `#@var` and `#$var` interpolate, and make the value unknowable. */
function readDoubleQuoted(source: string, start: number, close: string, open?: string): Literal | undefined {
  let value = '';
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return undefined;
      i++;
      if (next === 'n') value += '\n';
      else if (next === 't') value += '\t';
      else if (next === 'u') {
        const braced = source[i + 1] === '{' ? /^\{([0-9a-fA-F]{1,6})\}/.exec(source.slice(i + 1, i + 10)) : null;
        const plain = braced ? null : /^[0-9a-fA-F]{4}/.exec(source.slice(i + 1, i + 5));
        const hex = braced?.[1] ?? plain?.[0];
        if (hex === undefined) return undefined;
        value += String.fromCodePoint(Number.parseInt(hex, 16));
        i += (braced ? braced[0] : hex).length;
      } else value += next;
    } else if (c === '#' && (source[i + 1] === '{' || source[i + 1] === '@' || source[i + 1] === '$')) {
      return undefined;
    } else if (open !== undefined && c === open) {
      depth++;
      value += c;
    } else if (c === close) {
      if (depth === 0) return { value, end: i + 1 };
      depth--;
      value += c;
    } else value += c;
  }
  return undefined;
}

/** A single-quoted (or `%q`) string: only the delimiter and the backslash are escaped. */
function readSingleQuoted(source: string, start: number, close: string, open?: string): Literal | undefined {
  let value = '';
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && (source[i + 1] === close || source[i + 1] === '\\' || (open !== undefined && source[i + 1] === open))) {
      value += source[i + 1];
      i++;
    } else if (open !== undefined && c === open) {
      depth++;
      value += c;
    } else if (c === close) {
      if (depth === 0) return { value, end: i + 1 };
      depth--;
      value += c;
    } else value += c;
  }
  return undefined;
}

function skipBlanks(source: string, at: number): number {
  let i = at;
  while (source[i] === ' ' || source[i] === '\t') i++;
  return i;
}

/** A string literal at `at` (`"…"`, `'…'`, `%q{…}`, `%Q(…)`, `%{…}`), with the `.freeze` newer RubyGems writes. */
function readString(source: string, at: number): Literal | undefined {
  const i = skipBlanks(source, at);
  const c = source[i];
  let literal: Literal | undefined;
  if (c === '"') literal = readDoubleQuoted(source, i + 1, '"');
  else if (c === "'") literal = readSingleQuoted(source, i + 1, "'");
  else if (c === '%') {
    const kind = source[i + 1];
    const delimiterAt = kind === 'q' || kind === 'Q' ? i + 2 : i + 1;
    const open = source[delimiterAt];
    if (open === undefined || /[\sA-Za-z0-9]/.test(open)) return undefined;
    const close = CLOSING[open] ?? open;
    const nesting = CLOSING[open] === undefined ? undefined : open;
    literal = kind === 'q' ? readSingleQuoted(source, delimiterAt + 1, close, nesting) : readDoubleQuoted(source, delimiterAt + 1, close, nesting);
  }
  if (literal && source.startsWith('.freeze', literal.end)) literal.end += '.freeze'.length;
  return literal;
}

/** Expects `text` (after blanks) at `at`; the index after it, or -1. */
function expect(source: string, at: number, text: string): number {
  const i = skipBlanks(source, at);
  return source.startsWith(text, i) ? i + text.length : -1;
}

/** What may follow a plain assignment on its line: nothing, a comment, another statement, or a modifier. */
function endsStatement(source: string, at: number): boolean {
  const rest = source.slice(skipBlanks(source, at));
  return rest === '' || rest[0] === '#' || rest[0] === ';' || /^(?:if|unless)\b/.test(rest);
}

/**
 * The value of an assignment's right-hand side: a string (possibly `Gem::Version.new("…")` or
 * `Gem::Platform.new("…")`), or an array of strings. Undefined for anything computed (`Foo::VERSION`, `"a" + b`).
 */
export function rubyLiteral(source: string): string | string[] | undefined {
  const start = skipBlanks(source, 0);
  if (source[start] === '[') {
    const values: string[] = [];
    let i = start + 1;
    for (;;) {
      // `[]`, and the closing bracket after a trailing comma.
      const close = expect(source, i, ']');
      if (close >= 0) return endsStatement(source, close) ? values : undefined;
      const item = readString(source, i);
      if (!item) return undefined;
      values.push(item.value);
      const comma = expect(source, item.end, ',');
      if (comma >= 0) i = comma;
      else {
        const end = expect(source, item.end, ']');
        return end >= 0 && endsStatement(source, end) ? values : undefined;
      }
    }
  }
  for (const wrapper of ['Gem::Version.new(', 'Gem::Platform.new(']) {
    if (source.startsWith(wrapper, start)) {
      const inner = readString(source, start + wrapper.length);
      const close = inner ? expect(source, inner.end, ')') : -1;
      return close >= 0 && endsStatement(source, close) ? inner?.value : undefined;
    }
  }
  const literal = readString(source, start);
  return literal && endsStatement(source, literal.end) ? literal.value : undefined;
}

const VERSION_PART = /^[0-9][0-9A-Za-z.]*$/;

/**
 * Name and version from a specification's file name, `<name>-<version>[-<platform>].gemspec`. RubyGems' versions
 * never contain `-` (it is rewritten to `.pre.`), so the version is one `-`-separated part starting with a digit;
 * names may contain such parts too (`iso-639-0.3.5`), and platforms end in one (`universal-darwin-19`). The version
 * is the first such part followed by nothing or by a platform (a known CPU or lone OS word).
 */
export function gemFromFileName(fileName: string): { name: string; version: string; platform?: string } | undefined {
  const stem = fileName.endsWith(EXTENSION) ? fileName.slice(0, -EXTENSION.length) : fileName;
  for (let dash = stem.indexOf('-'); dash > 0; dash = stem.indexOf('-', dash + 1)) {
    const end = stem.indexOf('-', dash + 1);
    const version = stem.slice(dash + 1, end < 0 ? undefined : end);
    if (!VERSION_PART.test(version)) continue;
    if (end < 0) return { name: stem.slice(0, dash), version };
    const platform = stem.slice(end + 1);
    const first = platform.split('-', 1)[0];
    if (PLATFORM_WORDS.has(first)) return { name: stem.slice(0, dash), version, platform };
  }
  return undefined;
}

/** The assignment target of `<receiver>.<field> = <value>`: only the fields that identify a gem. */
const ASSIGNMENT = /^\s*([A-Za-z_][A-Za-z0-9_]*)\.(name|version|license|licenses)\s*=(?!=)(.*)$/;
const BLOCK = /Gem::Specification\.new\s*(?:do|\{)\s*\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|/;
const STUB = '# stub: ';
/** RubyGems writes the stub line second, after the encoding comment; a few lines of slack. */
const STUB_LINES = 5;

export interface GemspecFields {
  name?: string;
  version?: string;
  licenses?: string[];
  /** Name and version from RubyGems' `# stub: <name> <version> <platform> <paths>` line. */
  stub?: { name: string; version: string };
}

function singleToken(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || /\s/.test(trimmed) ? undefined : trimmed;
}

/**
 * Reads, never evaluates, an installed specification: RubyGems writes it with `Gem::Specification#to_ruby`, one
 * literal assignment a line. Assignments are taken in order, the last winning as they would in Ruby; one whose
 * value is computed makes that field unknown. When the file names the block's variable only that receiver counts.
 */
export function readGemspec(text: string): GemspecFields {
  const fields: GemspecFields = {};
  const receiver = BLOCK.exec(text.slice(0, 64 * 1024))?.[1];
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (index < STUB_LINES && fields.stub === undefined && line.startsWith(STUB)) {
      const [name, version] = line.slice(STUB.length).split(' ');
      if (name && version) fields.stub = { name, version };
      return;
    }
    const match = ASSIGNMENT.exec(line);
    if (!match || (receiver !== undefined && match[1] !== receiver)) return;
    const value = rubyLiteral(match[3]);
    const field = match[2];
    if (field === 'name') fields.name = singleToken(value);
    else if (field === 'version') fields.version = singleToken(value);
    else if (value === undefined) fields.licenses = undefined;
    // `licenses=` takes `Array(value)`: a lone string is one licence; `license=` sets a list of one.
    else fields.licenses = (Array.isArray(value) ? value : [value]).map((license) => license.trim()).filter((license) => license !== '');
  });
  return fields;
}

/**
 * Several licences of a gem as one expression. RubyGems offers the array as the only way to declare a
 * multi-licensed gem, and Ruby's own gems use it for their dual licence (`["Ruby", "BSD-2-Clause"]`): a choice.
 */
function anyOf(licenses: string[]): string | undefined {
  const distinct = [...new Set(licenses)];
  if (distinct.length <= 1) return distinct[0];
  return distinct.map((license) => (/\s(?:AND|OR|WITH)\s/i.test(license) ? `(${license})` : license)).join(' OR ');
}

export type GemspecResult = { pkg: PackageRecord } | { problem: string };

/** The gem an installed specification describes: its fields, else its stub line, else its file name. */
export function parseGemspec(text: string, fileName: string): GemspecResult {
  const fields = readGemspec(text);
  const fromName = gemFromFileName(fileName);
  const name = fields.name ?? fields.stub?.name ?? fromName?.name;
  const version = fields.version ?? fields.stub?.version ?? fromName?.version;
  if (name === undefined) return { problem: 'no gem name in its fields, stub line or file name' };
  if (version === undefined) return { problem: `${name} has no version in its fields, stub line or file name` };
  const pkg: PackageRecord = { ecosystem: 'RubyGems', purlType: 'gem', name, version };
  const license = anyOf(fields.licenses ?? []);
  if (license !== undefined) pkg.license = license;
  return { pkg };
}

/** Installed Ruby gems: the specifications RubyGems and Bundler write into a gem home. Gemfile.lock is not read. */
export const gemspecAnalyzer: Analyzer = {
  name: 'gemspec',
  version: 1,
  maxFileSize: MAX_GEMSPEC_BYTES,
  wants: isInstalledGemspec,
  analyze(file: LayerFile): AnalysisResult {
    const result = parseGemspec(file.content.toString('utf8'), baseName(file.path));
    if ('pkg' in result) return { evidence: [{ kind: 'packages', packages: [result.pkg] }] };
    return { evidence: [], notes: [`${file.path}: ${result.problem}`], unreadable: true };
  },
};
