import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse } from '../api/http-types';
import { errorResponse } from '../api/render';
import { CodedError, GrpcCode, invalidArgument } from '../errors';

/** Request bodies above this are refused: a ScanImage request is a few hundred bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

export type ApiHandler = (request: ApiRequest, signal: AbortSignal) => Promise<ApiResponse>;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CodedError(GrpcCode.ResourceExhausted, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toApiRequest(req: IncomingMessage, body: string): ApiRequest {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body };
}

function send(res: ServerResponse, response: ApiResponse): void {
  res.writeHead(response.statusCode, { ...response.headers, 'content-length': String(response.body.length) });
  res.end(response.body);
}

export interface ApiServerOptions {
  /** Time a client has to send its whole request, headers and body (default 60 s): a slow client cannot hold a socket. */
  requestTimeoutMs?: number;
}

/** Hosts an ApiHandler on node:http, the same handler the Lambda adapter hosts on API Gateway. */
export function createApiServer(handler: ApiHandler, options: ApiServerOptions = {}): Server {
  const requestTimeout = options.requestTimeoutMs ?? 60_000;
  // Node checks the timeouts on this interval (30 s by default): check often enough for the timeout to mean something.
  const timeouts = { requestTimeout, headersTimeout: Math.min(requestTimeout, 30_000), connectionsCheckingInterval: Math.min(5_000, requestTimeout / 2) };
  const server = createServer(timeouts, (req, res) => {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client went away'));
    });
    void (async () => {
      let request: ApiRequest = { method: req.method ?? 'GET', path: req.url ?? '/', query: {}, headers: {} };
      try {
        request = toApiRequest(req, await readBody(req));
        send(res, await handler(request, controller.signal));
      } catch (err) {
        if (!res.headersSent)
          send(res, errorResponse(request, err instanceof CodedError ? err : invalidArgument(`malformed request: ${(err as Error).message}`)));
        else res.destroy();
      }
    })();
  });
  // Only the receiving of the request is bounded here; answering it is bounded by the scan deadline.
  return server;
}
