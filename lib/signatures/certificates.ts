/**
 * Certificates of cosign signatures, checked as cosign checks them for a signature integration: the chain to a
 * trusted certificate (node:crypto's X509Certificate: `checkIssued`, `verify`, `ca`), code-signing use, validity at
 * the signing time, and the identity (subject alternative names, OIDC issuer) read with @sigstore/core's parser,
 * since node:crypto exposes neither Fulcio's extensions nor the SAN entries one by one.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { type ASN1Obj, X509Certificate as ParsedX509 } from '@sigstore/core';
import { Failure } from './failure';

const OID_SAN = '2.5.29.17';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_FULCIO_USERNAME = '1.3.6.1.4.1.57264.1.7';
const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const EKU_ANY = '2.5.29.37.0';
const MAX_CHAIN_LENGTH = 10;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/** A certificate read both ways: node's for chaining and signatures, the ASN.1 view for fields node does not parse. */
export interface Certificate {
  der: Buffer;
  x509: X509Certificate;
  parsed: ParsedX509;
}

export function certificateOf(der: Buffer): Certificate {
  return { der, x509: new X509Certificate(der), parsed: ParsedX509.parse(Buffer.from(der)) };
}

/** Every CERTIFICATE block of a PEM text, in order; throws an Error when one is unreadable or there is none. */
export function parseCertificatesPem(pem: string): Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('no PEM CERTIFICATE block');
  return blocks.map((block, index) => {
    try {
      return certificateOf(new X509Certificate(block).raw);
    } catch (err) {
      throw new Error(`certificate ${index + 1} of the PEM is unreadable (${(err as Error).message})`);
    }
  });
}

export interface CertificateIdentity {
  /** Email addresses, URIs, DNS names, IP addresses and Fulcio's username, as cosign lists them. */
  subjectAlternativeNames: string[];
  /** The OIDC issuer extension, "" when the certificate has none. */
  oidcIssuer: string;
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: bytes.length / 2 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  const text = groups.join(':');
  // The URL parser prints an IPv6 address in its canonical, compressed form.
  return isIP(text) === 6 ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
}

function generalName(name: ASN1Obj): string | undefined {
  if (name.tag.isContextSpecific(1) || name.tag.isContextSpecific(2) || name.tag.isContextSpecific(6)) return name.value.toString('utf8');
  if (name.tag.isContextSpecific(7)) return ipText(name.value);
  if (name.tag.isContextSpecific(0) && name.subs[0]?.toOID() === OID_FULCIO_USERNAME) return name.subs[1]?.subs[0]?.value.toString('utf8');
  return undefined;
}

/**
 * Whether the certificate is X.509 v3, the one version with extensions: @sigstore/core's view reads a v1
 * certificate's fields one place off (it has no version field), so a v1 one is read through node only.
 */
export function hasExtensions(certificate: Certificate): boolean {
  return certificate.parsed.tbsCertificate.subs[0]?.tag.isContextSpecific(0) === true;
}

export function identityOf(certificate: Certificate): CertificateIdentity {
  if (!hasExtensions(certificate)) return { subjectAlternativeNames: [], oidcIssuer: '' };
  const san = certificate.parsed.extension(OID_SAN);
  const names = san?.valueObj.subs[0]?.subs ?? [];
  const v2 = certificate.parsed.extension(OID_ISSUER_V2);
  const issuer = v2 ? v2.valueObj.subs[0]?.value.toString('utf8') : certificate.parsed.extension(OID_ISSUER_V1)?.value.toString('utf8');
  return {
    subjectAlternativeNames: names.map(generalName).filter((value): value is string => value !== undefined),
    oidcIssuer: issuer ?? '',
  };
}

/** A certificate by its first identity, else its subject, for messages. */
export function describeCertificate(certificate: Certificate): string {
  const identity = identityOf(certificate);
  return identity.subjectAlternativeNames[0] ?? certificate.x509.subject.replace(/\n/g, ', ');
}

function validity(certificate: Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(certificate.x509.validFrom), notAfter: new Date(certificate.x509.validTo) };
}

function validAt(certificate: Certificate, at: Date): boolean {
  const { notBefore, notAfter } = validity(certificate);
  return notBefore <= at && at <= notAfter;
}

/** Whether `issuer` signed `subject`; an anchor needs no CA flag, as Go's verifier asks none of a root (a v1 root has none). */
function issues(issuer: Certificate, subject: Certificate, anchor: boolean): boolean {
  try {
    return (anchor || issuer.x509.ca) && subject.x509.checkIssued(issuer.x509) && subject.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** FAILED_VERIFICATION unless `leaf` may sign code (its extended key usage, when it has one, says so). */
export function checkCodeSigning(leaf: Certificate): void {
  const usage = leaf.x509.keyUsage;
  if (usage && !usage.includes(EKU_CODE_SIGNING) && !usage.includes(EKU_ANY)) {
    throw new Failure(
      'FAILED_VERIFICATION',
      `certificate ${describeCertificate(leaf)}: not a code-signing certificate (extended key usage ${usage.join(', ')})`,
    );
  }
}

/**
 * Checks that `leaf` is for code signing and chains, through `intermediates` and `anchors`, to one of the
 * `anchors` (any of them is trusted, as StackRox pools the integration's chain), each certificate on the way valid
 * at `at`; the path found, leaf first. FAILED_VERIFICATION saying what is wrong otherwise.
 */
export function verifyCertificateChain(leaf: Certificate, intermediates: readonly Certificate[], anchors: readonly Certificate[], at: Date): Certificate[] {
  checkCodeSigning(leaf);
  const trusted = (certificate: Certificate) => anchors.some((anchor) => anchor.der.equals(certificate.der));
  const pool = [...intermediates, ...anchors];
  let expired: Certificate | undefined;
  const walk = (certificate: Certificate, path: Certificate[]): Certificate[] | undefined => {
    if (!validAt(certificate, at)) {
      expired ??= certificate;
      return undefined;
    }
    if (trusted(certificate)) return path;
    if (path.length >= MAX_CHAIN_LENGTH) return undefined;
    for (const issuer of pool) {
      if (path.some((seen) => seen.der.equals(issuer.der)) || !issues(issuer, certificate, trusted(issuer))) continue;
      const found = walk(issuer, [...path, issuer]);
      if (found) return found;
    }
    return undefined;
  };
  const path = walk(leaf, [leaf]);
  if (path) return path;
  if (expired) {
    const { notBefore, notAfter } = validity(expired);
    throw new Failure(
      'FAILED_VERIFICATION',
      `certificate ${describeCertificate(expired)} is not valid at ${at.toISOString()} (valid from ${notBefore.toISOString()} to ${notAfter.toISOString()})`,
    );
  }
  throw new Failure('FAILED_VERIFICATION', `certificate ${describeCertificate(leaf)} does not chain to the integration's trusted certificates`);
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  space: '\\s',
  word: '\\w',
  xdigit: '0-9A-Fa-f',
  punct: '!-\\/:-@\\[-`{-~',
};

/**
 * An integration's identity or issuer pattern (RE2 syntax, as StackRox documents it) as a JavaScript RegExp that,
 * like Go's `MatchString`, matches anywhere in the value. Leading `(?i)`, `(?s)`, `(?m)` flags, `(?P<name>…)`,
 * `\A`, `\z` and POSIX classes are translated; anything else JavaScript cannot read throws an Error.
 */
export function compileIdentityPattern(pattern: string): RegExp {
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (leading) {
    for (const flag of leading[1]) {
      if (!'ims'.includes(flag)) throw new Error(`the flag (?${flag}) is not supported`);
      if (!flags.includes(flag)) flags += flag;
    }
    source = source.slice(leading[0].length);
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole, negated: string, name: string) => {
      if (!POSIX_CLASSES[name] || negated) throw new Error(`the class ${whole} is not supported`);
      return POSIX_CLASSES[name];
    });
  return new RegExp(source, flags);
}

/** An integration's pattern as written, and as compiled. */
export interface IdentityPattern {
  pattern: string;
  regex: RegExp;
}

/** Throws FAILED_VERIFICATION unless the issuer matches and some subject alternative name (or "" without any) matches. */
export function checkIdentity(identity: CertificateIdentity, expected: { identity: IdentityPattern; issuer: IdentityPattern }, label: string): void {
  const names = identity.subjectAlternativeNames.length > 0 ? identity.subjectAlternativeNames : [''];
  if (!expected.issuer.regex.test(identity.oidcIssuer)) {
    throw new Failure(
      'FAILED_VERIFICATION',
      `${label}: the certificate's OIDC issuer ${JSON.stringify(identity.oidcIssuer)} does not match ${JSON.stringify(expected.issuer.pattern)}`,
    );
  }
  if (!names.some((name) => expected.identity.regex.test(name))) {
    throw new Failure(
      'FAILED_VERIFICATION',
      `${label}: none of the certificate's identities [${identity.subjectAlternativeNames.join(', ')}] matches ${JSON.stringify(expected.identity.pattern)}`,
    );
  }
}
