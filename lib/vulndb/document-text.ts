/**
 * UTF-8 documents to strings, fast for what advisory feeds are: ASCII with a rare other character (Red Hat's every
 * CSAF file says "Copyright ©"). V8 decodes ASCII as Latin-1 at memory speed, but any other byte sends the whole
 * buffer through its general UTF-8 decoder, ten times slower; so only the runs of non-ASCII bytes go that way.
 */
import { isAscii } from 'node:buffer';

/** Past this many non-ASCII runs the document is decoded whole: a text in another script gains nothing here. */
const MAX_RUNS = 32;

/** The index of the first byte ≥ 0x80 in `bytes[from, to)`, which holds one (`isAscii` is vectorised; a byte loop is not). */
function firstNonAscii(bytes: Buffer, from: number, to: number): number {
  let low = from;
  let high = to;
  // Invariant: [from, low) is ASCII and [low, high) is not.
  while (high - low > 64) {
    const middle = (low + high) >>> 1;
    if (isAscii(bytes.subarray(low, middle))) low = middle;
    else high = middle;
  }
  while (bytes[low] < 0x80) low++;
  return low;
}

/**
 * The text of `bytes[start, end)` as `buffer.toString('utf8', start, end)` gives it, malformed sequences included:
 * an ASCII byte never belongs to a multi-byte sequence, so decoding each non-ASCII run on its own yields the same
 * characters.
 */
export function utf8Text(bytes: Buffer, start = 0, end = bytes.length): string {
  const parts: string[] = [];
  let at = start;
  while (at < end) {
    if (isAscii(bytes.subarray(at, end))) {
      parts.push(bytes.toString('latin1', at, end));
      break;
    }
    if (parts.length >= MAX_RUNS * 2) {
      parts.push(bytes.toString('utf8', at, end));
      break;
    }
    const run = firstNonAscii(bytes, at, end);
    let after = run + 1;
    while (after < end && bytes[after] >= 0x80) after++;
    if (run > at) parts.push(bytes.toString('latin1', at, run));
    parts.push(bytes.toString('utf8', run, after));
    at = after;
  }
  return parts.length === 1 ? parts[0] : parts.join('');
}
