/**
 * A registry with the OCI 1.1 referrers API, for tests: Debian's docker-registry (distribution 2.8) has none and
 * answers 404, so this proxy in front of it answers `GET /v2/<name>/referrers/<digest>` from what the test
 * registered and forwards everything else.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestRegistry } from '../support/registry';

export interface ReferrersRegistry extends TestRegistry {
  /** Lists `descriptor` among the referrers of `digest` in `repository`. */
  addReferrer(repository: string, digest: string, descriptor: object): void;
  /** Requests for the referrers API seen so far. */
  readonly referrersRequests: string[];
}

export async function startReferrersProxy(target: TestRegistry): Promise<ReferrersRegistry> {
  const referrers = new Map<string, object[]>();
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const [targetHost, targetPort] = [target.host.slice(0, target.host.lastIndexOf(':')), Number(target.host.slice(target.host.lastIndexOf(':') + 1))];

  const server = createServer((req, res) => {
    const match = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method === 'GET' && match) {
      seen.push(req.url ?? '');
      req.resume();
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: referrers.get(`${match[1]}@${match[2]}`) ?? [],
      });
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      res.end(body);
      return;
    }
    const upstream = request({ host: targetHost, port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...target,
    host,
    url: `http://${host}`,
    referrersRequests: seen,
    addReferrer(repository, digest, descriptor) {
      const key = `${repository}@${digest}`;
      referrers.set(key, [...(referrers.get(key) ?? []), descriptor]);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
