/** The signature algorithms StackRox's cosign verifier accepts, checked with node:crypto. */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { Failure } from './failure';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding, as Go's StdEncoding reads it (line breaks skipped); undefined when it is not. */
export function decodeStrictBase64(text: string | undefined | null): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  const compact = text.replace(/[\r\n]/g, '');
  if (compact === '' || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

export function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} (${curve})` : String(key.asymmetricKeyType);
}

function attempt(run: () => boolean): boolean {
  try {
    return run();
  } catch {
    return false;
  }
}

const EC_HASHES: Record<string, string[]> = { prime256v1: ['sha256'], secp384r1: ['sha384', 'sha256'], secp521r1: ['sha512', 'sha256'] };

/**
 * Whether `signature` is a valid signature of `signed` by `key`: ECDSA (DER) P-256 with SHA-256, P-384 with
 * SHA-384 or SHA-256, P-521 with SHA-512 or SHA-256; RSA (2048 bits or more) PKCS#1 v1.5 or PSS with SHA-256;
 * Ed25519 over the bytes themselves. Any other key is INVALID_SIGNATURE_ALGO.
 */
export function checkSignature(key: KeyObject, signed: Buffer, signature: Buffer): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const usable = EC_HASHES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!usable)
        throw new Failure('INVALID_SIGNATURE_ALGO', `unsupported public key algorithm ${describeKey(key)}: ECDSA keys must be P-256, P-384 or P-521`);
      return usable.some((hash) => attempt(() => cryptoVerify(hash, signed, { key, dsaEncoding: 'der' }, signature)));
    }
    case 'rsa':
    case 'rsa-pss': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 2048) throw new Failure('INVALID_SIGNATURE_ALGO', `unsupported public key: RSA keys of ${bits} bits are refused (2048 or more)`);
      const pss = () =>
        cryptoVerify('sha256', signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
      // An RSA-PSS key carries its own parameters (hash, minimum salt length): verify under them.
      if (key.asymmetricKeyType === 'rsa-pss') return attempt(() => cryptoVerify(key.asymmetricKeyDetails?.hashAlgorithm ?? 'sha256', signed, key, signature));
      return attempt(() => cryptoVerify('sha256', signed, { key, padding: constants.RSA_PKCS1_PADDING }, signature)) || attempt(pss);
    }
    case 'ed25519':
      return attempt(() => cryptoVerify(null, signed, key, signature));
    default:
      throw new Failure('INVALID_SIGNATURE_ALGO', `unsupported public key algorithm ${describeKey(key)}`);
  }
}
