import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * `../shared` beside the checkout: real fixtures from other scanners' test suites, present on CI, maybe not
 * elsewhere. LAMINA_SHARED_DIR points elsewhere (e.g. at a directory that does not exist, to check that every test
 * reading it skips cleanly without it).
 */
export const SHARED_DIR = process.env.LAMINA_SHARED_DIR ? resolve(process.env.LAMINA_SHARED_DIR) : resolve(__dirname, '../../../shared');
export const PEERS_DIR = join(SHARED_DIR, 'fixtures/peers');
export const ADVISORIES_DIR = join(SHARED_DIR, 'fixtures/advisories');

export const sharedAvailable = existsSync(PEERS_DIR);
/** True when `../shared/fixtures/advisories` is there (some tests need only it). */
export const advisoriesAvailable = existsSync(ADVISORIES_DIR);

/** Path of a fixture under `../shared/fixtures/peers`. */
export function peerFixture(...parts: string[]): string {
  return join(PEERS_DIR, ...parts);
}

/** Path of a fixture under `../shared/fixtures/advisories`. */
export function advisoryFixture(...parts: string[]): string {
  return join(ADVISORIES_DIR, ...parts);
}

/** The one-line notice a skipped block prints, so a run without ../shared says what it did not test. */
export function warnSkipped(name: string, dir: string = SHARED_DIR): void {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED "${name}": ${dir} is absent; these tests read real fixtures from ../shared (set LAMINA_SHARED_DIR to use another copy)`);
}

/**
 * `describe` when ../shared is present, otherwise a skipped block with a visible message, so a checkout without
 * ../shared still passes everything else. Without ../shared the body is never called: jest evaluates the bodies of
 * `describe.skip` blocks, and a body that reads fixtures while collecting its tests (an `it.each` over a
 * directory listing) would fail the whole file. One skipped placeholder test shows in the report instead.
 */
export function describeWithShared(name: string, body: () => void): void {
  if (sharedAvailable) {
    describe(name, body);
  } else {
    warnSkipped(name);
    describe.skip(name, () => {
      it(`needs ${PEERS_DIR}`, () => undefined);
    });
  }
}
