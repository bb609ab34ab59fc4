import * as SPDX from '@cyclonedx/cyclonedx-library/SPDX';

export interface ExpressionOptions {
  /** Accept `LicenseRef-…` and `DocumentRef-…:LicenseRef-…` (an SPDX document would have to define them). */
  allowRefs?: boolean;
}

const OPERATORS: Record<string, string> = { AND: 'AND', and: 'AND', OR: 'OR', or: 'OR', WITH: 'WITH', with: 'WITH' };
const LICENSE_REF = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;
// The SPDX id list mixes licences and exceptions; a few deprecated licence ids also contain "exception".
const EXCEPTION_LIKE = /exception|note/i;
const LICENSE_LIKE = /-with-|no-copyleft|Combined-Work/i;

function isException(id: string): boolean {
  return EXCEPTION_LIKE.test(id) && !LICENSE_LIKE.test(id);
}

function licenseId(token: string): string | undefined {
  const id = SPDX.fixupSpdxId(token);
  if (id !== undefined) return isException(id) ? undefined : id;
  if (!token.endsWith('+')) return undefined;
  const base = SPDX.fixupSpdxId(token.slice(0, -1));
  return base !== undefined && !isException(base) ? `${base}+` : undefined;
}

function exceptionId(token: string): string | undefined {
  const id = SPDX.fixupSpdxId(token);
  return id !== undefined && isException(id) ? id : undefined;
}

/** Recursive descent over SPDX 2.3 Annex D: or := and (OR and)*; and := with (AND with)*; with := simple [WITH exception] | ( or ). */
class ExpressionParser {
  #pos = 0;

  constructor(
    private readonly tokens: string[],
    private readonly allowRefs: boolean,
  ) {}

  parse(): string | undefined {
    const expression = this.#chain('OR', () => this.#chain('AND', () => this.#term()));
    return this.#pos === this.tokens.length ? expression : undefined;
  }

  #operator(): string | undefined {
    return OPERATORS[this.tokens[this.#pos] ?? ''];
  }

  #chain(operator: string, operand: () => string | undefined): string | undefined {
    const parts: string[] = [];
    do {
      if (parts.length > 0) this.#pos++;
      const part = operand();
      if (part === undefined) return undefined;
      parts.push(part);
    } while (this.#operator() === operator);
    return parts.join(` ${operator} `);
  }

  #term(): string | undefined {
    const token = this.tokens[this.#pos++];
    if (token === undefined || token === ')' || OPERATORS[token]) return undefined;
    if (token === '(') {
      const inner = this.#chain('OR', () => this.#chain('AND', () => this.#term()));
      return inner !== undefined && this.tokens[this.#pos++] === ')' ? `(${inner})` : undefined;
    }
    const license = this.allowRefs && LICENSE_REF.test(token) ? token : licenseId(token);
    if (license === undefined || this.#operator() !== 'WITH') return license;
    this.#pos++;
    const exception = exceptionId(this.tokens[this.#pos++] ?? '');
    return exception === undefined ? undefined : `${license} WITH ${exception}`;
  }
}

/**
 * The expression with canonical ids and upper-case operators, or undefined when it is not a valid SPDX licence
 * expression over known ids. Conservative: anything it cannot vouch for is rejected.
 */
export function normalizeSpdxExpression(text: string, options: ExpressionOptions = {}): string | undefined {
  const tokens = text.match(/[()]|[^\s()]+/g);
  return tokens ? new ExpressionParser(tokens, options.allowRefs ?? false).parse() : undefined;
}

/** Throws unless `text` is a valid SPDX expression (for the CycloneDX library's LicenseFactory). */
export function assertSpdxExpression(text: string): void {
  if (normalizeSpdxExpression(text, { allowRefs: true }) === undefined) throw new RangeError(`not an SPDX licence expression: ${text}`);
}

/** Distinct, trimmed, non-empty licence statements. */
export function statedLicenses(licenses: readonly string[]): string[] {
  return [...new Set(licenses.map((license) => license.trim()).filter((license) => license !== ''))];
}

/** All of a package's licences as one SPDX expression (several are all declared, so AND), or undefined if any is not one. */
export function combinedSpdxExpression(licenses: readonly string[], options: ExpressionOptions = {}): string | undefined {
  const expressions: string[] = [];
  for (const license of statedLicenses(licenses)) {
    const expression = normalizeSpdxExpression(license, options);
    if (expression === undefined) return undefined;
    expressions.push(expression);
  }
  if (expressions.length <= 1) return expressions[0];
  return [...new Set(expressions)].map((expression) => (/ (AND|OR) /.test(expression) ? `(${expression})` : expression)).join(' AND ');
}
