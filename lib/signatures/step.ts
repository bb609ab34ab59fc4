/**
 * The signature step of a scan, as StackRox's enricher runs it: with no signature integration nothing is fetched;
 * otherwise the image's cosign signatures (simple signing and sigstore bundles, for the image's digest and, for a
 * multi-platform image, its index's or platform manifest's) are fetched and verified against every integration.
 * Image notes: MISSING_SIGNATURE when the image carries no signature, MISSING_SIGNATURE_VERIFICATION_DATA when it
 * has no verification result. Fetching problems never fail the scan.
 */
import type { ImageReference } from '../image/types';
import type { StorageImageNote, StorageImageSignature, StorageImageSignatureVerificationData, StorageSignature } from '../stackrox/types';
import type { FetchedSignature, FetchedSignatures, SignatureFetcher } from './fetch';
import type { SignatureIntegration } from './types';
import { verifyWithIntegrations } from './verify';

export interface SignatureOutcome {
  signature: StorageImageSignature | null;
  signatureVerificationData: StorageImageSignatureVerificationData | null;
  notes: StorageImageNote[];
}

/** What an image without signature integrations carries (and an image no registry holds, a local archive). */
export const UNSIGNED_UNVERIFIED: SignatureOutcome = Object.freeze({
  signature: null,
  signatureVerificationData: null,
  notes: ['MISSING_SIGNATURE', 'MISSING_SIGNATURE_VERIFICATION_DATA'] as StorageImageNote[],
});

export interface SignatureSubject {
  /** The reference scanned: signatures are read from its repository. */
  reference: ImageReference;
  /** The image's id (its manifest digest). */
  digest: string;
  /** Every full name of the image, this one included. */
  names: readonly string[];
  /**
   * The other digests of a multi-platform image: the index it was resolved from, or the platform manifest picked
   * from the index it was named by. Their signatures are fetched too, and a signature may claim any of them.
   */
  alternateDigests?: readonly string[];
}

export interface SignatureStepOptions {
  integrations: readonly SignatureIntegration[];
  fetcher: SignatureFetcher;
}

function notesOf(outcome: Omit<SignatureOutcome, 'notes'>): StorageImageNote[] {
  const notes: StorageImageNote[] = [];
  if ((outcome.signature?.signatures.length ?? 0) === 0) notes.push('MISSING_SIGNATURE');
  if ((outcome.signatureVerificationData?.results.length ?? 0) === 0) notes.push('MISSING_SIGNATURE_VERIFICATION_DATA');
  return notes;
}

function signatureKey(signature: StorageSignature): string {
  const cosign = signature.cosign;
  return `${cosign?.signatureFormat ?? ''}|${cosign?.rawSignature ?? ''}|${cosign?.signaturePayload ?? ''}|${cosign?.sigstoreBundle ?? ''}`;
}

export class SignatureStep {
  constructor(private readonly options: SignatureStepOptions) {}

  get integrations(): readonly SignatureIntegration[] {
    return this.options.integrations;
  }

  /** Rejects only when `signal` aborts; every other failure is a GENERIC_ERROR result. */
  async run(subject: SignatureSubject, now: Date, signal?: AbortSignal): Promise<SignatureOutcome> {
    const integrations = this.options.integrations;
    if (integrations.length === 0) return { ...UNSIGNED_UNVERIFIED, notes: [...UNSIGNED_UNVERIFIED.notes] };
    const alternateDigests = [...new Set(subject.alternateDigests ?? [])].filter((digest) => digest !== subject.digest);
    const fetched = await this.fetchAll(subject.reference, [subject.digest, ...alternateDigests], signal);
    const fetchedAt = now.toISOString();
    if (fetched.signatures.length === 0) {
      // Nothing to verify. A fetch that went wrong says so in every integration's result rather than passing for unsigned.
      const signatureVerificationData =
        fetched.problems.length === 0
          ? null
          : {
              results: integrations.map((integration) => ({
                verificationTime: fetchedAt,
                verifierId: integration.id,
                status: 'GENERIC_ERROR' as const,
                description: fetched.problems.join('; '),
                verifiedImageReferences: [],
              })),
            };
      const outcome = { signature: null, signatureVerificationData };
      return { ...outcome, notes: notesOf(outcome) };
    }
    const signatures = fetched.signatures.map((entry) => entry.signature);
    const detailed = verifyWithIntegrations(
      integrations,
      signatures,
      { digest: subject.digest, names: subject.names, alternateDigests, readFrom: subject.reference.fullName },
      now,
    );
    const results = detailed.map(({ result }) =>
      result.status === 'VERIFIED' || fetched.problems.length === 0 ? result : { ...result, description: [result.description, ...fetched.problems].join('; ') },
    );
    const outcome = { signature: { signatures, fetched: fetchedAt }, signatureVerificationData: { results } };
    return { ...outcome, notes: notesOf(outcome) };
  }

  /** Every digest's signatures, each once; a digest whose signatures cannot be read is a problem, not a failure. */
  private async fetchAll(reference: ImageReference, digests: readonly string[], signal?: AbortSignal): Promise<FetchedSignatures> {
    const each = await Promise.all(
      digests.map(async (digest): Promise<FetchedSignatures> => {
        try {
          return await this.options.fetcher.fetch(reference, digest, signal);
        } catch (err) {
          if (signal?.aborted) throw signal.reason ?? err;
          const which = digests.length > 1 ? ` of ${digest}` : '';
          return { signatures: [], problems: [`fetching signatures${which}: ${err instanceof Error ? err.message : String(err)}`] };
        }
      }),
    );
    const unique = new Map<string, FetchedSignature>();
    for (const entry of each.flatMap((fetched) => fetched.signatures)) {
      const key = signatureKey(entry.signature);
      if (!unique.has(key)) unique.set(key, entry);
    }
    return { signatures: [...unique.values()], problems: each.flatMap((fetched) => fetched.problems) };
  }
}
