/**
 * The unit's certificate signing request (reference charm:
 * `lib/charms/postgresql_k8s/v0/postgresql_tls.py` `_request_certificate`): subject CN = the
 * unit's hostname plus a random x500UniqueIdentifier, SANs from the unit's names and addresses,
 * SHA-256.
 * Encoding is @peculiar/x509's; signing is WebCrypto's.
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from './x509.ts';
import { CsrGenerationError } from './errors.ts';
import { privateKeyOrGenerate, webCryptoKeyPair } from './keys.ts';
import { canonicalPem } from './relation-data.ts';

/** x500UniqueIdentifier, which the reference adds to the subject to make every CSR unique. */
export const X500_UNIQUE_IDENTIFIER_OID = '2.5.4.45';

export interface CertificateSans {
  /** Every name, IPs included (pgBackRest matches its host against DNS names only). */
  dns: string[];
  /** The entries that are IP addresses. */
  ip: string[];
}

export interface UnitNames {
  /** `app` of `app/k`. */
  appName: string;
  /** The Juju unit name, `app/k`. */
  unitName: string;
  /** The unit's resolvable hostname (K8s: `<app>-<k>.<app>-endpoints`); also the CSR subject. */
  unitHostname: string;
  /** The machine's/pod's fully qualified name (the reference's `socket.getfqdn()`). */
  fqdn?: string;
  /** The unit's address on the peer relation. */
  bindAddress?: string;
  /** Further names, e.g. the primary and replicas service names on K8s. */
  additionalDnsNames?: readonly string[];
}

/**
 * SANs in the reference's order: `<app>-<k>`, the unit hostname, the FQDN, the bind address,
 * then the additional names. Empty and repeated entries are left out.
 */
export function computeCertificateSans(names: UnitNames): CertificateSans {
  const unitNumber = names.unitName.split('/')[1] ?? '';
  const candidates = [
    `${names.appName}-${unitNumber}`,
    names.unitHostname,
    names.fqdn,
    names.bindAddress,
    ...(names.additionalDnsNames ?? []),
  ];
  const dns = [...new Set(candidates.filter((name): name is string => !!name && name.trim() !== ''))];
  return { dns, ip: dns.filter((entry) => isIP(entry) !== 0) };
}

export interface CsrRequest {
  privateKeyPem: string;
  commonName: string;
  sans: CertificateSans;
  /** Defaults to a random UUID, as in the reference; fixed only by tests. */
  uniqueIdentifier?: string;
}

/** A PEM CSR signed with the given key. */
export async function generateCsr(request: CsrRequest): Promise<string> {
  const { keys, signParams } = await webCryptoKeyPair(request.privateKeyPem);
  try {
    const name = new x509.Name([
      { CN: [request.commonName] },
      { [X500_UNIQUE_IDENTIFIER_OID]: [{ utf8String: request.uniqueIdentifier ?? randomUUID() }] },
    ]);
    const generalNames = [
      ...request.sans.dns.map((value) => ({ type: 'dns' as const, value })),
      ...request.sans.ip.map((value) => ({ type: 'ip' as const, value })),
    ];
    const extensions =
      generalNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(generalNames)] : [];
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      { name, keys, signingAlgorithm: signParams, extensions },
      webcrypto,
    );
    // The provider echoes the CSR in canonical PEM and the requirer matches it by string.
    return canonicalPem(csr.toString('pem'));
  } catch (cause) {
    throw new CsrGenerationError(undefined, { cause });
  }
}

/**
 * What the charm's `_request_certificate` needs: the key (the operator's, or a new one) and a
 * CSR for this unit made with it.
 */
export async function prepareCertificateRequest(
  names: UnitNames,
  operatorKey?: string | null,
): Promise<{ privateKeyPem: string; csrPem: string }> {
  const privateKeyPem = privateKeyOrGenerate(operatorKey);
  const csrPem = await generateCsr({
    privateKeyPem,
    commonName: names.unitHostname,
    sans: computeCertificateSans(names),
  });
  return { privateKeyPem, csrPem };
}

/** The reference treats two CSRs as the same when they match after trimming whitespace. */
export function sameCsr(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.trim() === b.trim();
}
