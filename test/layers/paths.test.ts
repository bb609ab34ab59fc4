import { normaliseImagePath, parseWhiteout } from '../../lib/layers';

describe('normaliseImagePath', () => {
  it.each([
    ['etc/os-release', 'etc/os-release'],
    ['./etc/os-release', 'etc/os-release'],
    ['/etc/os-release', 'etc/os-release'],
    ['//etc//apt///sources.list', 'etc/apt/sources.list'],
    ['usr/lib/./x', 'usr/lib/x'],
    ['usr/lib/../share/doc', 'usr/share/doc'],
    ['usr/lib/', 'usr/lib'],
    ['./', ''],
    ['.', ''],
    ['/', ''],
    ['a/..', ''],
    ['..foo/bar..', '..foo/bar..'],
    ['.hidden/.wh.x', '.hidden/.wh.x'],
  ])('%j becomes %j', (raw, expected) => {
    expect(normaliseImagePath(raw)).toBe(expected);
  });

  it.each(['../etc/passwd', '/../etc/passwd', './../x', 'a/../../b', '..', 'a/b/../../../c'])('%j escapes the root and is rejected', (raw) => {
    expect(normaliseImagePath(raw)).toBeUndefined();
  });
});

describe('parseWhiteout', () => {
  it('names the deleted path beside the marker', () => {
    expect(parseWhiteout('usr/share/.wh.doc')).toEqual({ kind: 'whiteout', path: 'usr/share/doc' });
    expect(parseWhiteout('.wh.etc')).toEqual({ kind: 'whiteout', path: 'etc' });
  });

  it('reads the opaque marker, at the root too', () => {
    expect(parseWhiteout('var/lib/.wh..wh..opq')).toEqual({ kind: 'opaque', dir: 'var/lib' });
    expect(parseWhiteout('.wh..wh..opq')).toEqual({ kind: 'opaque', dir: '' });
  });

  it('ignores aufs metadata and rejects markers that name nothing', () => {
    expect(parseWhiteout('.wh..wh.plnk')).toEqual({ kind: 'ignored' });
    expect(parseWhiteout('a/.wh..wh.aufs')).toEqual({ kind: 'ignored' });
    expect(parseWhiteout('a/.wh.')).toEqual({ kind: 'invalid' });
    expect(parseWhiteout('a/.wh..')).toEqual({ kind: 'invalid' });
    expect(parseWhiteout('a/.wh...')).toEqual({ kind: 'invalid' });
  });
});
