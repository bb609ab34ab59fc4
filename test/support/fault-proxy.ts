import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';
import type { TestRegistry } from './registry';

export type FaultRule = {
  /** Tested against `METHOD /path?query`. */
  match: RegExp;
  /**
   * status: answer `status` (default 500) without forwarding; hang: never answer; reset: drop the connection with a TCP RST;
   * corrupt: forward, then flip one byte in the middle of a successful response body (same length, wrong digest).
   */
  action: 'status' | 'hang' | 'reset' | 'corrupt';
  status?: number;
  /** How many matching requests the rule applies to; default every one. Later requests go to the next rule or through. */
  times?: number;
  /** Extra response headers (status and corrupt), e.g. Retry-After or WWW-Authenticate. */
  headers?: Record<string, string>;
};

/** A proxy in front of a test registry; it carries the registry's auth and credentials, so it can stand in for it. */
export interface FaultProxy extends TestRegistry {
  host: string;
  url: string;
  /** Requests received whose `METHOD /path` matches the pattern (all requests without one). */
  hits: (pattern?: RegExp) => number;
  /** Stops the proxy (not the registry behind it) and drops hanging connections. */
  stop(): Promise<void>;
}

function matches(pattern: RegExp, line: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(line);
}

/** Flips the byte at `offset` of the stream. */
function corrupter(offset: number): Transform {
  let position = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (offset >= position && offset < position + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - position] ^= 0xff;
        chunk = copy;
      }
      position += chunk.length;
      callback(null, chunk);
    },
  });
}

/** A fault-injecting HTTP proxy on 127.0.0.1 in front of `target`; rules are tried in order, first live match wins. */
export async function startFaultProxy(target: TestRegistry, rules: FaultRule[]): Promise<FaultProxy> {
  const remaining = rules.map((rule) => rule.times ?? Number.POSITIVE_INFINITY);
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const [targetHost, targetPort] = [target.host.slice(0, target.host.lastIndexOf(':')), Number(target.host.slice(target.host.lastIndexOf(':') + 1))];

  function forward(req: IncomingMessage, res: ServerResponse, rule?: FaultRule): void {
    // The Host header stays the proxy's, so the registry's upload Locations point back through the proxy.
    const upstream = request({ host: targetHost, port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const status = answer.statusCode ?? 502;
      res.writeHead(status, { ...answer.headers, ...rule?.headers });
      const hasBody = req.method !== 'HEAD' && status >= 200 && status < 300;
      if (rule?.action === 'corrupt' && hasBody) {
        const length = Number(answer.headers['content-length'] ?? 0);
        answer.pipe(corrupter(Math.floor(length / 2))).pipe(res);
      } else {
        answer.pipe(res);
      }
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('fault proxy: upstream failed');
    });
    req.pipe(upstream);
  }

  const server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    seen.push(line);
    const index = rules.findIndex((rule, i) => remaining[i] > 0 && matches(rule.match, line));
    const rule = index >= 0 ? rules[index] : undefined;
    if (index >= 0) remaining[index] -= 1;

    switch (rule?.action) {
      case 'status': {
        req.resume();
        const status = rule.status ?? 500;
        res.writeHead(status, { 'content-type': 'application/json', ...rule.headers });
        res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `fault proxy: injected ${status}` }] }));
        return;
      }
      case 'hang':
        req.resume();
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      default:
        forward(req, res, rule);
    }
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
    host,
    url: `http://${host}`,
    auth: target.auth,
    username: target.username,
    password: target.password,
    get tokenRequests() {
      return target.tokenRequests;
    },
    tokenRealm: target.tokenRealm,
    logFile: target.logFile,
    hits: (pattern?: RegExp) => (pattern ? seen.filter((line) => matches(pattern, line)).length : seen.length),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
