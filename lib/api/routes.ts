import type { AppLogger } from '../logging';
import type { ImageService } from '../service/image-service';
import { GrpcCode, RuntimeError, notFound } from '../stackrox/errors';
import { encodeStorageImage } from '../stackrox/encode';
import { parseJsonBody, parseScanImageRequest } from '../stackrox/request';
import type { ApiRequest, ApiResponse } from './http-types';
import { errorResponse, jsonResponse } from './render';


const IMAGE_BY_ID = /^\/v1\/images\/([^/]+)$/;

function flag(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/** Routes the ImageService REST API; every failure becomes a StackRox RuntimeError body with its HTTP status. */
export async function handleApiRequest(request: ApiRequest, service: ImageService, logger?: AppLogger, signal?: AbortSignal): Promise<ApiResponse> {
  try {
    if (request.path === '/v1/images/scan') {
      if (request.method !== 'POST') throw methodNotAllowed(request);
      const scanRequest = parseScanImageRequest(parseJsonBody(request.body ?? ''));
      const image = await service.scanImage(scanRequest, signal);
      return jsonResponse(request, 200, encodeStorageImage(image));
    }
    const byId = IMAGE_BY_ID.exec(request.path);
    if (byId) {
      if (request.method !== 'GET') throw methodNotAllowed(request);
      const image = await service.getImage(decodeURIComponent(byId[1]), flag(request.query.includeSnoozed ?? request.query.include_snoozed));
      return jsonResponse(request, 200, encodeStorageImage(image));
    }
    throw notFound(`no route for ${request.method} ${request.path}`);
  } catch (err) {
    if (!(err instanceof RuntimeError)) logger?.error('unexpected failure handling request', { err });
    return errorResponse(request, err);
  }
}

function methodNotAllowed(request: ApiRequest): RuntimeError {
  return new RuntimeError(GrpcCode.Unimplemented, `method ${request.method} is not allowed on ${request.path}`);
}
