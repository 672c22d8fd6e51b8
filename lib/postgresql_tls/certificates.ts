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
