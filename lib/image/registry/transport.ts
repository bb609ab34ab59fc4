import type { Readable } from 'node:stream';
import { CodedError, GrpcCode } from '../../errors';
import { IdleTimeoutBody, readAll } from './body';
import { networkReason, registryFailure } from './errors';
import type { HostPolicy } from './host-policy';

export type FetchFunction = typeof fetch;

export interface TransportOptions {
  fetch: FetchFunction;
  hostPolicy: HostPolicy;
  /** May plain HTTP be used for this host[:port]? */
  allowsPlainHttp: (host: string) => boolean;
  /** Time allowed until response headers arrive, per attempt. */
  timeoutMs: number;
  /** Time a body read may wait for bytes. */
  idleTimeoutMs: number;
  /** Further attempts after the first for 429, 5xx, resets and timeouts. */
  retries: number;
  /** First backoff step; doubled per attempt, with jitter. */
  retryBaseMs: number;
  /** Upper bound for any wait between attempts, Retry-After included. */
  maxRetryDelayMs: number;
  userAgent: string;
}

export interface TransportRequest {
  method: 'GET' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  /** Sent only to the request URL's own origin, never to a redirect target elsewhere. */
  authorization?: string;
  signal?: AbortSignal;
  /** Plain HTTP allowed for this request even where the insecure list does not name the host (a token realm). */
  allowPlainHttp?: boolean;
  /** `failed to fetch manifest for <image>`: the start of every error message. */
  what: string;
}

export interface RegistryResponse {
  status: number;
  statusText: string;
  headers: Headers;
  /** The URL that answered, after redirects. */
  url: string;
  /** The body as a Node stream with the idle timeout applied; once. */
  stream(): Readable;
  /** The whole body, failing past `limit` bytes. */
  bytes(limit: number): Promise<Buffer>;
  /** Drops the body without reading it. */
  discard(): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** Thrown inside an attempt for failures worth another attempt. */
class RetryableFailure extends Error {
  constructor(
    readonly reason: string,
    readonly cause_: unknown,
  ) {
    super(reason);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Retry-After in milliseconds (seconds or an HTTP date), undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function cancelled(what: string, signal: AbortSignal): CodedError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the request was cancelled';
  return registryFailure(GrpcCode.DeadlineExceeded, what, reason, { cause: signal.reason });
}

/**
 * HTTP for the registry client: GET/HEAD only, each connection checked by the host policy, redirects followed by
 * hand without the Authorization header once the origin changes, timeouts on headers and body reads, and
 * bounded retries with exponential backoff and jitter on 429, 5xx, resets and timeouts.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async send(request: TransportRequest): Promise<RegistryResponse> {
    let lastFailure: RetryableFailure | undefined;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt), request.signal);
      if (request.signal?.aborted) throw cancelled(request.what, request.signal);
      let response: RegistryResponse;
      try {
        response = await this.attempt(request);
      } catch (err) {
        if (!(err instanceof RetryableFailure)) throw err;
        if (request.signal?.aborted) throw cancelled(request.what, request.signal);
        lastFailure = err;
        continue;
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt === this.options.retries) return response;
      response.discard();
      const wait = retryAfterMs(response.headers.get('retry-after'));
      if (wait !== undefined) await sleep(Math.min(wait, this.options.maxRetryDelayMs), request.signal);
    }
    const failure = lastFailure as RetryableFailure;
    throw registryFailure(GrpcCode.Unavailable, request.what, `registry unreachable: ${failure.reason}`, { cause: failure.cause_ });
  }

  private backoff(attempt: number): number {
    const step = Math.min(this.options.maxRetryDelayMs, this.options.retryBaseMs * 2 ** (attempt - 1));
    return step / 2 + Math.random() * (step / 2);
  }

  private async attempt(request: TransportRequest): Promise<RegistryResponse> {
    const origin = new URL(request.url).origin;
    let url = request.url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const target = new URL(url);
      await this.checkTarget(target, request);
      const headers: Record<string, string> = { 'User-Agent': this.options.userAgent, ...request.headers };
      if (request.authorization && target.origin === origin) headers.Authorization = request.authorization;

      const controller = new AbortController();
      const signals = request.signal ? [controller.signal, request.signal] : [controller.signal];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.options.timeoutMs);
      let response: Response;
      try {
        response = await this.options.fetch(url, { method: request.method, headers, redirect: 'manual', signal: AbortSignal.any(signals) });
      } catch (err) {
        if (request.signal?.aborted) throw cancelled(request.what, request.signal);
        throw new RetryableFailure(timedOut ? `no response within ${this.options.timeoutMs} ms` : networkReason(err), err);
      } finally {
        clearTimeout(timer);
      }

      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location) {
        await response.body?.cancel().catch(() => undefined);
        url = new URL(location, url).toString();
        continue;
      }
      return this.wrap(response, url, controller, request);
    }
    throw registryFailure(GrpcCode.Unavailable, request.what, `more than ${MAX_REDIRECTS} redirects`);
  }

  private async checkTarget(target: URL, request: TransportRequest): Promise<void> {
    const what = request.what;
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      throw registryFailure(GrpcCode.PermissionDenied, what, `refusing to fetch ${target.protocol} URL from ${target.host}`);
    }
    if (target.protocol === 'http:' && !request.allowPlainHttp && !this.options.allowsPlainHttp(target.host)) {
      throw registryFailure(GrpcCode.PermissionDenied, what, `plain HTTP to ${target.host} is refused: it is not an insecure registry`);
    }
    try {
      await this.options.hostPolicy.checkConnect(target.hostname);
    } catch (err) {
      if (err instanceof CodedError) throw new CodedError(err.code, `image enrichment error: ${what}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private wrap(response: Response, url: string, controller: AbortController, request: TransportRequest): RegistryResponse {
    const { what, signal } = request;
    let stream: Readable | undefined;
    const idleMs = this.options.idleTimeoutMs;
    const open = (): Readable => {
      if (stream) throw new Error('response body already consumed');
      const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      stream = new IdleTimeoutBody(
        body,
        idleMs,
        () => registryFailure(GrpcCode.Unavailable, what, `registry sent no data for ${idleMs} ms`),
        (err) => {
          if (err instanceof CodedError) return err;
          if (signal?.aborted) return cancelled(what, signal);
          return registryFailure(GrpcCode.Unavailable, what, `connection lost while reading: ${networkReason(err)}`, { cause: err });
        },
        () => controller.abort(),
      );
      return stream;
    };
    return {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      url,
      stream: open,
      bytes: (limit) =>
        readAll(open(), limit, () => registryFailure(GrpcCode.FailedPrecondition, what, `response is larger than ${limit} bytes`)),
      discard: () => {
        if (stream) stream.destroy();
        else response.body?.cancel().catch(() => undefined);
        controller.abort();
      },
    };
  }
}
