import { execFile } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TOKEN_SERVICE = 'lamina-test-registry';
export const TOKEN_ISSUER = 'lamina-test-token-issuer';
const TOKEN_LIFETIME_SECONDS = 300;

export interface TokenServer {
  /** The registry's `auth.token.realm`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate for `auth.token.rootcertbundle`. */
  certFile: string;
  /** GET /token requests answered so far (any outcome). */
  readonly requests: number;
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** Directory for the signing key and certificate (the registry's temp dir). */
  dir: string;
  username?: string;
  password?: string;
  /** Repositories whose name starts with this get anonymous pull. */
  publicPrefix?: string;
}

interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

/** A self-signed P-256 certificate made with the openssl CLI; the registry trusts it as the root and finds it in `x5c`. */
async function makeSigningCertificate(dir: string): Promise<{ key: KeyObject; certFile: string; x5c: string }> {
  const keyFile = join(dir, 'token-signing.key');
  const certFile = join(dir, 'token-signing.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '7',
    '-subj',
    `/CN=${TOKEN_ISSUER}`,
  ]);
  const key = createPrivateKey(await readFile(keyFile));
  const x5c = new X509Certificate(await readFile(certFile)).raw.toString('base64');
  return { key, certFile, x5c };
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** `repository:team/app:pull,push` → type, name, actions (names may hold `:` only in the type part's extension, so split at the ends). */
function parseScope(scope: string): ResourceAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter(Boolean);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function basicCredentials(req: IncomingMessage): { username: string; password: string } | undefined {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A Docker token-protocol server (GET /token) signing ES256 JWTs that distribution 2.8 verifies through x5c. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const { key, certFile, x5c } = await makeSigningCertificate(options.dir);
  let requests = 0;

  function grant(scopes: ResourceAccess[], authenticated: boolean): ResourceAccess[] {
    if (authenticated) return scopes;
    const prefix = options.publicPrefix;
    return scopes
      .filter((s) => prefix !== undefined && s.type === 'repository' && s.name.startsWith(prefix) && s.actions.includes('pull'))
      .map((s) => ({ ...s, actions: ['pull'] }));
  }

  function jwt(subject: string, audience: string, access: ResourceAccess[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
    const claims = {
      iss: TOKEN_ISSUER,
      sub: subject,
      aud: audience,
      exp: now + TOKEN_LIFETIME_SECONDS,
      nbf: now - 1,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${base64url(signature)}`;
  }

  function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    if (url.pathname !== '/token') return answer(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
    requests += 1;
    if (req.method !== 'GET') return answer(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'use GET' }] });

    const credentials = basicCredentials(req);
    const authenticated = credentials !== undefined && credentials.username === options.username && credentials.password === options.password;
    if (credentials && !authenticated) {
      return answer(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] },
        {
          'www-authenticate': 'Basic realm="lamina-test-token"',
        },
      );
    }
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .map(parseScope)
      .filter((s): s is ResourceAccess => s !== undefined);
    const token = jwt(authenticated ? credentials.username : '', url.searchParams.get('service') ?? TOKEN_SERVICE, grant(scopes, authenticated));
    answer(res, 200, { token, access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, issued_at: new Date().toISOString() });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    certFile,
    get requests() {
      return requests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
