/**
 * A TUF repository of our own on loopback, signed with node:crypto as the TUF 1.0 specification lays it out:
 * root, timestamp, snapshot and targets metadata (one ed25519 key for every role, canonical JSON signed), and one
 * target, `trusted_root.json`. Enough for @sigstore/tuf's client to refresh against, with nothing mocked.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const EXPIRES = '2099-01-01T00:00:00Z';

/** Canonical JSON as TUF signs it: keys sorted, no white space (every string here is plain ASCII). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface TestTufRepo {
  url: string;
  /** The initial root.json a client must trust (LAMINA_SIGSTORE_TUF_ROOT). */
  rootJson: string;
  /** Paths requested so far. */
  requests: string[];
  /** Publishes another trusted_root.json (new targets, snapshot and timestamp versions). */
  publish(trustedRoot: string): void;
  close(): Promise<void>;
}

export async function startTufRepo(trustedRoot: string): Promise<TestTufRepo> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  const keyid = createHash('sha256').update(canonical(key)).digest('hex');
  const signed = (body: Record<string, unknown>) => ({
    signed: body,
    signatures: [{ keyid, sig: sign(null, Buffer.from(canonical(body)), privateKey).toString('hex') }],
  });
  const role = { keyids: [keyid], threshold: 1 };
  const root = signed({
    _type: 'root',
    spec_version: '1.0.31',
    version: 1,
    expires: EXPIRES,
    consistent_snapshot: false,
    keys: { [keyid]: key },
    roles: { root: role, targets: role, snapshot: role, timestamp: role },
  });
  const files = new Map<string, string>();
  let version = 0;
  const publish = (target: string) => {
    version++;
    const common = { spec_version: '1.0.31', version, expires: EXPIRES };
    const length = Buffer.byteLength(target);
    const sha256 = createHash('sha256').update(target).digest('hex');
    files.set('/targets/trusted_root.json', target);
    files.set('/targets.json', JSON.stringify(signed({ _type: 'targets', ...common, targets: { 'trusted_root.json': { length, hashes: { sha256 } } } })));
    files.set('/snapshot.json', JSON.stringify(signed({ _type: 'snapshot', ...common, meta: { 'targets.json': { version } } })));
    files.set('/timestamp.json', JSON.stringify(signed({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version } } })));
  };
  publish(trustedRoot);

  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rootJson: JSON.stringify(root),
    requests,
    publish,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
