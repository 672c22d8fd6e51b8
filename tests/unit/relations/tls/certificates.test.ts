import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateExpiry, csrMatchesKey, encodeCertificateSigningRequests, parseCsr, renewalTime } from '../../../../lib/postgresql_tls/index.ts';
import { setTlsPrivateKey } from '../../../../src/actions/set-tls-private-key.ts';
import type { ActionEvent } from '../../../../src/juju/events.ts';
import { convergeCertificates, RENEWAL_SECRET_LABEL } from '../../../../src/relations/tls/certificates.ts';
import { createAuthority, issueCertificate, type Authority } from '../../../../sandbox/charms/tls-provider/src/ca.ts';
import { deps, FakeSecrets, FakeTools, PROVIDER, UNIT, type FakeRelation } from './fakes.ts';

const DAY = 86_400_000;
let ca: Authority;

beforeAll(async () => {
  ca = await createAuthority('self-signed-certificates-operator', 365 * DAY);
});

/** The provider's answer to every CSR in our unit bag, as tls-provider writes it. */
async function answer(relation: FakeRelation, options: { validityMs?: number; now?: Date; extra?: object[] } = {}): Promise<void> {
  const requests = JSON.parse(relation.bags[UNIT]?.['certificate_signing_requests'] ?? '[]') as { certificate_signing_request: string }[];
  const entries = await Promise.all(
    requests.map(async ({ certificate_signing_request: csr }) => {
      const certificate = await issueCertificate(ca, csr, { validityMs: options.validityMs ?? 90 * DAY, ...(options.now ? { now: options.now } : {}) });
      return { ca: ca.certificatePem, certificate_signing_request: csr, certificate, chain: [certificate, ca.certificatePem] };
    }),
  );
  relation.bags[PROVIDER] = { certificates: JSON.stringify([...(options.extra ?? []), ...entries]) };
}

describe('the certificates requirer', () => {
  it('does nothing without the relation and with nothing stored', async () => {
    const d = deps();
    expect(await convergeCertificates(d)).toEqual({});
    expect(d.secrets.fields).toEqual({});
  });

  it('on joining: makes a key and a CSR with the reference subject and SANs, and puts the CSR in our unit bag', async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    expect(await convergeCertificates(d)).toEqual({});
    const { key, csr } = d.secrets.fields;
    expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(await csrMatchesKey(csr!, key!)).toBe(true);
    expect(relation.bags[UNIT]).toEqual({ certificate_signing_requests: encodeCertificateSigningRequests([csr!]) });
    const request = parseCsr(csr!);
    expect(request.subject).toMatch(/^CN=postgresql-k8s-0\.postgresql-k8s-endpoints, 2\.5\.4\.45=/);
    const san = request.getExtension('2.5.29.17');
    expect(san).not.toBeNull();
    for (const name of ['postgresql-k8s-0', 'postgresql-k8s-0.postgresql-k8s-endpoints.dev.svc.cluster.local', 'postgresql-k8s-primary.dev.svc.cluster.local', 'postgresql-k8s-replicas.dev.svc.cluster.local', '10.1.42.7']) {
      expect(Buffer.from(san!.value).toString('latin1')).toContain(name);
    }
    // Idempotent: a second run changes neither the secret nor the bag.
    const before = structuredClone({ secret: d.secrets.fields, bag: relation.bags });
    await convergeCertificates(d);
    expect({ secret: d.secrets.fields, bag: relation.bags }).toEqual(before);
  });

  it("stores the provider's certificate, CA and chain (leaf first, joined by newlines), even beside a malformed entry for another unit", async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    await answer(relation, { extra: [{ certificate_signing_request: 'someone else', certificate: 'x', chain: [] }] });
    expect(await convergeCertificates(d)).toEqual({});
    const entry = (JSON.parse(relation.bags[PROVIDER]!['certificates']!) as { certificate: string }[])[1]!;
    expect(d.secrets.fields).toMatchObject({ cert: entry.certificate, ca: ca.certificatePem, chain: `${entry.certificate}\n${ca.certificatePem}` });
    // Juju's secret-expired brings the renewal: at the renewal time (Juju fires it within the minute before).
    const renewal = d.tools.secrets[RENEWAL_SECRET_LABEL]!;
    expect(renewal.content).toEqual({ certificate: entry.certificate, due: renewalTime(entry.certificate).toISOString() });
    expect(renewal.expire).toEqual(renewalTime(entry.certificate));
  });

  it.each([
    ['malformed', 'the certificate is not a valid PEM certificate'],
    ['other-key', "the certificate is not for this unit's private key"],
    ['expired', 'the certificate has expired'],
    ['wrong-ca', 'the certificate does not verify against the CA given with it'],
  ] as const)('refuses a %s certificate, keeps the working one and says so', async (fault, reason) => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    await answer(relation);
    await convergeCertificates(d);
    const working = { ...d.secrets.fields };
    // A new CSR (as after a renewal) answered wrongly.
    d.secrets.fields['csr'] = '';
    delete d.secrets.fields['csr'];
    await convergeCertificates(d);
    const csr = d.secrets.fields['csr']!;
    const other = await createAuthority('another-ca', DAY);
    const certificate =
      fault === 'malformed'
        ? '-----BEGIN CERTIFICATE-----\nbm90\n-----END CERTIFICATE-----'
        : fault === 'other-key'
          ? await issueCertificate(ca, csr, { validityMs: DAY, publicKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey })
          : fault === 'expired'
            ? await issueCertificate(ca, csr, { validityMs: DAY, expired: true })
            : await issueCertificate(other, csr, { validityMs: DAY });
    relation.bags[PROVIDER] = { certificates: JSON.stringify([{ ca: ca.certificatePem, certificate_signing_request: csr, certificate, chain: [certificate, ca.certificatePem] }]) };
    const outcome = await convergeCertificates(d);
    expect(outcome.problem).toEqual({ kind: 'blocked', message: `TLS certificate from ${PROVIDER} rejected: ${reason}; the current one stays in use until it sends a valid one` });
    expect(d.secrets.fields).toMatchObject({ cert: working['cert'], ca: working['ca'], chain: working['chain'] });
    // Healed when the provider answers properly.
    await answer(relation);
    expect(await convergeCertificates(d)).toEqual({});
    expect(d.secrets.fields['cert']).not.toBe(working['cert']);
  });

  it('asks for a new certificate with the same key near expiry, replacing the CSR in one write; the old certificate stays until then', async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    const issuedAt = new Date();
    await answer(relation, { validityMs: 180_000, now: issuedAt });
    await convergeCertificates(d, { now: issuedAt });
    const first = { ...d.secrets.fields };
    expect(first['cert']).toBeDefined();
    await convergeCertificates(d, { now: new Date(issuedAt.getTime() + 170_000) });
    expect(d.secrets.fields['key']).toBe(first['key']);
    expect(d.secrets.fields['csr']).not.toBe(first['csr']);
    expect(d.secrets.fields['cert']).toBe(first['cert']);
    expect(JSON.parse(relation.bags[UNIT]!['certificate_signing_requests']!)).toEqual([{ certificate_signing_request: d.secrets.fields['csr'], ca: false }]);
  });

  it('an unanswered renewal: Waiting until the certificate expires, then Blocked, the certificate kept in use throughout; healed by the answer', async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    const issuedAt = new Date();
    await answer(relation, { validityMs: 180_000, now: issuedAt });
    await convergeCertificates(d, { now: issuedAt });
    const working = { ...d.secrets.fields };
    const expiry = certificateExpiry(working['cert']!);
    const stamp = expiry.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    // The renewal time comes (the provider keeps its old answer and never answers the new CSR).
    const renewing = await convergeCertificates(d, { now: new Date(issuedAt.getTime() + 120_000) });
    expect(renewing.problem).toEqual({ kind: 'waiting', message: `TLS certificate expires ${stamp}: waiting for ${PROVIDER} to renew it (check ${PROVIDER} if this lasts)` });
    expect(d.secrets.fields['csr']).not.toBe(working['csr']);
    // The renewal secret now expires with the certificate (rounded up to Juju's minute), so a hook comes then.
    const renewal = d.tools.secrets[RENEWAL_SECRET_LABEL]!;
    expect(renewal.content['certificate']).toBe(working['cert']);
    expect((renewal.expire as Date).getTime()).toBe(Math.ceil(expiry.getTime() / 60_000) * 60_000);
    // The revision that expired is removed, or Juju would fire secret-expired for it again and again.
    expect(d.tools.removedRevisions).toEqual([`${renewal.id}/1`]);
    const csr = d.secrets.fields['csr'];
    // A later hook before expiry: still Waiting, no new CSR.
    expect((await convergeCertificates(d, { now: new Date(issuedAt.getTime() + 150_000) })).problem?.kind).toBe('waiting');
    expect(d.secrets.fields['csr']).toBe(csr);
    // Expired: Blocked, naming the problem and the fix; TLS stays as it was.
    const expired = await convergeCertificates(d, { now: new Date(expiry.getTime() + 1_000) });
    expect(expired.problem).toEqual({
      kind: 'blocked',
      message: `TLS certificate expired ${stamp} and ${PROVIDER} has not renewed it: clients that verify it fail; check ${PROVIDER} or relate another TLS provider`,
    });
    expect(d.secrets.fields).toMatchObject({ cert: working['cert'], ca: working['ca'], chain: working['chain'], key: working['key'], csr });
    // The provider answers the pending CSR: healed.
    await answer(relation);
    expect(await convergeCertificates(d)).toEqual({});
    expect(d.secrets.fields['cert']).not.toBe(working['cert']);
    expect(d.tools.secrets[RENEWAL_SECRET_LABEL]!.content['certificate']).toBe(d.secrets.fields['cert']);
  });

  it('a certificate already in use that expired before any hook could renew it: renewal asked for and Blocked, not refused as a bad answer', async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    const issuedAt = new Date();
    await answer(relation, { validityMs: 180_000, now: issuedAt });
    await convergeCertificates(d, { now: issuedAt });
    const working = { ...d.secrets.fields };
    const outcome = await convergeCertificates(d, { now: new Date(issuedAt.getTime() + 600_000) });
    expect(outcome.problem?.kind).toBe('blocked');
    expect(outcome.problem?.message).toMatch(/^TLS certificate expired .* and tls-provider has not renewed it/);
    expect(d.secrets.fields['csr']).not.toBe(working['csr']);
    expect(d.secrets.fields['cert']).toBe(working['cert']);
  });

  it('renews on a hook within the minute before the renewal time (Juju fires secret-expired by the minute)', async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    await answer(relation, { validityMs: 90 * DAY });
    await convergeCertificates(d);
    const csr = d.secrets.fields['csr'];
    const renewAt = renewalTime(d.secrets.fields['cert']!);
    await convergeCertificates(d, { now: new Date(renewAt.getTime() - 61_000) });
    expect(d.secrets.fields['csr']).toBe(csr);
    await convergeCertificates(d, { now: new Date(renewAt.getTime() - 30_000) });
    expect(d.secrets.fields['csr']).not.toBe(csr);
  });

  it("a certificate for another CSR: ignored when listed under that CSR, refused when sent for ours; the working one kept", async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    await answer(relation);
    await convergeCertificates(d);
    const working = { ...d.secrets.fields };
    // Our CSR replaced (a renewal), and another unit's CSR answered.
    delete d.secrets.fields['csr'];
    await convergeCertificates(d);
    const ours = d.secrets.fields['csr']!;
    const other = deps();
    other.tools.relation('certificates', 5);
    await convergeCertificates(other);
    const theirs = other.secrets.fields['csr']!;
    const forThem = await issueCertificate(ca, theirs, { validityMs: DAY });
    relation.bags[PROVIDER] = { certificates: JSON.stringify([{ ca: ca.certificatePem, certificate_signing_request: theirs, certificate: forThem, chain: [forThem, ca.certificatePem] }]) };
    expect(await convergeCertificates(d)).toEqual({});
    expect(d.secrets.fields).toMatchObject({ cert: working['cert'], csr: ours });
    relation.bags[PROVIDER] = { certificates: JSON.stringify([{ ca: ca.certificatePem, certificate_signing_request: ours, certificate: forThem, chain: [forThem, ca.certificatePem] }]) };
    expect((await convergeCertificates(d)).problem).toEqual({
      kind: 'blocked',
      message: `TLS certificate from ${PROVIDER} rejected: the certificate is not for this unit's private key; the current one stays in use until it sends a valid one`,
    });
    expect(d.secrets.fields['cert']).toBe(working['cert']);
  });

  it('forgets certificate, CA and chain when the relation breaks, keeping the key', async () => {
    const d = deps();
    const relation = d.tools.relation('certificates', 5);
    await convergeCertificates(d);
    await answer(relation);
    await convergeCertificates(d);
    const key = d.secrets.fields['key'];
    await convergeCertificates(d, { breaking: relation.ref });
    expect(d.secrets.fields).toEqual({ key, csr: expect.any(String) });
  });
});

describe('set-tls-private-key', () => {
  const event = { kind: 'action', action: 'set-tls-private-key', actionId: '1' } as unknown as ActionEvent;

  it('fails on a bad key with what is wrong, without echoing it, and changes nothing', async () => {
    const tools = new FakeTools();
    const secrets = new FakeSecrets({ key: 'old' });
    tools.params = { 'private-key': 'hunter2-not-a-key' };
    await setTlsPrivateKey(event, deps(tools, secrets));
    expect(tools.failed).toMatch(/^Invalid private-key: The private key is not a valid PEM/);
    expect(tools.failed).not.toContain('hunter2');
    expect(secrets.fields).toEqual({ key: 'old' });
  });

  it('stores a given key (base64 of PEM) with a CSR made with it and asks the provider for a certificate', async () => {
    const tools = new FakeTools();
    const relation = tools.relation('certificates', 5);
    const secrets = new FakeSecrets();
    const key = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    tools.params = { 'private-key': Buffer.from(key).toString('base64') };
    await setTlsPrivateKey(event, deps(tools, secrets));
    expect(tools.failed).toBeUndefined();
    expect(secrets.fields['key']).toBe(key);
    expect(await csrMatchesKey(secrets.fields['csr']!, key)).toBe(true);
    expect(relation.bags[UNIT]).toEqual({ certificate_signing_requests: encodeCertificateSigningRequests([secrets.fields['csr']!]) });
  });

  it('generates a new key without the parameter', async () => {
    const tools = new FakeTools();
    const secrets = new FakeSecrets({ key: 'old-key' });
    await setTlsPrivateKey(event, deps(tools, secrets));
    expect(tools.failed).toBeUndefined();
    expect(secrets.fields['key']).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(await csrMatchesKey(secrets.fields['csr']!, secrets.fields['key']!)).toBe(true);
  });
});
