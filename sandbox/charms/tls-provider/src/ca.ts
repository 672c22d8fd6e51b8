/**
 * The provider's certificate authority: a self-signed CA and the certificates it issues for CSRs,
 * with the extensions self-signed-certificates puts in them (canonical/self-signed-certificates-operator,
 * charmlibs tls_certificates `generate_ca` / `generate_certificate`): the CSR's subject and SANs,
 * basicConstraints CA:false, key usage for a TLS server and client, serverAuth and clientAuth.
 * Keys, DER and signatures are @peculiar/x509's and WebCrypto's (through lib/postgresql_tls).
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '../../../../lib/postgresql_tls/x509.ts';
import { canonicalPem, generatePrivateKey, publicKeyDer, webCryptoKeyPair } from '../../../../lib/postgresql_tls/index.ts';

const SAN_OID = '2.5.29.17';

export interface Authority {
  readonly keyPem: string;
  readonly certificatePem: string;
}

const DURATION = /^(\d+)\s*([smhd])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90d`, `120s`, … in milliseconds; a bare number counts days (the charm's older integer option). */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * UNIT_MS['d']!;
  const match = DURATION.exec(trimmed);
  if (match === null) throw new Error(`invalid duration ${JSON.stringify(text)}: use <n>s, <n>m, <n>h or <n>d`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

/** A new self-signed CA named `commonName`, valid for `validityMs`. */
export async function createAuthority(commonName: string, validityMs: number, now = new Date()): Promise<Authority> {
  const keyPem = generatePrivateKey();
  const { keys, signParams } = await webCryptoKeyPair(keyPem);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: new x509.Name([{ CN: [commonName] }]),
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + validityMs),
      keys,
      signingAlgorithm: signParams,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { keyPem, certificatePem: canonicalPem(certificate.toString('pem')) };
}

export interface IssueOptions {
  readonly validityMs: number;
  readonly now?: Date;
  /** Sign with this public key instead of the CSR's (the "other-key" test fault). */
  readonly publicKeyPem?: string;
  /** notBefore/notAfter both in the past (the "expired" test fault). */
  readonly expired?: boolean;
}

/** A certificate for `csrPem` signed by `authority`. */
export async function issueCertificate(authority: Authority, csrPem: string, options: IssueOptions): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const ca = new x509.X509Certificate(authority.certificatePem);
  const caKeys = await webCryptoKeyPair(authority.keyPem);
  const now = options.now ?? new Date();
  const notBefore = options.expired ? new Date(now.getTime() - 2 * 86_400_000) : new Date(now.getTime() - 60_000);
  const notAfter = options.expired ? new Date(now.getTime() - 86_400_000) : new Date(now.getTime() + options.validityMs);
  const publicKey = options.publicKeyPem === undefined ? csr.publicKey : new Uint8Array(publicKeyDer(options.publicKeyPem));
  const san = csr.getExtension(SAN_OID);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: csr.subjectName,
      issuer: ca.subjectName,
      notBefore,
      notAfter,
      publicKey,
      signingKey: caKeys.keys.privateKey,
      signingAlgorithm: caKeys.signParams,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.keys.publicKey, false, webcrypto),
        ...(san === null ? [] : [san]),
      ],
    },
    webcrypto,
  );
  return canonicalPem(certificate.toString('pem'));
}
