/** Exponential backoff with jitter: attempt 1 waits about `baseMs`, each further one twice as long, never over `maxMs`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half random: retries of many clients spread out, none waits much less than planned.
  return step / 2 + Math.random() * (step / 2);
}

/** Waits `ms`, or less when the signal aborts (it resolves either way). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
