/** One `Name: value` field. Continuation lines are joined to the value with `\n`, minus their first blank. */
export interface ControlField {
  name: string;
  value: string;
}

/** One paragraph (stanza) of a deb822 control file, with case-insensitive field lookup. */
export class ControlParagraph {
  /** 1-based line where the paragraph starts. */
  readonly line: number;
  readonly fields: ControlField[] = [];
  private readonly byName = new Map<string, string>();
  /** Whether the last field added is the one `get` returns for its name (duplicates keep the first). */
  private lastIsFirstOfName = false;

  constructor(line: number) {
    this.line = line;
  }

  /** The first field of that name (field names are case-insensitive); undefined when absent. */
  get(name: string): string | undefined {
    return this.byName.get(name.toLowerCase());
  }

  add(name: string, value: string): void {
    this.fields.push({ name, value });
    const key = name.toLowerCase();
    this.lastIsFirstOfName = !this.byName.has(key);
    if (this.lastIsFirstOfName) this.byName.set(key, value);
  }

  appendToLast(text: string): void {
    const last = this.fields[this.fields.length - 1];
    last.value += `\n${text}`;
    if (this.lastIsFirstOfName) this.byName.set(last.name.toLowerCase(), last.value);
  }
}

export interface ControlFile {
  paragraphs: ControlParagraph[];
  /** Lines that are neither fields, continuations, comments nor separators, e.g. `line 3: not a field`. */
  problems: string[];
}

const FIELD = /^([^\s:#-][^\s:]*)[ \t]*:(.*)$/;

/**
 * Parses deb822 text (dpkg status, control files): paragraphs separated by blank or whitespace-only lines,
 * `Name: value` fields, continuation lines starting with a space or tab, `#` comment lines between fields.
 * Accepts CRLF line ends and a missing final newline; malformed lines are skipped and reported, never thrown.
 */
export function parseControlFile(text: string): ControlFile {
  const paragraphs: ControlParagraph[] = [];
  const problems: string[] = [];
  let current: ControlParagraph | undefined;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const lineNumber = index + 1;
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (current && current.fields.length > 0) current.appendToLast(line.slice(1).trimEnd());
      else problems.push(`line ${lineNumber}: continuation line outside a field`);
      continue;
    }
    if (first === 0x23) continue;
    const match = FIELD.exec(line);
    if (!match) {
      problems.push(`line ${lineNumber}: not a field`);
      continue;
    }
    if (!current) {
      current = new ControlParagraph(lineNumber);
      paragraphs.push(current);
    }
    current.add(match[1], match[2].trim());
  }
  return { paragraphs, problems };
}

/** The header field that makes a copyright file machine-readable, and the spec it names (1.0, or the DEP-5 drafts). */
const COPYRIGHT_FORMAT_FIELDS = ['Format', 'Format-Specification'];
const COPYRIGHT_FORMAT = /copyright-format|dep5/i;

function firstContentLine(text: string): number {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => line.trim() !== '' && !line.startsWith('#'));
  return index + 1;
}

/** A DEP-5 file opens with its header paragraph, which names the format. */
function isMachineReadable(text: string, paragraphs: ControlParagraph[]): boolean {
  const header = paragraphs[0];
  if (!header || header.line !== firstContentLine(text)) return false;
  return COPYRIGHT_FORMAT_FIELDS.some((name) => COPYRIGHT_FORMAT.test(header.get(name) ?? ''));
}

/** The short name of a License field: its first line (the lines after it are the licence text). */
function shortName(value: string): string {
  return value.split('\n', 1)[0].trim();
}

/**
 * The licences a machine-readable Debian copyright file (DEP-5) names, distinct, in order of appearance; undefined
 * for a file in any other form. Read are the License fields of the header and of the Files paragraphs: paragraphs
 * of a License field alone hold the text of a licence named elsewhere, and counting them would turn a choice
 * (`GPL-2+ or Artistic`) into a conjunction.
 */
export function copyrightLicenses(text: string): string[] | undefined {
  const { paragraphs } = parseControlFile(text);
  if (!isMachineReadable(text, paragraphs)) return undefined;
  const names = new Set<string>();
  paragraphs.forEach((paragraph, index) => {
    if (index > 0 && paragraph.get('Files') === undefined) return;
    for (const field of paragraph.fields) {
      if (field.name.toLowerCase() !== 'license') continue;
      const name = shortName(field.value);
      if (name) names.add(name);
    }
  });
  return [...names];
}
