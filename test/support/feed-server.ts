/** What advisory-source tests share: a vendor's server on loopback, and a source context that records what a run did. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import type { Osv } from '../../lib/vulndb/osv';
import type { SourceContext } from '../../lib/vulndb/sources/types';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface LoopbackServer {
  origin: string;
  stop(): Promise<void>;
}

/** A server on 127.0.0.1 at a free port, answering with `handler`; `stop` drops open connections too. */
export async function startLoopbackServer(handler: Handler): Promise<LoopbackServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that was just open and is closed again: connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RoutedServer extends LoopbackServer {
  /** Handlers by path; any other path is a 404. */
  routes: Map<string, Handler>;
  /** Every request's path and If-None-Match, in order. */
  requests: Array<{ path: string; ifNoneMatch?: string }>;
}

export async function startRoutedServer(): Promise<RoutedServer> {
  const routes = new Map<string, Handler>();
  const requests: RoutedServer['requests'] = [];
  const server = await startLoopbackServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push({ path, ifNoneMatch: req.headers['if-none-match'] });
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  return { ...server, routes, requests };
}

export interface RecordedRun {
  context: SourceContext;
  /** Each `putAdvisories` call's records. */
  batches: Osv[][];
  /** Every record written, in order. */
  written: Osv[];
  /** Malformed notes as `<where>: <reason>`, and as the pairs they came in. */
  notes: string[];
  malformed: Array<[string, string]>;
  /** Checkpoints saved, in order. */
  progress: string[];
  /** Counts passed to `skipped`. */
  skipped: number[];
}

/** A source context writing nowhere but into the returned lists. */
export function recordingContext(workDir: string, overrides: Partial<SourceContext> = {}): RecordedRun {
  const run: Omit<RecordedRun, 'context'> = { batches: [], written: [], notes: [], malformed: [], progress: [], skipped: [] };
  const context: SourceContext = {
    cursor: undefined,
    progress: undefined,
    saveProgress: async (value) => {
      run.progress.push(value);
    },
    fetch,
    workDir,
    putAdvisories: async (records) => {
      run.batches.push(records);
      run.written.push(...records);
      return { written: records.length, skipped: 0 };
    },
    skipped: (count) => {
      run.skipped.push(count);
    },
    malformed: (where, reason) => {
      run.notes.push(`${where}: ${reason}`);
      run.malformed.push([where, reason]);
    },
    ...overrides,
  };
  return { context, ...run };
}
