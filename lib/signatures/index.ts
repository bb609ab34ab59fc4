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
export * from './types';
export {
  claimedDigests,
  decodeStrictBase64,
  verifyWithIntegration,
  verifyWithIntegrations,
  type DetailedVerificationResult,
  type VerificationSubject,
} from './verify';
