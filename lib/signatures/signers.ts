/**
 * An integration read for verification: the signers it trusts (public keys, certificate rules) and the
 * transparency log every signature must be in. What the integration leaves to the public Sigstore instance (no
 * certificate chain: Fulcio's CAs; no Rekor key: Rekor's keys; no CT log key: the CT logs') comes from a Sigstore
 * trusted root, held locally: nothing here reaches the network.
 */
import type { KeyObject } from 'node:crypto';
import { type Certificate, compileIdentityPattern, type IdentityPattern, parseCertificatesPem } from './certificates';
import { Failure } from './failure';
import { parsePublicKeyPem } from './integrations';
import { type LogAuthority, transparencyLogOf } from './tlog';
import type { SigstoreTrustRoot } from './trust-root';
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
  /** The integration's chain; empty for a keyless rule, whose certificates must chain to the trust root's Fulcio CAs. */
  anchors: Certificate[];
  identity: IdentityPattern;
  issuer: IdentityPattern;
  /** Set when the rule requires an SCT: the CT logs it must verify with (the rule's key, else the trust root's logs). */
  certificateTransparency?: { logs: LogAuthority[]; describe: string; fromTrustRoot: boolean };
}

export type TrustedSigner = KeySigner | CertificateSigner;

export interface TransparencyLogPolicy {
  /** The log keys entries must verify with. */
  logs: LogAuthority[];
  /** Where those keys come from, for messages. */
  describe: string;
  /** The keys are the trusted root's (the integration gives none). */
  fromTrustRoot: boolean;
  url: string;
  validateOffline: boolean;
}

export interface IntegrationTrust {
  signers: TrustedSigner[];
  transparencyLog?: TransparencyLogPolicy;
  /** The Sigstore trusted root the public-instance parts are verified with. */
  trustRoot: SigstoreTrustRoot;
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

function logKey(pem: string, url: string, what: string): LogAuthority {
  try {
    return transparencyLogOf(pem, url);
  } catch (err) {
    throw new Failure('GENERIC_ERROR', `parsing ${what}: ${(err as Error).message}`);
  }
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
};

/** The trust root's Rekor keys for `url`: all of them for the public instance, else those of the log at that URL. */
function trustRootLogs(trustRoot: SigstoreTrustRoot, url: string): LogAuthority[] {
  const logs = trustRoot.material.tlogs;
  if (hostOf(url) === hostOf(DEFAULT_REKOR_URL)) return logs;
  return logs.filter((log) => hostOf(log.baseURL) === hostOf(url));
}

function transparencyLogPolicy(integration: SignatureIntegration, trustRoot: SigstoreTrustRoot): TransparencyLogPolicy | undefined {
  const tlog = integration.transparencyLog;
  if (!tlog?.enabled) return undefined;
  const url = tlog.url?.trim() || DEFAULT_REKOR_URL;
  const validateOffline = tlog.validateOffline === true;
  if (tlog.publicKeyPemEnc?.trim()) {
    return {
      logs: [logKey(tlog.publicKeyPemEnc, url, 'transparencyLog.publicKeyPemEnc')],
      describe: "the integration's Rekor key",
      fromTrustRoot: false,
      url,
      validateOffline,
    };
  }
  const logs = trustRootLogs(trustRoot, url);
  if (logs.length === 0) {
    throw new Failure(
      'GENERIC_ERROR',
      `transparency log: no public key is configured (transparencyLog.publicKeyPemEnc), and ${trustRoot.source} has no key for ${url}: give the log's public key`,
    );
  }
  return { logs, describe: `the Rekor keys of ${trustRoot.source}`, fromTrustRoot: true, url, validateOffline };
}

/** The integration's signers and log; GENERIC_ERROR when its own material cannot be read. */
export function trustOf(integration: SignatureIntegration, trustRoot: SigstoreTrustRoot): IntegrationTrust {
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
    const signer: CertificateSigner = {
      kind: 'certificate',
      label: `certificate rule ${index + 1}`,
      name,
      pinned: certificates(rule.certificatePemEnc, `${name}.certificatePemEnc`)[0],
      anchors: certificates(rule.certificateChainPemEnc, `${name}.certificateChainPemEnc`),
      identity: pattern(rule.certificateIdentity, `${name}.certificateIdentity`),
      issuer: pattern(rule.certificateOidcIssuer, `${name}.certificateOidcIssuer`),
    };
    const ctlog = rule.certificateTransparencyLog;
    if (ctlog?.enabled) {
      signer.certificateTransparency = ctlog.publicKeyPemEnc?.trim()
        ? {
            logs: [logKey(ctlog.publicKeyPemEnc, '', `${name}.certificateTransparencyLog.publicKeyPemEnc`)],
            describe: "the rule's CT log key",
            fromTrustRoot: false,
          }
        : { logs: trustRoot.material.ctlogs, describe: `the CT log keys of ${trustRoot.source}`, fromTrustRoot: true };
    }
    signers.push(signer);
  }
  return { signers, transparencyLog: transparencyLogPolicy(integration, trustRoot), trustRoot };
}
