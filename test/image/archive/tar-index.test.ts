import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GrpcCode } from '../../../lib/errors';
import { TarStore } from '../../../lib/image/archive/store';
import { cleanMemberName, resolveMember } from '../../../lib/image/archive/tar-index';
import { tempDir, writeTar } from './archive-writer';

const TAR = '/usr/bin/tar';
const itWithTar = existsSync(TAR) ? it : it.skip;
if (!existsSync(TAR)) console.warn('SKIPPED GNU tar archive index tests: /usr/bin/tar is absent (apt-get install tar)');

interface RawHeader {
  name: string;
  size?: number;
  /** The 12 bytes of the size field as given (base-256, garbage). */
  sizeField?: Buffer;
  type?: string;
  linkname?: string;
  prefix?: string;
  gnu?: boolean;
  badChecksum?: boolean;
}

/** A 512-byte tar header written field by field, its checksum computed (or broken on purpose). */
function header({ name, size = 0, sizeField, type = '0', linkname = '', prefix = '', gnu = false, badChecksum = false }: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  if (sizeField) sizeField.copy(block, 124);
  else block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('14540000000\0', 136);
  block.write(type, 156);
  block.write(linkname, 157, 100, 'utf8');
  if (gnu) block.write('ustar  \0', 257);
  else {
    block.write('ustar\0', 257);
    block.write('00', 263);
  }
  block.write(prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${(badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function padded(content: Buffer | string): Buffer {
  const bytes = Buffer.from(content);
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

function member(spec: RawHeader & { content?: string | Buffer }): Buffer {
  const content = Buffer.from(spec.content ?? '');
  return Buffer.concat([header({ size: content.length, ...spec }), padded(content)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length += 1;
  return `${length}${body}`;
}

const END = Buffer.alloc(1024);

let dir: string;
let cleanup: () => Promise<void>;
let counter = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

async function storeOf(bytes: Buffer, limits?: Parameters<typeof TarStore.open>[1]): Promise<TarStore> {
  const path = join(dir, `t${counter++}.tar`);
  await writeFile(path, bytes);
  return TarStore.open(path, limits);
}

async function contentOf(store: TarStore, name: string): Promise<string> {
  const file = await store.file(name);
  if (!file) throw new Error(`${name} not found`);
  const chunks: Buffer[] = [];
  for await (const chunk of await file.open()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

function coded(code: GrpcCode, message: string) {
  return expect.objectContaining({ code, message: expect.stringContaining(message) });
}

describe('the tar header walk', () => {
  it('reads ustar prefixes, pax path and size records, GNU long names and long link names', async () => {
    const longName = `blobs/${'n'.repeat(300)}`;
    const longLink = `target/${'t'.repeat(200)}`;
    const store = await storeOf(
      Buffer.concat([
        member({ name: 'layer.tar', prefix: 'deep/prefix', content: 'prefixed' }),
        member({ name: 'PaxHeader', type: 'x', content: paxRecord('path', 'pax/named') + paxRecord('size', '3') + paxRecord('mtime', '1.5') }),
        // The header's own size field says 0: the pax record's size wins.
        header({ name: 'ignored', size: 0 }),
        padded('pax'),
        member({ name: '././@LongLink', type: 'L', content: `${longName}\0` }),
        member({ name: 'short', content: 'long' }),
        member({ name: '././@LongLink', type: 'K', content: longLink }),
        member({ name: 'a-link', type: '2', linkname: 'short-target' }),
        END,
      ]),
    );
    expect(await contentOf(store, 'deep/prefix/layer.tar')).toBe('prefixed');
    expect(await contentOf(store, 'pax/named')).toBe('pax');
    expect(await contentOf(store, longName)).toBe('long');
    expect(store.index.members.get('a-link')).toMatchObject({ type: 'symlink', linkname: longLink });
    expect(store.index.members.has('ignored')).toBe(false);
    expect(store.index.terminated).toBe(true);
  });

  it('reads sizes in base-256 and octal without NUL, and skips bodies by their size', async () => {
    const content = 'x'.repeat(700);
    const base256 = Buffer.alloc(12);
    base256[0] = 0x80;
    base256.writeUInt32BE(content.length, 8);
    const spaced = Buffer.from(`  ${content.length.toString(8)}      `.slice(0, 12));
    const store = await storeOf(
      Buffer.concat([
        member({ name: 'big', sizeField: base256, content }),
        member({ name: 'spaced', sizeField: spaced, content }),
        member({ name: 'after', content: 'ok' }),
        END,
      ]),
    );
    expect(store.index.members.get('big')).toMatchObject({ size: 700, offset: 512 });
    expect(await contentOf(store, 'big')).toBe(content);
    expect(await contentOf(store, 'spaced')).toBe(content);
    expect(await contentOf(store, 'after')).toBe('ok');
  });

  it('gives links and directories no data whatever their size field says (as Go reads them)', async () => {
    const store = await storeOf(
      Buffer.concat([
        header({ name: 'dir/', type: '5', size: 4096 }),
        header({ name: 'sym', type: '2', linkname: 'x', size: 100 }),
        member({ name: 'x', content: 'after' }),
        END,
      ]),
    );
    expect(await contentOf(store, 'x')).toBe('after');
    expect(store.index.members.get('dir')).toMatchObject({ type: 'directory', size: 0 });
  });

  it('cleans names and leaves unsafe ones out of the index', async () => {
    const store = await storeOf(
      Buffer.concat([
        member({ name: './a//b/./c', content: '1' }),
        member({ name: '../escape', content: '2' }),
        member({ name: '/etc/passwd', content: '3' }),
        member({ name: 'x/../../y', content: '4' }),
        END,
      ]),
    );
    expect([...store.index.members.keys()]).toEqual(['a/b/c']);
    expect(store.index.refused).toEqual(['../escape', '/etc/passwd', 'x/../../y']);
    expect(cleanMemberName('./')).toBe('');
    expect(cleanMemberName('blobs/sha256/')).toBe('blobs/sha256');
  });

  it.each([
    [
      'a header checksum mismatch',
      Buffer.concat([member({ name: 'a', content: 'x' }), member({ name: 'b', content: 'y', badChecksum: true }), END]),
      GrpcCode.DataLoss,
      'checksum mismatch',
    ],
    [
      'a first header that is not tar',
      Buffer.concat([member({ name: 'a', content: 'x', badChecksum: true }), END]),
      GrpcCode.InvalidArgument,
      'not a tar archive',
    ],
    ['a member running past the end', Buffer.concat([header({ name: 'a', size: 5000 }), padded('short')]), GrpcCode.DataLoss, 'the tar archive is truncated'],
    [
      'a file ending inside a header',
      Buffer.concat([member({ name: 'a', content: 'x' }), Buffer.alloc(100, 1)]),
      GrpcCode.DataLoss,
      'it ends inside the header',
    ],
    ['a negative base-256 size', Buffer.concat([header({ name: 'a', sizeField: Buffer.alloc(12, 0xff) }), END]), GrpcCode.DataLoss, 'negative size'],
    ['a size that is not octal', Buffer.concat([header({ name: 'a', sizeField: Buffer.from('00000009999\0') }), END]), GrpcCode.DataLoss, 'invalid size'],
    [
      'a malformed pax record',
      Buffer.concat([member({ name: 'p', type: 'x', content: '99 path=x\n' }), member({ name: 'a' }), END]),
      GrpcCode.DataLoss,
      'malformed pax',
    ],
    ['a GNU sparse member', Buffer.concat([member({ name: 's', type: 'S', content: 'x' }), END]), GrpcCode.FailedPrecondition, 'GNU sparse member'],
  ])('refuses %s', async (_name, bytes, code, message) => {
    await expect(storeOf(bytes)).rejects.toEqual(coded(code, message));
  });

  it('bounds headers, name lengths and pax headers', async () => {
    const many = Buffer.concat([...Array.from({ length: 11 }, (_, i) => member({ name: `m${i}` })), END]);
    await expect(storeOf(many, { tar: { maxHeaders: 10 } })).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'more than 10 entries'));
    expect((await storeOf(many, { tar: { maxHeaders: 11 } })).index.members.size).toBe(11);

    const long = Buffer.concat([member({ name: '././@LongLink', type: 'L', content: 'n'.repeat(300) }), member({ name: 'x' }), END]);
    await expect(storeOf(long, { tar: { maxNameLength: 200 } })).rejects.toEqual(
      coded(GrpcCode.FailedPrecondition, 'GNU long name of 300 bytes is larger than the 201'),
    );
    const paxName = Buffer.concat([member({ name: 'p', type: 'x', content: paxRecord('path', 'n'.repeat(300)) }), member({ name: 'x' }), END]);
    await expect(storeOf(paxName, { tar: { maxNameLength: 200 } })).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'longer than 200 bytes'));
    const bigPax = Buffer.concat([member({ name: 'p', type: 'x', content: paxRecord('comment', 'c'.repeat(5000)) }), member({ name: 'x' }), END]);
    await expect(storeOf(bigPax, { tar: { maxPaxHeaderBytes: 4096 } })).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'pax extended header of'));
  });

  it('accepts a tar without its end-of-archive blocks, and says it may be cut short', async () => {
    const store = await storeOf(member({ name: 'a', content: 'x' }));
    expect(store.index.terminated).toBe(false);
    expect(store.complete).toBe(false);
    expect(await contentOf(store, 'a')).toBe('x');
  });
});

describe('links inside the archive', () => {
  it('follows symlinks relative to their directory and hard links to earlier members, refusing the rest', async () => {
    const store = await storeOf(
      Buffer.concat([
        member({ name: 'one/layer.tar', content: 'layer bytes' }),
        member({ name: 'two/layer.tar', type: '2', linkname: '../one/layer.tar' }),
        member({ name: 'three/layer.tar', type: '1', linkname: './one/layer.tar' }),
        member({ name: 'four/layer.tar', type: '2', linkname: '../two/layer.tar' }),
        member({ name: 'forward', type: '1', linkname: 'later' }),
        member({ name: 'later', content: 'z' }),
        member({ name: 'loop-a', type: '2', linkname: 'loop-b' }),
        member({ name: 'loop-b', type: '2', linkname: 'loop-a' }),
        member({ name: 'to-dir', type: '2', linkname: 'one' }),
        member({ name: 'one', type: '5' }),
        END,
      ]),
    );
    for (const name of ['two/layer.tar', 'three/layer.tar', 'four/layer.tar']) expect(await contentOf(store, name)).toBe('layer bytes');
    expect(resolveMember(store.index, 'two/layer.tar')?.offset).toBe(store.index.members.get('one/layer.tar')?.offset);
    await expect(store.file('forward')).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'does not come before it'));
    await expect(store.file('loop-a')).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'a chain of more than 8 links'));
    await expect(store.file('to-dir')).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'not a regular file'));
    expect(await store.file('absent')).toBeUndefined();
  });
});

describe('archives written by other tools', () => {
  it('indexes long names that tar-stream writes as pax headers and as ustar prefixes', async () => {
    const pax = `blobs/sha256/${'a'.repeat(150)}`;
    const prefixed = `${'d'.repeat(90)}/${'f'.repeat(90)}`;
    const path = join(dir, 'tar-stream.tar');
    await writeTar(path, [
      { name: pax, content: 'pax' },
      { name: prefixed, content: 'prefixed' },
    ]);
    const store = await TarStore.open(path);
    expect(await contentOf(store, pax)).toBe('pax');
    expect(await contentOf(store, prefixed)).toBe('prefixed');
  });

  itWithTar.each([['gnu'], ['pax'], ['ustar'], ['v7']])('indexes GNU tar --format=%s: ./ prefixes, long names, hard links, symlinks', async (format) => {
    const root = join(dir, `gnu-${format}`);
    // v7 and ustar cannot hold names this long.
    const deep = format === 'gnu' || format === 'pax' ? `${'very-long-directory-name-'.repeat(6)}x` : 'short';
    await mkdir(join(root, deep), { recursive: true });
    await writeFile(join(root, deep, 'layer.tar'), 'deep content');
    await writeFile(join(root, 'a.txt'), 'same inode');
    await link(join(root, 'a.txt'), join(root, 'b.txt'));
    await symlink(`${deep}/layer.tar`, join(root, 'link'));
    const result = spawnSync(TAR, [`--format=${format}`, '-C', root, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    expect(result.status).toBe(0);
    const store = await storeOf(result.stdout);
    expect(await contentOf(store, `${deep}/layer.tar`)).toBe('deep content');
    expect(await contentOf(store, 'link')).toBe('deep content');
    expect(await contentOf(store, 'a.txt')).toBe('same inode');
    expect(await contentOf(store, 'b.txt')).toBe('same inode');
    expect([store.index.members.get('a.txt')?.type, store.index.members.get('b.txt')?.type].sort()).toEqual(['file', 'hardlink']);
  });
});
