/**
 * Steps `dynamic-config` (the leader PATCHes Patroni's DCS settings, only what differs) and
 * `restart` (pending restarts, one member at a time, primary last), state in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { member, PASSWORDS, runHooks, runScenario, type ScenarioState } from '../../scenario/charm-scenario.ts';
import { initialisedApp, requestLines, shared, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());

function patches(result: Awaited<ReturnType<typeof runScenario>>): unknown[] {
  return result.patroniRequests.filter((request) => request.method === 'PATCH' && request.path === '/config').map((request) => request.body);
}

function restarts(result: Awaited<ReturnType<typeof runScenario>>): unknown[] {
  return result.patroniRequests.filter((request) => request.method === 'POST' && request.path === '/restart').map((request) => request.body);
}

/** Unit `unit` of an initialised three-unit cluster, with `members` as Patroni shows them. */
function threeUnits(unit: number, members: ScenarioState['cluster']): ScenarioState {
  return { units: 3, unit, leader: 0, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1, 2), cluster: members };
}

describe('dynamic-config step', () => {
  it('PATCHes what differs once, then leaves a steady configuration alone', async () => {
    const [first, second] = await runHooks([{ hook: 'config-changed' }, { hook: 'update-status' }], {
      appSecret: { ...PASSWORDS },
      peerApp: initialisedApp(0),
      cluster: [member(0, 'leader')],
    });

    expect(patches(first!)).toHaveLength(1);
    expect(patches(first!)[0]).toMatchObject({
      synchronous_node_count: 0,
      synchronous_mode_strict: false,
      maximum_lag_on_failover: 1048576,
      postgresql: { parameters: { max_connections: 100, max_worker_processes: '8' } },
    });
    expect(first!.patroniConfig).toMatchObject({ synchronous_node_count: 0, maximum_lag_on_failover: 1048576 });
    expect(requestLines(second!)).toContain('GET /config');
    expect(patches(second!)).toEqual([]);
  });

  it('PATCHes only the changed key when an option changes', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...(await leader()), config: { durability_maximum_lag_on_failover: 2048 } });
    expect(patches(result)).toEqual([{ maximum_lag_on_failover: 2048 }]);
  });

  it('holds strict mode back until Patroni has a synchronous standby', async () => {
    const noStandby = await runScenario({ hook: 'config-changed' }, threeUnits(0, [member(0, 'leader'), member(1, 'replica'), member(2, 'replica')]));
    expect(noStandby.patroniConfig).toMatchObject({ synchronous_node_count: 2, synchronous_mode_strict: false });

    const withStandby = await runScenario({ hook: 'config-changed' }, threeUnits(0, [member(0, 'leader'), member(1, 'sync_standby'), member(2, 'replica')]));
    expect(withStandby.patroniConfig).toMatchObject({ synchronous_node_count: 2, synchronous_mode_strict: true });
  });

  it('is the leader\'s job only', async () => {
    const result = await runScenario({ hook: 'config-changed' }, threeUnits(1, [member(0, 'leader'), member(1, 'sync_standby'), member(2, 'replica')]));
    expect(requestLines(result).filter((line) => line.endsWith(' /config'))).toEqual([]);
    expect(result.status).toEqual({ status: 'active', message: '' });
  });

  it('waits, for a later hook, when Patroni fails the PATCH', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...(await leader()), config: { durability_maximum_lag_on_failover: 2048 }, patroniAnswers: { 'PATCH /config': { status: 503, text: 'busy' } } });
    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'waiting', message: 'waiting to update the cluster configuration' });
    expect(result.patroniConfig['maximum_lag_on_failover']).toBe(1048576);
  });
});

describe('restart step', () => {
  it('restarts a pending primary that is alone, and tells the peers', async () => {
    const result = await runScenario({ hook: 'update-status' }, { ...(await leader()), cluster: [member(0, 'leader', { pending_restart: true })] });

    expect(restarts(result)).toEqual([{ restart_pending: true }]);
    expect(result.cluster[0]!.pending_restart).toBeUndefined();
    expect(result.peerUnits[0]!['postgresql-restarted-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('restarts nothing when nothing is pending', async () => {
    const result = await runScenario({ hook: 'update-status' }, await leader());
    expect(restarts(result)).toEqual([]);
    expect(result.peerUnits[0]!['postgresql-restarted-at']).toBeUndefined();
  });

  it('restarts the lowest-numbered pending replica first; the next one waits its turn', async () => {
    const members = () => [member(0, 'leader', { pending_restart: true }), member(1, 'sync_standby', { pending_restart: true }), member(2, 'replica', { pending_restart: true })];

    const second = await runScenario({ hook: 'update-status' }, threeUnits(2, members()));
    expect(restarts(second)).toEqual([]);
    expect(second.status).toEqual({ status: 'waiting', message: 'Awaiting restart operation' });

    const first = await runScenario({ hook: 'update-status' }, threeUnits(1, members()));
    expect(restarts(first)).toEqual([{ restart_pending: true }]);
    expect(first.status).toEqual({ status: 'active', message: '' });
  });

  it('says the cluster cannot be read, not "Awaiting restart operation", when /cluster does not answer', async () => {
    // The restart step is the first to read /cluster; nothing is known to be pending then.
    const result = await runScenario({ hook: 'update-status' }, { ...(await leader()), patroniAnswers: { 'GET /cluster': 'unreachable' } });
    expect(restarts(result)).toEqual([]);
    expect(result.status).toEqual({ status: 'waiting', message: 'waiting for Patroni to report the cluster' });
    expect(result.appStatus).toEqual(result.status);
  });

  it('keeps the primary for last, and waits while another member is down', async () => {
    const replicasPending = await runScenario(
      { hook: 'update-status' },
      threeUnits(0, [member(0, 'leader', { pending_restart: true }), member(1, 'sync_standby', { pending_restart: true }), member(2, 'replica')]),
    );
    expect(restarts(replicasPending)).toEqual([]);
    expect(replicasPending.status).toEqual({ status: 'waiting', message: 'Awaiting restart operation' });

    const memberDown = await runScenario(
      { hook: 'update-status' },
      threeUnits(1, [member(0, 'leader'), member(1, 'sync_standby', { pending_restart: true }), member(2, 'replica', { state: 'starting' })]),
    );
    expect(restarts(memberDown)).toEqual([]);
    expect(memberDown.status).toEqual({ status: 'waiting', message: 'Awaiting restart operation' });
  });
});
