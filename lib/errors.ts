/**
 * Errors with a neutral code, decided where the cause is known. The codes are gRPC's status codes, a list neutral
 * enough for every edge: the StackRox renderer maps them to RuntimeError bodies and HTTP statuses, the CLI to exits.
 */
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

/** gRPC-gateway's text for some codes, which ends the messages of errors built with `codedError`. */
const CODE_SUFFIX: Partial<Record<GrpcCode, string>> = {
  [GrpcCode.InvalidArgument]: 'invalid arguments',
  [GrpcCode.NotFound]: 'not found',
  [GrpcCode.AlreadyExists]: 'already exists',
  [GrpcCode.PermissionDenied]: 'not authorized',
  [GrpcCode.Unauthenticated]: 'credentials not found',
};

export interface CodedErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (an in-progress scan, a rate limit). */
  retryAfterSeconds?: number;
}

/** An error with its code; `message` is the whole text a client is shown. */
export class CodedError extends Error {
  readonly code: GrpcCode;
  readonly retryAfterSeconds?: number;

  constructor(code: GrpcCode, message: string, options?: CodedErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodedError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** A CodedError whose message ends with the gateway's text for the code. */
export function codedError(code: GrpcCode, reason: string, options?: CodedErrorOptions): CodedError {
  const suffix = CODE_SUFFIX[code];
  return new CodedError(code, suffix ? `${reason}: ${suffix}` : reason, options);
}

export const invalidArgument = (reason: string, cause?: unknown) => codedError(GrpcCode.InvalidArgument, reason, { cause });
export const notFound = (reason: string, cause?: unknown) => codedError(GrpcCode.NotFound, reason, { cause });
export const permissionDenied = (reason: string, cause?: unknown) => codedError(GrpcCode.PermissionDenied, reason, { cause });
export const unauthenticated = (reason: string, cause?: unknown) => codedError(GrpcCode.Unauthenticated, reason, { cause });
export const unavailable = (reason: string, cause?: unknown) => codedError(GrpcCode.Unavailable, reason, { cause });
export const internalError = (reason: string, cause?: unknown) => codedError(GrpcCode.Internal, reason, { cause });
export const deadlineExceeded = (reason: string, cause?: unknown) => codedError(GrpcCode.DeadlineExceeded, reason, { cause });

/** Anything thrown as a CodedError; unknown failures become Internal, their message kept and no stack shown. */
export function asCodedError(err: unknown): CodedError {
  if (err instanceof CodedError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError(GrpcCode.Internal, message, { cause: err });
}
