import type { ServerResponse } from 'node:http';
import { GrpcCode } from '../../lib/errors';
import type { HostPolicy } from '../../lib/image/registry/host-policy';
import { DEFAULT_BLOB_DEADLINE_MS, DEFAULT_DEADLINE_MS, Transport, type TransportOptions } from '../../lib/image/registry/transport';
import { startLoopback, type LoopbackServer } from './fake-registry';

const allowAll: HostPolicy = { checkRegistry: () => undefined, checkConnect: async () => undefined };

function transport(options: Partial<TransportOptions> = {}): Transport {
  return new Transport({
    fetch,
    hostPolicy: allowAll,
    allowsPlainHttp: () => true,
    timeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    retries: 0,
    retryBaseMs: 5,
    maxRetryDelayMs: 20,
    userAgent: 'lamina-test',
    ...options,
  });
}

/** Writes `body` one byte every `everyMs`: never idle for long, never done soon. */
function trickle(res: ServerResponse, body: Buffer, everyMs: number, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', ...headers });
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed || at >= body.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(at, ++at));
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

const BODY = Buffer.from(JSON.stringify({ schemaVersion: 2, note: 'x'.repeat(400) }));

describe('registry requests have an overall deadline besides the idle timeout', () => {
  let server: LoopbackServer;
  afterEach(async () => {
    await server?.close();
  });

  it('a manifest trickled a byte at a time fails once the deadline passes, long before the trickle would end', async () => {
    // 400+ bytes at one per 20 ms take over 8 s; the idle timeout (5 s) is never reached.
    server = await startLoopback((_req, res) => trickle(res, BODY, 20));
    const started = Date.now();
    const response = await transport({ deadlineMs: 500 }).send({
      method: 'GET',
      url: `http://${server.host}/v2/team/app/manifests/v1`,
      what: 'failed to fetch manifest for team/app:v1',
    });
    const failure = await response.bytes(1024 * 1024).then(
      () => undefined,
      (err: unknown) => err as { code?: number; message: string },
    );
    expect(failure?.code).toBe(GrpcCode.DeadlineExceeded);
    expect(failure?.message).toBe('image enrichment error: failed to fetch manifest for team/app:v1: the registry did not answer in full within 500 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the deadline also ends a request whose headers never come, across retries', async () => {
    server = await startLoopback(() => undefined);
    const started = Date.now();
    const sending = transport({ deadlineMs: 400, timeoutMs: 300, retries: 5 }).send({
      method: 'GET',
      url: `http://${server.host}/token`,
      what: 'failed to get a token',
    });
    await expect(sending).rejects.toMatchObject({ code: GrpcCode.DeadlineExceeded });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a blob stream trickled without a length fails at the blob deadline', async () => {
    server = await startLoopback((_req, res) => trickle(res, Buffer.alloc(2_000, 1), 10, { 'Content-Type': 'application/octet-stream' }));
    const response = await transport({ deadlineMs: 100, blobDeadlineMs: 600 }).send({
      method: 'GET',
      url: `http://${server.host}/v2/team/app/blobs/sha256:${'a'.repeat(64)}`,
      what: 'failed to fetch blob',
    });
    const started = Date.now();
    const stream = response.stream();
    let bytes = 0;
    const failure = await new Promise<{ code?: number; message: string }>((resolve) => {
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('error', (err) => resolve(err as { code?: number; message: string }));
      stream.on('end', () => resolve({ message: 'ended' }));
    });
    expect(failure).toMatchObject({ code: GrpcCode.DeadlineExceeded, message: expect.stringContaining('within 600 ms') });
    // It was passing bytes until then: only the overall deadline stopped it.
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(2_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a blob of known small length (an image config) gets the short deadline plus its length at 256 KiB/s, not the blob deadline', async () => {
    const blob = Buffer.alloc(300, 2);
    server = await startLoopback((_req, res) => trickle(res, blob, 20, { 'Content-Length': String(blob.length) }));
    const response = await transport({ deadlineMs: 300, blobDeadlineMs: 60_000 }).send({
      method: 'GET',
      url: `http://${server.host}/v2/team/app/blobs/sha256:${'b'.repeat(64)}`,
      what: 'failed to fetch blob',
    });
    const started = Date.now();
    await expect(response.bytes(1024)).rejects.toMatchObject({ code: GrpcCode.DeadlineExceeded, message: expect.stringMatching(/within 30\d ms$/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a prompt answer is not affected, and its deadline timer does not outlive it', async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(BODY.length) });
      res.end(BODY);
    });
    const client = transport({ deadlineMs: 200, blobDeadlineMs: 200 });
    for (const path of ['/v2/team/app/manifests/v1', `/v2/team/app/blobs/sha256:${'c'.repeat(64)}`]) {
      const response = await client.send({ method: 'GET', url: `http://${server.host}${path}`, what: 'fetch' });
      expect((await response.bytes(1024 * 1024)).equals(BODY)).toBe(true);
    }
    const streamed = await client.send({ method: 'GET', url: `http://${server.host}/v2/team/app/blobs/sha256:${'d'.repeat(64)}`, what: 'fetch' });
    const chunks: Buffer[] = [];
    for await (const chunk of streamed.stream()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(BODY)).toBe(true);
    // Read long after the deadline would have passed: nothing fires once the body is over.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it('a repository named "blobs" does not give its manifests the blob deadline', async () => {
    server = await startLoopback((_req, res) => trickle(res, BODY, 20));
    const response = await transport({ deadlineMs: 300, blobDeadlineMs: 60_000 }).send({
      method: 'GET',
      url: `http://${server.host}/v2/team/blobs/manifests/latest`,
      what: 'fetch',
    });
    await expect(response.bytes(1024 * 1024)).rejects.toMatchObject({ code: GrpcCode.DeadlineExceeded, message: expect.stringContaining('within 300 ms') });
  });

  it('defaults: 60 s for whole bodies, 15 min for blobs', () => {
    expect(DEFAULT_DEADLINE_MS).toBe(60_000);
    expect(DEFAULT_BLOB_DEADLINE_MS).toBe(15 * 60_000);
  });
});
