/**
 * An integration read for verification: the signers it trusts (public keys, certificate rules) and the
 * transparency log every signature must be in. What would need Sigstore's public services online (Fulcio's root,
 * Rekor's key, CT logs) is named as a GENERIC_ERROR, since lamina verifies offline only.
 */
import type { KeyObject } from 'node:crypto';
import { type Certificate, compileIdentityPattern, type IdentityPattern, parseCertificatesPem } from './certificates';
import { Failure } from './failure';
import { parsePublicKeyPem } from './integrations';
import { type TransparencyLog, transparencyLogOf } from './tlog';
import type { SignatureIntegration } from './types';

export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

export interface KeySigner {
  kind: 'key';
  label: string;
  name: string;
  key: KeyObject;
}

export interface CertificateSigner {
  kind: 'certificate';
  label: string;
  name: string;
  /** The integration's own certificate: signatures must be made with its key, whatever certificate they carry. */
  pinned?: Certificate;
  anchors: Certificate[];
  identity: IdentityPattern;
  issuer: IdentityPattern;
  /** Why this rule cannot verify anything offline. */
  unusable?: Failure;
}

export type TrustedSigner = KeySigner | CertificateSigner;

export interface TransparencyLogPolicy {
  log: TransparencyLog;
  url: string;
  validateOffline: boolean;
}

export interface IntegrationTrust {
  signers: TrustedSigner[];
  transparencyLog?: TransparencyLogPolicy;
}

function pattern(value: string, what: string): IdentityPattern {
  try {
    return { pattern: value, regex: compileIdentityPattern(value) };
  } catch (err) {
    throw new Failure('GENERIC_ERROR', `${what} ${JSON.stringify(value)} is not a usable regular expression: ${(err as Error).message}`);
  }
}

function certificates(pem: string | undefined, what: string): Certificate[] {
  if (!pem?.trim()) return [];
  try {
    return parseCertificatesPem(pem);
  } catch (err) {
    throw new Failure('GENERIC_ERROR', `parsing ${what}: ${(err as Error).message}`);
  }
}

/** The integration's signers and log; GENERIC_ERROR when its own material cannot be read. */
export function trustOf(integration: SignatureIntegration): IntegrationTrust {
  const signers: TrustedSigner[] = [];
  for (const publicKey of integration.cosign?.publicKeys ?? []) {
    try {
      signers.push({ kind: 'key', label: `key "${publicKey.name}"`, name: publicKey.name, key: parsePublicKeyPem(publicKey.publicKeyPemEnc) });
    } catch (err) {
      throw new Failure('GENERIC_ERROR', `parsing public key "${publicKey.name}": ${(err as Error).message}`);
    }
  }
  for (const [index, rule] of (integration.cosignCertificates ?? []).entries()) {
    const name = `cosignCertificates[${index}]`;
    const pinned = certificates(rule.certificatePemEnc, `${name}.certificatePemEnc`)[0];
    const anchors = certificates(rule.certificateChainPemEnc, `${name}.certificateChainPemEnc`);
    const signer: CertificateSigner = {
      kind: 'certificate',
      label: `certificate rule ${index + 1}`,
      name,
      pinned,
      anchors,
      identity: pattern(rule.certificateIdentity, `${name}.certificateIdentity`),
      issuer: pattern(rule.certificateOidcIssuer, `${name}.certificateOidcIssuer`),
    };
    if (anchors.length === 0) {
      signer.unusable = new Failure(
        'GENERIC_ERROR',
        `${signer.label}: no certificateChainPemEnc: verifying against the public Sigstore instance's Fulcio root needs its TUF repository online, which lamina does not reach; give the chain to trust`,
      );
    } else if (rule.certificateTransparencyLog?.enabled) {
      signer.unusable = new Failure(
        'GENERIC_ERROR',
        `${signer.label}: certificate transparency (SCT) verification is not supported by lamina; disable certificateTransparencyLog for this rule`,
      );
    }
    signers.push(signer);
  }
  const tlog = integration.transparencyLog;
  if (!tlog?.enabled) return { signers };
  const url = tlog.url?.trim() || DEFAULT_REKOR_URL;
  if (!tlog.publicKeyPemEnc?.trim()) {
    throw new Failure(
      'GENERIC_ERROR',
      `transparency log: no public key is configured (transparencyLog.publicKeyPemEnc); the key of ${url} would come from Sigstore's TUF repository online, which lamina does not reach: give the log's public key to verify offline`,
    );
  }
  let log: TransparencyLog;
  try {
    log = transparencyLogOf(tlog.publicKeyPemEnc, url);
  } catch (err) {
    throw new Failure('GENERIC_ERROR', `parsing transparencyLog.publicKeyPemEnc: ${(err as Error).message}`);
  }
  return { signers, transparencyLog: { log, url, validateOffline: tlog.validateOffline === true } };
}
