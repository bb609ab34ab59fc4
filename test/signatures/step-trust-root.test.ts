/**
 * The signature step verifies keyless signatures with the trusted root the updater stored beside the advisories
 * (through the same store the scan matches against), falling back to the seed's; a real public-good signature.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storedTrustRoot } from '../../lib/compose';
import { SignatureStep } from '../../lib/signatures/step';
import { encodeStoredTrustedRoot, TRUSTED_ROOT_KEY } from '../../lib/signatures/stored-trust-root';
import type { SignatureIntegration } from '../../lib/signatures/types';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';

const FIXTURES = join(__dirname, 'fixtures', 'sigstore');
const read = (...path: string[]) => readFileSync(join(FIXTURES, ...path));
const b64 = (bytes: Buffer) => bytes.toString('base64');

const IMAGE = 'ttl.sh/4d3eca7f-d24e-4294-ac11-fa714ce8779b';
const stored = {
  id: 'sha256:0e1ac7f12d904a5ce077d1b5c763b5750c7985e524f6083e5eaa7e7313833440',
  names: [`${IMAGE}:latest`],
  signature: {
    fetched: '2026-12-01T00:00:00Z',
    signatures: [
      {
        cosign: {
          rawSignature: read('stackrox-keyless', 'signature.b64').toString('utf8').trim(),
          signaturePayload: b64(read('stackrox-keyless', 'payload.json')),
          certPem: b64(read('stackrox-keyless', 'cert.pem')),
          certChainPem: b64(read('stackrox-keyless', 'chain.pem')),
          rekorBundle: b64(read('stackrox-keyless', 'rekor-bundle.json')),
          signatureFormat: 'SIMPLE_SIGNING' as const,
        },
      },
    ],
  },
};
const keyless: SignatureIntegration = {
  id: 'io.stackrox.signatureintegration.keyless',
  name: 'keyless',
  cosignCertificates: [{ certificateIdentity: '^shesselm@redhat\\.com$', certificateOidcIssuer: '^https://github\\.com/login/oauth$' }],
  transparencyLog: { enabled: true, validateOffline: true },
};
const record = { integrations: '', fetchedAt: '2026-12-01T00:00:00Z', readFrom: `${IMAGE}:latest`, alternateDigests: [] };
const NOW = new Date('2026-12-01T00:00:00Z');

function stepOver(advisories: MemoryAdvisoryStore): SignatureStep {
  const fetcher = { fetch: async () => ({ signatures: [], problems: [] }) };
  return new SignatureStep({ integrations: [keyless], fetcher, trustRoot: storedTrustRoot(advisories) });
}

describe('the trusted root a scan verifies keyless signatures with', () => {
  it("is the updater's stored copy: the public-good root of March 2025 verifies the signature", async () => {
    const advisories = new MemoryAdvisoryStore();
    const trustedRoot = JSON.parse(read('trusted-root-public-good-2025-03.json').toString('utf8'));
    await advisories.setCursor(
      TRUSTED_ROOT_KEY,
      encodeStoredTrustedRoot({ mirror: 'https://tuf.example', checked: '2026-11-30T00:00:00Z', fetched: '2026-11-01T00:00:00Z', trustedRoot }),
    );
    const outcome = await stepOver(advisories).reverify(stored, record, [keyless], NOW);
    expect(outcome.signatureVerificationData?.results.map((r) => [r.status, r.verifiedImageReferences])).toEqual([['VERIFIED', [`${IMAGE}:latest`]]]);
  });

  it('a stored copy without Fulcio trusts nothing keyless, and the failure names that copy', async () => {
    const advisories = new MemoryAdvisoryStore();
    const trustedRoot = JSON.parse(read('trusted-root-public-good-2025-03.json').toString('utf8'));
    // Every Fulcio CA's window closed before the signature was made.
    for (const ca of trustedRoot.certificateAuthorities) ca.validFor = { start: '2019-01-01T00:00:00Z', end: '2020-01-01T00:00:00Z' };
    await advisories.setCursor(
      TRUSTED_ROOT_KEY,
      encodeStoredTrustedRoot({ mirror: 'https://tuf.example', checked: '2026-11-30T00:00:00Z', fetched: '2026-11-01T00:00:00Z', trustedRoot }),
    );
    const [result] = (await stepOver(advisories).reverify(stored, record, [keyless], NOW)).signatureVerificationData?.results ?? [];
    expect(result.status).toBe('FAILED_VERIFICATION');
    expect(result.description).toContain('refreshed through TUF from https://tuf.example');
  });

  it("falls back to @sigstore/tuf's seed when the store holds none, and names it when verification fails", async () => {
    const step = stepOver(new MemoryAdvisoryStore());
    expect((await step.reverify(stored, record, [keyless], NOW)).signatureVerificationData?.results[0].status).toBe('VERIFIED');
    const stranger = { ...keyless, cosignCertificates: [{ certificateIdentity: '^someone-else@', certificateOidcIssuer: '.*' }] };
    const [failed] = (await step.reverify(stored, record, [stranger], NOW)).signatureVerificationData?.results ?? [];
    expect(failed.description).toContain('shipped with @sigstore/tuf');
  });

  it('a changed trusted root makes stored results of keyless integrations stale, not those of key integrations', async () => {
    const advisories = new MemoryAdvisoryStore();
    const trustedRoot = JSON.parse(read('trusted-root-public-good-2025-03.json').toString('utf8'));
    const put = (root: unknown) =>
      advisories.setCursor(
        TRUSTED_ROOT_KEY,
        encodeStoredTrustedRoot({ mirror: 'https://tuf.example', checked: '2026-11-30T00:00:00Z', fetched: '2026-11-01T00:00:00Z', trustedRoot: root }),
      );
    const keyed: SignatureIntegration = {
      id: 'io.stackrox.signatureintegration.keyed',
      name: 'keyed',
      cosign: { publicKeys: [{ name: 'k', publicKeyPemEnc: read('stackrox-chain', 'cert.pem').toString('utf8') }] },
    };
    await put(trustedRoot);
    const before = [await stepOver(advisories).verifiedWith([keyless]), await stepOver(advisories).verifiedWith([keyed])];
    trustedRoot.certificateAuthorities = trustedRoot.certificateAuthorities.slice(1);
    await put(trustedRoot);
    const after = [await stepOver(advisories).verifiedWith([keyless]), await stepOver(advisories).verifiedWith([keyed])];
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    // What reverify records is what the next answer compares with.
    const outcome = await stepOver(advisories).reverify(stored, record, [keyless], NOW);
    expect(outcome.record?.integrations).toBe(after[0]);
  });
});
