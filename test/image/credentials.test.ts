import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CredentialChain,
  DockerConfigCredentials,
  credentialsFromEnv,
  credentialsKeyHost,
  defaultCredentials,
  dockerConfigPath,
  parseDockerConfig,
  StaticCredentials,
} from '../../lib/image/registry/credentials';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('Docker config.json credentials', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lamina-docker-config-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
      'registry.example.com:5000': { auth: b64('alice:secret') },
      'https://ghcr.io': { username: 'bob', password: 'token-123' },
      'http://quay.io/v2/': { auth: b64('carol:pw') },
      'broken.example.com': { auth: b64('no-colon-here') },
      'empty.example.com': {},
    },
    credsStore: 'desktop',
  };

  test('reads $DOCKER_CONFIG/config.json: auth base64 and username/password, keys with or without scheme and path', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const path = dockerConfigPath({ DOCKER_CONFIG: dir });
    expect(path).toBe(join(dir, 'config.json'));
    const credentials = new DockerConfigCredentials(path);
    await expect(credentials.credentialsFor('docker.io')).resolves.toEqual({ username: 'hubuser', password: 'hub:pass' });
    await expect(credentials.credentialsFor('registry.example.com:5000')).resolves.toEqual({ username: 'alice', password: 'secret' });
    await expect(credentials.credentialsFor('ghcr.io')).resolves.toEqual({ username: 'bob', password: 'token-123' });
    await expect(credentials.credentialsFor('QUAY.IO')).resolves.toEqual({ username: 'carol', password: 'pw' });
  });

  test('credentials belong to their exact host and port only', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const credentials = new DockerConfigCredentials(join(dir, 'config.json'));
    await expect(credentials.credentialsFor('registry.example.com')).resolves.toBeUndefined();
    await expect(credentials.credentialsFor('registry.example.com:5001')).resolves.toBeUndefined();
    await expect(credentials.credentialsFor('example.com')).resolves.toBeUndefined();
    await expect(credentials.credentialsFor('broken.example.com')).resolves.toBeUndefined();
    await expect(credentials.credentialsFor('empty.example.com')).resolves.toBeUndefined();
  });

  test('a missing or malformed config.json means no credentials, not a crash', async () => {
    await expect(new DockerConfigCredentials(join(dir, 'absent.json')).credentialsFor('docker.io')).resolves.toBeUndefined();
    await writeFile(join(dir, 'config.json'), '{ not json');
    await expect(new DockerConfigCredentials(join(dir, 'config.json')).credentialsFor('docker.io')).resolves.toBeUndefined();
  });

  test('without DOCKER_CONFIG the file is ~/.docker/config.json', () => {
    expect(dockerConfigPath({})).toMatch(/\.docker[/\\]config\.json$/);
  });

  test('parseDockerConfig skips entries it cannot use', () => {
    expect(parseDockerConfig(JSON.stringify({ auths: { 'a.io': { auth: 42 }, 'b.io': null } }))).toEqual({});
    expect(parseDockerConfig('{}')).toEqual({});
  });
});

describe('lamina credential sources', () => {
  test('credentialsKeyHost maps Docker Hub aliases and strips scheme and path', () => {
    expect(credentialsKeyHost('https://index.docker.io/v1/')).toBe('docker.io');
    expect(credentialsKeyHost('registry-1.docker.io')).toBe('docker.io');
    expect(credentialsKeyHost('http://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
    expect(credentialsKeyHost('Registry.Example.com')).toBe('registry.example.com');
  });

  test('LAMINA_REGISTRY_CREDENTIALS holds a JSON map of host → username/password', async () => {
    const env = { LAMINA_REGISTRY_CREDENTIALS: JSON.stringify({ '127.0.0.1:5000': { username: 'u', password: 'p' } }) };
    await expect(credentialsFromEnv(env).credentialsFor('127.0.0.1:5000')).resolves.toEqual({ username: 'u', password: 'p' });
    await expect(credentialsFromEnv({}).credentialsFor('127.0.0.1:5000')).resolves.toBeUndefined();
    expect(() => credentialsFromEnv({ LAMINA_REGISTRY_CREDENTIALS: '{oops' })).toThrow(/LAMINA_REGISTRY_CREDENTIALS is not valid JSON/);
    expect(() => credentialsFromEnv({ LAMINA_REGISTRY_CREDENTIALS: '[1]' })).toThrow(/must be a JSON object/);
  });

  test('the default chain asks the explicit map, then the environment, then config.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lamina-docker-config-'));
    try {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ auths: { 'a.example': { auth: b64('docker:a') }, 'b.example': { auth: b64('docker:b') }, 'c.example': { auth: b64('docker:c') } } }),
      );
      const env = {
        DOCKER_CONFIG: dir,
        LAMINA_REGISTRY_CREDENTIALS: JSON.stringify({ 'a.example': { username: 'env', password: 'a' }, 'b.example': { username: 'env', password: 'b' } }),
      };
      const chain = defaultCredentials({ explicit: { 'a.example': { username: 'explicit', password: 'a' } }, env });
      await expect(chain.credentialsFor('a.example')).resolves.toEqual({ username: 'explicit', password: 'a' });
      await expect(chain.credentialsFor('b.example')).resolves.toEqual({ username: 'env', password: 'b' });
      await expect(chain.credentialsFor('c.example')).resolves.toEqual({ username: 'docker', password: 'c' });
      await expect(chain.credentialsFor('d.example')).resolves.toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a chain skips providers that do not know the host', async () => {
    const chain = new CredentialChain([undefined, new StaticCredentials({}), new StaticCredentials({ 'x.io': { username: 'x', password: 'y' } })]);
    await expect(chain.credentialsFor('x.io')).resolves.toEqual({ username: 'x', password: 'y' });
  });
});
