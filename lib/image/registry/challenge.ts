/** One challenge of a `WWW-Authenticate` header: its scheme (lower-cased) and its parameters (keys lower-cased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme followed by comma-separated
 * `key=value` or `key="quoted \"value\""` parameters.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = header;
  let current: Challenge | undefined;
  for (;;) {
    rest = rest.replace(/^[\s,]+/, '');
    if (rest === '') break;
    const token = TOKEN.exec(rest);
    if (!token) break;
    const name = token[0];
    const after = rest.slice(name.length).replace(/^\s*/, '');
    if (after.startsWith('=') && current) {
      const parsed = parseValue(after.slice(1).replace(/^\s*/, ''));
      current.params[name.toLowerCase()] = parsed.value;
      rest = parsed.rest;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      rest = after;
    }
  }
  return challenges;
}

function parseValue(text: string): { value: string; rest: string } {
  if (!text.startsWith('"')) {
    const end = text.search(/[\s,]/);
    return end < 0 ? { value: text, rest: '' } : { value: text.slice(0, end), rest: text.slice(end) };
  }
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      value += text[++i];
    } else if (char === '"') {
      return { value, rest: text.slice(i + 1) };
    } else {
      value += char;
    }
  }
  return { value, rest: '' };
}
