// `npm run bench`: what signature verification adds to a scan, in registry requests and time, against the same
// scan without signature integrations in the same run; and what it adds to an answer from the store (nothing).
import { createImageService } from '../lib/compose';
import { configFromEnv, type LaminaConfig } from '../lib/config';
import { MemoryImageStore } from '../lib/service/memory-image-store';
import type { SignatureIntegration } from '../lib/signatures/types';
import { generateKey, pushSignatures, signed } from '../test/support/cosign';
import { startFaultProxy } from '../test/support/fault-proxy';
import { buildImage, pushImage } from '../test/support/image-builder';
import { registryAvailable, startRegistry } from '../test/support/registry';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KINDS: Record<string, RegExp> = {
  '.sig manifest': /^GET \/v2\/.+\/manifests\/sha256-[0-9a-f]{64}\.sig$/,
  'referrers API': /^GET \/v2\/.+\/referrers\//,
  'referrers fallback tag': /^GET \/v2\/.+\/manifests\/sha256-[0-9a-f]{64}$/,
  blob: /^GET \/v2\/.+\/blobs\//,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  if (!registryAvailable()) throw new Error("bench needs Debian's docker-registry (apt-get install docker-registry, or run npm test once as root)");
  const registry = await startRegistry({ auth: 'none' });
  const proxy = await startFaultProxy(registry, []);
  try {
    const alice = generateKey('ec-p256');
    const bob = generateKey('rsa');
    const image = await buildImage({ layers: [{ entries: [{ path: 'etc/alpine-release', content: '3.20.0\n' }] }] });
    await pushImage(registry, 'bench/signed', 'v1', image);
    const repository = `${proxy.host}/bench/signed`;
    await pushSignatures(registry, 'bench/signed', image.manifestDigest, [
      signed(alice, repository, image.manifestDigest),
      signed(bob, repository, image.manifestDigest),
    ]);
    const byTag = `${repository}:v1`;
    const integrations: SignatureIntegration[] = [
      { id: 'io.stackrox.signatureintegration.alice', name: 'alice', cosign: { publicKeys: [{ name: 'alice.pub', publicKeyPemEnc: alice.publicPem }] } },
      { id: 'io.stackrox.signatureintegration.bob', name: 'bob', cosign: { publicKeys: [{ name: 'bob.pub', publicKeyPemEnc: bob.publicPem }] } },
    ];

    /** One uncached scan and one answer from the store, each timed with the registry requests it made. */
    const round = async (withIntegrations: boolean) => {
      const config: LaminaConfig = { ...configFromEnv({}), insecureRegistries: [proxy.host], signatureIntegrations: withIntegrations ? integrations : [] };
      const service = createImageService(config, new MemoryImageStore());
      const request = { imageName: byTag, force: false, includeSnoozed: false, cluster: '' };
      const timed = async () => {
        const before = proxy.hits();
        const kinds = Object.fromEntries(Object.entries(KINDS).map(([kind, pattern]) => [kind, proxy.hits(pattern)]));
        const started = process.hrtime.bigint();
        const answer = await service.scanImage(request);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const byKind = Object.entries(KINDS).map(([kind, pattern]) => `${proxy.hits(pattern) - kinds[kind]} ${kind}`);
        return { ms, requests: proxy.hits() - before, byKind: byKind.join(', '), answer };
      };
      const scan = await timed();
      if (withIntegrations && scan.answer.signatureVerificationData?.results.some((r) => r.status !== 'VERIFIED'))
        throw new Error('the bench signatures did not verify');
      const stored = await timed();
      return { scan, stored };
    };

    const plain: Array<Awaited<ReturnType<typeof round>>> = [];
    const signedRounds: typeof plain = [];
    for (let i = 0; i < ROUNDS; i++) {
      plain.push(await round(false));
      signedRounds.push(await round(true));
    }
    const ms = (rounds: typeof plain, which: 'scan' | 'stored') => median(rounds.map((r) => r[which].ms));
    const requests = (rounds: typeof plain, which: 'scan' | 'stored') => median(rounds.map((r) => r[which].requests));
    console.log(`signatures: an image with two simple-signing signatures, two key integrations (median of ${ROUNDS})`);
    console.log(
      `  uncached scan: ${requests(signedRounds, 'scan')} registry requests vs ${requests(plain, 'scan')} without integrations (signed: ${signedRounds[0].scan.byKind}; without: ${plain[0].scan.byKind}; the two sources are read in parallel)`,
    );
    console.log(
      `  uncached scan: ${ms(signedRounds, 'scan').toFixed(1)} ms vs ${ms(plain, 'scan').toFixed(1)} ms without integrations; ratio ${(ms(signedRounds, 'scan') / ms(plain, 'scan')).toFixed(2)}`,
    );
    console.log(
      `  answer from the store: ${requests(signedRounds, 'stored')} registry requests vs ${requests(plain, 'stored')} without integrations (target: +0); ${ms(signedRounds, 'stored').toFixed(1)} ms vs ${ms(plain, 'stored').toFixed(1)} ms`,
    );
  } finally {
    await proxy.stop();
    await registry.stop();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
