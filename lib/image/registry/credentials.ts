import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { normaliseRegistryHost } from './host-policy';

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** Where the client gets credentials for a registry host (`docker.io` for Docker Hub). ECR and others plug in here. */
export interface CredentialProvider {
  credentialsFor(host: string): Promise<RegistryCredentials | undefined>;
}

/**
 * The registry host a credentials key names: `https://index.docker.io/v1/` → `docker.io`,
 * `https://registry.example.com:5000/v2/` → `registry.example.com:5000`.
 */
export function credentialsKeyHost(key: string): string {
  const withoutScheme = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return normaliseRegistryHost(withoutScheme.split('/')[0]);
}

/** A fixed map of host → credentials, keys normalised like Docker's. */
export class StaticCredentials implements CredentialProvider {
  private readonly byHost = new Map<string, RegistryCredentials>();

  constructor(entries: Record<string, RegistryCredentials>) {
    for (const [key, value] of Object.entries(entries)) {
      if (value && typeof value.username === 'string' && typeof value.password === 'string') {
        this.byHost.set(credentialsKeyHost(key), { username: value.username, password: value.password });
      }
    }
  }

  async credentialsFor(host: string): Promise<RegistryCredentials | undefined> {
    return this.byHost.get(normaliseRegistryHost(host));
  }
}

interface DockerConfigAuth {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

/** Reads the `auths` of a Docker `config.json` text into host → credentials; unusable entries are skipped. */
export function parseDockerConfig(text: string): Record<string, RegistryCredentials> {
  const config = JSON.parse(text) as { auths?: Record<string, DockerConfigAuth> };
  const result: Record<string, RegistryCredentials> = {};
  if (!config || typeof config.auths !== 'object' || config.auths === null) return result;
  for (const [key, entry] of Object.entries(config.auths)) {
    if (!entry || typeof entry !== 'object') continue;
    let credentials: RegistryCredentials | undefined;
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      credentials = { username: entry.username, password: entry.password };
    }
    const host = credentialsKeyHost(key);
    if (credentials && host && !(host in result)) result[host] = credentials;
  }
  return result;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(homedir(), '.docker', 'config.json');
}

/** Credentials from Docker's config.json, read once on first use; a missing or broken file means none. */
export class DockerConfigCredentials implements CredentialProvider {
  private loaded?: Promise<StaticCredentials>;

  constructor(private readonly path: string = dockerConfigPath()) {}

  credentialsFor(host: string): Promise<RegistryCredentials | undefined> {
    this.loaded ??= readFile(this.path, 'utf8')
      .then((text) => new StaticCredentials(parseDockerConfig(text)))
      .catch(() => new StaticCredentials({}));
    return this.loaded.then((credentials) => credentials.credentialsFor(host));
  }
}

/** `LAMINA_REGISTRY_CREDENTIALS`: JSON `{ "host": { "username": …, "password": … } }`. Throws on malformed JSON. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): StaticCredentials {
  const text = env.LAMINA_REGISTRY_CREDENTIALS;
  if (!text || text.trim() === '') return new StaticCredentials({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`LAMINA_REGISTRY_CREDENTIALS is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('LAMINA_REGISTRY_CREDENTIALS must be a JSON object of host → {username, password}');
  }
  return new StaticCredentials(parsed as Record<string, RegistryCredentials>);
}

/** Asks each provider in turn; the first that knows the host answers. */
export class CredentialChain implements CredentialProvider {
  private readonly providers: CredentialProvider[];

  constructor(providers: Array<CredentialProvider | undefined>) {
    this.providers = providers.filter((provider): provider is CredentialProvider => provider !== undefined);
  }

  async credentialsFor(host: string): Promise<RegistryCredentials | undefined> {
    for (const provider of this.providers) {
      const found = await provider.credentialsFor(host);
      if (found) return found;
    }
    return undefined;
  }
}

/** lamina's default lookup: an explicit map, then `LAMINA_REGISTRY_CREDENTIALS`, then Docker's config.json. */
export function defaultCredentials(options: { explicit?: Record<string, RegistryCredentials>; env?: NodeJS.ProcessEnv } = {}): CredentialProvider {
  const env = options.env ?? process.env;
  return new CredentialChain([
    options.explicit ? new StaticCredentials(options.explicit) : undefined,
    credentialsFromEnv(env),
    new DockerConfigCredentials(dockerConfigPath(env)),
  ]);
}
