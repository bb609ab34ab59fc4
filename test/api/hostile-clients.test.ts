import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApiServer } from '../../lib/server/http-server';

// Red-team cases that held, kept in the suite: oversized bodies and clients that send their request slowly.
describe('the local HTTP server against hostile clients', () => {
  let server: Server;
  let port: number;
  let handled = 0;

  beforeAll(async () => {
    server = createApiServer(
      async () => {
        handled++;
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') };
      },
      { requestTimeoutMs: 1000 },
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it('a body over 1 MiB answers 429 / code 8 without reaching the handler', async () => {
    const before = handled;
    const res = await fetch(`http://127.0.0.1:${port}/v1/images/scan`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { code: number }).code).toBe(8);
    expect(handled).toBe(before);
  });

  it('a client trickling its body is cut off at the request timeout, and the handler never runs', async () => {
    const before = handled;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.write('POST /v1/images/scan HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const trickle = setInterval(() => socket.writable && socket.write(' '), 200);
    await new Promise((done) => socket.once('close', done));
    clearInterval(trickle);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(handled).toBe(before);
  }, 20_000);
});
