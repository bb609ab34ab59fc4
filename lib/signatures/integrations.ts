/** Reading signature integrations: `LAMINA_SIGNATURE_INTEGRATIONS` and `lamina scan --verify-key`. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { CosignPublicKey, SignatureIntegration } from './types';

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

function checkIntegration(value: unknown, where: string): SignatureIntegration {
  if (!isObject(value)) throw new Error(`${where} must be an object {id, name, cosign: {publicKeys: [...]}}`);
  if (!nonEmptyString(value.id)) throw new Error(`${where}: id must be a non-empty string`);
  const label = `${where} ("${value.id}")`;
  if (!nonEmptyString(value.name)) throw new Error(`${label}: name must be a non-empty string`);
  for (const unsupported of ['cosignCertificates', 'transparencyLog'] as const) {
    const field = value[unsupported];
    const used = Array.isArray(field) ? field.length > 0 : isObject(field) ? field.enabled === true || Object.keys(field).length > 0 : false;
    if (used) throw new Error(`${label}: ${unsupported} is not supported yet; verify with cosign.publicKeys`);
  }
  if (!isObject(value.cosign)) throw new Error(`${label}: cosign must be an object {publicKeys: [{name, publicKeyPemEnc}]}`);
  const keys = value.cosign.publicKeys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${label}: cosign.publicKeys must list at least one key`);
  const publicKeys: CosignPublicKey[] = keys.map((key, index) => {
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
  return { id: value.id, name: value.name, cosign: { publicKeys } };
}

/**
 * `LAMINA_SIGNATURE_INTEGRATIONS`: a JSON array of StackRox signature integrations,
 * `[{"id": "…", "name": "…", "cosign": {"publicKeys": [{"name": "…", "publicKeyPemEnc": "-----BEGIN PUBLIC KEY-----…"}]}}]`.
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
  const integrations = parsed.map((entry, index) => checkIntegration(entry, `${source}[${index}]`));
  const seen = new Set<string>();
  for (const integration of integrations) {
    if (seen.has(integration.id)) throw new Error(`${source}: the id "${integration.id}" is used by more than one integration`);
    seen.add(integration.id);
  }
  return integrations;
}

/** The integration `lamina scan --verify-key` builds: one integration, one key per file, each named by its path. */
export const CLI_INTEGRATION_ID = 'io.lamina.signatureintegration.verify-key';

export function integrationFromKeys(keys: ReadonlyArray<{ name: string; pem: string }>): SignatureIntegration {
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
