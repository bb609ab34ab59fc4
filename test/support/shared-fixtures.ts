import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `../shared` beside the checkout: real fixtures from other scanners' test suites, present on CI, maybe not elsewhere. */
export const SHARED_DIR = resolve(__dirname, '../../../shared');
export const PEERS_DIR = join(SHARED_DIR, 'fixtures/peers');
export const ADVISORIES_DIR = join(SHARED_DIR, 'fixtures/advisories');

export const sharedAvailable = existsSync(PEERS_DIR);

/** Path of a fixture under `../shared/fixtures/peers`. */
export function peerFixture(...parts: string[]): string {
  return join(PEERS_DIR, ...parts);
}

/** Path of a fixture under `../shared/fixtures/advisories`. */
export function advisoryFixture(...parts: string[]): string {
  return join(ADVISORIES_DIR, ...parts);
}

/**
 * `describe` when ../shared is present, otherwise a skipped describe with a visible message,
 * so a checkout without ../shared still passes everything else.
 */
export function describeWithShared(name: string, body: () => void): void {
  if (sharedAvailable) {
    describe(name, body);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`SKIPPED "${name}": ../shared/fixtures is absent (${SHARED_DIR}); these tests read real fixtures from it`);
    describe.skip(name, body);
  }
}
