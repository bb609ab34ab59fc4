/**
 * Sigstore bundles attached to an image as OCI 1.1 referrers (cosign 2.4+ `--new-bundle-format`, cosign 3): each a
 * manifest whose `artifactType` is the bundle's media type and whose one layer is the bundle, JSON. Found through
 * the referrers API, or the referrers fallback tag where the registry has no API.
 */
import { listReferrers } from '../image/registry/referrers';
import type { ImageReference } from '../image/types';
import type { StorageCosignSignature } from '../stackrox/types';
import { certificatesPem, parseSigstoreBundle } from './bundle';
import type { FetchedSignatures, SignatureRegistry } from './fetch';
import { MAX_PAYLOAD_BYTES, MAX_SIGNATURES, MAX_TOTAL_PAYLOAD_BYTES, SIGSTORE_BUNDLE_ARTIFACT_PREFIX } from './types';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const isBundleType = (mediaType: string | undefined) => mediaType?.startsWith(SIGSTORE_BUNDLE_ARTIFACT_PREFIX) === true;

/**
 * A bundle as StackRox stores it (DEAD_SIMPLE_SIGNING_ENVELOPE, the bundle JSON in `sigstoreBundle`), with the
 * simple-signing fields filled from it for readers that know no other format: the DSSE signature, the DSSE payload
 * (the in-toto statement) and the certificates, PEM. Verification reads only the bundle.
 */
export function storageSignatureOfBundle(json: Buffer): StorageCosignSignature {
  const signature: StorageCosignSignature = {
    rawSignature: '',
    signaturePayload: '',
    certPem: '',
    certChainPem: '',
    rekorBundle: '',
    signatureFormat: 'DEAD_SIMPLE_SIGNING_ENVELOPE',
    sigstoreBundle: json.toString('base64'),
  };
  try {
    const contents = parseSigstoreBundle(json);
    signature.rawSignature = contents.signature.toString('base64');
    signature.signaturePayload = contents.payload.toString('base64');
    signature.certPem = Buffer.from(certificatesPem(contents.certificates.slice(0, 1))).toString('base64');
    signature.certChainPem = Buffer.from(certificatesPem(contents.certificates.slice(1))).toString('base64');
  } catch {
    // Kept as fetched: verification reports why the bundle cannot be read.
  }
  return signature;
}

/** The sigstore bundles among the referrers of `digest` in `repository`. No referrers, no bundles; failures throw. */
export async function fetchSigstoreBundles(
  registry: SignatureRegistry,
  repository: ImageReference,
  digest: string,
  signal?: AbortSignal,
): Promise<FetchedSignatures> {
  const listing = await listReferrers(registry, repository, digest, signal);
  const referrers = listing.referrers.filter((referrer) => isBundleType(referrer.artifactType));
  const problems: string[] = [];
  if (referrers.length > MAX_SIGNATURES) problems.push(`${digest} has ${referrers.length} sigstore bundles; only the first ${MAX_SIGNATURES} are read`);
  const signatures: FetchedSignatures['signatures'] = [];
  let budget = MAX_TOTAL_PAYLOAD_BYTES;
  for (const referrer of referrers.slice(0, MAX_SIGNATURES)) {
    const label = `sigstore bundle ${referrer.digest}`;
    try {
      const manifest = await registry.fetchManifestIfPresent(repository, referrer.digest, { signal });
      if (!manifest) {
        problems.push(`${label}: listed as a referrer, but the registry has no such manifest`);
        continue;
      }
      const layer = manifest.parsed.kind === 'image' ? manifest.parsed.manifest.layers.find((candidate) => isBundleType(candidate.mediaType)) : undefined;
      if (!layer) {
        problems.push(`${label}: the manifest has no sigstore bundle layer`);
        continue;
      }
      if (layer.size > Math.min(MAX_PAYLOAD_BYTES, budget)) {
        problems.push(`${label}: the bundle is ${layer.size} bytes, more than the ${Math.min(MAX_PAYLOAD_BYTES, budget)} still read`);
        continue;
      }
      const json = await registry.getBlobBytes(repository, layer, { signal, maxBytes: MAX_PAYLOAD_BYTES });
      budget -= json.length;
      signatures.push({ signature: { cosign: storageSignatureOfBundle(json) } });
    } catch (err) {
      if (signal?.aborted) throw err;
      problems.push(`${label}: ${messageOf(err)}`);
    }
  }
  return { signatures, problems };
}
