/** Reading signature integrations: `LAMINA_SIGNATURE_INTEGRATIONS` and `lamina scan --verify-key`. */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { compileIdentityPattern, parseCertificatesPem } from './certificates';
import type { CosignCertificateVerification, CosignPublicKey, CosignPublicKeyVerification, SignatureIntegration, TransparencyLogVerification } from './types';

const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END ([A-Z0-9 ]+)-----$/;

/**
 * A PEM `PUBLIC KEY` block (SPKI), as StackRox accepts it: exactly one block, nothing around it but white space.
 * Throws an Error saying what is wrong; the key's algorithm is judged when a signature is verified.
 */
export function parsePublicKeyPem(pem: string): KeyObject {
  if (typeof pem !== 'string' || pem.trim() === '') throw new Error('the key is empty');
  const text = pem.trim();
  const block = PEM_BLOCK.exec(text);
  if (!block) throw new Error('not a PEM block (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)');
  if (block[1] !== 'PUBLIC KEY' || block[3] !== 'PUBLIC KEY') {
    const hint = block[1].includes('PRIVATE') ? ': that is a private key; give the public one (cosign public-key)' : '';
    throw new Error(`the PEM block is "${block[1]}", not "PUBLIC KEY"${hint}`);
  }
  if (text.indexOf('-----BEGIN', 1) !== -1) throw new Error('more than one PEM block; give one key per entry');
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new Error(`the PEM block holds no readable public key (${(err as Error).message})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function checkPublicKeys(value: unknown, label: string): CosignPublicKey[] {
  if (!isObject(value)) throw new Error(`${label}: cosign must be an object {publicKeys: [{name, publicKeyPemEnc}]}`);
  const keys = value.publicKeys;
  if (!Array.isArray(keys)) throw new Error(`${label}: cosign.publicKeys must be an array of keys`);
  return keys.map((key, index) => {
    const at = `${label}: cosign.publicKeys[${index}]`;
    if (!isObject(key)) throw new Error(`${at} must be an object {name, publicKeyPemEnc}`);
    if (!nonEmptyString(key.name)) throw new Error(`${at}: name must be a non-empty string`);
    if (typeof key.publicKeyPemEnc !== 'string') throw new Error(`${at} ("${key.name}"): publicKeyPemEnc must be a string`);
    try {
      parsePublicKeyPem(key.publicKeyPemEnc);
    } catch (err) {
      throw new Error(`${at} ("${key.name}"): publicKeyPemEnc is not a PEM-encoded public key: ${(err as Error).message}`);
    }
    return { name: key.name, publicKeyPemEnc: key.publicKeyPemEnc };
  });
}

function optionalString(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${at} must be a string`);
  return value;
}

function optionalKey(value: unknown, at: string): string | undefined {
  const pem = optionalString(value, at);
  if (pem === undefined) return undefined;
  try {
    parsePublicKeyPem(pem);
  } catch (err) {
    throw new Error(`${at} is not a PEM-encoded public key: ${(err as Error).message}`);
  }
  return pem;
}

function checkCertificateRule(value: unknown, at: string): CosignCertificateVerification {
  if (!isObject(value)) throw new Error(`${at} must be an object {certificateChainPemEnc, certificateOidcIssuer, certificateIdentity, …}`);
  const rule: CosignCertificateVerification = { certificateOidcIssuer: '', certificateIdentity: '' };
  for (const field of ['certificateOidcIssuer', 'certificateIdentity'] as const) {
    const pattern = value[field];
    if (!nonEmptyString(pattern)) throw new Error(`${at}: ${field} must be a non-empty regular expression ('.*' matches any)`);
    try {
      compileIdentityPattern(pattern);
    } catch (err) {
      throw new Error(`${at}: ${field} is not a usable regular expression: ${(err as Error).message}`);
    }
    rule[field] = pattern;
  }
  for (const field of ['certificatePemEnc', 'certificateChainPemEnc'] as const) {
    const pem = optionalString(value[field], `${at}: ${field}`);
    if (pem === undefined) continue;
    try {
      parseCertificatesPem(pem);
    } catch (err) {
      throw new Error(`${at}: ${field} is not PEM-encoded certificates: ${(err as Error).message}`);
    }
    rule[field] = pem;
  }
  const ctlog = value.certificateTransparencyLog;
  if (ctlog !== undefined && ctlog !== null) {
    if (!isObject(ctlog)) throw new Error(`${at}: certificateTransparencyLog must be an object {enabled, publicKeyPemEnc}`);
    if (ctlog.enabled === true) {
      const publicKeyPemEnc = optionalKey(ctlog.publicKeyPemEnc, `${at}: certificateTransparencyLog.publicKeyPemEnc`);
      rule.certificateTransparencyLog = publicKeyPemEnc ? { enabled: true, publicKeyPemEnc } : { enabled: true };
    }
  }
  return rule;
}

function checkTransparencyLog(value: unknown, at: string): TransparencyLogVerification | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new Error(`${at} must be an object {enabled, url, validateOffline, publicKeyPemEnc}`);
  if (value.enabled !== true) return undefined;
  const tlog: TransparencyLogVerification = { enabled: true, validateOffline: value.validateOffline === true };
  const url = optionalString(value.url, `${at}.url`);
  if (url !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(url)) throw new Error(`${at}.url must be an http(s) URL`);
    tlog.url = url;
  }
  const publicKeyPemEnc = optionalKey(value.publicKeyPemEnc, `${at}.publicKeyPemEnc`);
  if (publicKeyPemEnc) tlog.publicKeyPemEnc = publicKeyPemEnc;
  return tlog;
}

/**
 * One signature integration in StackRox's JSON shape, checked and normalised (disabled parts dropped); throws an
 * Error that names `where` and the field at fault.
 */
export function checkSignatureIntegration(value: unknown, where: string): SignatureIntegration {
  if (!isObject(value)) throw new Error(`${where} must be an object {id, name, cosign: {publicKeys: [...]}, cosignCertificates: [...]}`);
  if (!nonEmptyString(value.id)) throw new Error(`${where}: id must be a non-empty string`);
  const label = `${where} ("${value.id}")`;
  if (!nonEmptyString(value.name)) throw new Error(`${label}: name must be a non-empty string`);
  const publicKeys = value.cosign === undefined || value.cosign === null ? [] : checkPublicKeys(value.cosign, label);
  const rules = value.cosignCertificates ?? [];
  if (!Array.isArray(rules)) throw new Error(`${label}: cosignCertificates must be an array`);
  const cosignCertificates = rules.map((rule, index) => checkCertificateRule(rule, `${label}: cosignCertificates[${index}]`));
  if (publicKeys.length === 0 && cosignCertificates.length === 0) {
    throw new Error(`${label}: give at least one key (cosign.publicKeys) or certificate rule (cosignCertificates) to verify with`);
  }
  const integration: SignatureIntegration = { id: value.id, name: value.name };
  if (publicKeys.length > 0) integration.cosign = { publicKeys };
  if (cosignCertificates.length > 0) integration.cosignCertificates = cosignCertificates;
  const transparencyLog = checkTransparencyLog(value.transparencyLog, `${label}: transparencyLog`);
  if (transparencyLog) integration.transparencyLog = transparencyLog;
  return integration;
}

/**
 * `LAMINA_SIGNATURE_INTEGRATIONS`: a JSON array of StackRox signature integrations,
 * `[{"id": "…", "name": "…", "cosign": {"publicKeys": [{"name": "…", "publicKeyPemEnc": "-----BEGIN PUBLIC KEY-----…"}]},
 * "cosignCertificates": [{"certificateChainPemEnc": "…", "certificateOidcIssuer": "…", "certificateIdentity": "…"}],
 * "transparencyLog": {"enabled": true, "validateOffline": true, "publicKeyPemEnc": "…"}}]`.
 * Empty or unset → none. Anything invalid (not JSON, a duplicate id, a key that is not a PEM public key) throws an
 * Error naming the entry, so a misconfigured deployment stops at start instead of reporting every image unverified.
 */
export function parseSignatureIntegrations(text: string | undefined, source = 'LAMINA_SIGNATURE_INTEGRATIONS'): SignatureIntegration[] {
  if (!text?.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${source} must be a JSON array of signature integrations`);
  const integrations = parsed.map((entry, index) => checkSignatureIntegration(entry, `${source}[${index}]`));
  const seen = new Set<string>();
  for (const integration of integrations) {
    if (seen.has(integration.id)) throw new Error(`${source}: the id "${integration.id}" is used by more than one integration`);
    seen.add(integration.id);
  }
  return integrations;
}

/** The integration `lamina scan --verify-key` builds: one integration, one key per file, each named by its path. */
export const CLI_INTEGRATION_ID = 'io.lamina.signatureintegration.verify-key';

export function integrationFromKeys(keys: ReadonlyArray<{ name: string; pem: string }>): SignatureIntegration & { cosign: CosignPublicKeyVerification } {
  const publicKeys = keys.map(({ name, pem }) => {
    try {
      parsePublicKeyPem(pem);
    } catch (err) {
      throw new Error(`${name}: not a PEM-encoded public key: ${(err as Error).message}`);
    }
    return { name, publicKeyPemEnc: pem };
  });
  return { id: CLI_INTEGRATION_ID, name: '--verify-key', cosign: { publicKeys } };
}

/**
 * Stands for a set of integrations as a whole: equal for the same integrations in any order, different when
 * anything in one of them changed. "" for none.
 */
export function integrationsFingerprint(integrations: readonly SignatureIntegration[]): string {
  if (integrations.length === 0) return '';
  const ordered = [...integrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex');
}
