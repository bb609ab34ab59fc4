import type { ApiRequest, ApiResponse } from './http-types';
import { handleApiRequest, type ApiServices } from './routes';
import type { AppLogger } from '../logging';
import type { ImageService } from '../service/image-service';

/** Left for answering and for the adapter once the scan budget is spent. */
const ANSWER_MARGIN_MS = 2000;
/** A request always gets at least this long to scan. */
const MIN_BUDGET_MS = 1000;

export interface ScanApiOptions {
  logger?: AppLogger;
  /** How long a request may scan before it is handed off (answered 503 / retry); unset = as long as the caller waits. */
  budgetMs?: number;
  /** Called with every response, e.g. to count it. */
  onResponse?: (response: ApiResponse, request: ApiRequest) => void;
}

export interface ScanApiCall {
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
  /** Time the host still grants the request (Lambda's remaining time). */
  remainingMs?: number;
}

export type ScanApi = (request: ApiRequest, call?: ScanApiCall) => Promise<ApiResponse>;

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
    const response = await handleApiRequest(request, services, options.logger, signal);
    options.onResponse?.(response, request);
    return response;
  };
}
