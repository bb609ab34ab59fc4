import { readLayer } from '../../lib/layers';
import { buildTar, gzip, selectPaths, streamOf } from './layer-fixtures';
import { generatedLayer } from './generated-layers';

const KIB = 1024;
const MIB = 1024 * KIB;

describe("a layer's budget for wanted files", () => {
  const limits = { a: 10 * KIB, b: 10 * KIB, c: 10 * KIB, d: 10 * KIB, link: 10 * KIB };

  it('reads wanted files while they fit, then lists the first one that does not, and all after it, as unread', async () => {
    const tar = await buildTar([
      { name: 'a', content: 'a'.repeat(4000) },
      { name: 'unwanted', content: 'u'.repeat(9000) },
      { name: 'b', content: 'b'.repeat(4000) },
      { name: 'c', content: 'c'.repeat(4000) },
      { name: 'd', content: 'd' },
    ]);
    // Each file costs its size and 512 bytes: a and b take 9024 of 10240, c does not fit, d comes after it.
    const contents = await readLayer(streamOf(gzip(tar)), selectPaths(limits), { maxWantedBytes: 10 * KIB });
    expect([...contents.files.keys()]).toEqual(['a', 'b']);
    const reason = "the layer's 10 KiB budget for wanted files was spent before it";
    expect(contents.unread).toEqual(
      new Map([
        ['c', reason],
        ['d', reason],
      ]),
    );
    expect(contents.notes).toEqual([]);
  });

  it('a hard link to a file that was read costs nothing more; one to a file past the budget is unread too', async () => {
    const tar = await buildTar([
      { name: 'a', content: 'a'.repeat(9000) },
      { name: 'link', type: 'link', linkname: 'a' },
      { name: 'b', content: 'b'.repeat(2000) },
      { name: 'c', type: 'link', linkname: 'b' },
    ]);
    const contents = await readLayer(streamOf(tar), selectPaths(limits), { maxWantedBytes: 10 * KIB });
    expect([...contents.files.keys()]).toEqual(['a', 'link']);
    expect(contents.unread.get('c')).toBe("hard link to b, which was not read: the layer's 10 KiB budget for wanted files was spent before it");
  });

  it('by default holds 256 MiB: twenty 16 MiB files are not all read, and reading stops there without failing', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const layer = await generatedLayer(names.map((name) => ({ name, size: 16 * MIB })));
    const contents = await readLayer(streamOf(layer), selectPaths(Object.fromEntries(names.map((name) => [name, 16 * MIB]))));
    expect(contents.files.size).toBe(15);
    expect([...contents.unread.keys()]).toEqual(names.slice(15));
    expect(contents.uncompressedBytes).toBeGreaterThan(320 * MIB);
  });
});
