/**
 * fetch for the registry client whose connections go to the addresses the host policy checked, not to whatever a
 * second DNS answer says (DNS rebinding). Node's own fetch takes no `lookup`; undici's Agent would, but adds half a
 * megabyte to every scan bundle, so this is the small subset the transport uses (GET/HEAD, headers, a streamed
 * body, abort, no redirects followed) over node:http and node:https, whose agents take a `lookup`. A body is handed
 * over as the Node stream it is ({@link nodeBodyOf}), not through a web stream: a layer is thousands of chunks, and
 * the adapters both ways cost the scan's main thread more than the bytes' hashing.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import type { FetchFunction } from './transport';

export interface PinnedFetch {
  fetch: FetchFunction;
  /** The addresses connections to `hostname` must use from now on (until pinned again). */
  pin(hostname: string, addresses: string[]): void;
}

/** Pinned names kept at most; the oldest goes first. */
const MAX_PINS = 1024;
/** Statuses whose responses have no body, as fetch's Response requires. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** The bodies of this fetch's responses, which carry none of their own (`response.body` is null). */
const nodeBodies = new WeakMap<Response, IncomingMessage>();

/** The body of a response of a pinned fetch as a Node stream, unread; undefined for any other response or none. */
export function nodeBodyOf(response: Response): Readable | undefined {
  return nodeBodies.get(response);
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

function requestHeaders(init: RequestInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

export function createPinnedFetch(): PinnedFetch {
  const pins = new Map<string, string[]>();
  const lookup = ((hostname: string, options: LookupAllOptions, callback: (...args: unknown[]) => void) => {
    const pinned = pins.get(hostname.toLowerCase());
    if (!pinned) return dnsLookup(hostname, options, callback as never);
    const entries: LookupAddress[] = pinned.map((address) => ({ address, family: isIP(address) }));
    if (options?.all) callback(null, entries);
    else callback(null, entries[0].address, entries[0].family);
  }) as unknown as LookupFunction;
  const agents = { 'http:': new HttpAgent({ keepAlive: true, lookup }), 'https:': new HttpsAgent({ keepAlive: true, lookup }) };

  const pinnedFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new TypeError(`unsupported protocol ${url.protocol}`));
      const method = init?.method ?? 'GET';
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method, headers: requestHeaders(init), agent: agents[url.protocol], signal: init?.signal ?? undefined }, (res) => {
        const status = res.statusCode ?? 0;
        // A hostile server's impossible status or headers are a failed request, never an exception in a callback.
        try {
          if (status < 200 || status > 599) throw new Error(`the server answered with HTTP status ${status}`);
          const response = new Response(null, { status, statusText: res.statusMessage ?? '', headers: headersOf(res) });
          if (NULL_BODY.has(status) || method === 'HEAD') res.resume();
          else {
            // Until a reader opens the body, a connection reset or an abort must not be an unhandled 'error'.
            res.on('error', () => undefined);
            nodeBodies.set(response, res);
          }
          resolve(response);
        } catch (err) {
          res.destroy();
          reject(err);
        }
      });
      req.on('error', reject);
      req.end();
    });

  return {
    fetch: pinnedFetch as FetchFunction,
    pin(hostname, addresses) {
      const key = hostname.toLowerCase();
      pins.delete(key);
      pins.set(key, addresses);
      if (pins.size > MAX_PINS) pins.delete(pins.keys().next().value as string);
    },
  };
}
