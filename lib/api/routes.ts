import type { AppLogger } from '../logging';
import type { ImageService } from '../service/image-service';
import { SbomService } from '../service/sbom-service';
import type { SnoozeService } from '../service/snooze-service';
import { TOOL } from '../scanner';
import { CodedError, GrpcCode, invalidArgument, notFound } from '../errors';
import { parseImageId } from '../image/reference';
import { encodeStorageImage } from '../stackrox/encode';
import { parseJsonBody, parseScanImageRequest, parseSuppressCvesRequest, parseUnsuppressCvesRequest } from '../stackrox/request';
import type { ApiRequest, ApiResponse } from './http-types';
import { errorResponse, jsonResponse } from './render';

const IMAGE_BY_ID = /^\/v1\/images\/([^/]+)$/;

/** The use cases behind the routes. Without `snoozes`, the suppress and unsuppress routes answer Unimplemented. */
export interface ApiServices {
  images: ImageService;
  snoozes?: SnoozeService;
  /** `POST /api/v1/images/sbom`; built over `images` when absent. */
  sbom?: SbomService;
}

function servicesOf(services: ImageService | ApiServices): ApiServices {
  return 'images' in services ? services : { images: services };
}

function snoozeService(services: ApiServices): SnoozeService {
  if (!services.snoozes) throw new CodedError(GrpcCode.Unimplemented, 'CVE snoozing is not configured on this deployment');
  return services.snoozes;
}

function flag(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/** Routes the ImageService REST API; every failure becomes a StackRox CodedError body with its HTTP status. */
export async function handleApiRequest(
  request: ApiRequest,
  services: ImageService | ApiServices,
  logger?: AppLogger,
  signal?: AbortSignal,
): Promise<ApiResponse> {
  const api = servicesOf(services);
  const service = api.images;
  try {
    if (request.path === '/v1/imagecves/suppress') {
      if (request.method !== 'PATCH') throw methodNotAllowed(request);
      const snoozes = snoozeService(api);
      await snoozes.suppress(parseSuppressCvesRequest(parseJsonBody(request.body ?? '')));
      return jsonResponse(request, 200, {});
    }
    if (request.path === '/v1/imagecves/unsuppress') {
      if (request.method !== 'PATCH') throw methodNotAllowed(request);
      const snoozes = snoozeService(api);
      await snoozes.unsuppress(parseUnsuppressCvesRequest(parseJsonBody(request.body ?? '')).cves);
      return jsonResponse(request, 200, {});
    }
    if (request.path === '/api/v1/images/sbom') {
      if (request.method !== 'POST') throw methodNotAllowed(request);
      // StackRox's body is {imageName, force, cluster}: the ScanImage request's fields, read the same way.
      const sbomRequest = parseScanImageRequest(parseJsonBody(request.body ?? ''));
      const sbom = api.sbom ?? new SbomService(service, TOOL);
      return jsonResponse(request, 200, await sbom.spdx(sbomRequest, signal));
    }
    if (request.path === '/v1/images/scan') {
      if (request.method !== 'POST') throw methodNotAllowed(request);
      const scanRequest = parseScanImageRequest(parseJsonBody(request.body ?? ''));
      const image = await service.scanImage(scanRequest, signal);
      return jsonResponse(request, 200, encodeStorageImage(image));
    }
    const byId = IMAGE_BY_ID.exec(request.path);
    if (byId) {
      if (request.method !== 'GET') throw methodNotAllowed(request);
      const image = await service.getImage(imageIdOf(byId[1]), flag(request.query.includeSnoozed ?? request.query.include_snoozed));
      return jsonResponse(request, 200, encodeStorageImage(image));
    }
    throw notFound(`no route for ${request.method} ${request.path}`);
  } catch (err) {
    if (!(err instanceof CodedError)) logger?.error('unexpected failure handling request', { err });
    return errorResponse(request, err);
  }
}

/** The `{id}` path segment, percent-decoded and checked to be a digest before any store is asked for it. */
function imageIdOf(segment: string): string {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    const shown = segment.length > 80 ? `${segment.slice(0, 80)}…` : segment;
    throw invalidArgument(`invalid image id ${JSON.stringify(shown)}: malformed percent-encoding`);
  }
  return parseImageId(id);
}

function methodNotAllowed(request: ApiRequest): CodedError {
  return new CodedError(GrpcCode.Unimplemented, `method ${request.method} is not allowed on ${request.path}`);
}
