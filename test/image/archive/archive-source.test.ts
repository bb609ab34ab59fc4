import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defaultAnalyzers, selectorFor } from '../../../lib/analyzers';
import { GrpcCode } from '../../../lib/errors';
import { detectArchive, openArchiveSource, parseArchiveSpec } from '../../../lib/image/archive';
import type { ImageReference, ImageSource } from '../../../lib/image/types';
import { type LayerContents, readLayer } from '../../../lib/layers';
import { type BuiltImage, buildImage, type ImageSpec } from '../../support/image-builder';
import { dockerArchiveMembers, ociLayoutMembers, tempDir, writeDirectory, writeTar } from './archive-writer';

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const STATUS_1 = 'Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n\n';
const STATUS_2 = `${STATUS_1}Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\nArchitecture: amd64\n\n`;
const APK = 'P:musl\nV:1.2.4-r2\n\n';

const selector = selectorFor(defaultAnalyzers());

function spec(compression: 'gzip' | 'none', extra: Partial<ImageSpec> = {}): ImageSpec {
  return {
    layers: [
      {
        compression,
        entries: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/os-release', content: OS_RELEASE },
          { path: 'var/lib/dpkg/status', content: STATUS_1 },
          { path: 'usr/bin/tool', content: Buffer.alloc(20_000, 7) },
        ],
      },
      {
        compression,
        entries: [
          { path: 'var/lib/dpkg/status', content: STATUS_2 },
          { path: 'etc/.wh.motd', content: '' },
          { path: 'lib/apk/db/installed', content: APK },
          { path: 'usr/lib/os-release', type: 'symlink', linkname: '../../etc/os-release' },
        ],
      },
    ],
    ...extra,
  };
}

function summary(contents: LayerContents) {
  return {
    files: [...contents.files.entries()].map(([path, file]) => [path, file.content.toString('utf8')]).sort(),
    symlinks: [...contents.symlinks.entries()].sort(),
    whiteouts: [...contents.whiteouts].sort(),
    opaqueDirs: [...contents.opaqueDirs].sort(),
    notes: contents.notes,
    uncompressedBytes: contents.uncompressedBytes,
  };
}

/** What the layer reader gets out of the built layers themselves. */
async function expectedLayers(image: BuiltImage) {
  const out = [];
  for (const layer of image.layers) out.push(summary(await readLayer(createReadStream(layer.file), selector)));
  return out;
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves the reference, reads the config and every layer through the source, layers through the real reader. */
async function readThrough(source: ImageSource, reference: ImageReference) {
  const resolved = await source.resolve(reference);
  const configBytes = await collect(await source.openBlob(reference, resolved.manifest.config));
  const layers = [];
  for (const layer of resolved.manifest.layers) layers.push(summary(await readLayer(await source.openBlob(reference, layer), selector)));
  return { resolved, configBytes, layers };
}

function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The manifest lamina synthesises for a docker-archive whose layers are stored as built. */
function synthesisedDigest(image: BuiltImage, layerMediaType: string, layerDigest: (i: number) => string): string {
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.configDigest, size: image.configBytes.length },
    layers: image.layers.map((layer, i) => ({ mediaType: layerMediaType, digest: layerDigest(i), size: layer.size })),
  };
  return sha256(JSON.stringify(manifest));
}

function coded(code: GrpcCode, message: string | RegExp) {
  return expect.objectContaining({ code, message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) });
}

let dir: string;
let cleanup: () => Promise<void>;
let plain: BuiltImage;
let gzipped: BuiltImage;
let other: BuiltImage;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  plain = await buildImage(spec('none'));
  gzipped = await buildImage(spec('gzip'));
  other = await buildImage({ layers: [{ compression: 'none', entries: [{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' }] }] });
});

afterAll(async () => cleanup());

describe('docker-archive', () => {
  it('reads a legacy docker save (uncompressed <id>/layer.tar): layer digests are the diff_ids, the manifest is synthesised', async () => {
    const path = join(dir, 'legacy.tar');
    await writeTar(path, dockerArchiveMembers([{ image: plain, tags: ['acme/app:1.0'] }], 'legacy'));
    const { source, reference } = await openArchiveSource(`docker-archive:${path}`);

    const digest = synthesisedDigest(plain, 'application/vnd.oci.image.layer.v1.tar', (i) => plain.layers[i].diffId);
    expect(reference).toEqual({ registry: '', remote: 'acme/app', tag: '1.0', digest, fullName: 'acme/app:1.0' });
    const { resolved, configBytes, layers } = await readThrough(source, reference);
    expect(resolved.manifestDigest).toBe(digest);
    expect(resolved.configDigest).toBe(plain.configDigest);
    expect(resolved.manifest.layers.map((layer) => layer.digest)).toEqual(plain.layers.map((layer) => layer.diffId));
    expect(resolved.config.rootfs?.diff_ids).toEqual(plain.layers.map((layer) => layer.diffId));
    expect(configBytes.equals(plain.configBytes)).toBe(true);
    expect(layers).toEqual(await expectedLayers(plain));
    expect(layers[1].files).toContainEqual(['var/lib/dpkg/status', STATUS_2]);
    expect(layers[1].whiteouts).toEqual(['etc/motd']);
  });

  it('reads a Docker 25+ save (blobs/sha256/<hex> and an OCI layout beside manifest.json), gzip layers kept as stored', async () => {
    const path = join(dir, 'modern.tar');
    await writeTar(path, dockerArchiveMembers([{ image: gzipped, tags: ['acme/app:1.0'] }], 'modern'));
    expect(detectArchive(path)).toBe('docker-archive');
    const { source, reference } = await openArchiveSource(`docker-archive:${path}:acme/app:1.0`);
    const digest = synthesisedDigest(gzipped, 'application/vnd.oci.image.layer.v1.tar+gzip', (i) => gzipped.layers[i].digest);
    expect(reference.digest).toBe(digest);
    const { resolved, layers } = await readThrough(source, reference);
    expect(resolved.manifest.layers.map((layer) => [layer.digest, layer.size])).toEqual(gzipped.layers.map((layer) => [layer.digest, layer.size]));
    expect(layers).toEqual(await expectedLayers(gzipped));

    // The same tar read as an OCI layout answers with Docker's own manifest (here: the one the image was built with).
    const oci = await openArchiveSource(`oci-archive:${path}:1.0`);
    expect(oci.reference).toEqual({
      registry: '',
      remote: 'docker.io/library/acme/app',
      tag: '1.0',
      digest: gzipped.manifestDigest,
      fullName: 'docker.io/library/acme/app:1.0',
    });
    expect((await readThrough(oci.source, oci.reference)).layers).toEqual(layers);
  });

  it('hashes a compressed layer.tar that is not named by its digest, and follows the symlinks docker save writes for repeated layers', async () => {
    const repeated = await buildImage({
      layers: [
        { compression: 'gzip', entries: [{ path: 'etc/os-release', content: OS_RELEASE }] },
        { compression: 'gzip', entries: [{ path: 'var/lib/dpkg/status', content: STATUS_1 }] },
        { compression: 'gzip', entries: [{ path: 'etc/os-release', content: OS_RELEASE }] },
      ],
    });
    expect(repeated.layers[2].digest).toBe(repeated.layers[0].digest);
    const path = join(dir, 'legacy-gzip.tar');
    await writeTar(path, dockerArchiveMembers([{ image: repeated, tags: ['x:1'] }], 'legacy', { symlinkDuplicates: true }));
    const { source, reference } = await openArchiveSource(`docker-archive:${path}`);
    const { resolved, layers } = await readThrough(source, reference);
    expect(resolved.manifest.layers.map((layer) => layer.digest)).toEqual(repeated.layers.map((layer) => layer.digest));
    expect(resolved.manifest.layers.every((layer) => layer.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
    expect(layers).toEqual(await expectedLayers(repeated));
  });

  it('reads an unpacked docker save directory', async () => {
    const root = join(dir, 'unpacked');
    await writeDirectory(root, dockerArchiveMembers([{ image: plain, tags: ['acme/app:1.0'] }], 'legacy'));
    expect(detectArchive(root)).toBe('docker-archive');
    const { source, reference } = await openArchiveSource(`docker-archive:${root}`);
    expect((await readThrough(source, reference)).layers).toEqual(await expectedLayers(plain));
  });

  describe('with several images', () => {
    let path: string;
    beforeAll(async () => {
      path = join(dir, 'two.tar');
      await writeTar(
        path,
        dockerArchiveMembers(
          [
            { image: plain, tags: ['acme/app:1.0', 'ghcr.io/acme/app:1.0'] },
            { image: other, tags: ['alpine:3.19'] },
          ],
          'legacy',
        ),
      );
    });

    it('selects by REPO:TAG as written, or normalised as docker does, or by @N', async () => {
      const byTag = await openArchiveSource(`docker-archive:${path}:alpine:3.19`);
      expect(byTag.reference.fullName).toBe('alpine:3.19');
      expect((await byTag.source.resolve(byTag.reference)).configDigest).toBe(other.configDigest);

      const normalised = await openArchiveSource(`docker-archive:${path}:docker.io/library/alpine:3.19`);
      expect(normalised.reference.digest).toBe(byTag.reference.digest);
      // The name reported is the tag as the archive writes it.
      expect(normalised.reference.fullName).toBe('alpine:3.19');

      const second = await openArchiveSource(`docker-archive:${path}:ghcr.io/acme/app:1.0`);
      expect(second.reference).toMatchObject({ remote: 'ghcr.io/acme/app', tag: '1.0', fullName: 'ghcr.io/acme/app:1.0' });
      expect((await second.source.resolve(second.reference)).configDigest).toBe(plain.configDigest);

      const byIndex = await openArchiveSource(`docker-archive:${path}:@1`);
      expect(byIndex.reference.digest).toBe(byTag.reference.digest);
    });

    it('refuses a missing tag listing the tags, and an archive of several images without a selector', async () => {
      await expect(openArchiveSource(`docker-archive:${path}:acme/app:2.0`)).rejects.toEqual(
        coded(GrpcCode.NotFound, 'no image tagged acme/app:2.0 in the archive (tags: acme/app:1.0, ghcr.io/acme/app:1.0, alpine:3.19): not found'),
      );
      await expect(openArchiveSource(`docker-archive:${path}:@2`)).rejects.toEqual(coded(GrpcCode.NotFound, 'no image @2'));
      await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'the archive holds 2 images'));
    });

    it('resolves another image of the archive by its digest; an unknown digest is NotFound', async () => {
      const first = await openArchiveSource(`docker-archive:${path}:acme/app:1.0`);
      const second = await openArchiveSource(`docker-archive:${path}:alpine:3.19`);
      const resolved = await first.source.resolve(second.reference);
      expect(resolved.configDigest).toBe(other.configDigest);
      expect(resolved.manifestDigest).toBe(second.reference.digest);
      const layer = resolved.manifest.layers[0];
      expect((await collect(await first.source.openBlob(second.reference, layer))).length).toBe(layer.size);
      await expect(first.source.resolve({ ...first.reference, digest: sha256('nothing') })).rejects.toEqual(
        coded(GrpcCode.NotFound, 'no image with manifest digest'),
      );
    });
  });

  it('names an untagged image after the archive file, by digest', async () => {
    const path = join(dir, 'untagged.tar');
    await writeTar(path, dockerArchiveMembers([{ image: other }], 'legacy'));
    const { reference } = await openArchiveSource(`docker-archive:${path}`);
    expect(reference).toEqual({ registry: '', remote: 'untagged.tar', tag: '', digest: reference.digest, fullName: `untagged.tar@${reference.digest}` });
  });
});

describe('oci-archive and oci-dir', () => {
  it.each([
    ['gzip', () => gzipped],
    ['uncompressed', () => plain],
  ])('read an OCI layout of %s layers, as a tar and as a directory, with the manifest digest kept', async (_name, image) => {
    const members = ociLayoutMembers([{ image: image(), refName: 'v1' }]);
    const tar = join(dir, `layout-${_name}.tar`);
    const root = join(dir, `layout-${_name}`);
    await writeTar(tar, members);
    await writeDirectory(root, members);
    expect(detectArchive(tar)).toBe('oci-archive');
    expect(detectArchive(root)).toBe('oci-dir');
    const expected = await expectedLayers(image());
    for (const spec of [`oci-archive:${tar}`, `oci-dir:${root}:v1`, `oci:${root}`]) {
      const { source, reference } = await openArchiveSource(spec);
      expect(reference.digest).toBe(image().manifestDigest);
      expect(reference.tag).toBe('v1');
      const { resolved, configBytes, layers } = await readThrough(source, reference);
      expect(resolved.manifestDigest).toBe(image().manifestDigest);
      expect(resolved.manifest.layers.map((layer) => layer.digest)).toEqual(image().layers.map((layer) => layer.digest));
      expect(configBytes.equals(image().configBytes)).toBe(true);
      expect(layers).toEqual(expected);
    }
    expect((await openArchiveSource(`oci-archive:${tar}`)).reference.fullName).toBe(`layout-${_name}.tar:v1`);
  });

  it('selects by ref name or @N, and lists the names when none matches', async () => {
    const path = join(dir, 'two-refs.tar');
    await writeTar(
      path,
      ociLayoutMembers([
        { image: plain, refName: '1.0' },
        { image: other, refName: '2.0', containerdName: 'docker.io/library/alpine:3.19' },
      ]),
    );
    expect((await openArchiveSource(`oci-archive:${path}:1.0`)).reference.digest).toBe(plain.manifestDigest);
    const second = await openArchiveSource(`oci-archive:${path}:2.0`);
    expect(second.reference).toMatchObject({ digest: other.manifestDigest, remote: 'docker.io/library/alpine', tag: '3.19' });
    expect((await openArchiveSource(`oci-archive:${path}:alpine:3.19`)).reference.digest).toBe(other.manifestDigest);
    expect((await openArchiveSource(`oci-archive:${path}:@1`)).reference.digest).toBe(other.manifestDigest);
    await expect(openArchiveSource(`oci-archive:${path}:3.0`)).rejects.toEqual(
      coded(GrpcCode.NotFound, 'no image named 3.0 in the archive (names: 1.0, docker.io/library/alpine:3.19): not found'),
    );
    await expect(openArchiveSource(`oci-archive:${path}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'index.json lists 2 different images'));
  });

  it('resolves an index entry that is an image index to the configured platform', async () => {
    const amd64 = await buildImage({ ...spec('gzip'), platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = await buildImage({ ...spec('gzip'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const path = join(dir, 'multi.tar');
    await writeTar(path, ociLayoutMembers([{ image: amd64 }, { image: arm64 }], { asIndex: { refName: 'latest' } }));

    const byDefault = await openArchiveSource(`oci-archive:${path}`);
    expect(byDefault.reference.digest).toBe(amd64.manifestDigest);
    const arm = await openArchiveSource(`oci-archive:${path}:latest`, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(arm.reference.digest).toBe(arm64.manifestDigest);
    expect((await readThrough(arm.source, arm.reference)).resolved.config.architecture).toBe('arm64');
    // resolve() without a digest takes the platform it is asked for.
    const { manifestDigest } = await byDefault.source.resolve(
      { ...byDefault.reference, digest: undefined },
      { platform: { os: 'linux', architecture: 'arm64' } },
    );
    expect(manifestDigest).toBe(arm64.manifestDigest);
    await expect(openArchiveSource(`oci-archive:${path}`, { platform: { os: 'linux', architecture: 's390x' } })).rejects.toEqual(
      coded(GrpcCode.NotFound, 'no manifest for platform linux/s390x in the image index (available: linux/amd64, linux/arm64/v8)'),
    );

    // index.json itself may list the platforms' manifests (each with its platform).
    const flat = join(dir, 'multi-flat.tar');
    await writeTar(flat, ociLayoutMembers([{ image: amd64 }, { image: arm64 }]));
    expect((await openArchiveSource(`oci-archive:${flat}`)).reference.digest).toBe(amd64.manifestDigest);
    expect((await openArchiveSource(`oci-archive:${flat}`, { platform: { os: 'linux', architecture: 'aarch64' } })).reference.digest).toBe(
      arm64.manifestDigest,
    );
  });

  it('refuses a manifest that lists fewer layers than its config (as some Docker 25.0 saves wrote), and missing blobs', async () => {
    const manifest = JSON.parse(plain.manifestBytes.toString()) as { layers: unknown[] };
    manifest.layers = [];
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const hollow = { ...plain, manifestBytes, manifestDigest: sha256(manifestBytes) };
    const path = join(dir, 'hollow.tar');
    await writeTar(path, ociLayoutMembers([{ image: hollow }]));
    await expect(openArchiveSource(`oci-archive:${path}`)).rejects.toEqual(
      coded(GrpcCode.FailedPrecondition, 'the manifest lists 0 layers but the image config lists 2 diff_ids'),
    );

    const missing = join(dir, 'missing-blob.tar');
    await writeTar(missing, ociLayoutMembers([{ image: plain }], { omit: [plain.layers[1].digest] }));
    await expect(openArchiveSource(`oci-archive:${missing}`)).rejects.toEqual(
      coded(GrpcCode.FailedPrecondition, `names "blobs/sha256/${plain.layers[1].digest.slice(7)}", which is not in the archive`),
    );
  });

  it('refuses a layout directory whose blob is a symbolic link out of it', async () => {
    const root = join(dir, 'escaping-layout');
    await writeDirectory(root, ociLayoutMembers([{ image: plain }]));
    const blob = join(root, 'blobs/sha256', plain.layers[0].digest.slice(7));
    await rm(blob);
    await symlink(plain.layers[0].file, blob);
    await expect(openArchiveSource(`oci-dir:${root}`)).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'is a symbolic link out of the layout directory'));
  });
});

describe('corrupt and hostile archives', () => {
  it('refuses a truncated tar (DataLoss) and detects what its first members show', async () => {
    const path = join(dir, 'truncated.tar');
    await writeTar(path, dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'legacy'));
    const whole = await readFile(path);
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(coded(GrpcCode.DataLoss, 'the tar archive is truncated'));

    const oci = join(dir, 'truncated-oci.tar');
    await writeTar(oci, ociLayoutMembers([{ image: plain }]));
    await truncate(oci, 3000);
    expect(detectArchive(oci)).toBe('oci-archive');
    await expect(openArchiveSource(`oci-archive:${oci}`)).rejects.toEqual(coded(GrpcCode.DataLoss, 'truncated'));
  });

  it('fails the blob stream with DataLoss when a member does not match its digest', async () => {
    const path = join(dir, 'flipped.tar');
    await writeTar(path, dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'legacy'));
    const bytes = await readFile(path);
    const at = bytes.indexOf('Package: curl');
    expect(at).toBeGreaterThan(0);
    bytes.write('Package: curm', at);
    await writeFile(path, bytes);
    const { source, reference } = await openArchiveSource(`docker-archive:${path}`);
    const resolved = await source.resolve(reference);
    const first = await readLayer(await source.openBlob(reference, resolved.manifest.layers[0]), selector);
    expect(first.files.get('etc/os-release')?.content.toString()).toBe(OS_RELEASE);
    await expect(readLayer(await source.openBlob(reference, resolved.manifest.layers[1]), selector)).rejects.toEqual(
      coded(GrpcCode.DataLoss, `digest mismatch: expected ${plain.layers[1].diffId}`),
    );
  });

  it('refuses a config whose bytes do not match the digest its name carries (DataLoss)', async () => {
    const path = join(dir, 'bad-config.tar');
    const members = dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'modern');
    const config = members.find((member) => member.name === `blobs/sha256/${plain.configDigest.slice(7)}`)!;
    config.content = Buffer.from(JSON.stringify({ ...JSON.parse(plain.configBytes.toString()), author: 'someone else' }));
    await writeTar(path, members);
    await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(coded(GrpcCode.DataLoss, `digest mismatch: expected ${plain.configDigest}`));
  });

  it.each([
    ['not JSON', '{oops', 'malformed manifest.json: not JSON'],
    ['not a list', '{"Config":"x"}', 'malformed manifest.json: not a JSON list'],
    ['empty', '[]', 'it lists no image'],
    ['no Config', '[{"Layers":[]}]', 'entry 0 has no Config'],
    ['bad Layers', '[{"Config":"c.json","Layers":[1]}]', 'entry 0 has Layers that are not a list of file names'],
    ['a missing config', '[{"Config":"c.json","Layers":[]}]', 'manifest.json entry 0 names "c.json", which is not in the archive'],
    ['a path out of the archive', '[{"Config":"../c.json","Layers":[]}]', 'refusing the archive path "../c.json"'],
    ['an absolute path', '[{"Config":"/etc/passwd","Layers":[]}]', 'refusing the archive path "/etc/passwd"'],
    ['too many layers', JSON.stringify([{ Config: 'c.json', Layers: Array(1001).fill('l.tar') }]), 'lists 1001 layers, more than the 1000 lamina scans'],
  ])('refuses a manifest.json that is %s (FailedPrecondition)', async (_name, manifest, message) => {
    const path = join(dir, 'bad-manifest.tar');
    await writeTar(path, [{ name: 'manifest.json', content: manifest }]);
    await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(coded(GrpcCode.FailedPrecondition, message));
  });

  it('refuses a layer count that differs from the config', async () => {
    const path = join(dir, 'count.tar');
    const members = dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'modern');
    const manifest = members.find((member) => member.name === 'manifest.json')!;
    const entries = JSON.parse(String(manifest.content)) as Array<{ Layers: string[] }>;
    entries[0].Layers.pop();
    manifest.content = JSON.stringify(entries);
    await writeTar(path, members);
    await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(
      coded(GrpcCode.FailedPrecondition, 'lists 1 layers but the image config lists 2 diff_ids'),
    );
  });

  it.each([
    ['out of the archive', '../../../etc/passwd', 'outside the archive'],
    ['absolute', '/etc/passwd', 'outside the archive'],
    ['dangling', '../nowhere/layer.tar', 'which is not in the archive'],
  ])('refuses a layer.tar that is a symbolic link %s', async (_name, target, message) => {
    const path = join(dir, 'symlink.tar');
    const members = dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'legacy');
    const layer = members.find((member) => member.name.endsWith('/layer.tar'))!;
    Object.assign(layer, { type: 'symlink', linkname: target, file: undefined });
    await writeTar(path, members);
    await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(coded(GrpcCode.FailedPrecondition, message));
  });

  it('ignores members with .. in their names (they never stand for a metadata file)', async () => {
    const path = join(dir, 'dotdot.tar');
    const members = dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'legacy').filter((member) => member.name !== 'manifest.json');
    members.push({ name: 'x/../manifest.json', content: '[]' });
    await writeTar(path, members);
    await expect(openArchiveSource(`docker-archive:${path}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'no manifest.json'));
  });

  it('tells which format an archive is, and refuses paths that are neither', async () => {
    const neither = join(dir, 'neither.tar');
    await writeTar(neither, [{ name: 'hello.txt', content: 'hi' }]);
    expect(detectArchive(neither)).toBeUndefined();
    await expect(openArchiveSource(`docker-archive:${neither}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'not a docker-archive (no manifest.json)'));
    await expect(openArchiveSource(`oci-archive:${neither}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'not an OCI image layout'));

    const oci = join(dir, 'wrong-transport.tar');
    await writeTar(oci, ociLayoutMembers([{ image: plain }]));
    await expect(openArchiveSource(`docker-archive:${oci}`)).rejects.toEqual(
      coded(GrpcCode.InvalidArgument, 'it is an OCI image layout (use oci-archive: or oci-dir:)'),
    );
    await expect(openArchiveSource(`oci-dir:${oci}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'is a file, not a directory'));

    const random = join(dir, 'random.bin');
    await writeFile(random, Buffer.alloc(4096, 0x41));
    expect(detectArchive(random)).toBeUndefined();
    await expect(openArchiveSource(`docker-archive:${random}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'not a tar archive'));

    const compressed = join(dir, 'saved.tar.gz');
    await writeFile(compressed, gzipSync(await readFile(oci)));
    expect(detectArchive(compressed)).toBeUndefined();
    await expect(openArchiveSource(`oci-archive:${compressed}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'gzip-compressed'));

    expect(detectArchive(join(dir, 'absent.tar'))).toBeUndefined();
    await expect(openArchiveSource(`docker-archive:${join(dir, 'absent.tar')}`)).rejects.toEqual(coded(GrpcCode.NotFound, 'no such file or directory'));
    await expect(openArchiveSource(`registry:${oci}`)).rejects.toEqual(coded(GrpcCode.InvalidArgument, 'want docker-archive:PATH'));
  });

  it('notices an archive replaced after it was opened', async () => {
    const path = join(dir, 'changing.tar');
    await writeTar(path, dockerArchiveMembers([{ image: plain, tags: ['a:1'] }], 'legacy'));
    const { source, reference } = await openArchiveSource(`docker-archive:${path}`);
    const resolved = await source.resolve(reference);
    await appendFile(path, Buffer.alloc(1024));
    await expect(source.openBlob(reference, resolved.manifest.layers[0])).rejects.toEqual(coded(GrpcCode.FailedPrecondition, 'the archive changed on disk'));
  });

  it('refuses blobs it does not hold, and descriptors whose size differs from the member', async () => {
    const path = join(dir, 'blobs.tar');
    await writeTar(path, ociLayoutMembers([{ image: plain }]));
    const { source, reference } = await openArchiveSource(`oci-archive:${path}`);
    const layer = (await source.resolve(reference)).manifest.layers[0];
    await expect(source.openBlob(reference, { ...layer, digest: sha256('absent') })).rejects.toEqual(
      coded(GrpcCode.NotFound, 'the blob is not in the archive'),
    );
    await expect(source.openBlob(reference, { ...layer, size: layer.size + 1 })).rejects.toEqual(
      coded(GrpcCode.DataLoss, `the archive holds ${layer.size} bytes instead of ${layer.size + 1}`),
    );
  });
});

describe('openBlob', () => {
  it('stops a blob stream when the signal aborts', async () => {
    const path = join(dir, 'abort.tar');
    await writeTar(path, ociLayoutMembers([{ image: plain }]));
    const { source, reference } = await openArchiveSource(`oci-archive:${path}`);
    const layer = (await source.resolve(reference)).manifest.layers[0];
    const aborted = new AbortController();
    aborted.abort(new Error('gone'));
    await expect(source.openBlob(reference, layer, { signal: aborted.signal })).rejects.toThrow('gone');
    const controller = new AbortController();
    const stream = await source.openBlob(reference, layer, { signal: controller.signal });
    const reading = readLayer(stream, selector);
    controller.abort(new Error('stopped'));
    await expect(reading).rejects.toThrow('stopped');
  });
});

describe('parseArchiveSpec', () => {
  it('splits TRANSPORT:PATH[:SELECTOR], a path being the longest prefix that exists', async () => {
    const path = join(dir, 'spec.tar');
    await writeFile(path, '');
    const colon = join(dir, 'with:colon.tar');
    await writeFile(colon, '');
    expect(parseArchiveSpec(`docker-archive:${path}`)).toEqual({ transport: 'docker-archive', path });
    expect(parseArchiveSpec(`docker-archive:${path}:nginx:1.25`)).toEqual({ transport: 'docker-archive', path, selector: 'nginx:1.25' });
    expect(parseArchiveSpec(`docker-archive:${path}:`)).toEqual({ transport: 'docker-archive', path });
    expect(parseArchiveSpec(`oci-archive:${path}:@2`)).toEqual({ transport: 'oci-archive', path, selector: '@2' });
    expect(parseArchiveSpec(`oci:${dir}:latest`)).toEqual({ transport: 'oci-dir', path: dir, selector: 'latest' });
    expect(parseArchiveSpec(`oci-archive:${colon}:v1`)).toEqual({ transport: 'oci-archive', path: colon, selector: 'v1' });
    expect(parseArchiveSpec('oci-archive:missing.tar:v1')).toEqual({ transport: 'oci-archive', path: 'missing.tar', selector: 'v1' });
    expect(() => parseArchiveSpec('docker-archive:')).toThrow('the archive path is empty');
  });
});
