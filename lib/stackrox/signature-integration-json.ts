/** storage.SignatureIntegration as StackRox's API prints it: every field present, unset messages null. */
import type { CosignCertificateVerification, SignatureIntegration } from '../signatures/types';
import type { JsonObject } from './encode';

function certificateRule(rule: CosignCertificateVerification): JsonObject {
  const ctlog = rule.certificateTransparencyLog;
  return {
    certificatePemEnc: rule.certificatePemEnc ?? '',
    certificateChainPemEnc: rule.certificateChainPemEnc ?? '',
    certificateOidcIssuer: rule.certificateOidcIssuer,
    certificateIdentity: rule.certificateIdentity,
    certificateTransparencyLog: ctlog ? { enabled: ctlog.enabled, publicKeyPemEnc: ctlog.publicKeyPemEnc ?? '' } : null,
  };
}

export function encodeSignatureIntegration(integration: SignatureIntegration): JsonObject {
  const tlog = integration.transparencyLog;
  return {
    id: integration.id,
    name: integration.name,
    cosign: integration.cosign ? { publicKeys: integration.cosign.publicKeys.map((key) => ({ name: key.name, publicKeyPemEnc: key.publicKeyPemEnc })) } : null,
    cosignCertificates: (integration.cosignCertificates ?? []).map(certificateRule),
    transparencyLog: tlog
      ? { enabled: tlog.enabled, url: tlog.url ?? '', validateOffline: tlog.validateOffline ?? false, publicKeyPemEnc: tlog.publicKeyPemEnc ?? '' }
      : null,
  };
}

/** v1.ListSignatureIntegrationsResponse. */
export function encodeSignatureIntegrationList(integrations: readonly SignatureIntegration[]): JsonObject {
  return { integrations: integrations.map(encodeSignatureIntegration) };
}
