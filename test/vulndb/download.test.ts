import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeNetworkError, downloadResumable } from '../../lib/vulndb/download';
import { closedPort, type Handler, startLoopbackServer } from '../support/feed-server';
import { rejection } from '../support/outcomes';

/*
 * Download failures name the URL and what went wrong, against real sockets on loopback: a closed port, HTTP errors,
 * a server that never answers or stalls, TLS spoken to a plain HTTP server, and a name under `.invalid` (RFC 6761:
 * never resolves; only the local resolver is asked).
 */

/** A loopback server that counts the requests it answers. */
async function serve(handler: Handler): Promise<{ url: string; requests: () => number; stop: () => Promise<void> }> {
  let requests = 0;
  const server = await startLoopbackServer((req, res) => {
    requests++;
    handler(req, res);
  });
  return { url: server.origin, requests: () => requests, stop: server.stop };
}

describe('downloadResumable failures', () => {
  let work: string;
  let dest: string;
  const stops: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'lamina-download-'));
    dest = join(work, 'all.zip');
  });
  afterEach(async () => {
    while (stops.length > 0) await stops.pop()!();
    await rm(work, { recursive: true, force: true });
  });

  const start = async (handler: Handler) => {
    const server = await serve(handler);
    stops.push(server.stop);
    return server;
  };

  it('names the address that refused the connection', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/Debian/all.zip`;
    const err = await rejection(downloadResumable(url, dest, { maxAttempts: 2 }));
    expect(err.message).toBe(`GET ${url}: connection refused by 127.0.0.1:${port} (ECONNREFUSED) (2 attempts)`);
  });

  it('gives the HTTP status and its text, without retrying a 404', async () => {
    const server = await start((_req, res) => res.writeHead(404).end('no such export'));
    const url = `${server.url}/Debian/all.zip`;
    const err = await rejection(downloadResumable(url, dest));
    expect(err.message).toBe(`GET ${url}: HTTP 404 Not Found`);
    expect(server.requests()).toBe(1);
  });

  it('retries a 500 and says how many times it tried', async () => {
    const server = await start((_req, res) => res.writeHead(500).end());
    const url = `${server.url}/Debian/all.zip`;
    const err = await rejection(downloadResumable(url, dest, { maxAttempts: 2 }));
    expect(err.message).toBe(`GET ${url}: HTTP 500 Internal Server Error (2 attempts)`);
    expect(server.requests()).toBe(2);
  });

  it('gives up on a server that never answers after the idle timeout', async () => {
    const server = await start(() => undefined);
    const url = `${server.url}/Debian/all.zip`;
    const started = Date.now();
    const err = await rejection(downloadResumable(url, dest, { maxAttempts: 1, idleTimeoutMs: 200 }));
    expect(err.message).toBe(`GET ${url}: timed out: no response within 200 ms`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up on a body that stalls, keeping the part for the next attempt', async () => {
    const body = Buffer.alloc(10_000, 7);
    const server = await start((_req, res) => {
      res.writeHead(200, { 'content-length': body.length, etag: '"v1"' });
      res.write(body.subarray(0, 4000));
    });
    const url = `${server.url}/Debian/all.zip`;
    const err = await rejection(downloadResumable(url, dest, { maxAttempts: 1, idleTimeoutMs: 300 }));
    expect(err.message).toBe(`GET ${url}: timed out: no data for 300 ms after 4000 of 10000 bytes`);
    expect((await readFile(`${dest}.part`)).length).toBe(4000);
  });

  it('says the server closed the connection midway', async () => {
    const body = Buffer.alloc(10_000, 7);
    const server = await start((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 4000), () => setTimeout(() => res.socket?.destroy(), 50));
    });
    const url = `${server.url}/Debian/all.zip`;
    const err = await rejection(downloadResumable(url, dest, { maxAttempts: 1 }));
    expect(err.message).toBe(`GET ${url}: connection closed by the server (other side closed) after 4000 of 10000 bytes`);
  });

  it('names a TLS failure: https:// to a server speaking plain HTTP', async () => {
    const server = await start((_req, res) => res.end('plain'));
    const url = `${server.url.replace('http:', 'https:')}/Debian/all.zip`;
    const err = await rejection(downloadResumable(url, dest));
    expect(err.message).toMatch(new RegExp(`^GET ${url.replace(/[.?*+/]/g, '\\$&')}: TLS: .*\\(ERR_SSL_[A-Z_]+\\)$`));
    // Another attempt would fail the same way.
    expect(err.message).not.toMatch(/attempts/);
  });

  it('names a host that does not resolve, once', async () => {
    const url = 'http://osv-vulnerabilities.invalid/Debian/all.zip';
    const err = await rejection(downloadResumable(url, dest));
    // EAI_AGAIN where no resolver answers at all (a sandbox): then it is retried.
    expect(err.message).toMatch(
      /^GET http:\/\/osv-vulnerabilities\.invalid\/Debian\/all\.zip: cannot resolve osv-vulnerabilities\.invalid (\(DNS: ENOTFOUND\)$|now)/,
    );
  });

  it('stops when the caller aborts', async () => {
    const server = await start(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(downloadResumable(`${server.url}/x.zip`, dest, { signal: controller.signal }));
    expect(err.message).toBe(`GET ${server.url}/x.zip: aborted`);
    expect(server.requests()).toBe(1);
  });

  it('reports the bytes as they arrive, and the total', async () => {
    const body = Buffer.alloc(300_000, 1);
    const server = await start((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    const seen: Array<[number, number | undefined]> = [];
    const result = await downloadResumable(`${server.url}/x.zip`, dest, { onProgress: (bytes, total) => seen.push([bytes, total]) });
    expect(result).toMatchObject({ status: 'downloaded', bytes: body.length });
    expect(seen.at(-1)).toEqual([body.length, body.length]);
    expect(seen.map(([bytes]) => bytes)).toEqual([...seen.map(([bytes]) => bytes)].sort((a, b) => a - b));
    expect(existsSync(`${dest}.part`)).toBe(false);
  });
});

describe('describeNetworkError', () => {
  // Plain objects: errors from Node's core reach jest's realm as objects that are not its Error instances.
  it('reads the cause by shape', () => {
    const wrapped = (cause: object) => ({ name: 'TypeError', message: 'fetch failed', cause });
    expect(describeNetworkError(wrapped({ code: 'ENOTFOUND', hostname: 'a.invalid', message: 'getaddrinfo ENOTFOUND a.invalid' }))).toBe(
      'cannot resolve a.invalid (DNS: ENOTFOUND)',
    );
    expect(describeNetworkError(wrapped({ code: 'ECONNREFUSED', address: '::1', port: 443 }))).toBe('connection refused by ::1:443 (ECONNREFUSED)');
    // Happy eyeballs: one error per address tried.
    expect(describeNetworkError(wrapped({ name: 'AggregateError', message: '', errors: [{ code: 'ETIMEDOUT', address: '10.0.0.1', port: 443 }] }))).toBe(
      'connection timed out to 10.0.0.1:443 (ETIMEDOUT)',
    );
    expect(describeNetworkError(wrapped({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }))).toBe(
      'TLS: certificate has expired (CERT_HAS_EXPIRED)',
    );
    expect(describeNetworkError(wrapped({ code: 'UND_ERR_HEADERS_TIMEOUT', message: 'Headers Timeout Error' }))).toMatch(/response headers/);
    expect(describeNetworkError(wrapped({ code: 'EWHATEVER', message: 'something odd' }))).toBe('something odd (EWHATEVER)');
    expect(describeNetworkError('text')).toBe('text');
  });
});
