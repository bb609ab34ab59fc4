/**
 * The signature step of a scan, as StackRox's enricher runs it: with no signature integration nothing is fetched;
 * otherwise the image's cosign signatures are fetched and verified against every integration (one result each).
 * Image notes: MISSING_SIGNATURE when the image carries no signature, MISSING_SIGNATURE_VERIFICATION_DATA when it
 * has no verification result. Fetching problems never fail the scan.
 */
import type { ImageReference } from '../image/types';
import type { StorageImageNote, StorageImageSignature, StorageImageSignatureVerificationData } from '../stackrox/types';
import type { SignatureFetcher } from './fetch';
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

export class SignatureStep {
  constructor(private readonly options: SignatureStepOptions) {}

  get integrations(): readonly SignatureIntegration[] {
    return this.options.integrations;
  }

  /** Rejects only when `signal` aborts; every other failure is a GENERIC_ERROR result. */
  async run(subject: SignatureSubject, now: Date, signal?: AbortSignal): Promise<SignatureOutcome> {
    const integrations = this.options.integrations;
    if (integrations.length === 0) return { ...UNSIGNED_UNVERIFIED, notes: [...UNSIGNED_UNVERIFIED.notes] };
    let fetched: Awaited<ReturnType<SignatureFetcher['fetch']>>;
    try {
      fetched = await this.options.fetcher.fetch(subject.reference, subject.digest, signal);
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      fetched = { signatures: [], problems: [`fetching signatures: ${err instanceof Error ? err.message : String(err)}`] };
    }
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
    const detailed = verifyWithIntegrations(integrations, signatures, { digest: subject.digest, names: subject.names }, now);
    const results = detailed.map(({ result }) =>
      result.status === 'VERIFIED' || fetched.problems.length === 0 ? result : { ...result, description: [result.description, ...fetched.problems].join('; ') },
    );
    const outcome = { signature: { signatures, fetched: fetchedAt }, signatureVerificationData: { results } };
    return { ...outcome, notes: notesOf(outcome) };
  }
}
