import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalPem,
  certificateFor,
  decodeCertificateSigningRequests,
  encodeCertificateSigningRequests,
  encodeProviderCertificates,
  generatePrivateKey,
  InvalidPrivateKeyError,
  issuedCertificateProblem,
  loadPrivateKey,
  parseProviderCertificates,
  prepareCertificateRequest,
  renewalTime,
  transferredCa,
  UnsupportedKeyTypeError,
  WeakKeyError,
} from '../../../lib/postgresql_tls/index.ts';
import { createAuthority, issueCertificate, type Authority } from '../../../sandbox/charms/tls-provider/src/ca.ts';

const names = { appName: 'postgresql-k8s', unitName: 'postgresql-k8s/0', unitHostname: 'postgresql-k8s-0.postgresql-k8s-endpoints', bindAddress: '10.1.42.7' };
const DAY = 86_400_000;

let ca: Authority;
let key: string;
let csr: string;

beforeAll(async () => {
  ca = await createAuthority('self-signed-certificates-operator', 365 * DAY);
  ({ privateKeyPem: key, csrPem: csr } = await prepareCertificateRequest(names));
});

describe('the CSR and the requirer unit bag', () => {
  it('makes a canonical PEM CSR: 64-column base64, \\n line ends, no trailing newline', () => {
    const lines = csr.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE REQUEST-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE REQUEST-----');
    expect(lines.slice(1, -2).every((line) => line.length === 64)).toBe(true);
    expect(lines.at(-2)!.length).toBeLessThanOrEqual(64);
    expect(csr).not.toMatch(/\r|\n$/);
    expect(canonicalPem(`${csr.replaceAll('\n', '\r\n')}\r\n`)).toBe(csr);
  });

  it('writes certificate_signing_requests exactly as the v2 library json.dumps it', () => {
    const value = encodeCertificateSigningRequests([`${csr}\n`]);
    expect(value).toBe(`[{"certificate_signing_request": ${JSON.stringify(csr)}, "ca": false}]`);
    expect(value.startsWith('[{"certificate_signing_request": "-----BEGIN CERTIFICATE REQUEST-----\\nMII')).toBe(true);
    expect(decodeCertificateSigningRequests(value)).toEqual([{ csr, ca: false }]);
  });
});

describe("the provider's certificates", () => {
  it('reads the provider app bag as self-signed-certificates writes it (leaf first, no revoked key)', async () => {
    const certificate = await issueCertificate(ca, csr, { validityMs: 90 * DAY });
    // The v4 library's dump: ca, certificate_signing_request, certificate, chain; revoked left out.
    const wire = JSON.stringify([{ ca: ca.certificatePem, certificate_signing_request: csr, certificate, chain: [certificate, ca.certificatePem] }]);
    const parsed = parseProviderCertificates(wire);
    expect(parsed.problems).toEqual([]);
    expect(certificateFor(parsed.certificates, `${csr}\n`)).toEqual({ csr, certificate, ca: ca.certificatePem, chain: [certificate, ca.certificatePem], revoked: false });
    expect(JSON.parse(encodeProviderCertificates(parsed.certificates))).toEqual([{ certificate_signing_request: csr, certificate, ca: ca.certificatePem, chain: [certificate, ca.certificatePem] }]);
  });

  it('keeps the well-formed entries when another is malformed, and names the malformed one', async () => {
    const certificate = await issueCertificate(ca, csr, { validityMs: DAY });
    const wire = JSON.stringify([
      { certificate_signing_request: 'other', certificate: 'x', chain: [] },
      { certificate_signing_request: csr, certificate, ca: ca.certificatePem, chain: [certificate, ca.certificatePem] },
      { certificate_signing_request: 'third', certificate: 'x', ca: 'y', chain: ['z'], revoked: 'yes' },
    ]);
    const parsed = parseProviderCertificates(wire);
    expect(parsed.problems).toEqual(['certificates[0] has no ca', 'certificates[2] has a revoked flag that is not a boolean']);
    expect(certificateFor(parsed.certificates, csr)?.certificate).toBe(certificate);
  });

  it('reports a value that is not a JSON list, and ignores revoked certificates', () => {
    expect(parseProviderCertificates('{"a": 1}').problems).toEqual(['certificates is not a JSON list']);
    expect(parseProviderCertificates(undefined)).toEqual({ certificates: [], problems: [] });
    const revoked = parseProviderCertificates(JSON.stringify([{ certificate_signing_request: csr, certificate: 'c', ca: 'a', chain: [], revoked: true }]));
    expect(certificateFor(revoked.certificates, csr)).toBeUndefined();
  });
});

describe('checking an issued certificate', () => {
  it('accepts a certificate for our key signed by the CA sent with it', async () => {
    const certificate = await issueCertificate(ca, csr, { validityMs: DAY });
    expect(await issuedCertificateProblem({ certificatePem: certificate, caPem: ca.certificatePem, privateKeyPem: key })).toBeUndefined();
  });

  it('names each bad answer: malformed, another key, expired, another CA, a malformed CA', async () => {
    const check = (certificatePem: string, caPem = ca.certificatePem) => issuedCertificateProblem({ certificatePem, caPem, privateKeyPem: key });
    expect(await check('-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----')).toBe('malformed-certificate');
    expect(await check(await issueCertificate(ca, csr, { validityMs: DAY, publicKeyPem: generatePrivateKey() }))).toBe('other-key');
    expect(await check(await issueCertificate(ca, csr, { validityMs: DAY, expired: true }))).toBe('expired');
    const other = await createAuthority('another-ca', DAY);
    expect(await check(await issueCertificate(other, csr, { validityMs: DAY }))).toBe('not-signed-by-ca');
    expect(await check(await issueCertificate(ca, csr, { validityMs: DAY }), 'garbage')).toBe('malformed-ca');
  });

  it('checks the chain it would hand to clients: leaf first up to the CA, or the certificates above the leaf', async () => {
    const certificate = await issueCertificate(ca, csr, { validityMs: DAY });
    const check = (chainPems: string[]) => issuedCertificateProblem({ certificatePem: certificate, caPem: ca.certificatePem, privateKeyPem: key, chainPems });
    expect(await check([certificate, ca.certificatePem])).toBeUndefined();
    expect(await check([ca.certificatePem])).toBeUndefined();
    expect(await check([certificate])).toBeUndefined();
    expect(await check([])).toBeUndefined();
    const other = await createAuthority('another-ca', DAY);
    expect(await check([certificate, other.certificatePem])).toBe('chain-does-not-verify');
    expect(await check([certificate, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----'])).toBe('chain-does-not-verify');
    const sibling = await issueCertificate(ca, csr, { validityMs: DAY, publicKeyPem: generatePrivateKey() });
    expect(await check([sibling, ca.certificatePem])).toBe('chain-does-not-verify');
  });

  it('renews 168 h before expiry, or at two thirds of a short lifetime', async () => {
    const now = new Date();
    const long = await issueCertificate(ca, csr, { validityMs: 90 * DAY, now });
    const short = await issueCertificate(ca, csr, { validityMs: 180_000, now });
    const notAfterLong = now.getTime() + 90 * DAY;
    // Certificate times have second precision.
    expect(Math.abs(renewalTime(long).getTime() - (notAfterLong - 7 * DAY))).toBeLessThan(2_000);
    // notBefore is a minute back (clock skew), so the lifetime is 4 minutes: renew 80 s before the end.
    expect(Math.abs(renewalTime(short).getTime() - (now.getTime() + 180_000 - 80_000))).toBeLessThan(2_000);
  });
});

describe('operator keys (set-tls-private-key)', () => {
  it('refuses garbage, a public key, an encrypted key, a 1024-bit RSA key and Ed25519, each saying what to give', () => {
    expect(() => loadPrivateKey('hello world')).toThrow(InvalidPrivateKeyError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(() => loadPrivateKey(rsa.publicKey)).toThrow(/public key or certificate, not a private key/);
    expect(() => loadPrivateKey(Buffer.from(rsa.publicKey).toString('base64'))).toThrow(/public key/);
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
    }).privateKey;
    expect(() => loadPrivateKey(encrypted)).toThrow(/encrypted: give it without a passphrase/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }).privateKey;
    expect(() => loadPrivateKey(weak)).toThrow(WeakKeyError);
    expect(() => loadPrivateKey(weak)).toThrow('The RSA private key has 1024 bits: use one of 2048 bits or more');
    const ed = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey;
    expect(() => loadPrivateKey(ed)).toThrow(UnsupportedKeyTypeError);
    expect(() => loadPrivateKey(ed)).toThrow(/use RSA of 2048 bits or more/);
    expect(loadPrivateKey(rsa.privateKey)).toBe(rsa.privateKey);
  });
});

describe('certificate_transfer values', () => {
  it('reads the CA JSON-encoded (v1 compatibility mode) or raw (v0), falling back to certificate and chain', () => {
    const pem = ca.certificatePem;
    expect(transferredCa({ ca: JSON.stringify(pem), version: '0' })).toBe(pem);
    expect(transferredCa({ ca: pem })).toBe(pem);
    expect(transferredCa({ certificate: `${pem}\n` })).toBe(pem);
    expect(transferredCa({ chain: JSON.stringify(['x', pem]) })).toBe(pem);
    expect(transferredCa({ version: '0' })).toBeUndefined();
  });
});
