import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { utf8Text } from '../../lib/vulndb/document-text';

const REDHAT = join(__dirname, 'sources/data/redhat');

/** A small deterministic generator (mulberry32): the same bytes on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('utf8Text', () => {
  it("decodes Red Hat's CSAF files, each with its ©, as toString does", () => {
    const files = readdirSync(REDHAT).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(3);
    for (const name of files) {
      const bytes = readFileSync(join(REDHAT, name));
      expect(utf8Text(bytes)).toBe(bytes.toString('utf8'));
    }
  });

  it.each([
    ['ASCII only', '{"id":"CVE-2024-1"}'],
    ['a byte-order mark', '\uFEFF{"a":1}'],
    ['Latin-1 letters', 'Copyright © Red Hat, Inc. Ärger, façade'],
    ['a text in another script, past the run limit', '脆弱性の説明、'.repeat(200)],
    ['astral characters', 'a\u{1F600}b\u{10348}c'],
    ['empty', ''],
  ])('decodes %s as toString does', (_, text) => {
    const bytes = Buffer.from(text);
    expect(utf8Text(bytes)).toBe(bytes.toString('utf8'));
  });

  it('decodes malformed sequences (truncated, stray continuation bytes, overlong forms) to the same replacement characters', () => {
    for (const hex of ['e282', 'c2', '80', 'c0af', 'ed a0 80', 'f4 90 80 80', '41 e2 28 a1 42', 'ff fe 41']) {
      const bytes = Buffer.from(hex.replaceAll(' ', ''), 'hex');
      expect(utf8Text(bytes)).toBe(bytes.toString('utf8'));
    }
  });

  it('decodes any slice of any bytes as toString does, a range starting or ending inside a sequence included', () => {
    const next = random(42);
    for (let round = 0; round < 5_000; round++) {
      const length = Math.floor(next() * 400);
      const bytes = Buffer.alloc(length);
      const highShare = next() * 0.5;
      for (let i = 0; i < length; i++) bytes[i] = next() < highShare ? Math.floor(next() * 256) : 32 + Math.floor(next() * 95);
      const start = Math.floor(next() * (length + 1));
      const end = start + Math.floor(next() * (length - start + 1));
      expect(utf8Text(bytes, start, end)).toBe(bytes.toString('utf8', start, end));
    }
  });
});
