import type { ImageConfig, ResolvedImage } from '../../lib/image/types';
import { encodeImageMetadata } from '../../lib/stackrox/encode';
import { buildMetadata, historyIndexForLayer, instructionOf } from '../../lib/stackrox/metadata';

const NOW = new Date('2024-07-01T12:00:00.000Z');
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function resolved(config: ImageConfig, layerCount: number): ResolvedImage {
  return {
    reference: { registry: 'docker.io', remote: 'library/debian', tag: 'bookworm', fullName: 'docker.io/library/debian:bookworm' },
    manifestDigest: digest(0xaaaa),
    configDigest: digest(0xc0),
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(0xc0), size: 1000 },
      layers: Array.from({ length: layerCount }, (_, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(i + 1), size: 100 })),
    },
    config,
  };
}

/** debian:bookworm as the classic builder wrote it (2023): ADD of the rootfs, then an empty CMD. */
const classicDebian: ImageConfig = JSON.parse(`{
  "architecture": "amd64",
  "config": {
    "Hostname": "", "User": "", "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["bash"], "Image": "sha256:9d4b0ba0cbd2ad02a9ca3e4cd6ad1e0b6ad9b6ed8e8ba7ff2ae36b8dbc2ed8f4",
    "Volumes": null, "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": null
  },
  "container": "0c3be6b7e1a5f8f5b2a0d1f5c9e1dd0e5c2f3e7a6f0b9c8d7e6f5a4b3c2d1e0f",
  "created": "2023-11-21T05:21:24.536066751Z",
  "docker_version": "20.10.23",
  "history": [
    { "created": "2023-11-21T05:21:24.149403587Z", "created_by": "/bin/sh -c #(nop) ADD file:39d17d28c5de0bd629e5b7c8190228e5a445d61d668e189b7523e90e68f78244 in / " },
    { "created": "2023-11-21T05:21:24.536066751Z", "created_by": "/bin/sh -c #(nop)  CMD [\\"bash\\"]", "empty_layer": true }
  ],
  "os": "linux",
  "rootfs": { "type": "layers", "diff_ids": ["sha256:92770f546e065c4942829b1f0d7d1f02c2eb1e6acf0b4a6bfc4b7a1c3e4f5a6b"] }
}`);

/** debian:bookworm as debuerreotype writes it today, and an app built on it with buildkit. */
const buildkitApp: ImageConfig = JSON.parse(`{
  "architecture": "amd64",
  "created": "2024-06-20T09:15:02.883914027Z",
  "history": [
    { "created": "2024-06-13T00:00:00Z", "created_by": "# debian.sh --arch 'amd64' out/ 'bookworm' '@1718236800'", "comment": "debuerreotype 0.15" },
    { "created": "2024-06-20T09:14:31.112233445Z", "created_by": "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/* # buildkit", "comment": "buildkit.dockerfile.v0" },
    { "created": "2024-06-20T09:14:31.5Z", "created_by": "ENV NODE_ENV=production", "comment": "buildkit.dockerfile.v0", "empty_layer": true },
    { "created": "2024-06-20T09:14:32Z", "created_by": "WORKDIR /app", "comment": "buildkit.dockerfile.v0" },
    { "created": "2024-06-20T09:14:40Z", "created_by": "COPY package.json package-lock.json ./ # buildkit", "comment": "buildkit.dockerfile.v0" },
    { "created": "2024-06-20T09:15:01Z", "created_by": "RUN |1 NPM_TOKEN=redacted /bin/sh -c npm ci --omit=dev # buildkit", "comment": "buildkit.dockerfile.v0" },
    { "created": "2024-06-20T09:15:02Z", "created_by": "USER node", "comment": "buildkit.dockerfile.v0", "empty_layer": true },
    { "created": "2024-06-20T09:15:02Z", "created_by": "EXPOSE map[3000/tcp:{}]", "comment": "buildkit.dockerfile.v0", "empty_layer": true },
    { "created": "2024-06-20T09:15:02.883914027Z", "created_by": "CMD [\\"node\\" \\"server.js\\"]", "author": "platform@example.com", "comment": "buildkit.dockerfile.v0", "empty_layer": true }
  ],
  "os": "linux",
  "config": {
    "User": "node",
    "ExposedPorts": { "3000/tcp": {} },
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production"],
    "Entrypoint": ["docker-entrypoint.sh"],
    "Cmd": ["node", "server.js"],
    "Volumes": { "/data": {}, "/var/log/app": {} },
    "WorkingDir": "/app",
    "Labels": { "org.opencontainers.image.source": "https://github.com/example/app", "org.opencontainers.image.revision": "4f1c2d3" }
  },
  "rootfs": { "type": "layers", "diff_ids": ["sha256:1", "sha256:2", "sha256:3", "sha256:4", "sha256:5"] }
}`);

describe('image metadata from the config blob', () => {
  it('reads the classic builder history of debian:bookworm', () => {
    const metadata = buildMetadata(resolved(classicDebian, 1), NOW);
    expect(metadata).toEqual({
      v1: {
        digest: digest(0xc0),
        created: '2023-11-21T05:21:24.536066751Z',
        author: '',
        layers: [
          {
            instruction: 'ADD',
            value: 'file:39d17d28c5de0bd629e5b7c8190228e5a445d61d668e189b7523e90e68f78244 in /',
            created: '2023-11-21T05:21:24.149403587Z',
            author: '',
            empty: false,
          },
          { instruction: 'CMD', value: '["bash"]', created: '2023-11-21T05:21:24.536066751Z', author: '', empty: true },
        ],
        user: 'root',
        command: ['bash'],
        entrypoint: [],
        volumes: [],
        labels: {},
      },
      v2: { digest: digest(0xaaaa) },
      layerShas: [digest(1)],
      dataSource: null,
      version: '0',
    });
    expect(historyIndexForLayer(resolved(classicDebian, 1))).toEqual([0]);
  });

  it('reads a buildkit history: instructions as written, empty layers kept, author of the last entry', () => {
    const metadata = buildMetadata(resolved(buildkitApp, 5), NOW);
    const v1 = metadata.v1!;
    expect(v1.layers.map((l) => [l.instruction, l.value, l.empty])).toEqual([
      ['RUN', "# debian.sh --arch 'amd64' out/ 'bookworm' '@1718236800'", false],
      ['RUN', '/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/* # buildkit', false],
      ['ENV', 'NODE_ENV=production', true],
      ['WORKDIR', '/app', false],
      ['COPY', 'package.json package-lock.json ./ # buildkit', false],
      ['RUN', '|1 NPM_TOKEN=redacted /bin/sh -c npm ci --omit=dev # buildkit', false],
      ['USER', 'node', true],
      ['EXPOSE', 'map[3000/tcp:{}]', true],
      ['CMD', '["node" "server.js"]', true],
    ]);
    expect(v1.layers[2].created).toBe('2024-06-20T09:14:31.500Z');
    expect(v1).toMatchObject({
      created: '2024-06-20T09:15:02.883914027Z',
      author: 'platform@example.com',
      user: 'node',
      command: ['node', 'server.js'],
      entrypoint: ['docker-entrypoint.sh'],
      volumes: ['/data', '/var/log/app'],
      labels: { 'org.opencontainers.image.source': 'https://github.com/example/app', 'org.opencontainers.image.revision': '4f1c2d3' },
    });
    expect(metadata.layerShas).toEqual([1, 2, 3, 4, 5].map(digest));
    expect(historyIndexForLayer(resolved(buildkitApp, 5))).toEqual([0, 1, 3, 4, 5]);
  });

  it('splits created_by lines into instruction and value', () => {
    expect(instructionOf('/bin/sh -c #(nop)  CMD ["bash"]')).toEqual({ instruction: 'CMD', value: '["bash"]' });
    expect(instructionOf('/bin/sh -c #(nop) WORKDIR /usr/src/app')).toEqual({ instruction: 'WORKDIR', value: '/usr/src/app' });
    expect(instructionOf('/bin/sh -c apt-get update && apt-get install -y curl')).toEqual({
      instruction: 'RUN',
      value: 'apt-get update && apt-get install -y curl',
    });
    expect(instructionOf('/bin/sh -c #(nop) COPY file:abc123 in / ')).toEqual({ instruction: 'COPY', value: 'file:abc123 in /' });
    expect(instructionOf('|2 A=1 B=2 /bin/sh -c make')).toEqual({ instruction: 'RUN', value: '|2 A=1 B=2 /bin/sh -c make' });
    expect(instructionOf('HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "30s" "3s" "0s" \'\\x03\'}').instruction).toBe('HEALTHCHECK');
    expect(instructionOf('RUNNER=1 ./build.sh')).toEqual({ instruction: 'RUN', value: 'RUNNER=1 ./build.sh' });
    expect(instructionOf('')).toEqual({ instruction: 'RUN', value: '' });
    expect(instructionOf('ONBUILD')).toEqual({ instruction: 'ONBUILD', value: '' });
  });

  it('without history, writes one entry per layer so layer indices stay meaningful', () => {
    const config: ImageConfig = { created: '2024-01-01T00:00:00Z', author: 'ko', config: { Entrypoint: ['/ko-app/server'] } };
    const metadata = buildMetadata(resolved(config, 3), NOW);
    expect(metadata.v1!.layers).toEqual(Array(3).fill({ instruction: '', value: '', created: '2024-01-01T00:00:00Z', author: 'ko', empty: false }));
    expect(metadata.v1!.author).toBe('ko');
    expect(historyIndexForLayer(resolved(config, 3))).toEqual([0, 1, 2]);
  });

  it('uses now where the config has no creation time, and root where it names no user', () => {
    const config: ImageConfig = { history: [{ created_by: 'ADD rootfs.tar /' }] };
    const metadata = buildMetadata(resolved(config, 1), NOW);
    expect(metadata.v1).toMatchObject({ created: '2024-07-01T12:00:00Z', user: 'root', command: [], entrypoint: [], volumes: [], labels: {} });
    expect(metadata.v1!.layers[0]).toEqual({ instruction: 'ADD', value: 'rootfs.tar /', created: '2024-07-01T12:00:00Z', author: '', empty: false });
    expect(encodeImageMetadata(metadata).v1).toMatchObject({ created: '2024-07-01T12:00:00Z' });
  });

  it('survives a config of the wrong shape', () => {
    const config = JSON.parse(
      '{"created": 12, "history": [null, 7, {"created_by": 5, "created": "garbage"}], "config": {"Cmd": "bash", "Labels": {"a": 1, "b": "x"}, "Volumes": ["/x"], "User": 0}}',
    ) as ImageConfig;
    const metadata = buildMetadata(resolved(config, 1), NOW);
    expect(metadata.v1).toMatchObject({ created: '2024-07-01T12:00:00Z', user: 'root', command: [], volumes: [], labels: { b: 'x' } });
    expect(metadata.v1!.layers).toEqual([{ instruction: 'RUN', value: '', created: '2024-07-01T12:00:00Z', author: '', empty: false }]);
  });

  it('maps layers to history entries even when the counts disagree', () => {
    // Some builders leave empty_layer out of metadata-only steps: more producing entries than layers.
    const tooMany: ImageConfig = { history: [{ created_by: 'ADD a /' }, { created_by: 'CMD ["sh"]' }, { created_by: 'RUN make' }] };
    expect(historyIndexForLayer(resolved(tooMany, 2))).toEqual([0, 1]);
    const tooFew: ImageConfig = { history: [{ created_by: 'ADD a /' }, { created_by: 'CMD ["sh"]', empty_layer: true }] };
    expect(historyIndexForLayer(resolved(tooFew, 3))).toEqual([0, 1, 1]);
    const allEmpty: ImageConfig = { history: [{ created_by: 'CMD ["sh"]', empty_layer: true }] };
    expect(historyIndexForLayer(resolved(allEmpty, 2))).toEqual([0, 0]);
  });
});
