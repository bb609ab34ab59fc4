import { parseControlFile } from '../../lib/analyzers/deb822';

describe('deb822 control files', () => {
  it('splits paragraphs on blank or whitespace-only lines and records where each starts', () => {
    const { paragraphs, problems } = parseControlFile('\n\nA: 1\n\n \t\n\nB: 2\nC: 3\n\n');
    expect(problems).toEqual([]);
    expect(paragraphs.map((p) => [p.line, p.fields])).toEqual([
      [3, [{ name: 'A', value: '1' }]],
      [
        7,
        [
          { name: 'B', value: '2' },
          { name: 'C', value: '3' },
        ],
      ],
    ]);
  });

  it('looks fields up case-insensitively and keeps the first of duplicates', () => {
    const [paragraph] = parseControlFile('Package: a\nPACKAGE: b\nversion:1.0  \n').paragraphs;
    expect(paragraph.get('package')).toBe('a');
    expect(paragraph.get('Version')).toBe('1.0');
    expect(paragraph.get('Missing')).toBeUndefined();
    expect(paragraph.fields.map((f) => f.name)).toEqual(['Package', 'PACKAGE', 'version']);
  });

  it('joins continuation lines (space or tab) to the field above, CRLF included', () => {
    const [paragraph] = parseControlFile('Description: short\r\n long line\r\n\t.\r\n  indented\r\nConffiles:\r\n /etc/a 123\r\n').paragraphs;
    expect(paragraph.get('description')).toBe('short\nlong line\n.\n indented');
    expect(paragraph.get('Conffiles')).toBe('\n/etc/a 123');
  });

  it('updates the looked-up value only for the first field of a name', () => {
    const [paragraph] = parseControlFile('X: one\nX: two\n more\n').paragraphs;
    expect(paragraph.get('x')).toBe('one');
    expect(paragraph.fields[1].value).toBe('two\nmore');
  });

  it('skips comments and reports malformed lines without failing', () => {
    const { paragraphs, problems } = parseControlFile(' orphan continuation\n# comment\nno colon here\nA: 1\n-bad: x\nB: 2');
    expect(paragraphs.map((p) => p.fields.map((f) => f.name))).toEqual([['A', 'B']]);
    expect(problems).toEqual(['line 1: continuation line outside a field', 'line 3: not a field', 'line 5: not a field']);
  });

  it('parses apk-style single-letter keys, keeping repeated keys in order', () => {
    const [paragraph] = parseControlFile('P:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\nF:etc\n').paragraphs;
    expect(paragraph.get('P')).toBe('busybox');
    expect(paragraph.fields.filter((f) => f.name === 'F').map((f) => f.value)).toEqual(['bin', 'etc']);
  });

  it('handles an empty input and a missing final newline', () => {
    expect(parseControlFile('')).toEqual({ paragraphs: [], problems: [] });
    expect(parseControlFile('A: 1').paragraphs[0].get('a')).toBe('1');
  });
});
