import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from '../api/http-types';
import { CodedError, GrpcCode } from '../errors';
import { errorResponse } from '../api/render';

/** Lambda's synchronous response payload limit (6 MB) less room for the envelope. */
export const MAX_LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024 - 64 * 1024;

export function fromApiGatewayEvent(event: APIGatewayProxyEvent): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value ?? undefined;
  const query: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) query[name] = value ?? undefined;
  const body = event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: event.httpMethod, path: event.path, query, headers, body };
}

/** Binary (gzip) bodies travel base64-encoded; a body that would not fit Lambda's limit becomes a clear error. */
export function toApiGatewayResult(response: ApiResponse, request: ApiRequest): APIGatewayProxyResult {
  const binary = response.headers['content-encoding'] !== undefined;
  const encodedLength = binary ? Math.ceil(response.body.length / 3) * 4 : response.body.length;
  if (encodedLength > MAX_LAMBDA_RESPONSE_BYTES) {
    const tooLarge = new CodedError(
      GrpcCode.ResourceExhausted,
      `response of ${response.body.length} bytes exceeds the 6 MB Lambda response limit` +
        (binary ? '' : '; ask with Accept-Encoding: gzip') +
        ', or read the image with GET /v1/images/{id} from a deployment with a larger limit',
    );
    return toApiGatewayResult(errorResponse(request, tooLarge), request);
  }
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: binary ? response.body.toString('base64') : response.body.toString('utf8'),
    isBase64Encoded: binary,
  };
}
