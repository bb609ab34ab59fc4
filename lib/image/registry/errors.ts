import { type CodedError, GrpcCode, codedError } from '../../errors';

/** StackRox's prefix for failures while talking to a registry. */
const PREFIX = 'image enrichment error';

/** A CodedError for a registry operation: `image enrichment error: <what>: <reason>` plus the code's suffix. */
export function registryFailure(code: GrpcCode, what: string, reason: string, options?: { cause?: unknown; retryAfterSeconds?: number }): CodedError {
  return codedError(code, `${PREFIX}: ${what}: ${reason}`, options);
}

/** The gRPC code a final (non-retried) registry HTTP status maps to. */
export function codeForStatus(status: number): GrpcCode {
  if (status === 401) return GrpcCode.Unauthenticated;
  if (status === 403) return GrpcCode.PermissionDenied;
  if (status === 404) return GrpcCode.NotFound;
  if (status === 400) return GrpcCode.InvalidArgument;
  if (status === 429 || status >= 500) return GrpcCode.Unavailable;
  return GrpcCode.Internal;
}

interface RegistryErrorBody {
  errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }>;
}

/** The registry's own words for a failed response: the `errors[].message` of its JSON body, else the status. */
export function registryReason(status: number, statusText: string, body: string): string {
  const status_ = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  let parsed: RegistryErrorBody | undefined;
  try {
    parsed = JSON.parse(body) as RegistryErrorBody;
  } catch {
    parsed = undefined;
  }
  const messages = (Array.isArray(parsed?.errors) ? parsed.errors : [])
    .map((entry) => (typeof entry?.message === 'string' && entry.message ? entry.message : typeof entry?.code === 'string' ? entry.code : ''))
    .filter(Boolean);
  if (messages.length > 0) return `${messages.join('; ')} (${status_})`;
  const text = body.trim();
  if (text && text.length <= 200 && !text.startsWith('<')) return `${text} (${status_})`;
  return status_;
}

/** Describes a network-level failure (reset, refused, DNS, timeout) without leaking stack traces. */
export function networkReason(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as Error & { code?: string }).code;
      return code ? `${cause.message} (${code})` : cause.message;
    }
    return err.message;
  }
  return String(err);
}
