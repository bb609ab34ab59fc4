import { parseImageId, parseImageName } from '../../lib/image/reference';
import { RuntimeError, httpStatusOf } from '../../lib/stackrox/errors';

// Cases transcribed from docker/distribution's reference package tests (reference_test.go, normalize_test.go),
// expressed as the normalised result lamina reports.
const F64 = 'f'.repeat(64);
const F128 = 'f'.repeat(128);

const valid: Array<[input: string, registry: string, remote: string, tag: string, digest?: string]> = [
  ['nginx', 'docker.io', 'library/nginx', 'latest'],
  ['nginx:1.25', 'docker.io', 'library/nginx', '1.25'],
  ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest'],
  ['docker.io/library/nginx:stable', 'docker.io', 'library/nginx', 'stable'],
  ['index.docker.io/library/debian', 'docker.io', 'library/debian', 'latest'],
  ['index.docker.io/debian', 'docker.io', 'library/debian', 'latest'],
  ['index.docker.io/docker/docker', 'docker.io', 'docker/docker', 'latest'],
  ['registry-1.docker.io/foo/bar:1', 'docker.io', 'foo/bar', '1'],
  ['docker/docker', 'docker.io', 'docker/docker', 'latest'],
  ['library/debian', 'docker.io', 'library/debian', 'latest'],
  ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar', 'latest'],
  ['store/foo/bar', 'docker.io', 'store/foo/bar', 'latest'],
  ['other/library', 'docker.io', 'other/library', 'latest'],
  ['test_com', 'docker.io', 'library/test_com', 'latest'],
  ['test_com/foo', 'docker.io', 'test_com/foo', 'latest'],
  ['test.com:tag', 'docker.io', 'library/test.com', 'tag'],
  ['test.com:5000', 'docker.io', 'library/test.com', '5000'],
  ['test.com/repo:tag', 'test.com', 'repo', 'tag'],
  ['test:5000/repo', 'test:5000', 'repo', 'latest'],
  ['test:5000/repo:tag', 'test:5000', 'repo', 'tag'],
  [`test:5000/repo@sha256:${F64}`, 'test:5000', 'repo', '', `sha256:${F64}`],
  [`test:5000/repo:tag@sha256:${F64}`, 'test:5000', 'repo', 'tag', `sha256:${F64}`],
  ['test-com:8080/foo', 'test-com:8080', 'foo', 'latest'],
  ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo', 'latest'],
  ['localhost/foo', 'localhost', 'foo', 'latest'],
  ['localhost:5000/team/app:v1', 'localhost:5000', 'team/app', 'v1'],
  ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000', 'docker/docker', 'latest'],
  ['127.0.0.1:8000/privatebase', '127.0.0.1:8000', 'privatebase', 'latest'],
  ['example.com:8000/private/moonbase', 'example.com:8000', 'private/moonbase', 'latest'],
  ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase'],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag'],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com'],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com'],
  [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${F128}`, 'xn--7o8h.com', 'myimage', 'xn--7o8h.com', `sha512:${F128}`],
  ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080'],
  ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080'],
  ['192.168.1.1', 'docker.io', 'library/192.168.1.1', 'latest'],
  ['192.168.1.1:5000', 'docker.io', 'library/192.168.1.1', '5000'],
  ['192.168.1.1/repo', '192.168.1.1', 'repo', 'latest'],
  ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050'],
  ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', 'latest'],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag'],
  ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag'],
  [`[2001:db8::1]:5000/repo@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', '', `sha256:${F64}`],
  ['[::1]:5000/repo', '[::1]:5000', 'repo', 'latest'],
  ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000', 'docker/docker', 'latest'],
  [
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'docker.io',
    'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'latest',
  ],
  [
    `docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a`,
    'docker.io',
    'library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'latest',
  ],
  ['dbcc1', 'docker.io', 'library/dbcc1', 'latest'],
  ['docker-rules/docker', 'docker.io', 'docker-rules/docker', 'latest'],
  ['docker---rules/docker', 'docker.io', 'docker---rules/docker', 'latest'],
  ['dock__er/docker', 'docker.io', 'dock__er/docker', 'latest'],
  ['d/docker', 'docker.io', 'd/docker', 'latest'],
  ['jess/t', 'docker.io', 'jess/t', 'latest'],
  // docker takes an upper-case first component for a host, since a repository can never be upper case.
  ['Docker/docker', 'Docker', 'docker', 'latest'],
  ['FOO/bar', 'FOO', 'bar', 'latest'],
  [
    `busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa`,
    'docker.io',
    'library/busybox',
    'latest',
    'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
  ],
  [
    'redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c',
    'docker.io',
    'library/redis',
    '',
    'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c',
  ],
  [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'docker.io', `${'a/'.repeat(127)}a`, 'tag-puts-this-over-max'],
];

describe('parseImageName normalises names by docker reference rules', () => {
  // Rows padded to five columns: jest passes a `done` callback in place of a missing trailing argument.
  test.each(valid.map(([input, registry, remote, tag, digest]) => [input, registry, remote, tag, digest ?? '']))(
    '%s',
    (input, registry, remote, tag, digest) => {
      const reference = parseImageName(input);
      const base = `${registry}/${remote}`;
      expect(reference).toEqual({
        registry,
        remote,
        tag,
        ...(digest ? { digest } : {}),
        fullName: tag ? `${base}:${tag}` : `${base}@${digest}`,
      });
    },
  );

  test('nginx is docker.io/library/nginx:latest, as the API reference shows', () => {
    expect(parseImageName('nginx')).toEqual({
      registry: 'docker.io',
      remote: 'library/nginx',
      tag: 'latest',
      fullName: 'docker.io/library/nginx:latest',
    });
  });
});

const invalid: Array<[input: string, reason: string]> = [
  [':justtag', 'invalid reference format'],
  [`@sha256:${F64}`, 'invalid reference format'],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', 'invalid checksum digest length'],
  [`validname@invaliddigest:${F64}`, 'unsupported digest algorithm'],
  [`nginx@sha256:${'F'.repeat(64)}`, 'invalid checksum digest format'],
  ['Uppercase:tag', 'invalid reference format: repository name must be lowercase'],
  ['test:5000/Uppercase/lowercase:tag', 'invalid reference format: repository name must be lowercase'],
  ['docker/Docker', 'invalid reference format: repository name must be lowercase'],
  ['docker.io/docker/Docker', 'invalid reference format: repository name must be lowercase'],
  [`${'a/'.repeat(128)}a:tag`, 'repository name must not be more than 255 characters'],
  ['aa/asdf$$^/aa', 'invalid reference format'],
  ['[2001:db8::1]', 'invalid reference format'],
  ['[2001:db8::1]:5000', 'invalid reference format'],
  ['[fe80::1%eth0]:5000/repo', 'invalid reference format'],
  ['[fe80::1%@invalidzone]:5000/repo', 'invalid reference format'],
  ['[fc00::1]', 'invalid reference format'],
  ['fc00::1:5000/debian', 'invalid reference format'],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'invalid reference format'],
  ['https://github.com/docker/docker', 'invalid reference format'],
  ['-docker', 'invalid reference format'],
  ['-docker/docker', 'invalid reference format'],
  ['-docker.io/docker/docker', 'invalid reference format'],
  ['docker///docker', 'invalid reference format'],
  ['docker.io/docker///docker', 'invalid reference format'],
  ['docker-/docker', 'invalid reference format'],
  ['-docker-/docker', 'invalid reference format'],
  ['____/____', 'invalid reference format'],
  ['_docker/_docker', 'invalid reference format'],
  ['dock..er/docker', 'invalid reference format'],
  ['dock_.er/docker', 'invalid reference format'],
  ['dock-.er/docker', 'invalid reference format'],
  ['docker/', 'invalid reference format'],
  ['nginx:-tag', 'invalid reference format'],
  [`nginx:${'t'.repeat(129)}`, 'invalid reference format'],
  [' nginx', 'invalid reference format'],
  [
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'invalid repository name (1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), cannot specify 64-byte hexadecimal strings',
  ],
];

function thrown(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (err) {
    return err as RuntimeError;
  }
  throw new Error('expected a throw');
}

describe('parseImageName refuses what docker refuses, as InvalidArgument', () => {
  test.each(invalid)('%s', (input, reason) => {
    const err = thrown(() => parseImageName(input));
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.code).toBe(3);
    expect(httpStatusOf(err)).toBe(400);
    expect(err.message).toBe(`error parsing image name '${input}': ${reason}: invalid arguments`);
  });

  test('a namespace longer than 255 characters is refused', () => {
    const name = `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}x/docker`;
    expect(thrown(() => parseImageName(name)).code).toBe(3);
  });

  test.each(['', '   ', '\t\n'])('an empty or blank name (%j) must be specified', (input) => {
    const err = thrown(() => parseImageName(input));
    expect(err.code).toBe(3);
    expect(err.message).toBe('image name must be specified: invalid arguments');
  });
});

describe('parseImageId: an image id is a manifest digest', () => {
  test.each([`sha256:${F64}`, F64, `sha512:${F128}`])('%s is accepted as given', (id) => {
    expect(parseImageId(id)).toBe(id);
  });

  test.each([
    ['', /image id must be specified/],
    ['nginx', /want sha256:<64 hex digits> or the 64 hex digits alone/],
    [F64.slice(1), /want sha256:<64 hex digits>/],
    [`sha256:${F64.slice(1)}`, /invalid checksum digest length/],
    [`sha256:${'F'.repeat(64)}`, /invalid checksum digest format/],
    [`sha1:${'f'.repeat(40)}`, /unsupported digest algorithm/],
    [`sha256:${F64}/x`, /invalid checksum digest/],
  ])('%j is InvalidArgument', (id, reason) => {
    let err: unknown;
    try {
      parseImageId(id);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).code).toBe(3);
    expect(httpStatusOf(err as RuntimeError)).toBe(400);
    expect((err as RuntimeError).message).toMatch(reason);
  });

  test('a very long id is quoted shortened, with its length', () => {
    expect(() => parseImageId('a'.repeat(5000))).toThrow(/^invalid image id "a{80}…" \(5000 characters\): want sha256:/);
  });
});
