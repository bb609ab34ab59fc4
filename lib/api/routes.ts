import type { AppLogger } from '../logging';
import type { ImageService } from '../service/image-service';
import { SbomService } from '../service/sbom-service';
import type { SnoozeService } from '../service/snooze-service';
import type { SignatureIntegrationService } from '../service/signature-integration-service';
import { TOOL } from '../scanner';
import { CodedError, GrpcCode, invalidArgument, notFound } from '../errors';
import { parseImageId } from '../image/reference';
import { encodeStorageImage } from '../stackrox/encode';
import { parseJsonBody, parseScanImageRequest, parseSignatureIntegrationBody, parseSuppressCvesRequest, parseUnsuppressCvesRequest } from '../stackrox/request';
import { encodeSignatureIntegration, encodeSignatureIntegrationList } from '../stackrox/signature-integration-json';
import type { ApiRequest, ApiResponse } from './http-types';
import { errorResponse, jsonResponse } from './render';

const IMAGE_BY_ID = /^\/v1\/images\/([^/]+)$/;
const SIGNATURE_INTEGRATIONS = '/v1/signatureintegrations';
const SIGNATURE_INTEGRATION_BY_ID = /^\/v1\/signatureintegrations\/([^/]+)$/;

/** The use cases behind the routes. Without `snoozes`, the suppress and unsuppress routes answer Unimplemented. */
export interface ApiServices {
  images: ImageService;
  snoozes?: SnoozeService;
  /** `POST /api/v1/images/sbom`; built over `images` when absent. */
  sbom?: SbomService;
  /** `/v1/signatureintegrations`; without it those routes answer Unimplemented. */
  signatureIntegrations?: SignatureIntegrationService;
}

function servicesOf(services: ImageService | ApiServices): ApiServices {
  return 'images' in services ? services : { images: services };
}

function snoozeService(services: ApiServices): SnoozeService {
  if (!services.snoozes) throw new CodedError(GrpcCode.Unimplemented, 'CVE snoozing is not configured on this deployment');
  return services.snoozes;
}

function signatureIntegrationService(services: ApiServices): SignatureIntegrationService {
  if (!services.signatureIntegrations) throw new CodedError(GrpcCode.Unimplemented, 'signature integrations are not configured on this deployment');
  return services.signatureIntegrations;
}

/** SignatureIntegrationService: list and create on the collection, get, replace and delete by id. */
async function signatureIntegrationRoute(request: ApiRequest, api: ApiServices): Promise<ApiResponse | undefined> {
  if (request.path === SIGNATURE_INTEGRATIONS) {
    const integrations = signatureIntegrationService(api);
    if (request.method === 'GET') return jsonResponse(request, 200, encodeSignatureIntegrationList(await integrations.list()));
    if (request.method === 'POST') {
      const created = await integrations.create(parseSignatureIntegrationBody(parseJsonBody(request.body ?? '')));
      return jsonResponse(request, 200, encodeSignatureIntegration(created));
    }
    throw methodNotAllowed(request);
  }
  const byId = SIGNATURE_INTEGRATION_BY_ID.exec(request.path);
  if (!byId) return undefined;
  const integrations = signatureIntegrationService(api);
  const id = decodedSegment(byId[1], 'signature integration id');
  if (request.method === 'GET') return jsonResponse(request, 200, encodeSignatureIntegration(await integrations.get(id)));
  if (request.method === 'PUT') {
    await integrations.update(id, parseSignatureIntegrationBody(parseJsonBody(request.body ?? '')));
    return jsonResponse(request, 200, {});
  }
  if (request.method === 'DELETE') {
    await integrations.remove(id);
    return jsonResponse(request, 200, {});
  }
  throw methodNotAllowed(request);
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
    const integrationAnswer = await signatureIntegrationRoute(request, api);
    if (integrationAnswer) return integrationAnswer;
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

/** A `{id}` path segment, percent-decoded. */
function decodedSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    const shown = segment.length > 80 ? `${segment.slice(0, 80)}…` : segment;
    throw invalidArgument(`invalid ${what} ${JSON.stringify(shown)}: malformed percent-encoding`);
  }
}

/** The `{id}` path segment, percent-decoded and checked to be a digest before any store is asked for it. */
function imageIdOf(segment: string): string {
  return parseImageId(decodedSegment(segment, 'image id'));
}

function methodNotAllowed(request: ApiRequest): CodedError {
  return new CodedError(GrpcCode.Unimplemented, `method ${request.method} is not allowed on ${request.path}`);
}
