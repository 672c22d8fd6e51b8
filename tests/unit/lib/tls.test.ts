import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as x509 from '../../../lib/postgresql_tls/x509.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RENEWAL_WINDOW_MS,
  InvalidCertificateError,
  InvalidPrivateKeyError,
  TLS_FILE_MODE,
  UnsupportedKeyTypeError,
  X500_UNIQUE_IDENTIFIER_OID,
  caFileContent,
  certificateExpiry,
  certificateMatchesKey,
  certificateNeedsRenewal,
  computeCertificateSans,
  csrMatchesKey,
  generateCsr,
  generatePrivateKey,
  isTlsComplete,
  loadPrivateKey,
  parseTlsFile,
  prepareCertificateRequest,
  privateKeyOrGenerate,
  sameCsr,
  tlsFiles,
  webCryptoKeyPair,
} from '../../../lib/postgresql_tls/index.ts';

const run = promisify(execFile);
const SAN_OID = '2.5.29.17';

const unit = {
  appName: 'postgresql-k8s',
  unitName: 'postgresql-k8s/2',
  unitHostname: 'postgresql-k8s-2.postgresql-k8s-endpoints',
  fqdn: 'postgresql-k8s-2.postgresql-k8s-endpoints.dev.svc.cluster.local',
  bindAddress: '10.1.42.7',
  additionalDnsNames: [
    'postgresql-k8s-primary.dev.svc.cluster.local',
    'postgresql-k8s-replicas.dev.svc.cluster.local',
  ],
};

/** A self-signed certificate for `keyPem`, made by @peculiar/x509 (test fixture only). */
async function selfSignedCertificate(keyPem: string, notAfter: Date): Promise<string> {
  const { keys, signParams } = await webCryptoKeyPair(keyPem);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=test',
      notBefore: new Date(Date.now() - 60_000),
      notAfter,
      keys,
      signingAlgorithm: signParams,
    },
    webcrypto,
  );
  return certificate.toString('pem');
}

function sanNames(csr: x509.Pkcs10CertificateRequest): { dns: string[]; ip: string[] } {
  const extension = csr.getExtension(SAN_OID);
  if (!extension) throw new Error('no SAN extension');
  const san = new x509.SubjectAlternativeNameExtension(extension.rawData);
  const json = san.names.toJSON();
  return {
    dns: json.filter((n) => n.type === 'dns').map((n) => n.value),
    ip: json.filter((n) => n.type === 'ip').map((n) => n.value),
  };
}

let rsaKey: string;
let workDir: string;

beforeAll(async () => {
  rsaKey = generatePrivateKey();
  workDir = await mkdtemp(join(tmpdir(), 'lib-tls-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('private keys', () => {
  it('generates RSA 2048, e = 65537, as PKCS#1 PEM', () => {
    expect(rsaKey.startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
    const key = createPrivateKey(rsaKey);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(generatePrivateKey()).not.toBe(rsaKey);
  });

  it('takes a PEM key as it is and a base64-of-PEM key decoded', () => {
    expect(parseTlsFile(rsaKey)).toBe(rsaKey);
    const base64 = Buffer.from(rsaKey).toString('base64');
    expect(parseTlsFile(base64)).toBe(rsaKey);
    expect(loadPrivateKey(base64)).toBe(rsaKey);
    // base64 that was wrapped over lines still decodes
    expect(loadPrivateKey(base64.replace(/(.{64})/g, '$1\n'))).toBe(rsaKey);
  });

  it('accepts PKCS#8 and EC keys', () => {
    const pkcs8 = createPrivateKey(rsaKey).export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(loadPrivateKey(pkcs8)).toBe(pkcs8);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' });
    expect(loadPrivateKey(ec.toString())).toBe(ec.toString());
  });

  it('rejects text that is not a key, without echoing it', () => {
    const secretish = 'bm90IGEga2V5IGF0IGFsbA==';
    let error: unknown;
    try {
      loadPrivateKey(secretish);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPrivateKeyError);
    expect((error as InvalidPrivateKeyError).code).toBe('invalid-private-key');
    expect((error as Error).message).not.toContain(secretish);
    expect(() => loadPrivateKey('-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----')).toThrow(
      InvalidPrivateKeyError,
    );
  });

  it('rejects key types it cannot sign a CSR with', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadPrivateKey(ed)).toThrow(UnsupportedKeyTypeError);
  });

  it('generates only when no key is given', () => {
    expect(privateKeyOrGenerate(rsaKey)).toBe(rsaKey);
    expect(privateKeyOrGenerate(undefined)).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(privateKeyOrGenerate('')).not.toBe('');
  });
});

describe('computeCertificateSans', () => {
  it('lists the unit names and addresses in the reference order; IPs also go to the IP list', () => {
    expect(computeCertificateSans(unit)).toEqual({
      dns: [
        'postgresql-k8s-2',
        'postgresql-k8s-2.postgresql-k8s-endpoints',
        'postgresql-k8s-2.postgresql-k8s-endpoints.dev.svc.cluster.local',
        '10.1.42.7',
        'postgresql-k8s-primary.dev.svc.cluster.local',
        'postgresql-k8s-replicas.dev.svc.cluster.local',
      ],
      ip: ['10.1.42.7'],
    });
  });

  it('leaves out missing and repeated names and recognises IPv6', () => {
    expect(
      computeCertificateSans({
        appName: 'pg',
        unitName: 'pg/0',
        unitHostname: 'pg-0',
        fqdn: 'pg-0',
        bindAddress: 'fd00::7',
      }),
    ).toEqual({ dns: ['pg-0', 'fd00::7'], ip: ['fd00::7'] });
  });
});

describe('generateCsr', () => {
  it('puts the CN, a unique identifier and the SANs in a SHA-256-signed CSR', async () => {
    const sans = computeCertificateSans(unit);
    const pem = await generateCsr({ privateKeyPem: rsaKey, commonName: unit.unitHostname, sans, uniqueIdentifier: 'fixed-id' });
    const csr = new x509.Pkcs10CertificateRequest(pem);
    expect(csr.subjectName.getField('CN')).toEqual([unit.unitHostname]);
    expect(csr.subjectName.getField(X500_UNIQUE_IDENTIFIER_OID)).toEqual(['fixed-id']);
    expect(sanNames(csr)).toEqual(sans);
    expect(csr.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    expect(await csr.verify(webcrypto)).toBe(true);
    expect(await csrMatchesKey(pem, rsaKey)).toBe(true);
    expect(await csrMatchesKey(pem, generatePrivateKey())).toBe(false);
  });

  it('uses a fresh random unique identifier by default', async () => {
    const request = { privateKeyPem: rsaKey, commonName: 'a', sans: { dns: ['a'], ip: [] } };
    const first = new x509.Pkcs10CertificateRequest(await generateCsr(request));
    const second = new x509.Pkcs10CertificateRequest(await generateCsr(request));
    const [id1] = first.subjectName.getField(X500_UNIQUE_IDENTIFIER_OID);
    const [id2] = second.subjectName.getField(X500_UNIQUE_IDENTIFIER_OID);
    expect(id1).toMatch(/^[0-9a-f-]{36}$/);
    expect(id1).not.toBe(id2);
  });

  it('signs with an EC key using ECDSA/SHA-256', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pem = await generateCsr({ privateKeyPem: ec, commonName: 'ec', sans: { dns: ['ec'], ip: [] } });
    const csr = new x509.Pkcs10CertificateRequest(pem);
    expect(csr.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    expect(await csr.verify(webcrypto)).toBe(true);
  });

  it('is accepted by OpenSSL, which sees the same subject and SANs', async () => {
    const { csrPem } = await prepareCertificateRequest(unit, rsaKey);
    const file = join(workDir, 'unit.csr');
    await writeFile(file, csrPem);
    const { stdout, stderr } = await run('openssl', ['req', '-in', file, '-noout', '-verify', '-text']);
    expect(`${stdout}${stderr}`).toMatch(/verify OK/i);
    expect(stdout).toContain(`CN = ${unit.unitHostname}`);
    expect(stdout).toContain('x500UniqueIdentifier');
    expect(stdout).toContain('DNS:postgresql-k8s-2, DNS:postgresql-k8s-2.postgresql-k8s-endpoints');
    expect(stdout).toContain('DNS:10.1.42.7');
    expect(stdout).toContain('IP Address:10.1.42.7');
    expect(stdout).toContain('sha256WithRSAEncryption');
  });

  it('prepareCertificateRequest generates a key when none is given and signs with it', async () => {
    const { privateKeyPem, csrPem } = await prepareCertificateRequest(unit);
    expect(privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(await csrMatchesKey(csrPem, privateKeyPem)).toBe(true);
  });

  it('compares CSRs as the reference does (whitespace-trimmed)', () => {
    expect(sameCsr('abc\n', ' abc')).toBe(true);
    expect(sameCsr('abc', 'abd')).toBe(false);
    expect(sameCsr(undefined, 'abc')).toBe(false);
  });
});

describe('certificate checks', () => {
  it('matches a certificate to its own key only', async () => {
    const cert = await selfSignedCertificate(rsaKey, new Date(Date.now() + 30 * 86_400_000));
    expect(certificateMatchesKey(cert, rsaKey)).toBe(true);
    expect(certificateMatchesKey(cert, generatePrivateKey())).toBe(false);
  });

  it('reads the expiry and asks for renewal inside the window', async () => {
    const notAfter = new Date(Math.floor((Date.now() + 10 * 86_400_000) / 1000) * 1000);
    const cert = await selfSignedCertificate(rsaKey, notAfter);
    expect(certificateExpiry(cert).getTime()).toBe(notAfter.getTime());
    expect(DEFAULT_RENEWAL_WINDOW_MS).toBe(7 * 86_400_000);
    expect(certificateNeedsRenewal(cert)).toBe(false);
    expect(certificateNeedsRenewal(cert, { now: new Date(notAfter.getTime() - 6 * 86_400_000) })).toBe(true);
    expect(certificateNeedsRenewal(cert, { now: new Date(notAfter.getTime() + 1000) })).toBe(true);
    expect(certificateNeedsRenewal(cert, { renewalWindowMs: 11 * 86_400_000 })).toBe(true);
  });

  it('rejects text that is not a certificate', () => {
    expect(() => certificateExpiry('not a certificate')).toThrow(InvalidCertificateError);
  });
});

describe('TLS files', () => {
  const material = { key: 'K', ca: 'CA', cert: 'C' };

  it('writes key, CA and certificate read-only for postgres into the storage dir', () => {
    expect(TLS_FILE_MODE).toBe(0o400);
    expect(tlsFiles(material, '/var/lib/postgresql/data')).toEqual([
      { path: '/var/lib/postgresql/data/key.pem', content: 'K', mode: 0o400, owner: 'postgres', group: 'postgres' },
      { path: '/var/lib/postgresql/data/ca.pem', content: 'CA', mode: 0o400, owner: 'postgres', group: 'postgres' },
      { path: '/var/lib/postgresql/data/cert.pem', content: 'C', mode: 0o400, owner: 'postgres', group: 'postgres' },
    ]);
  });

  it('prefers the chain over the CA for the CA file', () => {
    expect(caFileContent({ ...material, chain: 'CHAIN' })).toBe('CHAIN');
    expect(caFileContent({ ...material, chain: '' })).toBe('CA');
  });

  it('is complete only with all three parts', () => {
    expect(isTlsComplete(material)).toBe(true);
    expect(isTlsComplete({ key: 'K', chain: 'X', cert: 'C' })).toBe(true);
    expect(isTlsComplete({ key: 'K', cert: 'C' })).toBe(false);
    expect(tlsFiles({ key: 'K', ca: 'CA', cert: null }, '/d')).toBeNull();
  });
});
