import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface CredentialSource {
  credentialsFor(host: string): Promise<RegistryCredentials | undefined>;
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` — the private ECR registry host of one account and region. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export function parseEcrHost(host: string): { registryId: string; region: string } | undefined {
  const match = ECR_HOST.exec(host.toLowerCase());
  return match ? { registryId: match[1], region: match[3] } : undefined;
}

/** Tokens are valid for 12 hours; refresh well before that. */
const REFRESH_MARGIN_MS = 15 * 60 * 1000;

interface CachedToken {
  credentials: RegistryCredentials;
  expiresAt: number;
}

/**
 * Registry credentials for ECR from GetAuthorizationToken, per registry id (cross-account works when the
 * repository policy allows it), cached until shortly before they expire. Other hosts fall through to `fallback`.
 */
export class EcrCredentialSource implements CredentialSource {
  private readonly cache = new Map<string, Promise<CachedToken>>();
  private readonly clients = new Map<string, ECRClient>();

  constructor(
    private readonly options: {
      fallback?: CredentialSource;
      clientFor?: (region: string) => ECRClient;
      /** Registry hosts that front an ECR registry under another name (pull-through proxies, tests). */
      aliases?: Record<string, { registryId: string; region: string }>;
      now?: () => number;
    } = {},
  ) {}

  private get now(): () => number {
    return this.options.now ?? Date.now;
  }

  async credentialsFor(host: string): Promise<RegistryCredentials | undefined> {
    const ecr = this.options.aliases?.[host] ?? parseEcrHost(host);
    if (!ecr) return this.options.fallback?.credentialsFor(host);

    const key = host.toLowerCase();
    let pending = this.cache.get(key);
    if (pending) {
      const cached = await pending.catch(() => undefined);
      if (cached && cached.expiresAt - REFRESH_MARGIN_MS > this.now()) return cached.credentials;
    }
    pending = this.fetchToken(ecr.registryId, ecr.region);
    this.cache.set(key, pending);
    try {
      return (await pending).credentials;
    } catch (err) {
      this.cache.delete(key);
      throw err;
    }
  }

  private async fetchToken(registryId: string, region: string): Promise<CachedToken> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.options.clientFor?.(region) ?? new ECRClient({ region });
      this.clients.set(region, client);
    }
    const out = await client.send(new GetAuthorizationTokenCommand({ registryIds: [registryId] }));
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error(`ECR returned no authorization token for registry ${registryId} in ${region}`);
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new Error(`ECR authorization token for registry ${registryId} is malformed`);
    return {
      credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      expiresAt: data.expiresAt ? data.expiresAt.getTime() : this.now() + 60 * 60 * 1000,
    };
  }
}
