/** What the service reports about each scan, for logs and metrics; never a credential or a token. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { GrpcCode } from '../errors';
import type { AppLogger } from '../logging';

export interface ScanFinished {
  image: string;
  digest: string;
  layers: number;
  layersFromCache: number;
  packages: number;
  findings: number;
  notes: string[];
  /** What the scan could not read or match (indexing and matcher warnings), capped with a count of the rest. */
  warnings: string[];
  durationsMs: { resolve: number; index: number; match: number; total: number };
}

export interface ScanFailed {
  image: string;
  digest?: string;
  code: number;
  /** The gRPC code's name: what kind of failure it was (Unavailable, NotFound, DeadlineExceeded…). */
  kind: string;
  message: string;
  durationMs: number;
}

export interface ScanObserver {
  scanFinished(event: ScanFinished): void;
  scanFailed(event: ScanFailed): void;
  /** A scan moved on to its next step (for a progress line). */
  scanPhase?(image: string, phase: string): void;
}

export function codeName(code: number): string {
  return GrpcCode[code] ?? `Code${code}`;
}

/** One `info` line per finished scan and one `warn` line per failed one. */
export function loggingObserver(logger: AppLogger): ScanObserver {
  return {
    scanFinished: (event) => logger.info('scan finished', { ...event }),
    scanFailed: (event) => logger.warn('scan failed', { ...event }),
  };
}

export function allObservers(...observers: Array<ScanObserver | undefined>): ScanObserver {
  const present = observers.filter((o): o is ScanObserver => o !== undefined);
  return {
    scanFinished: (event) => {
      for (const observer of present) observer.scanFinished(event);
    },
    scanFailed: (event) => {
      for (const observer of present) observer.scanFailed(event);
    },
  };
}

/** What a request learnt while it was served: the digest it was about, and whether the store answered it. */
export interface RequestFacts {
  digest?: string;
  /** True when the answer came from the store without a pull. */
  cacheHit?: boolean;
}

const requestFacts = new AsyncLocalStorage<RequestFacts>();

/** Runs `fn` with a fresh record of request facts, which `noteRequest` calls in the service fill in. */
export function withRequestFacts<T>(fn: (facts: RequestFacts) => Promise<T>): Promise<T> {
  const facts: RequestFacts = {};
  return requestFacts.run(facts, () => fn(facts));
}

export function noteRequest(facts: RequestFacts): void {
  const current = requestFacts.getStore();
  if (current) Object.assign(current, facts);
}
