import type { ApiRequest, ApiResponse } from './http-types';
import { handleApiRequest, type ApiServices } from './routes';
import type { AppLogger } from '../logging';
import type { ImageService } from '../service/image-service';
import { withRequestFacts, type RequestFacts } from '../service/scan-observer';

/** Left for answering and for the adapter once the scan budget is spent. */
const ANSWER_MARGIN_MS = 2000;
/** A request always gets at least this long to scan. */
const MIN_BUDGET_MS = 1000;

export interface ScanApiOptions {
  logger?: AppLogger;
  /** How long a request may scan before it is handed off (answered 503 / retry); unset = as long as the caller waits. */
  budgetMs?: number;
  /** Called with every response, e.g. to count it. */
  onResponse?: (response: ApiResponse, request: ApiRequest, facts: RequestFacts) => void;
}

export interface ScanApiCall {
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
  /** Time the host still grants the request (Lambda's remaining time). */
  remainingMs?: number;
}

export type ScanApi = (request: ApiRequest, call?: ScanApiCall) => Promise<ApiResponse>;

/** The route a path took, with ids left out so that log lines group by route. */
function routeOf(path: string): string {
  if (/^\/v1\/signatureintegrations\/[^/]+$/.test(path)) return '/v1/signatureintegrations/{id}';
  return /^\/v1\/images\/[^/]+$/.test(path) && path !== '/v1/images/scan' ? '/v1/images/{id}' : path;
}

/** The image a scan or SBOM request names, read from its body for the log line only. */
function imageOf(request: ApiRequest): { image?: string } {
  if (request.method !== 'POST' || !request.body || request.body.length > 64 * 1024) return {};
  try {
    const body = JSON.parse(request.body) as { imageName?: unknown; image_name?: unknown };
    const image = body.imageName ?? body.image_name;
    return typeof image === 'string' ? { image: image.slice(0, 512) } : {};
  } catch {
    return {};
  }
}

/**
 * The API as every host runs it: the StackRox routes over the use cases, with the scan budget that sends a
 * slow scan to the background. The Lambda adapter (API Gateway events) and the local HTTP server both call this.
 */
export function createScanApi(services: ImageService | ApiServices, options: ScanApiOptions = {}): ScanApi {
  return async (request, call = {}) => {
    const limits = [options.budgetMs, call.remainingMs === undefined ? undefined : call.remainingMs - ANSWER_MARGIN_MS].filter(
      (ms): ms is number => ms !== undefined,
    );
    const signals = [call.signal].filter((s): s is AbortSignal => s !== undefined);
    if (limits.length > 0) signals.push(AbortSignal.timeout(Math.max(MIN_BUDGET_MS, Math.min(...limits))));
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const started = Date.now();
    const { response, facts } = await withRequestFacts(async (facts) => ({
      response: await handleApiRequest(request, services, options.logger, signal),
      facts,
    }));
    options.logger?.info('request', {
      method: request.method,
      route: routeOf(request.path),
      status: response.statusCode,
      durationMs: Date.now() - started,
      ...imageOf(request),
      ...facts,
    });
    options.onResponse?.(response, request, facts);
    return response;
  };
}
