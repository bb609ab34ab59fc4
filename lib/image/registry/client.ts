import { pipeline, type Readable } from 'node:stream';
import { CodedError, GrpcCode } from '../../errors';
import { digestProblem } from '../reference';
import type { Descriptor, ImageConfig, ImageManifest, ImageReference, ImageSource, Platform, ResolvedImage } from '../types';
import { Authenticator, type AuthTarget } from './auth';
import { readAll } from './body';
import { CredentialChain, defaultCredentials, type CredentialProvider, type RegistryCredentials } from './credentials';
import { digestMismatch, digestOf, matchesDigest, VerifyingStream } from './digest';
import { HostSet, registryBaseUrl } from './endpoint';
import { codeForStatus, registryFailure, registryReason } from './errors';
import { DefaultHostPolicy, type HostPolicy } from './host-policy';
import { MANIFEST_ACCEPT, MEDIA_TYPES, parseManifest, selectPlatform, type ParsedManifest } from './manifest';
import { createPinnedFetch } from './pinned-fetch';
import { retryAfterMs, Transport, type FetchFunction, type RegistryResponse } from './transport';

export interface RegistryClientOptions {
  /** Credentials per registry host, asked before LAMINA_REGISTRY_CREDENTIALS and Docker's config.json. */
  credentials?: CredentialProvider;
  /** An explicit host → credentials map, asked first. */
  registryCredentials?: Record<string, RegistryCredentials>;
  /** host[:port] of registries that may be reached over plain HTTP; all others use HTTPS. */
  insecureRegistries?: string[];
  /** Reach loopback registries (localhost, 127.0.0.0/8, ::1) over plain HTTP without naming them (default true). */
  loopbackPlainHttp?: boolean;
  /** Replaces the default policy built from `allowedRegistries` and `allowedPrivateHosts`. */
  hostPolicy?: HostPolicy;
  allowedRegistries?: string[];
  allowedPrivateHosts?: string[];
  /** Platform picked from an index; linux/amd64 by default. */
  platform?: Platform;
  /** Time allowed for response headers, per attempt (default 30 s). */
  timeoutMs?: number;
  /** Time a body read may wait for bytes (default: timeoutMs). */
  idleTimeoutMs?: number;
  /** Longest a manifest, config or token request may take in all, retries and body included (default 60 s). */
  deadlineMs?: number;
  /** Longest a layer blob may take in all (default 15 min). */
  blobDeadlineMs?: number;
  /** Further attempts for 429, 5xx, resets and timeouts (default 3). */
  retries?: number;
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  userAgent?: string;
  fetch?: FetchFunction;
  /** Largest manifest accepted (default 4 MiB). */
  maxManifestBytes?: number;
  /** Largest blob `getBlobBytes` reads, the image config among them (default 16 MiB). */
  maxConfigBytes?: number;
  /** Environment for LAMINA_REGISTRY_CREDENTIALS and DOCKER_CONFIG (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const MIB = 1024 * 1024;
const ERROR_BODY_LIMIT = 64 * 1024;

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

function withContext(err: unknown, what: string): unknown {
  if (err instanceof CodedError && !err.message.startsWith('image enrichment error')) {
    return new CodedError(err.code, `image enrichment error: ${what}: ${err.message}`, { cause: err });
  }
  return err;
}

/** An ImageSource over the Distribution API v2 (Docker Hub, registry:2, ECR, GHCR, Quay, …). */
export class RegistryClient implements ImageSource {
  private readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly credentials: CredentialProvider;
  private readonly hostPolicy: HostPolicy;
  private readonly insecure: HostSet;
  private readonly platform: Platform;
  private readonly maxManifestBytes: number;
  private readonly maxConfigBytes: number;

  constructor(options: RegistryClientOptions = {}) {
    this.insecure = new HostSet(options.insecureRegistries ?? [], { loopback: options.loopbackPlainHttp ?? true });
    this.hostPolicy =
      options.hostPolicy ?? new DefaultHostPolicy({ allowedRegistries: options.allowedRegistries, allowedPrivateHosts: options.allowedPrivateHosts });
    this.platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * MIB;
    this.maxConfigBytes = options.maxConfigBytes ?? 16 * MIB;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const pinned = options.fetch ? undefined : createPinnedFetch();
    this.transport = new Transport({
      fetch: options.fetch ?? pinned!.fetch,
      pin: pinned?.pin,
      hostPolicy: this.hostPolicy,
      allowsPlainHttp: (host) => this.insecure.has(host),
      timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? timeoutMs,
      deadlineMs: options.deadlineMs,
      blobDeadlineMs: options.blobDeadlineMs,
      retries: Math.max(0, options.retries ?? 3),
      retryBaseMs: options.retryBaseMs ?? 250,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000,
      userAgent: options.userAgent ?? 'lamina',
    });
    this.credentials = new CredentialChain([options.credentials, defaultCredentials({ explicit: options.registryCredentials, env: options.env })]);
    this.auth = new Authenticator(this.transport, this.credentials, (registry) => this.insecure.has(registry));
  }

  checkReference(reference: ImageReference): void {
    try {
      this.hostPolicy.checkRegistry(reference.registry);
    } catch (err) {
      throw withContext(err, `failed to fetch manifest for ${reference.fullName}`);
    }
  }

  async resolve(reference: ImageReference, options: { platform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    const what = `failed to fetch manifest for ${reference.fullName}`;
    const first = await this.fetchManifest(reference, reference.digest ?? reference.tag, reference.digest, what, options.signal);
    let manifest: ImageManifest;
    let manifestDigest: string;
    if (first.parsed.kind === 'index') {
      const chosen = selectPlatform(first.parsed.manifests, options.platform ?? this.platform, what);
      const child = await this.fetchManifest(reference, chosen.digest, chosen.digest, what, options.signal);
      if (child.parsed.kind !== 'image') {
        throw registryFailure(GrpcCode.FailedPrecondition, what, `unsupported manifest: the index entry ${chosen.digest} is itself an index`);
      }
      manifest = child.parsed.manifest;
      manifestDigest = chosen.digest;
    } else {
      manifest = first.parsed.manifest;
      manifestDigest = first.digest;
    }

    const configWhat = `failed to fetch image config ${manifest.config.digest} for ${reference.fullName}`;
    const configBytes = await this.getBlobBytes(reference, manifest.config, { signal: options.signal });
    let config: ImageConfig;
    try {
      config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    } catch {
      throw registryFailure(GrpcCode.FailedPrecondition, configWhat, 'the image config is not JSON');
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      throw registryFailure(GrpcCode.FailedPrecondition, configWhat, 'the image config is not a JSON object');
    }
    const resolved: ResolvedImage = { reference, manifestDigest: reference.digest ?? manifestDigest, manifest, config, configDigest: manifest.config.digest };
    if (first.parsed.kind === 'index') resolved.index = { digest: first.digest, platformManifestDigest: manifestDigest };
    return resolved;
  }

  /**
   * Streams a blob, verifying size and digest as bytes pass: the stream errors (DataLoss, digest mismatch) as soon
   * as it grows past the descriptor's size, or at its end when the digest differs.
   */
  async openBlob(reference: ImageReference, descriptor: Descriptor, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const what = `failed to fetch blob ${descriptor.digest} for ${reference.fullName}`;
    const problem = digestProblem(descriptor.digest);
    if (problem) throw registryFailure(GrpcCode.FailedPrecondition, what, `the descriptor's digest is invalid: ${problem}`);
    const response = await this.request(reference, `blobs/${descriptor.digest}`, {}, what, options.signal);
    if (response.status !== 200) await this.fail(response, what, reference);
    const length = response.headers.get('content-length');
    if (length !== null && /^\d+$/.test(length) && Number(length) !== descriptor.size && descriptor.size >= 0) {
      response.discard();
      throw digestMismatch(what, descriptor.digest, `the registry announced ${length} bytes instead of ${descriptor.size}`);
    }
    const verifier = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size }, what);
    pipeline(response.stream(), verifier, () => undefined);
    return verifier;
  }

  /** A small blob (an image config) read whole, verified, refused past `maxBytes` (default 16 MiB). */
  async getBlobBytes(reference: ImageReference, descriptor: Descriptor, options: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<Buffer> {
    const limit = options.maxBytes ?? this.maxConfigBytes;
    const what = `failed to fetch blob ${descriptor.digest} for ${reference.fullName}`;
    if (descriptor.size > limit) {
      throw registryFailure(GrpcCode.FailedPrecondition, what, `the blob is ${descriptor.size} bytes, more than the ${limit} allowed`);
    }
    const stream = await this.openBlob(reference, descriptor, options);
    return readAll(stream, limit, () => registryFailure(GrpcCode.FailedPrecondition, what, `the blob is larger than ${limit} bytes`));
  }

  /**
   * The manifest under `tag` (or digest) in the reference's repository, or undefined when the registry has none
   * (404): how cosign's `sha256-<hex>.sig` signature tags, the referrers fallback tag `sha256-<hex>` and referrers
   * themselves are read. Same credentials, host policy, size limit and digest check as an image's own manifests
   * (a digest asked for must match the body); any other failure throws as they do. `body` is the manifest as served.
   */
  async fetchManifestIfPresent(
    reference: ImageReference,
    tag: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ parsed: ParsedManifest; digest: string; body: Buffer } | undefined> {
    const what = `failed to fetch manifest ${tag} of ${reference.registry}/${reference.remote}`;
    const byDigest = digestProblem(tag) === undefined;
    const path = `manifests/${byDigest ? tag : encodeURIComponent(tag)}`;
    const response = await this.request(reference, path, { Accept: MANIFEST_ACCEPT }, what, options.signal);
    if (response.status === 404) {
      response.discard();
      return undefined;
    }
    if (response.status !== 200) await this.fail(response, what, reference);
    const body = await response.bytes(this.maxManifestBytes);
    const announced = response.headers.get('docker-content-digest');
    const expected = byDigest ? tag : announced && !digestProblem(announced) ? announced : undefined;
    if (expected && !matchesDigest(body, expected)) {
      throw digestMismatch(what, expected, `got ${digestOf(body, expected.slice(0, expected.indexOf(':')))}`);
    }
    return { parsed: parseManifest(body, response.headers.get('content-type'), what), digest: expected ?? digestOf(body), body };
  }

  /**
   * The OCI 1.1 referrers index of `digest` (`GET /v2/<name>/referrers/<digest>`), as served, or undefined when the
   * registry has no referrers API (404, 400 or 406, or an answer that is not an OCI index, as go-containerregistry
   * reads them): the caller then reads the fallback tag. Same credentials, host policy and size limit as manifests;
   * the index is not content-addressed, so there is no digest to check.
   */
  async fetchReferrersIfSupported(reference: ImageReference, digest: string, options: { signal?: AbortSignal } = {}): Promise<Buffer | undefined> {
    const what = `failed to fetch the referrers of ${digest} in ${reference.registry}/${reference.remote}`;
    const problem = digestProblem(digest);
    if (problem) throw registryFailure(GrpcCode.InvalidArgument, what, `invalid digest: ${problem}`);
    const response = await this.request(reference, `referrers/${digest}`, { Accept: MEDIA_TYPES.ociIndex }, what, options.signal);
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if ([400, 404, 406].includes(response.status) || (response.status === 200 && contentType !== MEDIA_TYPES.ociIndex)) {
      response.discard();
      return undefined;
    }
    if (response.status !== 200) await this.fail(response, what, reference);
    return response.bytes(this.maxManifestBytes);
  }

  private async fetchManifest(
    reference: ImageReference,
    ref: string,
    expectedDigest: string | undefined,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<{ parsed: ParsedManifest; digest: string }> {
    const response = await this.request(reference, `manifests/${ref}`, { Accept: MANIFEST_ACCEPT }, what, signal);
    if (response.status !== 200) await this.fail(response, what, reference);
    const body = await response.bytes(this.maxManifestBytes);
    const announced = response.headers.get('docker-content-digest');
    const expected = expectedDigest ?? (announced && !digestProblem(announced) ? announced : undefined);
    if (expected && !matchesDigest(body, expected)) {
      const algorithm = expected.slice(0, expected.indexOf(':'));
      throw digestMismatch(what, expected, `got ${digestOf(body, algorithm)}`);
    }
    return { parsed: parseManifest(body, response.headers.get('content-type'), what), digest: expected ?? digestOf(body) };
  }

  /** GET a repository resource, answering one auth challenge if the registry sends one. */
  private async request(
    reference: ImageReference,
    path: string,
    headers: Record<string, string>,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<RegistryResponse> {
    try {
      this.hostPolicy.checkRegistry(reference.registry);
    } catch (err) {
      throw withContext(err, what);
    }
    const url = `${registryBaseUrl(reference.registry, this.insecure)}/v2/${reference.remote}/${path}`;
    const target: AuthTarget = { registry: reference.registry, remote: reference.remote, what, signal };
    const authorization = await this.auth.authorization(target);
    let response = await this.transport.send({ method: 'GET', url, headers, authorization, signal, what });
    // A 401 from a redirect target (blob storage) is that host's own business: the registry's credentials and
    // token realms are not for it, and its challenge says nothing about the registry.
    if (response.status === 401 && sameOrigin(response.url, url)) {
      const answer = await this.auth.afterChallenge(target, response.headers.get('www-authenticate'), authorization);
      if (answer !== undefined) {
        response.discard();
        response = await this.transport.send({ method: 'GET', url, headers, authorization: answer.authorization, signal, what });
        if (response.status !== 401 || !sameOrigin(response.url, url)) this.auth.accepted(target, answer);
      }
    }
    return response;
  }

  private async fail(response: RegistryResponse, what: string, reference: ImageReference): Promise<never> {
    const body = await response.bytes(ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
    let reason = registryReason(response.status, response.statusText, body.toString('utf8'));
    const answered = new URL(response.url);
    if (response.status === 401 && answered.origin !== new URL(registryBaseUrl(reference.registry, this.insecure)).origin) {
      reason += `; the registry redirected to ${answered.host}, which asked for credentials: none are sent to a host the registry redirects to`;
    } else if (response.status === 401) {
      const configured = await this.credentials.credentialsFor(reference.registry).catch(() => undefined);
      reason += configured
        ? `; the registry refused the credentials of ${configured.username} configured for ${reference.registry}`
        : `; no credentials are configured for ${reference.registry} (--username and --password, LAMINA_REGISTRY_CREDENTIALS or Docker's config.json)`;
    }
    const retryAfter = retryAfterMs(response.headers.get('retry-after'));
    throw registryFailure(codeForStatus(response.status), what, reason, {
      retryAfterSeconds: retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000),
    });
  }
}
