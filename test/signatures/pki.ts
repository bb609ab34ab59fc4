/**
 * A test PKI made with the `openssl` CLI (node:crypto cannot issue certificates): a root, an intermediate and
 * Fulcio-like leaf certificates (code signing, an email or URI SAN, the OIDC issuer extension), as keyless cosign
 * signing gets from Fulcio.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENSSL = '/usr/bin/openssl';

export function opensslAvailable(): boolean {
  return existsSync(OPENSSL);
}

export interface IssuedCertificate {
  pem: string;
  der: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface TestPki {
  root: IssuedCertificate;
  intermediate: IssuedCertificate;
  /** Root and intermediate, PEM: what an integration's certificateChainPemEnc holds. */
  chainPem: string;
  issueLeaf(options: LeafOptions): IssuedCertificate;
  dispose(): void;
}

export interface LeafOptions {
  /** `email:alice@example.com`, `URI:https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main`, … */
  san: string;
  /** The OIDC issuer; written as Fulcio's v2 extension (…57264.1.8, a UTF8String) or the v1 one (…57264.1.1, raw). */
  oidcIssuer?: string;
  issuerExtension?: 'v1' | 'v2';
  /** Extended key usage; codeSigning by default. */
  extendedKeyUsage?: string;
  days?: number;
  /** Issued by the root instead of the intermediate. */
  byRoot?: boolean;
}

function run(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

function issued(dir: string, certFile: string, privateKey: KeyObject, publicKey: KeyObject): IssuedCertificate {
  const pem = readFileSync(join(dir, certFile), 'utf8');
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return { pem, der, privateKey, publicKey };
}

function keyFile(dir: string, name: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, name), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return pair;
}

const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'];

/** A fresh root and intermediate in a temp dir; leaves are issued from them on demand. */
export function createPki(name = 'lamina test'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'lamina-pki-'));
  let serial = 1;
  const config = join(dir, 'req.cnf');
  writeFileSync(config, ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = unused', ''].join('\n'));

  const rootKey = keyFile(dir, 'root.key');
  writeFileSync(join(dir, 'root.ext'), [...CA_EXTENSIONS, 'authorityKeyIdentifier=keyid'].join('\n'));
  run(dir, ['req', '-new', '-config', config, '-key', 'root.key', '-subj', `/O=${name}/CN=${name} root`, '-out', 'root.csr']);
  run(dir, [
    'x509',
    '-req',
    '-in',
    'root.csr',
    '-key',
    'root.key',
    '-days',
    '3650',
    '-set_serial',
    String(serial++),
    '-extfile',
    'root.ext',
    '-out',
    'root.pem',
  ]);
  const root = issued(dir, 'root.pem', rootKey.privateKey, rootKey.publicKey);

  const intermediateKey = keyFile(dir, 'intermediate.key');
  writeFileSync(
    join(dir, 'intermediate.ext'),
    [...CA_EXTENSIONS.map((line) => (line.startsWith('basic') ? `${line},pathlen:0` : line)), 'authorityKeyIdentifier=keyid'].join('\n'),
  );
  run(dir, ['req', '-new', '-config', config, '-key', 'intermediate.key', '-subj', `/O=${name}/CN=${name} intermediate`, '-out', 'intermediate.csr']);
  run(dir, [
    'x509',
    '-req',
    '-in',
    'intermediate.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-days',
    '3650',
    '-set_serial',
    String(serial++),
    '-extfile',
    'intermediate.ext',
    '-out',
    'intermediate.pem',
  ]);
  const intermediate = issued(dir, 'intermediate.pem', intermediateKey.privateKey, intermediateKey.publicKey);

  return {
    root,
    intermediate,
    chainPem: `${intermediate.pem}${root.pem}`,
    issueLeaf(options: LeafOptions): IssuedCertificate {
      const id = serial++;
      const leafKey = keyFile(dir, `leaf-${id}.key`);
      const lines = [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        `extendedKeyUsage=${options.extendedKeyUsage ?? 'codeSigning'}`,
        `subjectAltName=${options.san}`,
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
      ];
      if (options.oidcIssuer !== undefined) {
        lines.push(
          options.issuerExtension === 'v1'
            ? `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(options.oidcIssuer).toString('hex')}`
            : `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${options.oidcIssuer}`,
        );
      }
      writeFileSync(join(dir, `leaf-${id}.ext`), lines.join('\n'));
      const [ca, caKey] = options.byRoot ? ['root.pem', 'root.key'] : ['intermediate.pem', 'intermediate.key'];
      run(dir, ['req', '-new', '-config', config, '-key', `leaf-${id}.key`, '-subj', '/O=sigstore.dev', '-out', `leaf-${id}.csr`]);
      run(dir, [
        'x509',
        '-req',
        '-in',
        `leaf-${id}.csr`,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-days',
        String(options.days ?? 1),
        '-set_serial',
        String(id),
        '-extfile',
        `leaf-${id}.ext`,
        '-out',
        `leaf-${id}.pem`,
      ]);
      return issued(dir, `leaf-${id}.pem`, leafKey.privateKey, leafKey.publicKey);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
