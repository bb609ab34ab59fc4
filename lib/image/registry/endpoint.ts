import { credentialsKeyHost } from './credentials';
import { normaliseRegistryHost } from './host-policy';

/** Docker Hub's registry API answers at this host, not at `docker.io`. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** `LAMINA_INSECURE_REGISTRIES=127.0.0.1:5000,localhost:5001`: registries that may be reached over plain HTTP. */
export function insecureRegistriesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.LAMINA_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1, with or without a port: hosts Docker reaches over plain HTTP. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name === '::1';
}

/** A set of host[:port] entries, matched case-insensitively, entries given with or without scheme. */
export class HostSet {
  private readonly hosts: Set<string>;

  /** With `loopback`, loopback hosts are members too (registries on this machine are plain HTTP, as for Docker). */
  constructor(
    entries: string[] = [],
    private readonly options: { loopback?: boolean } = {},
  ) {
    this.hosts = new Set(entries.map(credentialsKeyHost).filter(Boolean));
  }

  has(host: string): boolean {
    return this.hosts.has(normaliseRegistryHost(host)) || (this.options.loopback === true && isLoopbackHost(host));
  }
}

/** The base URL of a registry's API: HTTPS, or HTTP for an insecure registry; Docker Hub at its API host. */
export function registryBaseUrl(registry: string, insecure: HostSet): string {
  const host = normaliseRegistryHost(registry) === 'docker.io' ? DOCKER_HUB_API_HOST : registry;
  return `${insecure.has(registry) ? 'http' : 'https'}://${host}`;
}
