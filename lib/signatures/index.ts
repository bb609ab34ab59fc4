export {
  CosignSignatureFetcher,
  type CosignSignatureFetcherOptions,
  type FetchedSignature,
  type FetchedSignatures,
  type SignatureFetcher,
  type SignatureRegistry,
} from './fetch';
export { CLI_INTEGRATION_ID, integrationFromKeys, parsePublicKeyPem, parseSignatureIntegrations } from './integrations';
export { SignatureStep, UNSIGNED_UNVERIFIED, type SignatureOutcome, type SignatureStepOptions, type SignatureSubject } from './step';
export {
  decodeStoredTrustedRoot,
  SEED_TRUST_ROOT,
  type StoredTrustedRoot,
  StoredTrustRootSource,
  TRUSTED_ROOT_KEY,
  type TrustRootSource,
} from './stored-trust-root';
export { PUBLIC_GOOD_TUF_URL, type SigstoreTrustRoot, seedTrustRoot, trustRootOf } from './trust-root';
export * from './types';
export {
  claimedDigests,
  decodeStrictBase64,
  verifyWithIntegration,
  verifyWithIntegrations,
  type DetailedVerificationResult,
  type VerificationOptions,
  type VerificationSubject,
} from './verify';
