/**
 * Step `tls` through the whole reconcile: TLS on, a renewed certificate (reload, no restart),
 * the relation removed (TLS off). State in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate, type Authority } from '../../../../sandbox/charms/tls-provider/src/ca.ts';
import { member, nextState, runScenario, type ScenarioResult, type ScenarioState } from '../../scenario/charm-scenario.ts';
import { operations, patroniYml, shared, STORAGE, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());
const RELATION = { id: 9, endpoint: 'certificates' as const, remoteApp: 'tls' };
const DAY = 86_400_000;

/** The provider's answer to the CSR in our unit bag. */
async function answered(state: ScenarioState, result: ScenarioResult, ca: Authority, issue: { validityMs: number; now?: Date } = { validityMs: DAY }): Promise<{ state: ScenarioState; certificate: string }> {
  const csr = (JSON.parse(result.clientRelations[9]!.localUnits[0]!['certificate_signing_requests']!) as { certificate_signing_request: string }[])[0]!.certificate_signing_request;
  const certificate = await issueCertificate(ca, csr, issue);
  const next = nextState(state, result);
  next.clientRelations = next.clientRelations!.map((relation) => ({
    ...relation,
    remoteAppData: { certificates: JSON.stringify([{ ca: ca.certificatePem, certificate_signing_request: csr, certificate, chain: [certificate, ca.certificatePem] }]) },
  }));
  return { state: next, certificate };
}

async function tlsOn(): Promise<{ state: ScenarioState; result: ScenarioResult; ca: Authority }> {
  const base = await leader();
  const state: ScenarioState = {
    ...base,
    cluster: [member(0, 'leader')],
    workload: { ...base.workload!, commands: { ...base.workload!.commands, 'update-ca-certificates': { stdout: '' }, rm: { stdout: '' } } },
    clientRelations: [RELATION],
  };
  const asked = await runScenario({ hook: 'client-relation', id: 9, kind: 'joined', remoteUnit: 'tls/0' }, state);
  const ca = await createAuthority('self-signed-certificates-operator', 365 * DAY);
  const { state: withAnswer } = await answered(state, asked, ca);
  const result = await runScenario({ hook: 'client-relation', id: 9, kind: 'changed', remoteUnit: 'tls/0' }, withAnswer);
  return { state: withAnswer, result, ca };
}

describe('tls step', () => {
  it('reloads Patroni for a renewed certificate, with no replan and no restart, and stays active', async () => {
    const on = await tlsOn();
    expect(on.result.peerUnits[0]!['tls']).toBe('enabled');
    const { state, certificate } = await answered(on.state, on.result, on.ca);
    const renewed = await runScenario({ hook: 'client-relation', id: 9, kind: 'changed', remoteUnit: 'tls/0' }, state);

    expect(renewed.unitSecret['cert']).toBe(certificate);
    expect(renewed.workload.files[`${STORAGE}/cert.pem`]?.content).toBe(certificate);
    expect(operations(renewed, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
    expect(operations(renewed, 'replan')).toEqual([]);
    expect(operations(renewed, 'restart')).toEqual([]);
    expect(renewed.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('a certificate past its renewal time that the provider does not renew: Waiting naming it and the provider, TLS kept on, a new CSR asked for', async () => {
    const on = await tlsOn();
    // Valid 30 s more, past two thirds of its life: the renewal is due at once.
    const { state, certificate } = await answered(on.state, on.result, on.ca, { validityMs: 180_000, now: new Date(Date.now() - 150_000) });
    const hook = await runScenario({ hook: 'client-relation', id: 9, kind: 'changed', remoteUnit: 'tls/0' }, state);

    expect(hook.unitSecret['cert']).toBe(certificate);
    expect(hook.workload.files[`${STORAGE}/cert.pem`]?.content).toBe(certificate);
    const asked = (JSON.parse(hook.clientRelations[9]!.localUnits[0]!['certificate_signing_requests']!) as { certificate_signing_request: string }[])[0]!;
    expect(asked.certificate_signing_request).toBe(hook.unitSecret['csr']);
    expect(hook.peerUnits[0]!['tls']).toBe('enabled');
    expect(hook.status.status).toBe('waiting');
    expect(hook.status.message).toMatch(/^TLS certificate expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: waiting for tls to renew it \(check tls if this lasts\)$/);
  });

  it('turns TLS off when the relation breaks: certificate forgotten, plain patroni.yml, flag cleared, CA out of the trust store', async () => {
    const on = await tlsOn();
    const state = nextState(on.state, on.result);
    const broken = await runScenario({ hook: 'client-relation', id: 9, kind: 'broken', remoteUnit: 'tls/0' }, state);

    expect(broken.unitSecret['cert']).toBeUndefined();
    expect(broken.unitSecret['key']).toBeDefined();
    const yml = patroniYml(broken)!;
    expect(yml['postgresql']['parameters']['ssl']).toBeUndefined();
    expect(yml['restapi']['certfile']).toBeUndefined();
    expect((yml['postgresql']['pg_hba'] as string[]).some((rule) => rule.startsWith('hostssl '))).toBe(false);
    expect(broken.peerUnits[0]!['tls']).toBeUndefined();
    expect(operations(broken, 'exec').map((op) => op.command.join(' '))).toEqual(
      expect.arrayContaining(['rm -f /usr/local/share/ca-certificates/ca.crt', 'update-ca-certificates']),
    );
    expect(broken.status).toEqual({ status: 'active', message: 'Primary' });
  });
});
