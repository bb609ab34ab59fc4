import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { backoffDelay, sleep } from '../../backoff';
import { CodedError, GrpcCode } from '../../errors';
import { IdleTimeoutBody, readAll } from './body';
import { nodeBodyOf } from './pinned-fetch';
import { networkReason, registryFailure } from './errors';
import type { HostPolicy } from './host-policy';

export type FetchFunction = typeof fetch;

export interface TransportOptions {
  fetch: FetchFunction;
  /** Called with the addresses the host policy checked for a name, before fetch connects to it (DNS pinning). */
  pin?: (hostname: string, addresses: string[]) => void;
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
  /**
   * Overall time for a request whose body is small and read whole (manifests, tokens), counted from the first attempt:
   * every attempt, wait, redirect and the whole body. The idle timeout alone lets a registry that trickles a byte
   * now and then hold a request open for ever. Default 60 s (DEFAULT_DEADLINE_MS).
   */
  deadlineMs?: number;
  /**
   * Overall time for a blob request (a `/blobs/` URL), body included. A blob whose Content-Length is known gets less:
   * `deadlineMs` plus its length at 256 KiB/s (BLOB_DEADLINE_BYTES_PER_SECOND), so that a small blob (an image
   * config) is not allowed the time of a large layer. Default 15 min (DEFAULT_BLOB_DEADLINE_MS).
   */
  blobDeadlineMs?: number;
}

export const DEFAULT_DEADLINE_MS = 60_000;
export const DEFAULT_BLOB_DEADLINE_MS = 15 * 60_000;
/** The slowest transfer rate a blob of known length is granted, past `deadlineMs`. */
export const BLOB_DEADLINE_BYTES_PER_SECOND = 256 * 1024;

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
  /** Overall time for this request, body included, instead of the one its URL calls for (see TransportOptions). */
  deadlineMs?: number;
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
/** `/v2/<name>/blobs/<algorithm>:<encoded>`: the requests that get the blob deadline. */
const BLOB_PATH = /\/blobs\/[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
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

/**
 * One request's overall deadline: a timer that aborts `signal` with the DeadlineExceeded failure, which can be moved
 * earlier (never later) once the body's length is known, and is cleared when the request is over.
 */
class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private at: number;

  constructor(
    ms: number,
    private readonly failure: (ms: number) => Error,
    private readonly started = Date.now(),
  ) {
    this.at = started + ms;
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  get error(): Error {
    return this.controller.signal.reason as Error;
  }

  /** Milliseconds left, at least 0. */
  remaining(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** Brings the deadline forward to `ms` after the request's start, if that is earlier. */
  tighten(ms: number): void {
    const at = this.started + Math.ceil(ms);
    if (this.expired || at >= this.at) return;
    this.at = at;
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.clear();
    const total = this.at - this.started;
    this.timer = setTimeout(() => this.controller.abort(this.failure(total)), this.remaining());
    // A request that is never read to its end must not keep the process alive.
    this.timer.unref();
  }
}

/** Some TLS failures reach here without their code, only OpenSSL's words. */
const TLS_TEXT = /\bEPROTO\b|SSL routines|wrong version number|certificate/i;
const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO$)/;

/** The reason of a TLS failure (certificate, handshake, plain HTTP spoken back), undefined for other failures. */
export function tlsProblem(err: unknown): string | undefined {
  // Not instanceof Error: errors of Node's core may come from another realm (jest's, for one).
  for (
    let current = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
    typeof current === 'object' && current !== null;
    current = current.cause as typeof current
  ) {
    const code = current.code;
    const text = String(current.message ?? '')
      .split('\n')[0]
      .slice(0, 200);
    if (typeof code === 'string' && TLS_CODES.test(code)) return `${code}: ${text}`;
    if (TLS_TEXT.test(text)) return text;
  }
  return undefined;
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

  /**
   * Sends the request, retrying where worth it, within its overall deadline: the deadline goes on running while the
   * caller reads the body, and ends it (DeadlineExceeded) when it passes first.
   */
  async send(request: TransportRequest): Promise<RegistryResponse> {
    const isBlob = request.deadlineMs === undefined && BLOB_PATH.test(new URL(request.url).pathname);
    const deadline = new Deadline(this.deadlineFor(request, isBlob), (ms) =>
      registryFailure(GrpcCode.DeadlineExceeded, request.what, `the registry did not answer in full within ${ms} ms`),
    );
    try {
      const response = await this.sendWithin(request, deadline);
      return this.bounded(response, deadline, isBlob);
    } catch (err) {
      deadline.clear();
      throw err;
    }
  }

  private deadlineFor(request: TransportRequest, isBlob: boolean): number {
    if (request.deadlineMs !== undefined) return request.deadlineMs;
    return isBlob ? (this.options.blobDeadlineMs ?? DEFAULT_BLOB_DEADLINE_MS) : (this.options.deadlineMs ?? DEFAULT_DEADLINE_MS);
  }

  private async sendWithin(request: TransportRequest, deadline: Deadline): Promise<RegistryResponse> {
    const waits = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
    let lastFailure: RetryableFailure | undefined;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt), waits);
      if (request.signal?.aborted) throw cancelled(request.what, request.signal);
      if (deadline.expired) throw deadline.error;
      let response: RegistryResponse;
      try {
        response = await this.attempt(request, deadline);
      } catch (err) {
        if (!(err instanceof RetryableFailure)) throw err;
        if (request.signal?.aborted) throw cancelled(request.what, request.signal);
        if (deadline.expired) throw deadline.error;
        lastFailure = err;
        continue;
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt === this.options.retries) return response;
      response.discard();
      const wait = retryAfterMs(response.headers.get('retry-after'));
      if (wait !== undefined) await sleep(Math.min(wait, this.options.maxRetryDelayMs), waits);
    }
    if (deadline.expired) throw deadline.error;
    const failure = lastFailure as RetryableFailure;
    throw registryFailure(GrpcCode.Unavailable, request.what, `registry unreachable: ${failure.reason}`, { cause: failure.cause_ });
  }

  /**
   * The response with the deadline on its body: a blob of known length gets `deadlineMs` plus its length at the
   * slowest rate granted, if that is sooner; the deadline is cleared once the body is over.
   */
  private bounded(response: RegistryResponse, deadline: Deadline, isBlob: boolean): RegistryResponse {
    const length = response.headers.get('content-length');
    if (isBlob && length !== null && /^\d+$/.test(length)) {
      deadline.tighten((this.options.deadlineMs ?? DEFAULT_DEADLINE_MS) + (Number(length) * 1000) / BLOB_DEADLINE_BYTES_PER_SECOND);
    }
    const open = response.stream;
    return {
      ...response,
      stream: () => {
        const stream = open();
        stream.once('close', () => deadline.clear());
        return stream;
      },
      bytes: async (limit) => {
        try {
          return await response.bytes(limit);
        } finally {
          deadline.clear();
        }
      },
      discard: () => {
        deadline.clear();
        response.discard();
      },
    };
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.options.retryBaseMs, this.options.maxRetryDelayMs);
  }

  private async attempt(request: TransportRequest, deadline: Deadline): Promise<RegistryResponse> {
    const origin = new URL(request.url).origin;
    let url = request.url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const target = new URL(url);
      await this.checkTarget(target, request);
      const headers: Record<string, string> = { 'User-Agent': this.options.userAgent, ...request.headers };
      if (request.authorization && target.origin === origin) headers.Authorization = request.authorization;

      // Aborting the controller ends the fetch, its body included: the deadline does so too.
      const controller = new AbortController();
      const onDeadline = () => controller.abort(deadline.error);
      if (deadline.expired) throw deadline.error;
      deadline.signal.addEventListener('abort', onDeadline, { once: true });
      controller.signal.addEventListener('abort', () => deadline.signal.removeEventListener('abort', onDeadline), { once: true });
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
        if (deadline.expired) throw deadline.error;
        const tls = target.protocol === 'https:' ? tlsProblem(err) : undefined;
        if (tls) {
          // Not worth another attempt: the handshake will fail the same way.
          throw registryFailure(
            GrpcCode.Unavailable,
            request.what,
            `TLS with ${target.host} failed (${tls}); if ${target.host} serves plain HTTP or a certificate this machine does not trust, name it in --insecure-registry or LAMINA_INSECURE_REGISTRIES`,
            { cause: err },
          );
        }
        throw new RetryableFailure(timedOut ? `no response within ${this.options.timeoutMs} ms` : networkReason(err), err);
      } finally {
        clearTimeout(timer);
      }

      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location) {
        nodeBodyOf(response)?.destroy();
        await response.body?.cancel().catch(() => undefined);
        controller.abort();
        url = new URL(location, url).toString();
        continue;
      }
      return this.wrap(response, url, controller, request, deadline);
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
      const policy = this.options.hostPolicy;
      if (policy.checkedAddresses && this.options.pin) {
        // The connection goes to what was checked: a second DNS answer (rebinding) cannot send it elsewhere.
        const addresses = await policy.checkedAddresses(target.hostname);
        if (addresses) this.options.pin(target.hostname, addresses);
      } else {
        await policy.checkConnect(target.hostname);
      }
    } catch (err) {
      if (err instanceof CodedError) throw new CodedError(err.code, `image enrichment error: ${what}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private wrap(response: Response, url: string, controller: AbortController, request: TransportRequest, deadline: Deadline): RegistryResponse {
    const { what, signal } = request;
    let stream: Readable | undefined;
    const idleMs = this.options.idleTimeoutMs;
    const open = (): Readable => {
      if (stream) throw new Error('response body already consumed');
      const failure = (err: unknown) => {
        if (err instanceof CodedError) return err;
        if (signal?.aborted) return cancelled(what, signal);
        if (deadline.expired) return deadline.error;
        return registryFailure(GrpcCode.Unavailable, what, `connection lost while reading: ${networkReason(err)}`, { cause: err });
      };
      const idle = () => registryFailure(GrpcCode.Unavailable, what, `registry sent no data for ${idleMs} ms`);
      // A pinned fetch's body is a Node stream already; another fetch's (a test's) is adapted.
      const source = nodeBodyOf(response) ?? (response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]));
      const opened = new IdleTimeoutBody(source, idleMs, idle, failure, () => controller.abort());
      stream = opened;
      // The deadline ends the body wherever its reader is: waiting for bytes, or not reading at all.
      const onDeadline = () => opened.destroy(deadline.error);
      if (deadline.expired) process.nextTick(onDeadline);
      else deadline.signal.addEventListener('abort', onDeadline, { once: true });
      opened.once('close', () => deadline.signal.removeEventListener('abort', onDeadline));
      return opened;
    };
    return {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      url,
      stream: open,
      bytes: (limit) => readAll(open(), limit, () => registryFailure(GrpcCode.FailedPrecondition, what, `response is larger than ${limit} bytes`)),
      discard: () => {
        if (stream) stream.destroy();
        else if (nodeBodyOf(response)) nodeBodyOf(response)!.destroy();
        else response.body?.cancel().catch(() => undefined);
        controller.abort();
      },
    };
  }
}
