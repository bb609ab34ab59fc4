import { unavailable } from '../errors';
import { isCveId } from './cve-id';
import { cvssFromNvdResponse, isNvdResponse, type CvssEntry, type NvdResponse } from './nvd-records';
import type { Osv } from './osv';
import type { AdvisoryStore } from './store';

export const NVD_BASE_URL = 'https://services.nvd.nist.gov/rest/json/cves/2.0';
/** NVD's published limits: 5 requests in a rolling 30 s without a key, 50 with one. */
export const NVD_WINDOW_MS = 30_000;
const PAGE_SIZE = 2000;
const MAX_WINDOW_DAYS = 120;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** At most `limit` acquisitions in any rolling window of `windowMs`. */
export class RateLimiter {
  private readonly recent: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.recent.length > 0 && this.recent[0] <= now - this.windowMs) this.recent.shift();
      if (this.recent.length < this.limit) {
        this.recent.push(now);
        return;
      }
      await this.clock.sleep(this.recent[0] + this.windowMs - now);
    }
  }
}

export interface NvdClientOptions {
  baseUrl?: string;
  apiKey?: string;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Retries of a 403/429/5xx or a network error, each after a pause. */
  maxRetries?: number;
}

/** NVD's date parameters want an explicit offset. */
function nvdDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/** NVD CVE API 2.0 client for CVSS vectors, within NVD's rate limits. */
export class NvdClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  /** Requests sent, retries included. */
  requests = 0;

  constructor(private readonly options: NvdClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? NVD_BASE_URL).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.clock = options.clock ?? systemClock;
    this.limiter = new RateLimiter(options.apiKey ? 50 : 5, NVD_WINDOW_MS, this.clock);
  }

  /** CVSS vectors of one CVE; undefined when NVD has none (or does not know the CVE). */
  async cvssFor(cveId: string): Promise<CvssEntry | undefined> {
    const response = await this.get(new URLSearchParams({ cveId }));
    return cvssFromNvdResponse(response).find((e) => e.cveId === cveId);
  }

  /** CVSS vectors of every CVE modified in [start, end], in windows of at most 120 days, page by page. */
  async *modifiedBetween(start: Date, end: Date): AsyncGenerator<CvssEntry[]> {
    for (let from = start.getTime(); from < end.getTime(); from += MAX_WINDOW_DAYS * 86_400_000) {
      const to = Math.min(end.getTime(), from + MAX_WINDOW_DAYS * 86_400_000);
      for (let startIndex = 0; ; ) {
        const response = await this.get(
          new URLSearchParams({
            lastModStartDate: nvdDate(new Date(from)),
            lastModEndDate: nvdDate(new Date(to)),
            resultsPerPage: String(PAGE_SIZE),
            startIndex: String(startIndex),
          }),
        );
        yield cvssFromNvdResponse(response);
        const page = response.vulnerabilities.length;
        startIndex += page;
        const total = Number(response.totalResults ?? 0);
        if (page === 0 || startIndex >= total) break;
      }
    }
  }

  private async get(params: URLSearchParams): Promise<NvdResponse> {
    const url = `${this.baseUrl}?${params.toString()}`;
    const retries = this.options.maxRetries ?? 3;
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await this.clock.sleep(6000 * attempt);
      await this.limiter.acquire();
      this.requests++;
      let response: Response;
      try {
        response = await this.fetchImpl(url, { headers: this.options.apiKey ? { apiKey: this.options.apiKey } : {} });
      } catch (err) {
        lastError = (err as Error).message;
        continue;
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return { vulnerabilities: [] };
      }
      if (response.status === 403 || response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        lastError = `HTTP ${response.status}`;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw unavailable(`NVD ${url}: HTTP ${response.status}`);
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (!isNvdResponse(body)) throw unavailable(`NVD ${url}: not a CVE API 2.0 response`);
      return body;
    }
    throw unavailable(`NVD ${url}: ${lastError}`);
  }
}

function hasCvss(osv: Osv): boolean {
  const vectors = [...(osv.severity ?? []), ...(osv.affected ?? []).flatMap((a) => a.severity ?? [])];
  return vectors.some((s) => s.type === 'CVSS_V3' || s.type === 'CVSS_V2' || s.type === 'CVSS_V4');
}

/** CVE ids (the id itself, aliases, upstream) of advisories that carry no CVSS vector of their own. */
export function cvesWithoutCvss(records: Osv[]): string[] {
  const ids = new Set<string>();
  for (const osv of records) {
    if (osv.withdrawn || hasCvss(osv)) continue;
    for (const id of [osv.id, ...(osv.aliases ?? []), ...(osv.upstream ?? [])]) if (isCveId(id)) ids.add(id);
  }
  return [...ids].sort();
}

export interface EnrichResult {
  requested: number;
  written: number;
  /** CVEs not looked up because `max` was reached; the next run picks them up. */
  deferred: number;
}

/** Looks up CVSS for CVE ids the store has none for, one NVD request each, at most `max` requests. */
export async function enrichCvss(store: AdvisoryStore, cveIds: string[], client: NvdClient, options: { max?: number } = {}): Promise<EnrichResult> {
  const known = await store.getCvss(cveIds);
  const missing = [...new Set(cveIds)].filter((id) => !known.has(id));
  const todo = missing.slice(0, options.max ?? missing.length);
  const found: CvssEntry[] = [];
  for (const id of todo) {
    const entry = await client.cvssFor(id);
    if (entry) found.push(entry);
  }
  const written = found.length > 0 ? (await store.putCvssMany(found)).written : 0;
  return { requested: todo.length, written, deferred: missing.length - todo.length };
}
