import { GrpcCode } from '../../errors';
import { parseChallenges, type Challenge } from './challenge';
import type { CredentialProvider, RegistryCredentials } from './credentials';
import { codeForStatus, registryFailure, registryReason } from './errors';
import type { Transport } from './transport';

/** Tokens without `expires_in` live 60 s (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_MARGIN_MS = 10_000;
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;

export interface AuthTarget {
  /** Registry name as in the reference (`docker.io`), used to look up credentials. */
  registry: string;
  remote: string;
  /** `failed to fetch manifest for <image>`. */
  what: string;
  signal?: AbortSignal;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Challenges are remembered per registry and repository: one repository's challenge never decides another's. */
function challengeKey(target: AuthTarget): string {
  return `${target.registry}\n${target.remote}`;
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** A challenge the registry sent and the Authorization that answered it. */
export interface ChallengeAnswer {
  challenge: Challenge;
  authorization: string;
}

/**
 * Answers registry auth challenges: HTTP basic with the registry's own credentials, or bearer tokens from the
 * challenge's realm (anonymous, or with the registry's credentials), cached per registry and scope until shortly
 * before they expire. Remembers, per registry and repository, a challenge whose answer the registry accepted, so
 * later requests there carry auth from the start; a challenge that could not be answered is never remembered.
 */
export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentials: CredentialProvider,
    /** May the token realm of this registry be plain HTTP? */
    private readonly realmAllowsPlainHttp: (registry: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Authorization for a request, from what this repository asked for before; undefined when nothing is known yet. */
  async authorization(target: AuthTarget): Promise<string | undefined> {
    const challenge = this.challenges.get(challengeKey(target));
    if (!challenge) return undefined;
    return this.answer(challenge, target, false);
  }

  /**
   * The answer to a 401 carrying `header`, sent by the registry itself (never by a redirect target); undefined
   * when the challenge cannot be answered (no credentials for basic, unknown scheme) or the answer is the one the
   * registry just refused (`rejected`). Nothing is remembered until `accepted` is called.
   */
  async afterChallenge(target: AuthTarget, header: string | null, rejected: string | undefined): Promise<ChallengeAnswer | undefined> {
    const challenges = parseChallenges(header ?? '');
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!challenge) return undefined;
    const authorization = await this.answer(challenge, target, rejected !== undefined);
    if (authorization === undefined || authorization === rejected) return undefined;
    return { challenge, authorization };
  }

  /** The registry accepted this answer: later requests for the same repository answer the challenge up front. */
  accepted(target: AuthTarget, answer: ChallengeAnswer): void {
    // The scope is the request's own (repository:<remote>:pull), so it is dropped from the remembered challenge.
    this.challenges.set(challengeKey(target), { scheme: answer.challenge.scheme, params: { ...answer.challenge.params, scope: '' } });
  }

  private async answer(challenge: Challenge, target: AuthTarget, refresh: boolean): Promise<string | undefined> {
    const credentials = await this.credentials.credentialsFor(target.registry);
    if (challenge.scheme === 'basic') return credentials ? basic(credentials) : undefined;
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const scope = challenge.params.scope || `repository:${target.remote}:pull`;
    const key = [target.registry, challenge.params.realm, challenge.params.service ?? '', scope, credentials?.username ?? ''].join('\n');
    const cached = this.tokens.get(key);
    if (cached && !refresh) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt > this.now()) return `Bearer ${token.token}`;
    }
    const pending = this.fetchToken(challenge, scope, credentials, target);
    this.tokens.set(key, pending);
    try {
      return `Bearer ${(await pending).token}`;
    } catch (err) {
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
      throw err;
    }
  }

  private async fetchToken(challenge: Challenge, scope: string, credentials: RegistryCredentials | undefined, target: AuthTarget): Promise<CachedToken> {
    const realm = new URL(challenge.params.realm);
    if (realm.protocol === 'http:' && !this.realmAllowsPlainHttp(target.registry)) {
      throw registryFailure(GrpcCode.PermissionDenied, target.what, `token realm ${realm.origin} is plain HTTP for a registry that is not insecure`);
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', scope);
    const response = await this.transport.send({
      method: 'GET',
      url: realm.toString(),
      headers: { Accept: 'application/json' },
      authorization: credentials ? basic(credentials) : undefined,
      signal: target.signal,
      allowPlainHttp: realm.protocol === 'http:',
      what: target.what,
    });
    const body = await response.bytes(TOKEN_RESPONSE_LIMIT);
    if (response.status !== 200) {
      const reason = registryReason(response.status, response.statusText, body.toString('utf8'));
      const code = response.status === 401 ? GrpcCode.Unauthenticated : codeForStatus(response.status);
      const subject = credentials
        ? `registry token service refused the credentials of ${credentials.username}`
        : 'registry token service refused an anonymous token';
      throw registryFailure(code === GrpcCode.NotFound ? GrpcCode.PermissionDenied : code, target.what, `${subject}: ${reason}`);
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw registryFailure(GrpcCode.Unavailable, target.what, 'registry token service answered with something that is not JSON');
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || !token) {
      throw registryFailure(GrpcCode.Unavailable, target.what, 'registry token service answered without a token');
    }
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    const lifetime = seconds * 1000;
    return { token, expiresAt: this.now() + lifetime - Math.min(TOKEN_MARGIN_MS, lifetime / 2) };
  }
}
