/**
 * get-primary and promote-to-primary through the whole charm, state in → one action → state
 * out: the cluster as the three members' Patroni report it goes in, what they were asked and the
 * cluster they report afterwards come out. The actions' own branches are in primary.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { member, PASSWORDS, runScenario, unitName, type ScenarioState } from '../scenario/charm-scenario.ts';

const THREE_MEMBERS: ScenarioState = {
  units: 3,
  appSecret: { ...PASSWORDS },
  peerApp: { cluster_initialised: 'True' },
  cluster: [member(0, 'sync_standby'), member(1, 'replica'), member(2, 'leader')],
};
const lines = (result: { patroniRequests: Array<{ method: string; path: string }> }) => result.patroniRequests.map((r) => `${r.method} ${r.path}`);
/** What was asked besides `/cluster` (which the charm reads from every member at once). */
const beyondClusterReads = (result: Parameters<typeof lines>[0]) => lines(result).filter((line) => line !== 'GET /cluster');
const leaderOf = (result: { cluster: Array<{ name: string; role: string }> }) => result.cluster.find((m) => m.role === 'leader')?.name;

describe('get-primary, state in → state out', () => {
  it('names the unit whose member Patroni reports as leader (not the Juju leader), only reading', async () => {
    const result = await runScenario({ hook: 'action', action: 'get-primary' }, { ...THREE_MEMBERS, unit: 1 });
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: false, results: { primary: unitName(2) } });
    expect(lines(result)).toContain('GET /cluster');
    expect(beyondClusterReads(result)).toEqual([]);
    expect(result.workloadOperations).toEqual([]);
  });

  it('fails, saying what to check, when no Patroni answers', async () => {
    // No other member known and this unit's Patroni drops every connection.
    const result = await runScenario({ hook: 'action', action: 'get-primary' }, { appSecret: { ...PASSWORDS }, patroniAnswers: { '*': 'unreachable' } });
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({
      failed: true,
      message: 'Unable to reach Patroni on any unit: check that the units are active (juju status) and run the action again',
    });
  });
});

describe('promote-to-primary, state in → state out', () => {
  it('switches over to this unit, the sync standby, authenticated as patroni, and waits until it leads', async () => {
    const before = { ...THREE_MEMBERS, status: { status: 'active', message: '' } } as const;
    const result = await runScenario({ hook: 'action', action: 'promote-to-primary', params: { scope: 'unit' } }, before);
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: false, message: '' });
    expect(result.action?.messages.map((m) => m.message)).toEqual([`${unitName(0)} is now the primary`]);
    const switchover = result.patroniRequests.find((r) => r.method === 'POST' && r.path === '/switchover');
    expect(switchover).toMatchObject({
      body: { leader: 'postgresql-k8s-2', candidate: 'postgresql-k8s-0' },
      authorization: `Basic ${Buffer.from(`patroni:${PASSWORDS['patroni-password']}`).toString('base64')}`,
    });
    expect(beyondClusterReads(result)[0]).toBe('POST /switchover');
    expect(lines(result).filter((line) => line === 'POST /switchover')).toHaveLength(1);
    // The action returns once Patroni says this unit leads; the status follows in the hook of
    // Patroni's role-change notice (handlers/role-change-and-checks.scenario.test.ts), not here.
    expect(result.status).toEqual({ status: 'active', message: '' });
    expect(leaderOf(result)).toBe('postgresql-k8s-0');
    expect(result.logs).not.toContain(PASSWORDS['patroni-password']);
  });

  it('only says so when this unit already is the primary', async () => {
    const result = await runScenario({ hook: 'action', action: 'promote-to-primary', params: { scope: 'unit' } }, { ...THREE_MEMBERS, unit: 2 });
    expect(result.action).toMatchObject({ failed: false });
    expect(result.action?.messages.map((m) => m.message)).toEqual([`${unitName(2)} is already the primary`]);
    expect(lines(result)).toContain('GET /cluster');
    expect(beyondClusterReads(result)).toEqual([]);
    expect(leaderOf(result)).toBe('postgresql-k8s-2');
  });

  it('refuses on a unit that is not the sync standby, naming the one that is, and switches nothing', async () => {
    const result = await runScenario({ hook: 'action', action: 'promote-to-primary', params: { scope: 'unit' } }, { ...THREE_MEMBERS, unit: 1 });
    expect(result.action).toMatchObject({
      failed: true,
      message: `Unit is not sync standby: the sync standby is ${unitName(0)}; run the action on that unit`,
    });
    expect(lines(result)).toContain('GET /cluster');
    expect(beyondClusterReads(result)).toEqual([]);
    expect(leaderOf(result)).toBe('postgresql-k8s-2');
  });

  it('refuses a bad scope before asking Patroni anything (the other parameter checks: primary.test.ts)', async () => {
    const result = await runScenario({ hook: 'action', action: 'promote-to-primary', params: {} }, THREE_MEMBERS);
    expect(result.action).toMatchObject({ failed: true, message: 'Scope should be either cluster or unit' });
    expect(result.patroniRequests).toEqual([]);
  });
});
