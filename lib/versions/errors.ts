/**
 * A version string that its scheme cannot order. compareVersions throws it instead of guessing,
 * so the matcher can catch it, skip the affected range and report the advisory and version.
 */
export class InvalidVersionError extends Error {
  readonly scheme: string;
  readonly version: string;
  readonly reason: string;

  constructor(scheme: string, version: string, reason: string) {
    super(`invalid ${scheme} version ${JSON.stringify(truncate(version))}: ${truncate(reason)}`);
    this.name = 'InvalidVersionError';
    this.scheme = scheme;
    this.version = version;
    this.reason = reason;
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
