import { CodedError, GrpcCode } from '../errors';
import { isCveId } from '../vulndb/cve-id';
import type { Snooze, SnoozeStore } from './snoozes';

/** The latest instant a google.protobuf.Timestamp can hold: an expiry past it could not be answered. */
const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** Longer than any vulnerability id in use (CVE-2024-1234567, GHSA-xxxx-xxxx-xxxx, …) by a wide margin. */
const MAX_ID_LENGTH = 128;
/** One request may snooze this many ids; more is a mistake rather than triage. */
export const MAX_CVES_PER_REQUEST = 1000;

/**
 * Vulnerability ids as the service reports them: `CVE-YYYY-NNNN…` exactly, or an advisory id such as
 * `GHSA-xxxx-xxxx-xxxx`, `PYSEC-2021-1`, `GO-2022-0001`, `RUSTSEC-2021-0001` (letters first, then `-`-separated
 * parts). A lower-case or padded CVE id would never match a reported vulnerability, so it is refused, not stored.
 */
const ADVISORY_ID = /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9._:]+)+$/;

export function isVulnerabilityId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  if (/^cve-/i.test(id)) return isCveId(id);
  return ADVISORY_ID.test(id);
}

/**
 * StackRox words these refusals as errox's `CausedBy` does (`invalid arguments: <cause>`): the empty-list texts
 * are StackRox's own, the others follow them.
 */
function invalid(cause: string): CodedError {
  return new CodedError(GrpcCode.InvalidArgument, `invalid arguments: ${cause}`);
}

function checkIds(cves: readonly string[], emptyReason: string): string[] {
  if (cves.length === 0) throw invalid(emptyReason);
  const unique = [...new Set(cves)];
  if (unique.length > MAX_CVES_PER_REQUEST) throw invalid(`at most ${MAX_CVES_PER_REQUEST} cves may be given at once, got ${unique.length}`);
  const bad = unique.find((cve) => !isVulnerabilityId(cve));
  if (bad !== undefined) {
    throw invalid(`${JSON.stringify(bad.slice(0, MAX_ID_LENGTH + 1))} is not a vulnerability id (CVE-YYYY-NNNN or an advisory id such as GHSA-xxxx-xxxx-xxxx)`);
  }
  return unique;
}

export interface SuppressRequest {
  cves: readonly string[];
  /** How long the snooze lasts; 0 = indefinitely. */
  durationMs: number;
}

/**
 * ImageCVEService.SuppressCVEs / UnsuppressCVEs: global snoozes by vulnerability id. A snooze starts now and ends
 * after its duration, or never when the duration is 0; snoozing an id again replaces its snooze.
 */
export class SnoozeService {
  private readonly now: () => Date;

  constructor(
    private readonly store: SnoozeStore,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async suppress(request: SuppressRequest): Promise<Snooze[]> {
    const cves = checkIds(request.cves, 'no cves provided to snooze');
    if (!Number.isFinite(request.durationMs) || request.durationMs < 0) throw invalid('snooze duration must not be negative');
    const now = this.now();
    let expiry: string | undefined;
    if (request.durationMs > 0) {
      const end = now.getTime() + request.durationMs;
      if (end > MAX_TIMESTAMP_MS) throw invalid('snooze duration reaches past the year 9999; use 0s to snooze indefinitely');
      expiry = new Date(end).toISOString();
    }
    const activation = now.toISOString();
    const snoozes = cves.map((cve): Snooze => (expiry === undefined ? { cve, activation } : { cve, activation, expiry }));
    await this.store.put(snoozes);
    return snoozes;
  }

  async unsuppress(cves: readonly string[]): Promise<void> {
    await this.store.remove(checkIds(cves, 'no cves provided to un-snooze'));
  }
}
