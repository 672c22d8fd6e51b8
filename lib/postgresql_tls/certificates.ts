/**
 * Checks on issued certificates: does it belong to our key, when does it expire, is it time
 * to renew. Parsing is @peculiar/x509's; key comparison uses Node's SPKI export.
 */
import { webcrypto } from 'node:crypto';
import * as x509 from './x509.ts';
import { InvalidCertificateError } from './errors.ts';
import { publicKeyDer } from './keys.ts';

/** The reference's TLS library warns this long before expiry (168 h). */
export const DEFAULT_RENEWAL_WINDOW_MS = 168 * 60 * 60 * 1000;

/** Parse a PEM certificate (the first one, if the text holds a chain). */
export function parseCertificate(pem: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (cause) {
    throw new InvalidCertificateError(undefined, { cause });
  }
}

/** Parse a PEM CSR. */
export function parseCsr(pem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(pem);
  } catch (cause) {
    throw new InvalidCertificateError('The certificate signing request is not valid PEM', { cause });
  }
}

function sameBytes(a: ArrayBuffer, b: Uint8Array): boolean {
  return Buffer.from(a).equals(b);
}

/** Whether the certificate's public key is the one of this private key. */
export function certificateMatchesKey(certificatePem: string, privateKeyPem: string): boolean {
  return sameBytes(parseCertificate(certificatePem).publicKey.rawData, publicKeyDer(privateKeyPem));
}

/** Whether the CSR was made with this private key (and its signature is intact). */
export async function csrMatchesKey(csrPem: string, privateKeyPem: string): Promise<boolean> {
  const csr = parseCsr(csrPem);
  return sameBytes(csr.publicKey.rawData, publicKeyDer(privateKeyPem)) && (await csr.verify(webcrypto));
}

/** The certificate's notAfter. */
export function certificateExpiry(certificatePem: string): Date {
  return parseCertificate(certificatePem).notAfter;
}

/** True once the certificate is within `renewalWindowMs` of expiry (or past it). */
export function certificateNeedsRenewal(
  certificatePem: string,
  options: { now?: Date; renewalWindowMs?: number } = {},
): boolean {
  const now = options.now ?? new Date();
  const window = options.renewalWindowMs ?? DEFAULT_RENEWAL_WINDOW_MS;
  return certificateExpiry(certificatePem).getTime() - now.getTime() <= window;
}

/** What is wrong with a certificate the provider issued for our CSR, if anything. */
export type IssuedCertificateProblem =
  | 'malformed-certificate'
  | 'malformed-ca'
  | 'other-key'
  | 'expired'
  | 'not-signed-by-ca'
  | 'chain-does-not-verify';

export const ISSUED_CERTIFICATE_PROBLEMS: Readonly<Record<IssuedCertificateProblem, string>> = {
  'malformed-certificate': 'the certificate is not a valid PEM certificate',
  'malformed-ca': 'the CA is not a valid PEM certificate',
  'other-key': "the certificate is not for this unit's private key",
  expired: 'the certificate has expired',
  'not-signed-by-ca': 'the certificate does not verify against the CA given with it',
  'chain-does-not-verify': 'the chain is not a list of certificates each signed by the next, from the certificate up to the CA',
};

/**
 * Check a certificate the provider answered our CSR with before it replaces a working one:
 * it parses, it carries our key's public half, it is not expired, the CA given with it signed
 * it, and the chain (handed to clients as their CA file) links it to that CA. Returns the first
 * problem, or undefined.
 */
export async function issuedCertificateProblem(input: {
  certificatePem: string;
  caPem: string;
  privateKeyPem: string;
  chainPems?: readonly string[];
  now?: Date;
}): Promise<IssuedCertificateProblem | undefined> {
  let certificate: x509.X509Certificate;
  let ca: x509.X509Certificate;
  try {
    certificate = parseCertificate(input.certificatePem);
  } catch {
    return 'malformed-certificate';
  }
  try {
    ca = parseCertificate(input.caPem);
  } catch {
    return 'malformed-ca';
  }
  if (!sameBytes(certificate.publicKey.rawData, publicKeyDer(input.privateKeyPem))) return 'other-key';
  if (certificate.notAfter.getTime() <= (input.now ?? new Date()).getTime()) return 'expired';
  try {
    if (!(await certificate.verify({ publicKey: ca.publicKey, signatureOnly: true }, webcrypto))) return 'not-signed-by-ca';
  } catch {
    return 'not-signed-by-ca';
  }
  if (input.chainPems !== undefined && input.chainPems.length > 0 && !(await chainLinks(certificate, input.chainPems, ca))) {
    return 'chain-does-not-verify';
  }
  return undefined;
}

/**
 * Whether the chain (leaf first, as the tls_certificates libraries send it; a chain without the
 * leaf is read as the certificates above it) has each certificate signed by the next, and reaches
 * the CA: the CA is in it, or its last entry is signed by the CA.
 */
async function chainLinks(certificate: x509.X509Certificate, chainPems: readonly string[], ca: x509.X509Certificate): Promise<boolean> {
  let chain: x509.X509Certificate[];
  try {
    chain = chainPems.map((pem) => new x509.X509Certificate(pem));
  } catch {
    return false;
  }
  const sameCertificate = (a: x509.X509Certificate, b: x509.X509Certificate) => Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
  const path = sameCertificate(chain[0]!, certificate) ? chain : [certificate, ...chain];
  const signedBy = async (subject: x509.X509Certificate, issuer: x509.X509Certificate) => {
    try {
      return await subject.verify({ publicKey: issuer.publicKey, signatureOnly: true }, webcrypto);
    } catch {
      return false;
    }
  };
  for (let i = 0; i + 1 < path.length; i += 1) {
    if (!(await signedBy(path[i]!, path[i + 1]!))) return false;
  }
  return path.some((entry) => sameCertificate(entry, ca)) || (await signedBy(path[path.length - 1]!, ca));
}

/**
 * When to ask for a new certificate: the reference's library warns 168 h before expiry; a
 * certificate valid for less than three times that (a test provider's minutes) is renewed once
 * two thirds of its lifetime have passed, so it is never renewed on every hook.
 */
export function renewalTime(certificatePem: string): Date {
  const certificate = parseCertificate(certificatePem);
  const lifetime = certificate.notAfter.getTime() - certificate.notBefore.getTime();
  const window = Math.min(DEFAULT_RENEWAL_WINDOW_MS, Math.floor(lifetime / 3));
  return new Date(certificate.notAfter.getTime() - window);
}
