/**
 * The signature step of a scan, as StackRox's enricher runs it: with no signature integration nothing is fetched;
 * otherwise the image's cosign signatures (simple signing and sigstore bundles, for the image's digest and, for a
 * multi-platform image, its index's or platform manifest's) are fetched and verified against every integration.
 * Image notes: MISSING_SIGNATURE when the image carries no signature, MISSING_SIGNATURE_VERIFICATION_DATA when it
 * has no verification result. Fetching problems never fail the scan. When the integrations change, a stored
 * image's signatures are verified again without being fetched again (`reverify`).
 */
import type { ImageReference } from '../image/types';
import type { StorageImageNote, StorageImageSignature, StorageImageSignatureVerificationData, StorageSignature } from '../stackrox/types';
import type { FetchedSignature, FetchedSignatures, SignatureFetcher } from './fetch';
import { integrationsFingerprint } from './integrations';
import { SEED_TRUST_ROOT, type TrustRootSource } from './stored-trust-root';
import type { SigstoreTrustRoot } from './trust-root';
import type { SignatureIntegration } from './types';
import { type VerificationSubject, verifyWithIntegrations } from './verify';

/** What the step keeps beside a stored image so that its signatures can be verified again later without a fetch. */
export interface SigningRecord {
  /**
   * Stands for what the image's results were verified with: the integrations (`integrationsFingerprint`), and the
   * Sigstore trusted root when one of them relies on it.
   */
  integrations: string;
  /** When the signatures were fetched completely; absent when they were not fetched, or fetching went wrong. */
  fetchedAt?: string;
  /** The name the signatures were read under. */
  readFrom: string;
  /** Digests a signature may claim besides the image's: its index or platform manifest. */
  alternateDigests: string[];
}

export interface SignatureOutcome {
  signature: StorageImageSignature | null;
  signatureVerificationData: StorageImageSignatureVerificationData | null;
  notes: StorageImageNote[];
  /** Absent where no step ran (a local archive). */
  record?: SigningRecord;
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

/** The signature integrations in force: fixed ones (configuration, `--verify-key`) or a store's, read when asked. */
export interface SignatureIntegrationSource {
  current(): Promise<readonly SignatureIntegration[]>;
}

export function fixedIntegrations(integrations: readonly SignatureIntegration[]): SignatureIntegrationSource {
  const frozen = [...integrations];
  return { current: async () => frozen };
}

export interface SignatureStepOptions {
  integrations: readonly SignatureIntegration[] | SignatureIntegrationSource;
  fetcher: SignatureFetcher;
  /** The Sigstore trusted root keyless signatures are verified with: the updater's copy, else the seed's. */
  trustRoot?: TrustRootSource;
}

/** Whether verifying with the integration reads Sigstore's trusted root: keyless rules, or the public Rekor. */
function usesPublicTrust(integration: SignatureIntegration): boolean {
  const keyless = (integration.cosignCertificates ?? []).some((rule) => !rule.certificateChainPemEnc?.trim() || rule.certificateTransparencyLog?.enabled);
  const publicLog = integration.transparencyLog?.enabled === true && !integration.transparencyLog.publicKeyPemEnc?.trim();
  return keyless || publicLog;
}

function notesOf(outcome: Pick<SignatureOutcome, 'signature' | 'signatureVerificationData'>): StorageImageNote[] {
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
  private readonly source: SignatureIntegrationSource;

  constructor(private readonly options: SignatureStepOptions) {
    const integrations = options.integrations;
    this.source = Array.isArray(integrations) ? fixedIntegrations(integrations) : (integrations as SignatureIntegrationSource);
  }

  /** The integrations in force now. */
  integrationsNow(): Promise<readonly SignatureIntegration[]> {
    return this.source.current();
  }

  /** What a SigningRecord's `integrations` says for these integrations, the trusted root in force included when it matters. */
  async verifiedWith(integrations: readonly SignatureIntegration[]): Promise<string> {
    const fingerprint = integrationsFingerprint(integrations);
    if (!integrations.some(usesPublicTrust)) return fingerprint;
    return `${fingerprint}+${(await this.trustRoot()).digest}`;
  }

  private trustRoot(): Promise<SigstoreTrustRoot> {
    return (this.options.trustRoot ?? SEED_TRUST_ROOT).current();
  }

  /**
   * Fetches the subject's signatures and verifies them against `integrations` (those in force now when absent).
   * Rejects only when `signal` aborts; every other failure is a GENERIC_ERROR result.
   */
  async run(subject: SignatureSubject, now: Date, signal?: AbortSignal, integrations?: readonly SignatureIntegration[]): Promise<SignatureOutcome> {
    const inForce = integrations ?? (await this.integrationsNow());
    const alternateDigests = [...new Set(subject.alternateDigests ?? [])].filter((digest) => digest !== subject.digest);
    const record: SigningRecord = { integrations: await this.verifiedWith(inForce), readFrom: subject.reference.fullName, alternateDigests };
    if (inForce.length === 0) return { ...UNSIGNED_UNVERIFIED, notes: [...UNSIGNED_UNVERIFIED.notes], record };
    const fetched = await this.fetchAll(subject.reference, [subject.digest, ...alternateDigests], signal);
    const fetchedAt = now.toISOString();
    if (fetched.problems.length === 0) record.fetchedAt = fetchedAt;
    if (fetched.signatures.length === 0) {
      // Nothing to verify. A fetch that went wrong says so in every integration's result rather than passing for unsigned.
      const signatureVerificationData =
        fetched.problems.length === 0
          ? null
          : {
              results: inForce.map((integration) => ({
                verificationTime: fetchedAt,
                verifierId: integration.id,
                status: 'GENERIC_ERROR' as const,
                description: fetched.problems.join('; '),
                verifiedImageReferences: [],
              })),
            };
      const outcome = { signature: null, signatureVerificationData };
      return { ...outcome, notes: notesOf(outcome), record };
    }
    const signature = { signatures: fetched.signatures.map((entry) => entry.signature), fetched: fetchedAt };
    const verified = await this.verify(signature, { digest: subject.digest, names: subject.names, alternateDigests, readFrom: record.readFrom }, inForce, now);
    const results = verified.map((result) =>
      result.status === 'VERIFIED' || fetched.problems.length === 0 ? result : { ...result, description: [result.description, ...fetched.problems].join('; ') },
    );
    const outcome = { signature, signatureVerificationData: { results } };
    return { ...outcome, notes: notesOf(outcome), record };
  }

  /**
   * Verifies signatures fetched before (`record.fetchedAt` set) against `integrations`, without a registry:
   * what a stored image answers with once the integrations have changed.
   */
  async reverify(
    stored: { id: string; names: readonly string[]; signature: StorageImageSignature | null },
    record: SigningRecord,
    integrations: readonly SignatureIntegration[],
    now: Date,
  ): Promise<SignatureOutcome> {
    const next: SigningRecord = { ...record, integrations: await this.verifiedWith(integrations) };
    const signatures = stored.signature?.signatures ?? [];
    const results =
      integrations.length === 0 || signatures.length === 0
        ? []
        : await this.verify(
            stored.signature!,
            { digest: stored.id, names: stored.names, alternateDigests: record.alternateDigests, readFrom: record.readFrom },
            integrations,
            now,
          );
    const outcome = { signature: stored.signature, signatureVerificationData: results.length === 0 ? null : { results } };
    return { ...outcome, notes: notesOf(outcome), record: next };
  }

  private async verify(signature: StorageImageSignature, subject: VerificationSubject, integrations: readonly SignatureIntegration[], now: Date) {
    const trustRoot = await this.trustRoot();
    return verifyWithIntegrations(integrations, signature.signatures, subject, now, { trustRoot }).map(({ result }) => result);
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
