import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A small Distribution-API server on loopback whose every answer a test can shape. */

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export type Intercept = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest[]) => boolean | undefined;

export interface LoopbackServer {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startLoopback(handler: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest[]) => void): Promise<LoopbackServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    handler(req, res, requests);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface StoredManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export class FakeRegistry {
  readonly manifests = new Map<string, StoredManifest>();
  readonly blobs = new Map<string, Buffer>();
  /** Runs before the registry answers; return true when it answered itself. */
  intercept?: Intercept;
  /** `basic` or `bearer` to require auth; tokens are minted by /token on this server. */
  auth: 'none' | 'basic' | 'bearer' = 'none';
  username = 'user';
  password = 'pass';
  tokenField: 'token' | 'access_token' = 'token';
  tokenRequests: SeenRequest[] = [];
  server!: LoopbackServer;
  private readonly tokens = new Set<string>();

  async start(): Promise<this> {
    this.server = await startLoopback((req, res, seen) => this.handle(req, res, seen));
    return this;
  }

  get host(): string {
    return this.server.host;
  }

  get requests(): SeenRequest[] {
    return this.server.requests;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  putBlob(bytes: Buffer | string): { digest: string; size: number; bytes: Buffer } {
    const buffer = Buffer.from(bytes);
    const digest = sha256(buffer);
    this.blobs.set(digest, buffer);
    return { digest, size: buffer.length, bytes: buffer };
  }

  putManifest(repo: string, tags: string[], manifest: object | string, mediaType: string): StoredManifest {
    const body = Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    const stored = { body, mediaType, digest: sha256(body) };
    for (const ref of [...tags, stored.digest]) this.manifests.set(`${repo}:${ref}`, stored);
    return stored;
  }

  /** A single-platform image with one layer; returns the manifest as pushed. */
  putImage(repo: string, tags: string[], options: { format?: 'oci' | 'docker'; architecture?: string; variant?: string; layer?: string | Buffer } = {}) {
    const config = this.putBlob(
      JSON.stringify({
        architecture: options.architecture ?? 'amd64',
        os: 'linux',
        ...(options.variant ? { variant: options.variant } : {}),
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
    const layer = this.putBlob(options.layer ?? `layer for ${options.architecture ?? 'amd64'}`);
    const docker = options.format === 'docker';
    const manifest = {
      schemaVersion: 2,
      mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
      config: {
        mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: config.size,
      },
      layers: [
        {
          mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar',
          digest: layer.digest,
          size: layer.size,
        },
      ],
    };
    const stored = this.putManifest(repo, tags, manifest, manifest.mediaType);
    return { ...stored, config, layer, manifest };
  }

  private authorised(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    if (this.auth === 'none') return true;
    if (this.auth === 'basic') return header === `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    return header.startsWith('Bearer ') && this.tokens.has(header.slice(7));
  }

  private handle(req: IncomingMessage, res: ServerResponse, seen: SeenRequest[]): void {
    if (this.intercept?.(req, res, seen)) return;
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    if (url.pathname === '/token') {
      this.tokenRequests.push(seen[seen.length - 1]);
      const basic = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
      if (req.headers.authorization && req.headers.authorization !== basic) {
        return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
      }
      const token = `tok-${this.tokenRequests.length}`;
      this.tokens.add(token);
      return json(res, 200, { [this.tokenField]: token, expires_in: 300 });
    }
    if (!this.authorised(req)) {
      const challenge =
        this.auth === 'basic'
          ? 'Basic realm="fake"'
          : `Bearer realm="http://${this.host}/token",service="fake-registry",scope="repository:${url.pathname.split('/').slice(2, -2).join('/')}:pull"`;
      res.setHeader('WWW-Authenticate', challenge);
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!match) return json(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
    const [, repo, kind, ref] = match;
    if (kind === 'manifests') {
      const stored = this.manifests.get(`${repo}:${ref}`);
      if (!stored) return json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: ref } }] });
      res.writeHead(200, { 'Content-Type': stored.mediaType, 'Docker-Content-Digest': stored.digest, 'Content-Length': stored.body.length });
      res.end(stored.body);
      return;
    }
    const blob = this.blobs.get(ref);
    if (!blob) return json(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] });
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
    res.end(blob);
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
