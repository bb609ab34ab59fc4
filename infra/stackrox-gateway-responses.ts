import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';

/** Errors API Gateway answers itself, with the gRPC code a StackRox client expects for each. */
const GATEWAY_ERRORS: { id: string; type: ResponseType; code: number }[] = [
  { id: 'AccessDenied', type: ResponseType.ACCESS_DENIED, code: 7 },
  { id: 'MissingAuthenticationToken', type: ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 16 },
  { id: 'InvalidSignature', type: ResponseType.INVALID_SIGNATURE, code: 16 },
  { id: 'ExpiredToken', type: ResponseType.EXPIRED_TOKEN, code: 16 },
  { id: 'Throttled', type: ResponseType.THROTTLED, code: 8 },
  { id: 'QuotaExceeded', type: ResponseType.QUOTA_EXCEEDED, code: 8 },
  { id: 'BadRequestBody', type: ResponseType.BAD_REQUEST_BODY, code: 3 },
  { id: 'BadRequestParameters', type: ResponseType.BAD_REQUEST_PARAMETERS, code: 3 },
  { id: 'IntegrationTimeout', type: ResponseType.INTEGRATION_TIMEOUT, code: 4 },
  { id: 'Default4xx', type: ResponseType.DEFAULT_4XX, code: 3 },
  { id: 'Default5xx', type: ResponseType.DEFAULT_5XX, code: 13 },
];

/** Gives API Gateway's own errors the RuntimeError body (`error`, `code`, `message`, `details`) the handler uses. */
export function addStackRoxGatewayResponses(api: RestApi): void {
  for (const { id, type, code } of GATEWAY_ERRORS) {
    api.addGatewayResponse(id, {
      type,
      responseHeaders: { 'Content-Type': "'application/json'" },
      templates: {
        // messageString is already a quoted, escaped JSON string.
        'application/json': `{"error": $context.error.messageString, "code": ${code}, "message": $context.error.messageString, "details": []}`,
      },
    });
  }
}
