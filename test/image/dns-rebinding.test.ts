import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseImageName } from '../../lib/image/reference';
import { RegistryClient } from '../../lib/image/registry';
import { DefaultHostPolicy } from '../../lib/image/registry/host-policy';

// Hardening defect 9: the host policy and the connection used to resolve a name separately, so a second DNS
// answer could send the connection somewhere the policy never checked. Both servers are on loopback: the one
// the policy's resolver names (127.0.0.2) and the one the system resolver gives for `localhost` (127.0.0.1).
describe('connections go to the address the host policy checked', () => {
  const servers: Server[] = [];
  const seen: string[] = [];
  let port = 0;

  function listen(address: string, who: string): Promise<number> {
    const server = createServer((_req, res) => {
      seen.push(who);
      const body = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: `answered by ${who}` }] });
      res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    servers.push(server);
    return new Promise((done) => server.listen(port, address, () => done((server.address() as AddressInfo).port)));
  }

  beforeAll(async () => {
    port = await listen('127.0.0.2', 'the checked address');
    await listen('127.0.0.1', 'the rebinding target');
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  });

  it('a name the policy resolved to 127.0.0.2 is connected to at 127.0.0.2, whatever the system resolver says', async () => {
    const policy = new DefaultHostPolicy({ resolve: async () => ['127.0.0.2'] });
    const client = new RegistryClient({ hostPolicy: policy, insecureRegistries: [`localhost:${port}`], env: { DOCKER_CONFIG: '/nonexistent' }, retries: 0 });
    const err = await client.resolve(parseImageName(`localhost:${port}/team/app:1`)).catch((e: Error) => e);
    expect((err as Error).message).toContain('answered by the checked address');
    expect(seen).toEqual(['the checked address']);
  });
});

describe('the pinned fetch against hostile answers', () => {
  it('a status outside 200-599 is a failed request (Unavailable), not a crash', async () => {
    const { createServer: createNet } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const server = createNet((socket) => {
      sockets.add(socket);
      socket.end('HTTP/1.1 999 Strange\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = new RegistryClient({ insecureRegistries: [`127.0.0.1:${port}`], env: { DOCKER_CONFIG: '/nonexistent' }, retries: 0 });
      const err = (await client.resolve(parseImageName(`127.0.0.1:${port}/team/app:1`)).catch((e: Error) => e)) as Error & { code?: number };
      expect(err.code).toBe(14);
      expect(err.message).toContain('HTTP status 999');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    }
  });
});
