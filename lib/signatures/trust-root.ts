/**
 * Sigstore trust roots: a `trusted_root.json` (Fulcio certificate authorities, Rekor and CT log keys, timestamp
 * authorities, each with its validity window) read into @sigstore/verify's trust material. The public-good one
 * ships inside @sigstore/tuf's seed, which is read here as data only: TUF and its HTTP client stay out of the scan
 * path (see trust-root-refresh.ts for the updater's side).
 */
import { createHash } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import tufPackage from '@sigstore/tuf/package.json';
import tufSeeds from '@sigstore/tuf/seeds.json';
import { type TrustMaterial, toTrustMaterial, VerificationError } from '@sigstore/verify';

/** The public-good instance's TUF repository, as @sigstore/tuf names it (its seed is keyed by this URL). */
export const PUBLIC_GOOD_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';

export const TRUSTED_ROOT_TARGET = 'trusted_root.json';

export interface SigstoreTrustRoot {
  /** Which trusted root this is, for verification descriptions: where it came from and when. */
  source: string;
  /** Stands for its content (a digest): results verified with it are verified again when it changes. */
  digest: string;
  material: TrustMaterial;
}

function noPublicKeys(hint: string): never {
  // Certificate rules only: a key hint names an integration key, which the caller checks itself.
  throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: `no public key ${JSON.stringify(hint)} in a Sigstore trusted root` });
}

/**
 * A `trusted_root.json` (text or parsed) as trust material; throws an Error saying what is wrong when it is not one,
 * or names no Fulcio certificate authority.
 */
export function trustRootOf(json: unknown, source: string): SigstoreTrustRoot {
  let root: TrustedRoot;
  try {
    const parsed = typeof json === 'string' ? JSON.parse(json) : json;
    if (typeof parsed !== 'object' || parsed === null || !String((parsed as { mediaType?: unknown }).mediaType).includes('trustedroot')) {
      throw new Error('its mediaType is not application/vnd.dev.sigstore.trustedroot+json');
    }
    root = TrustedRoot.fromJSON(parsed);
    if (root.certificateAuthorities.length === 0) throw new Error('it names no certificate authority');
    const digest = createHash('sha256').update(JSON.stringify(parsed)).digest('hex');
    return { source, digest, material: toTrustMaterial(root, noPublicKeys) };
  } catch (err) {
    throw new Error(`${source} is not a usable Sigstore trusted root: ${(err as Error).message}`);
  }
}

let seed: SigstoreTrustRoot | undefined;

/** The public-good trusted root of @sigstore/tuf's seed, read once. */
export function seedTrustRoot(): SigstoreTrustRoot {
  if (!seed) {
    const target = (tufSeeds as Record<string, { targets: Record<string, string> }>)[PUBLIC_GOOD_TUF_URL]?.targets?.[TRUSTED_ROOT_TARGET];
    const source = `the Sigstore public-good trusted root shipped with @sigstore/tuf ${tufPackage.version}`;
    if (!target) throw new Error(`${source} is missing: the package's seeds.json has no ${TRUSTED_ROOT_TARGET} for ${PUBLIC_GOOD_TUF_URL}`);
    seed = trustRootOf(Buffer.from(target, 'base64').toString('utf8'), source);
  }
  return seed;
}
