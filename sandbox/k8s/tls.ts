import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { KubeStandInError } from './errors.ts';

/*
 * The API server's TLS material, made at start: a self-signed CA (what a pod gets as
 * `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`) and a server certificate it signs, whose
 * SANs name the addresses the server is reached on and the in-cluster names of the `kubernetes`
 * Service (`kubernetes`, `kubernetes.default`, `kubernetes.default.svc`,
 * `kubernetes.default.svc.cluster.local`, https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/).
 * ECDSA P-256 keys, made with WebCrypto and encoded by @peculiar/x509.
 */

export interface TlsMaterial {
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export const API_SERVER_DNS_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'];

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function importPrivate(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
}

/** A new CA (10 years) for the stand-in. */
export async function makeCa(commonName = 'sandbox-kubernetes-ca'): Promise<{ caPem: string; caKeyPem: string }> {
  try {
    const keys = await keyPair();
    const now = Date.now();
    const ca = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: `CN=${commonName}`,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 3650 * DAY),
        keys,
        signingAlgorithm: SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        ],
      },
      webcrypto,
    );
    return { caPem: ca.toString('pem') + '\n', caKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
  } catch (cause) {
    throw new KubeStandInError('k8s-standin-tls', 'cannot make the Kubernetes stand-in CA', { cause });
  }
}

/** A server certificate (1 year) signed by the CA, for `hosts` (IP addresses or DNS names) and the API server's names. */
export async function makeServerCertificate(ca: { caPem: string; caKeyPem: string }, hosts: readonly string[]): Promise<{ certPem: string; keyPem: string }> {
  try {
    const caCert = new x509.X509Certificate(ca.caPem);
    const caKey = await importPrivate(ca.caKeyPem);
    const keys = await keyPair();
    const names = new Set([...hosts, ...API_SERVER_DNS_NAMES, '127.0.0.1']);
    const san = [...names].filter((n) => n !== '' && n !== '0.0.0.0' && n !== '::').map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }));
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create(
      {
        subject: 'CN=kube-apiserver',
        issuer: caCert.subject,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 365 * DAY),
        publicKey: keys.publicKey,
        signingKey: caKey,
        signingAlgorithm: SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(san),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
          await x509.AuthorityKeyIdentifierExtension.create(caCert, false, webcrypto),
        ],
      },
      webcrypto,
    );
    return { certPem: cert.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
  } catch (cause) {
    throw new KubeStandInError('k8s-standin-tls', `cannot make the Kubernetes stand-in server certificate for ${hosts.join(', ')}`, { cause });
  }
}
