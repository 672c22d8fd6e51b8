/**
 * Statuses follow the workload's own signals at once: Patroni's on_role_change callback (relayed
 * as the role-changed Pebble custom notice) and Pebble's check-failed / check-recovered for the
 * `postgresql` ready check each run the reconcile, which sets the label, the status and what the
 * unit tells its peers from what Patroni says now.
 */
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/handlers/index.ts';
import { createLogger } from '../../../src/logging.ts';
import { ROLE_CHANGED_NOTICE } from '../../../src/workload/index.ts';
import { member, nextState, runScenario, type ScenarioState } from '../scenario/charm-scenario.ts';
import { shared, steadyLeader, steadyReplica } from './reconcile/support.ts';

const replica = shared(() => steadyReplica());
const leader = shared(() => steadyLeader());

describe('the role-changed notice', () => {
  it('is routed to one handler for the workload container', () => {
    const dispatcher = createDispatcher(createLogger({ level: 'silent' }));
    const event = { kind: 'pebble-custom-notice', container: 'postgresql', notice: { id: '3', type: 'custom', key: ROLE_CHANGED_NOTICE } } as const;
    expect(dispatcher.handlersFor(event)).toHaveLength(1);
  });

  it('after a failover promoted this replica: the unit shows Primary and tells its peers in the same hook', async () => {
    const state = await replica();
    expect(state.status?.message).not.toBe('Primary');
    const promoted: ScenarioState = { ...state, cluster: [member(0, 'replica'), member(1, 'leader'), member(2, 'sync_standby')] };

    const result = await runScenario({ hook: 'pebble-custom-notice', key: ROLE_CHANGED_NOTICE, id: '3' }, promoted);

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(result.peerUnits[1]?.['member-role']).toBe('primary');
  });

  it('after this primary was demoted: the Primary label goes in the same hook', async () => {
    const state = await replica();
    const promoted = await runScenario({ hook: 'pebble-custom-notice', key: ROLE_CHANGED_NOTICE, id: '3' }, { ...state, cluster: [member(0, 'replica'), member(1, 'leader'), member(2, 'sync_standby')] });
    const demoted: ScenarioState = { ...nextState(state, promoted), cluster: [member(0, 'leader'), member(1, 'replica'), member(2, 'sync_standby')] };

    const result = await runScenario({ hook: 'pebble-custom-notice', key: ROLE_CHANGED_NOTICE, id: '4' }, demoted);

    expect(result.exitCode).toBe(0);
    expect(result.status.status).toBe('active');
    expect(result.status.message).not.toBe('Primary');
    expect(result.peerUnits[1]?.['member-role']).toBe('replica');
  });
});

describe('the postgresql check failing and recovering', () => {
  it('check-failed while PostgreSQL is crashed: the unit stops showing active', async () => {
    const state = await leader();
    expect(state.status).toEqual({ status: 'active', message: 'Primary' });
    const crashed: ScenarioState = { ...state, cluster: [member(0, 'leader', { state: 'crashed' })] };

    const result = await runScenario({ hook: 'pebble-check-failed' }, crashed);

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
  });

  it('check-recovered once it runs again: back to active Primary', async () => {
    const state = await leader();
    const failed = await runScenario({ hook: 'pebble-check-failed' }, { ...state, cluster: [member(0, 'leader', { state: 'crashed' })] });
    const running: ScenarioState = { ...nextState(state, failed), cluster: [member(0, 'leader')] };

    const result = await runScenario({ hook: 'pebble-check-recovered' }, running);

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });
});
