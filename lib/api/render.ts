import { gzipSync } from 'node:zlib';
import { type CodedError, asCodedError } from '../errors';
import { httpStatusOf, runtimeErrorBody } from '../stackrox/errors';
import type { ApiRequest, ApiResponse } from './http-types';

/** Bodies smaller than this are not worth compressing. */
const GZIP_MIN_BYTES = 1024;

function acceptsGzip(request: ApiRequest): boolean {
  const accept = request.headers['accept-encoding'] ?? '';
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (coding.trim() === 'gzip' || coding.trim() === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function isPretty(request: ApiRequest): boolean {
  const pretty = request.query.pretty;
  return pretty !== undefined && pretty !== 'false' && pretty !== '0';
}

/** JSON the way the StackRox gateway answers: `?pretty` indents, gzip when the client accepts it. */
export function jsonResponse(request: ApiRequest, statusCode: number, value: unknown, extraHeaders: Record<string, string> = {}): ApiResponse {
  const text = isPretty(request) ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  let body = Buffer.from(text, 'utf8');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (body.length >= GZIP_MIN_BYTES && acceptsGzip(request)) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  headers.vary = 'Accept-Encoding';
  return { statusCode, headers, body };
}

export function errorResponse(request: ApiRequest, err: unknown): ApiResponse {
  const error: CodedError = asCodedError(err);
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  return jsonResponse(request, httpStatusOf(error), runtimeErrorBody(error), headers);
}
