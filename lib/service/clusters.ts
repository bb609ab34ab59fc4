/**
 * Delegated scanners ("clusters"): other deployments of this service, e.g. inside a VPC that reaches private
 * registries. A ScanImage request naming a cluster is forwarded there and its answer relayed.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { CodedError, GrpcCode } from '../errors';
import type { StorageImage, V1ScanImageRequest } from '../stackrox/types';

/** One delegated scanner, in the shape the CDK app passes in LAMINA_CLUSTERS: `[{"id", "name", "endpoint"}]`. */
export interface ClusterConfig {
  id: string;
  name: string;
  /** Base URL of that deployment's API (an API Gateway stage URL in AWS); `/v1/images/scan` is appended. */
  endpoint: string;
}

/** Finds the cluster a request names. */
export interface ClusterDirectory {
  find(idOrName: string): Promise<ClusterConfig | undefined>;
}

/** Runs a ScanImage request on a cluster and returns its answer, or throws its error as a CodedError. */
export interface ScanForwarder {
  forward(cluster: ClusterConfig, request: V1ScanImageRequest, signal?: AbortSignal): Promise<StorageImage>;
}

/** The ImageService's port for `cluster`: where clusters are found and how requests reach them. */
export interface ClusterDelegation {
  directory: ClusterDirectory;
  forwarder: ScanForwarder;
}

const IDENTIFIER = /^[A-Za-z0-9._-]{1,64}$/;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** https everywhere; plain http only to this machine (local mode and tests), where nothing crosses a network. */
function endpointProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an https:// URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) return 'must be an https:// URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

const clustersSchema = z
  .array(
    z.strictObject({
      id: z.string().check(z.regex(IDENTIFIER, 'must be 1-64 letters, digits, ".", "_" or "-"')),
      name: z.string().check(z.minLength(1, 'must not be empty')),
      endpoint: z.string().check(
        z.superRefine((value: string, ctx) => {
          const problem = endpointProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      ),
    }),
  )
  .check(z.refine((list: ClusterConfig[]) => new Set(list.map((c) => c.id)).size === list.length, { message: 'cluster ids must be unique' }));

/** zod/mini registers no locale: English is passed per parse, so type errors read as full zod words them. */
const ENGLISH = { error: en().localeError };

/**
 * Reads LAMINA_CLUSTERS: a JSON array of `{id, name, endpoint}`, validated as the CDK settings validate it (plus
 * http to loopback for local use). Unset or empty means no clusters. Anything malformed is a configuration error
 * that names the entry at fault, so a misconfigured deployment fails at start rather than on some request.
 */
export function parseClusters(text: string | undefined, variable = 'LAMINA_CLUSTERS'): ClusterConfig[] {
  if (text === undefined || text.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${variable} is not JSON: ${(err as Error).message}`);
  }
  const parsed = clustersSchema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'value';
    throw new Error(`${variable} ${where}: ${issue.message}`);
  }
  return parsed.data;
}

/** Clusters fixed by configuration: a request's `cluster` matches an id first, then an exact name. */
export class StaticClusterDirectory implements ClusterDirectory {
  constructor(private readonly clusters: readonly ClusterConfig[]) {}

  async find(idOrName: string): Promise<ClusterConfig | undefined> {
    return this.clusters.find((cluster) => cluster.id === idOrName) ?? this.clusters.find((cluster) => cluster.name === idOrName);
  }
}

/** An HTTP request about to be sent, for a signer to sign. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Adds authentication to a request (SigV4 for API Gateway endpoints); returns the headers to send. */
export interface RequestSigner {
  sign(request: OutgoingRequest): Promise<Record<string, string>>;
}

export interface HttpScanForwarderOptions {
  /** The signer for an endpoint, or undefined to send it unsigned. */
  signerFor?: (endpoint: URL) => RequestSigner | undefined;
  fetch?: typeof fetch;
  /** Upper bound on one forwarded request (API Gateway answers within 29 s anyway). Default 60 s. */
  timeoutMs?: number;
}

/** Seconds a client is told to wait before retrying when a cluster did not answer in time. */
const RETRY_AFTER_SECONDS = 10;

/** The gRPC code a non-StackRox error answer stands for, by its HTTP status. */
function codeForStatus(status: number): GrpcCode {
  switch (status) {
    case 400:
      return GrpcCode.InvalidArgument;
    case 401:
      return GrpcCode.Unauthenticated;
    case 403:
      return GrpcCode.PermissionDenied;
    case 404:
      return GrpcCode.NotFound;
    case 409:
      return GrpcCode.AlreadyExists;
    case 429:
      return GrpcCode.ResourceExhausted;
    case 501:
      return GrpcCode.Unimplemented;
    case 504:
      return GrpcCode.DeadlineExceeded;
    default:
      return status === 502 || status === 503 ? GrpcCode.Unavailable : status >= 500 ? GrpcCode.Internal : GrpcCode.Unknown;
  }
}

function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A StackRox CodedError body: `{"error", "code", "message", "details"}` with a gRPC code. */
function runtimeErrorBody(value: unknown): { code: GrpcCode; message: string } | undefined {
  if (!isRecord(value)) return undefined;
  const code = value.code;
  const message = typeof value.message === 'string' && value.message !== '' ? value.message : value.error;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 1 || code > 16 || typeof message !== 'string') return undefined;
  return { code, message };
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const parts = [cause?.code, cause?.message ?? (err as Error).message].filter((part): part is string => Boolean(part));
  return [...new Set(parts)].join(' ') || String(err);
}

/**
 * Forwards ScanImage over HTTPS: `POST <endpoint>/v1/images/scan` with the request (cluster cleared, so the other
 * deployment scans itself), signed when the endpoint wants it. Its answer is relayed: an image as is, a StackRox
 * error with its code and message. A cluster that cannot be reached or does not answer in time is 503 / code 14;
 * an answer that is not a StackRox one is Unavailable (5xx) or Internal.
 */
export class HttpScanForwarder implements ScanForwarder {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpScanForwarderOptions = {}) {
    this.fetch = options.fetch ?? fetch;
  }

  async forward(cluster: ClusterConfig, request: V1ScanImageRequest, signal?: AbortSignal): Promise<StorageImage> {
    const url = new URL(`${cluster.endpoint.replace(/\/+$/, '')}/v1/images/scan`);
    const body = JSON.stringify({ imageName: request.imageName, force: request.force, includeSnoozed: request.includeSnoozed });
    let headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const signer = this.options.signerFor?.(url);
    if (signer) headers = await signer.sign({ method: 'POST', url, headers, body });

    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const label = `cluster "${cluster.name}"`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, { method: 'POST', headers, body, signal: combined, redirect: 'error' });
      text = await response.text();
    } catch (err) {
      if (combined.aborted) {
        throw new CodedError(GrpcCode.Unavailable, `${label} did not answer the scan of ${request.imageName} in time, retry`, {
          cause: err,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      throw new CodedError(GrpcCode.Unavailable, `${label} is unreachable at ${url.origin}: ${describeCause(err)}`, { cause: err });
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const code = response.status >= 500 ? GrpcCode.Unavailable : GrpcCode.Internal;
      throw new CodedError(code, `${label} answered HTTP ${response.status} with a body that is not JSON`);
    }
    if (response.status === 200) {
      if (!isRecord(json) || typeof json.id !== 'string') throw new CodedError(GrpcCode.Internal, `${label} answered with something that is not an image`);
      return json as unknown as StorageImage;
    }
    const relayed = runtimeErrorBody(json);
    if (relayed) throw new CodedError(relayed.code, relayed.message, { retryAfterSeconds: retryAfter(response.headers) });
    // Not a StackRox body: API Gateway's own refusals ({"message": "Forbidden"}) and the like.
    const reason = isRecord(json) && typeof (json.message ?? json.Message) === 'string' ? `: ${String(json.message ?? json.Message)}` : '';
    throw new CodedError(codeForStatus(response.status), `${label} answered HTTP ${response.status}${reason}`, {
      retryAfterSeconds: retryAfter(response.headers),
    });
  }
}
