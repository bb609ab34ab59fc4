import type { StorageImage } from '../stackrox/types';

/** A CVE snoozed globally: from `activation` until `expiry`, or indefinitely when `expiry` is absent. */
export interface Snooze {
  cve: string;
  activation: string;
  expiry?: string;
}

export interface SnoozeStore {
  put(snoozes: Snooze[]): Promise<void>;
  remove(cves: string[]): Promise<void>;
  /** The snoozes recorded for these CVE ids (expired ones included; callers check expiry). */
  get(cves: string[]): Promise<Map<string, Snooze>>;
}

export class MemorySnoozeStore implements SnoozeStore {
  private readonly snoozes = new Map<string, Snooze>();
  async put(snoozes: Snooze[]) {
    for (const snooze of snoozes) this.snoozes.set(snooze.cve, snooze);
  }
  async remove(cves: string[]) {
    for (const cve of cves) this.snoozes.delete(cve);
  }
  async get(cves: string[]) {
    return new Map(cves.flatMap((cve) => (this.snoozes.has(cve) ? [[cve, this.snoozes.get(cve)!] as const] : [])));
  }
}

export function isActive(snooze: Snooze, now: Date): boolean {
  return snooze.expiry === undefined || Date.parse(snooze.expiry) > now.getTime();
}

/** Every CVE id the image reports. */
export function imageCves(image: StorageImage): string[] {
  const cves = new Set<string>();
  for (const component of image.scan?.components ?? []) for (const vuln of component.vulns) cves.add(vuln.cve);
  return [...cves];
}

/**
 * Marks each vulnerability with the snooze state in force now: `suppressed`, its activation and expiry, and
 * `state: DEFERRED`; an expired or lifted snooze leaves the vulnerability OBSERVED.
 */
export function withSnoozes(image: StorageImage, snoozes: Map<string, Snooze>, now: Date): StorageImage {
  if (!image.scan) return image;
  const components = image.scan.components.map((component) => ({
    ...component,
    vulns: component.vulns.map((vuln) => {
      const snooze = snoozes.get(vuln.cve);
      if (snooze && isActive(snooze, now)) {
        return { ...vuln, suppressed: true, suppressActivation: snooze.activation, suppressExpiry: snooze.expiry ?? null, state: 'DEFERRED' as const };
      }
      return { ...vuln, suppressed: false, suppressActivation: null, suppressExpiry: null, state: 'OBSERVED' as const };
    }),
  }));
  return { ...image, scan: { ...image.scan, components } };
}

/** The largest google.protobuf.Duration: ±10,000 years in seconds. */
const MAX_DURATION_SECONDS = 315_576_000_000;

/**
 * Parses a google.protobuf.Duration in its JSON form (`"86400s"`, `"1.5s"`, `"-2s"`) into milliseconds, as
 * protojson reads it: a decimal number of seconds with up to nine fractional digits and a trailing `s`, within
 * ±10,000 years. Absent or null reads as 0 (protojson's default); anything else malformed is undefined.
 * Negative durations are returned as such; whether they make sense is the caller's business.
 */
export function parseDuration(text: unknown): number | undefined {
  if (text === undefined || text === null) return 0;
  if (typeof text !== 'string') return undefined;
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[2]);
  if (seconds > MAX_DURATION_SECONDS) return undefined;
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  const ms = seconds * 1000 + Math.floor(nanos / 1e6);
  return match[1] === '-' ? -ms : ms;
}
