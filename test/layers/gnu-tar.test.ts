import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLayer } from '../../lib/layers';
import { selectPaths, streamOf, zstdAvailable } from './layer-fixtures';

const TAR = '/usr/bin/tar';
const describeWithTar = existsSync(TAR) ? describe : describe.skip;
if (!existsSync(TAR)) console.warn('SKIPPED GNU tar layer tests: /usr/bin/tar is absent (apt-get install tar)');

const LONG_DIR = `usr/lib/python3/dist-packages/${'very-long-package-name-'.repeat(5)}1.0.dist-info`;

describeWithTar('layers written by GNU tar', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lamina-layers-'));
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    mkdirSync(join(root, LONG_DIR), { recursive: true });
    mkdirSync(join(root, 'var/cache/apt'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/os-release'), 'ID=debian\n');
    symlinkSync('../usr/lib/os-release', join(root, 'etc/os-release'));
    writeFileSync(join(root, 'usr/lib/a.txt'), 'same inode\n');
    linkSync(join(root, 'usr/lib/a.txt'), join(root, 'usr/lib/b.txt'));
    writeFileSync(join(root, LONG_DIR, 'METADATA'), 'Name: long\n');
    writeFileSync(join(root, 'etc/.wh.motd'), '');
    writeFileSync(join(root, 'var/cache/apt/.wh..wh..opq'), '');
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function tarOf(...args: string[]): Buffer {
    const result = spawnSync(TAR, [...args, '-C', root, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(result.stderr.toString());
    return result.stdout;
  }

  const selector = selectPaths({
    'etc/os-release': 1024,
    'usr/lib/os-release': 1024,
    'usr/lib/a.txt': 1024,
    'usr/lib/b.txt': 1024,
    [`${LONG_DIR}/METADATA`]: 1024,
  });

  it.each([
    ['gnu', ['--format=gnu']],
    ['pax', ['--format=pax']],
    ['gnu, gzip', ['--format=gnu', '--gzip']],
    ...(zstdAvailable ? [['pax, zstd', ['--format=pax', '--zstd']] as [string, string[]]] : []),
  ])('reads %s archives: ./ prefixes, long names, hard links, symlinks, whiteouts', async (_name, args) => {
    const contents = await readLayer(streamOf(tarOf(...args)), selector);
    expect(contents.files.get(`${LONG_DIR}/METADATA`)?.content.toString()).toBe('Name: long\n');
    expect(contents.files.get('usr/lib/os-release')?.content.toString()).toBe('ID=debian\n');
    expect(contents.symlinks.get('etc/os-release')).toEqual({ path: 'etc/os-release', target: '../usr/lib/os-release' });
    // One of the two names is the file, the other a hard link to it: both come out with the content.
    expect(contents.files.get('usr/lib/a.txt')?.content.toString()).toBe('same inode\n');
    expect(contents.files.get('usr/lib/b.txt')?.content.toString()).toBe('same inode\n');
    expect(contents.whiteouts).toEqual(['etc/motd']);
    expect(contents.opaqueDirs).toEqual(['var/cache/apt']);
    expect(contents.notes).toEqual([]);
  });

  it('lists a wanted hard link whose target nobody wanted as unread (the documented limit of one pass)', async () => {
    const tar = tarOf('--format=gnu');
    const results = await Promise.all(['usr/lib/a.txt', 'usr/lib/b.txt'].map((path) => readLayer(streamOf(tar), selectPaths({ [path]: 1024 }))));
    const resolved = results.filter((contents) => contents.files.size === 1);
    const unresolved = results.filter((contents) => contents.files.size === 0);
    expect(resolved).toHaveLength(1);
    expect(unresolved).toHaveLength(1);
    expect(unresolved[0].notes).toEqual([]);
    expect([...unresolved[0].unread.values()]).toEqual([expect.stringMatching(/^hard link to usr\/lib\/.\.txt, whose content was not kept/)]);
  });
});
