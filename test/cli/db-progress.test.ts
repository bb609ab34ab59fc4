import { ProgressLine } from '../../lib/cli/io';

/** The progress line's timing, on jest's clock. */
describe('ProgressLine', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const collect = () => {
    const writes: string[] = [];
    return { writes, write: (text: string) => writes.push(text) };
  };

  it('shows nothing for an operation done within a second', () => {
    const { writes, write } = collect();
    const progress = new ProgressLine(write, true);
    progress.update('Debian: 1,000 records read, 0 written…');
    jest.advanceTimersByTime(900);
    progress.update('Debian: 2,000 records read, 0 written…');
    progress.done();
    jest.advanceTimersByTime(5000);
    expect(writes).toEqual([]);
  });

  it('draws the latest text after a second, at most every 250 ms, and erases it at the end', () => {
    const { writes, write } = collect();
    const progress = new ProgressLine(write, true);
    for (let ms = 0; ms < 2000; ms += 10) {
      progress.update(`Debian: ${ms} records read…`);
      jest.advanceTimersByTime(10);
    }
    expect(writes).toEqual([
      '\rDebian: 990 records read…\x1b[K',
      '\rDebian: 1240 records read…\x1b[K',
      '\rDebian: 1490 records read…\x1b[K',
      '\rDebian: 1740 records read…\x1b[K',
      '\rDebian: 1990 records read…\x1b[K',
    ]);
    progress.done();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    jest.advanceTimersByTime(1000);
    expect(writes).toHaveLength(6);
  });

  it('draws a change that came in a quiet spell once its interval is up', () => {
    const { writes, write } = collect();
    const progress = new ProgressLine(write, true);
    jest.advanceTimersByTime(1500);
    progress.update('PyPI: downloading…');
    progress.update('PyPI: downloading 1.0 MB…');
    jest.advanceTimersByTime(100);
    expect(writes).toEqual(['\rPyPI: downloading…\x1b[K']);
    jest.advanceTimersByTime(200);
    expect(writes).toEqual(['\rPyPI: downloading…\x1b[K', '\rPyPI: downloading 1.0 MB…\x1b[K']);
  });

  it('puts a note on a line of its own and draws the progress again after it', () => {
    const { writes, write } = collect();
    const progress = new ProgressLine(write, true, { delayMs: 0 });
    progress.update('a: 1 records read…');
    progress.note('skipped malformed x.json: not JSON\n');
    jest.advanceTimersByTime(300);
    progress.update('a: 2 records read…');
    progress.done();
    expect(writes).toEqual(['\ra: 1 records read…\x1b[K', '\r\x1b[K', 'skipped malformed x.json: not JSON\n', '\ra: 2 records read…\x1b[K', '\r\x1b[K']);
  });

  it('keeps a long line within 79 columns, its end shown', () => {
    const { writes, write } = collect();
    const progress = new ProgressLine(write, true, { delayMs: 0 });
    progress.update(`/${'very/long/'.repeat(20)}osv: 12,345 records read, 12,000 written…`);
    expect(writes[0].endsWith('\x1b[K')).toBe(true);
    expect(writes[0].slice(0, -3)).toMatch(/^\r….*osv: 12,345 records read, 12,000 written…$/);
    expect(writes[0].length).toBe(1 + 79 + 3);
  });

  it('writes nothing when disabled (not a terminal, or --quiet), notes excepted', () => {
    const { writes, write } = collect();
    const progress = new ProgressLine(write, false, { delayMs: 0 });
    progress.update('a: 1 records read…');
    jest.advanceTimersByTime(2000);
    progress.note('skipped malformed x.json: not JSON\n');
    progress.done();
    expect(writes).toEqual(['skipped malformed x.json: not JSON\n']);
  });
});
