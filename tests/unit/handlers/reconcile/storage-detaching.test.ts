/**
 * pgdata-storage-detaching (src/handlers/storage-detaching.ts): the primary hands over, a
 * synchronous standby renders `nosync` and waits for another standby, the last standby turns strict
 * mode off. State in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { member, nextState, PASSWORDS, runScenario, type ScenarioResult, type ScenarioState } from '../../scenario/charm-scenario.ts';
import { initialisedApp, operations, patroniYml, settle, shared, steadyReplica } from './support.ts';

const DETACH = { hook: 'storage-detaching' } as const;
/** Bounded waits stay short: one HA loop and the wait for a new primary are capped by this. */
const FAST = { switchoverTimeoutMs: 30, pollIntervalMs: 5 };

const replica = shared(() => steadyReplica());
const primaryOfThree = shared(() =>
  settle({ units: 3, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1, 2), cluster: [member(0, 'leader'), member(1, 'sync_standby'), member(2, 'replica')] }),
);

function posts(result: ScenarioResult, path: string): unknown[] {
  return result.patroniRequests.filter((request) => request.method === 'POST' && request.path === path).map((request) => request.body);
}

const roles = (result: ScenarioResult) => Object.fromEntries(result.cluster.map((m) => [m.name, m.role]));

describe('pgdata-storage-detaching', () => {
  it('has a primary with healthy replicas switch over, then give up the standby role it got', async () => {
    const state: ScenarioState = { ...(await primaryOfThree()), timing: FAST };
    const result = await runScenario(DETACH, state);

    expect(result.exitCode).toBe(0);
    // No candidate named: Patroni picks the synchronous standby.
    expect(posts(result, '/switchover')).toEqual([{ leader: 'postgresql-k8s-0', candidate: null }]);
    expect(roles(result)).toEqual({ 'postgresql-k8s-0': 'sync_standby', 'postgresql-k8s-1': 'leader', 'postgresql-k8s-2': 'replica' });
    // Now a synchronous standby itself, it renders nosync and Patroni re-reads the file.
    expect(patroniYml(result)!['tags']).toEqual({ nosync: true, is_creating_backup: false });
    expect(operations(result, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
  });

  it('leaves a primary in place when a replica is not ready (Patroni fails over instead)', async () => {
    const state = await primaryOfThree();
    const result = await runScenario(DETACH, {
      ...state,
      timing: FAST,
      cluster: [member(0, 'leader'), member(1, 'sync_standby'), member(2, 'replica', { state: 'starting' })],
    });
    expect(posts(result, '/switchover')).toEqual([]);
    expect(roles(result)['postgresql-k8s-0']).toBe('leader');
    expect(operations(result, 'push')).toEqual([]);
    expect(result.logs).toContain('not every member is ready');
  });

  it('has a synchronous standby render nosync and reload, leaving its status for the next hook', async () => {
    const state = await replica();
    const result = await runScenario(DETACH, { ...state, timing: FAST });

    expect(posts(result, '/switchover')).toEqual([]);
    expect(operations(result, 'push')).toHaveLength(1);
    expect(patroniYml(result)!['tags']).toEqual({ nosync: true, is_creating_backup: false });
    expect(operations(result, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
    expect(operations(result, 'replan')).toEqual([]);
    expect(result.status).toEqual(state.status);
    // Patroni still lists it as synchronous within the (short) wait: logged, not fatal.
    expect(result.logs).toContain('still a synchronous standby');
  });

  it('keeps nosync in every later reconcile of the leaving unit, so the primary never picks it again', async () => {
    // update-status before stop, or a peer's relation-departed, re-renders patroni.yml: the dying
    // unit keeps the tag storage-detaching gave it (charm state), and Patroni is not reloaded.
    const state = await replica();
    const detached = await runScenario(DETACH, { ...state, dying: [1], timing: FAST });
    const later = await runScenario({ hook: 'update-status' }, { ...nextState(state, detached), dying: [1] });

    expect(detached.charmState['reconcile.left-sync-set']).toBe('true');
    expect(patroniYml(detached)!['tags']).toEqual({ nosync: true, is_creating_backup: false });
    expect(patroniYml(later)!['tags']).toEqual({ nosync: true, is_creating_backup: false });
    expect(operations(later, 'signal')).toEqual([]);
  });

  it('stays a sync candidate while dying until storage-detaching decides (it may be the last standby)', async () => {
    const state = await replica();
    const dying = await runScenario({ hook: 'update-status' }, { ...state, dying: [1] });
    expect(patroniYml(dying)!['tags']).toBeUndefined();
    expect(dying.charmState['reconcile.left-sync-set']).toBeUndefined();
  });

  it('has the last synchronous standby turn strict mode off instead', async () => {
    const state = await replica();
    const result = await runScenario(DETACH, {
      ...state,
      timing: FAST,
      cluster: [member(0, 'leader'), member(1, 'sync_standby')],
      patroniConfig: { ...state.patroniConfig, synchronous_mode_strict: true },
    });

    const patches = result.patroniRequests.filter((request) => request.method === 'PATCH' && request.path === '/config').map((request) => request.body);
    expect(patches).toEqual([{ synchronous_mode_strict: false }]);
    expect(result.patroniConfig['synchronous_mode_strict']).toBe(false);
    expect(operations(result, 'push')).toEqual([]);
    expect(patroniYml(result)!['tags']).toBeUndefined();
  });

  it('does nothing, and does not fail, when Patroni cannot be reached', async () => {
    const result = await runScenario(DETACH, { appSecret: { ...PASSWORDS }, timing: FAST, patroniAnswers: { '*': 'unreachable' } });
    expect(result.exitCode).toBe(0);
    expect(result.workloadOperations).toEqual([]);
    expect(result.logs).toContain('cannot read the cluster before the storage goes');
  });
});
