/** The edge of error handling: neutral CodedErrors rendered as StackRox RuntimeError bodies with gRPC-gateway HTTP statuses. */
import { type CodedError, GrpcCode } from '../errors';

export {
  CodedError as RuntimeError,
  GrpcCode,
  asCodedError as toRuntimeError,
  codedError as runtimeError,
  deadlineExceeded,
  internalError,
  invalidArgument,
  notFound,
  permissionDenied,
  unauthenticated,
  unavailable,
} from '../errors';

const HTTP_STATUS: Partial<Record<GrpcCode, number>> = {
  [GrpcCode.InvalidArgument]: 400,
  [GrpcCode.FailedPrecondition]: 400,
  [GrpcCode.OutOfRange]: 400,
  [GrpcCode.NotFound]: 404,
  [GrpcCode.AlreadyExists]: 409,
  [GrpcCode.Aborted]: 409,
  [GrpcCode.PermissionDenied]: 403,
  [GrpcCode.ResourceExhausted]: 429,
  [GrpcCode.Unimplemented]: 501,
  [GrpcCode.Internal]: 500,
  [GrpcCode.Unknown]: 500,
  [GrpcCode.DataLoss]: 500,
  [GrpcCode.Unavailable]: 503,
  [GrpcCode.DeadlineExceeded]: 504,
  [GrpcCode.Unauthenticated]: 401,
  [GrpcCode.Cancelled]: 499,
};

export interface RuntimeErrorBody {
  error: string;
  code: number;
  message: string;
  details: unknown[];
}

/** The HTTP status grpc-gateway answers an error's code with. */
export function httpStatusOf(err: Pick<CodedError, 'code'>): number {
  return HTTP_STATUS[err.code] ?? 500;
}

/** StackRox's RuntimeError body for an error. */
export function runtimeErrorBody(err: CodedError): RuntimeErrorBody {
  return { error: err.message, code: err.code, message: err.message, details: [] };
}
