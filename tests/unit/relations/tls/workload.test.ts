import { beforeAll, describe, expect, it } from 'vitest';
import { prepareCertificateRequest } from '../../../../lib/postgresql_tls/index.ts';
import { receivedCas, storeReceivedCas } from '../../../../src/relations/tls/ca-transfer.ts';
import { pushTlsFiles, pushTransferredCas } from '../../../../src/relations/tls/workload-files.ts';
import { createAuthority, issueCertificate, type Authority } from '../../../../sandbox/charms/tls-provider/src/ca.ts';
import { debianWorkload, InMemoryWorkload } from '../../scenario/in-memory-workload.ts';
import { APP, FakeSecrets, FakeTools, silentLogger } from './fakes.ts';

const DAY = 86_400_000;
let ca: Authority;
let material: { key: string; csr: string; cert: string; ca: string; chain: string };

beforeAll(async () => {
  ca = await createAuthority('self-signed-certificates-operator', 365 * DAY);
  const request = await prepareCertificateRequest({ appName: APP, unitName: `${APP}/0`, unitHostname: `${APP}-0.${APP}-endpoints` });
  const cert = await issueCertificate(ca, request.csrPem, { validityMs: DAY });
  material = { key: request.privateKeyPem, csr: request.csrPem, cert, ca: ca.certificatePem, chain: `${cert}\n${ca.certificatePem}` };
});

function workload(): InMemoryWorkload {
  return new InMemoryWorkload(debianWorkload({ commands: { 'update-ca-certificates': { stdout: '' }, rm: { stdout: '' } } }));
}

describe('TLS files in the workload', () => {
  it('pushes key, chain as CA file, and certificate 0400 postgres:postgres, and the CA file to the trust store', async () => {
    const pebble = workload();
    expect(await pushTlsFiles(pebble, material, silentLogger)).toBe(true);
    const files = pebble.state.files;
    for (const [path, content] of [
      ['/var/lib/postgresql/data/key.pem', material.key],
      ['/var/lib/postgresql/data/ca.pem', material.chain],
      ['/var/lib/postgresql/data/cert.pem', material.cert],
      ['/usr/local/share/ca-certificates/ca.crt', material.chain],
    ] as const) {
      expect(files[path]).toEqual({ content, permissions: 0o400, user: 'postgres', group: 'postgres' });
    }
    expect(pebble.operations.filter((op) => op.op === 'exec').map((op) => (op as { command: readonly string[] }).command)).toEqual([['update-ca-certificates']]);
    // Unchanged material: nothing pushed, nothing run, no reload asked for.
    const again = new InMemoryWorkload(pebble.state);
    expect(await pushTlsFiles(again, material, silentLogger)).toBe(false);
    expect(again.operations).toEqual([]);
  });

  it('keeps the files in place while the stored certificate is for a previous key', async () => {
    const pebble = workload();
    const newKey = (await prepareCertificateRequest({ appName: APP, unitName: `${APP}/0`, unitHostname: 'x' })).privateKeyPem;
    expect(await pushTlsFiles(pebble, { ...material, key: newKey }, silentLogger)).toBe(false);
    expect(pebble.operations).toEqual([]);
  });

  it('takes our CA out of the trust store when TLS is off', async () => {
    const pebble = workload();
    await pushTlsFiles(pebble, material, silentLogger);
    const off = new InMemoryWorkload(pebble.state);
    expect(await pushTlsFiles(off, { key: material.key }, silentLogger)).toBe(false);
    expect(off.operations.map((op) => (op.op === 'exec' ? op.command.join(' ') : op.op))).toEqual(['rm -f /usr/local/share/ca-certificates/ca.crt', 'update-ca-certificates']);
  });
});

describe('receive-ca-cert', () => {
  it("reads the provider leader unit's CA (JSON-encoded or raw), advertises version 0 as leader, and stores and pushes it", async () => {
    const tools = new FakeTools();
    const jsonProvider = tools.relation('receive-ca-cert', 7, 'self-signed', ['self-signed/0']);
    jsonProvider.bags['self-signed/0'] = { ca: JSON.stringify(ca.certificatePem), certificate: JSON.stringify(ca.certificatePem), chain: JSON.stringify([ca.certificatePem]), version: '0' };
    const rawProvider = tools.relation('receive-ca-cert', 8, 'manual-ca', ['manual-ca/0', 'manual-ca/1']);
    rawProvider.bags['manual-ca/1'] = { ca: ca.certificatePem };
    const cas = await receivedCas({ tools, appName: APP, isLeader: true, logger: silentLogger });
    expect([...cas.entries()]).toEqual([
      ['self-signed', ca.certificatePem],
      ['manual-ca', ca.certificatePem],
    ]);
    expect(jsonProvider.bags[APP]).toEqual({ version: '0' });

    const pebble = workload();
    const secrets = new FakeSecrets();
    const pushed = await pushTransferredCas(pebble, cas, silentLogger);
    await storeReceivedCas(secrets, cas, pushed.removedApps);
    expect(pushed.changed).toBe(true);
    expect(pebble.state.files['/usr/local/share/ca-certificates/ca-self-signed.crt']?.content).toBe(ca.certificatePem);
    expect(pebble.state.files['/usr/local/share/ca-certificates/ca-manual-ca.crt']?.content).toBe(ca.certificatePem);
    expect(secrets.fields).toEqual({ 'ca-self-signed': ca.certificatePem, 'ca-manual-ca': ca.certificatePem });

    // The manual-ca relation breaks: its file and secret field go, the other stays.
    const remaining = await receivedCas({ tools, appName: APP, isLeader: false, logger: silentLogger }, rawProvider.ref);
    const after = new InMemoryWorkload(pebble.state);
    const removed = await pushTransferredCas(after, remaining, silentLogger);
    await storeReceivedCas(secrets, remaining, removed.removedApps);
    expect(removed.removedApps).toEqual(['manual-ca']);
    expect(after.operations.map((op) => (op.op === 'exec' ? op.command.join(' ') : op.op))).toEqual(['rm -f /usr/local/share/ca-certificates/ca-manual-ca.crt', 'update-ca-certificates']);
    expect(secrets.fields).toEqual({ 'ca-self-signed': ca.certificatePem });
  });
});
