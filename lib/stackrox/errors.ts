/** gRPC status codes as StackRox reports them in RuntimeError.code. */
export enum GrpcCode {
  OK = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

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

/** gRPC-gateway's suffix for each code, as StackRox error messages end (`…: invalid arguments`). */
const CODE_SUFFIX: Partial<Record<GrpcCode, string>> = {
  [GrpcCode.InvalidArgument]: 'invalid arguments',
  [GrpcCode.NotFound]: 'not found',
  [GrpcCode.AlreadyExists]: 'already exists',
  [GrpcCode.PermissionDenied]: 'not authorized',
  [GrpcCode.Unauthenticated]: 'credentials not found',
};

export interface RuntimeErrorBody {
  error: string;
  code: number;
  message: string;
  details: unknown[];
}

/**
 * An error that carries the StackRox/gRPC code it maps to, decided where the cause is known.
 * `message` is the full StackRox-style text clients see.
 */
export class RuntimeError extends Error {
  readonly code: GrpcCode;
  /** Seconds a client should wait before retrying (503 in-progress, 429). */
  readonly retryAfterSeconds?: number;

  constructor(code: GrpcCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntimeError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }

  toJSON(): RuntimeErrorBody {
    return { error: this.message, code: this.code, message: this.message, details: [] };
  }
}

/** Builds a RuntimeError whose message ends with the gateway's suffix for the code, as StackRox does. */
export function runtimeError(code: GrpcCode, reason: string, options?: { cause?: unknown; retryAfterSeconds?: number }): RuntimeError {
  const suffix = CODE_SUFFIX[code];
  return new RuntimeError(code, suffix ? `${reason}: ${suffix}` : reason, options);
}

export const invalidArgument = (reason: string, cause?: unknown) => runtimeError(GrpcCode.InvalidArgument, reason, { cause });
export const notFound = (reason: string, cause?: unknown) => runtimeError(GrpcCode.NotFound, reason, { cause });
export const permissionDenied = (reason: string, cause?: unknown) => runtimeError(GrpcCode.PermissionDenied, reason, { cause });
export const unauthenticated = (reason: string, cause?: unknown) => runtimeError(GrpcCode.Unauthenticated, reason, { cause });
export const unavailable = (reason: string, cause?: unknown) => runtimeError(GrpcCode.Unavailable, reason, { cause });
export const internalError = (reason: string, cause?: unknown) => runtimeError(GrpcCode.Internal, reason, { cause });
export const deadlineExceeded = (reason: string, cause?: unknown) => runtimeError(GrpcCode.DeadlineExceeded, reason, { cause });

/** Wraps anything thrown into a RuntimeError; unknown failures become Internal without leaking stack traces. */
export function toRuntimeError(err: unknown): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RuntimeError(GrpcCode.Internal, message, { cause: err });
}
