/**
 * What a signature claims about the image: the digests it is for and the repository it names. A simple-signing
 * payload names both (`docker-manifest-digest`, `docker-reference`); an in-toto statement names digests, and a
 * repository only when its subjects have names (cosign's own have none).
 */
import { parseImageName } from '../image/reference';
import { Failure } from './failure';
import { COSIGN_PAYLOAD_TYPE } from './types';

export interface Claims {
  digests: string[];
  /** `registry/remote` of each repository the signature names; empty when it names none. */
  repositories: string[];
  /** What the signature says it is for, for messages. */
  signedFor: string;
}

export function repositoryOf(name: string): string | undefined {
  try {
    const reference = parseImageName(name);
    return `${reference.registry}/${reference.remote}`;
  } catch {
    return undefined;
  }
}

/** The claims of a simple-signing payload: `critical.identity.docker-reference` and `critical.image.docker-manifest-digest`. */
export function simpleSigningClaims(payload: Buffer): Claims {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new Failure('FAILED_VERIFICATION', 'invalid payload: not JSON');
  }
  const critical = (json as { critical?: unknown } | null)?.critical as
    | { identity?: { 'docker-reference'?: unknown }; image?: { 'docker-manifest-digest'?: unknown }; type?: unknown }
    | undefined;
  if (!critical || typeof critical !== 'object') throw new Failure('FAILED_VERIFICATION', 'invalid payload: no "critical" section');
  if (critical.type !== COSIGN_PAYLOAD_TYPE) {
    throw new Failure('FAILED_VERIFICATION', `invalid payload: critical.type is ${JSON.stringify(critical.type ?? null)}, not "${COSIGN_PAYLOAD_TYPE}"`);
  }
  const digest = critical.image?.['docker-manifest-digest'];
  const reference = critical.identity?.['docker-reference'];
  const dockerReference = typeof reference === 'string' ? reference : '';
  const repository = dockerReference ? repositoryOf(dockerReference) : undefined;
  return {
    digests: typeof digest === 'string' && digest ? [digest] : [],
    repositories: repository ? [repository] : [],
    signedFor: dockerReference || '(no docker-reference)',
  };
}

/** The image's names in the repositories the signature is for (tags and digests ignored), sorted. */
export function verifiedReferences(repositories: readonly string[], names: readonly string[]): string[] {
  const signed = new Set(repositories);
  return [...new Set(names.filter((name) => signed.has(repositoryOf(name) ?? '')))].sort();
}
