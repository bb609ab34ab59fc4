import { readFileSync } from 'node:fs';

/**
 * This process's peak resident set, KiB. Linux's VmHWM starts afresh at exec, whereas getrusage's maxrss keeps the
 * peak of the forking parent (a bench holding the image it built would be charged to every scan it spawns).
 */
export function peakRssKiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: getrusage is all there is.
  }
  return process.resourceUsage().maxRSS;
}
