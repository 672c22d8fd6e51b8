/**
 * What the reconcile ends with — the unit's and the leader's application status, and the
 * `member-serving`/`member-role` announcement in the unit's peer bag — and the hooks around it
 * that run no reconcile: install and stop. State in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { member, PASSWORDS, runScenario } from '../../scenario/charm-scenario.ts';
import { initialisedApp, recordingKubernetes, shared, steadyLeader, steadyReplica } from './support.ts';

const leader = shared(() => steadyLeader());

describe('final status and announcement', () => {
  it('shows a lone primary as Primary and announces it serves', async () => {
    const result = await runScenario({ hook: 'update-status' }, await leader());
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(result.appStatus).toEqual({ status: 'active', message: '' });
    expect(result.peerUnits[0]).toMatchObject({ 'member-serving': 'True', 'member-role': 'primary' });
  });

  it('shows a primary short of planned members as degraded, on the unit and the application', async () => {
    const result = await runScenario(
      { hook: 'update-status' },
      {
        units: 3,
        appSecret: { ...PASSWORDS },
        peerApp: initialisedApp(0, 1, 2),
        cluster: [member(0, 'leader'), member(1, 'replica', { state: 'starting' }), member(2, 'replica', { state: 'stopped' })],
      },
    );
    expect(result.status).toEqual({ status: 'active', message: 'Primary (degraded)' });
    expect(result.appStatus).toEqual({ status: 'active', message: 'degraded: 1 of 3 members running' });
  });

  it('does not count units Juju is removing as planned', async () => {
    const result = await runScenario(
      { hook: 'update-status' },
      { units: 3, dying: [2], appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1, 2), cluster: [member(0, 'leader'), member(1, 'sync_standby')] },
    );
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(result.appStatus).toEqual({ status: 'active', message: '' });
  });

  it('shows a replica as Active with no message, leaving the application status to the leader', async () => {
    const state = await steadyReplica();
    const result = await runScenario({ hook: 'update-status' }, state);
    expect(result.status).toEqual({ status: 'active', message: '' });
    expect(result.peerUnits[1]).toMatchObject({ 'member-serving': 'True', 'member-role': 'replica' });
    expect(result.appStatus.status).not.toBe('active');
  });

  it('corrects the announced role of a demoted primary', async () => {
    const state = await steadyReplica();
    const result = await runScenario({ hook: 'peer-relation', kind: 'changed', remoteUnit: 0 }, { ...state, peerUnits: { ...state.peerUnits, 1: { ...state.peerUnits![1], 'member-role': 'primary' } } });
    expect(result.peerUnits[1]!['member-role']).toBe('replica');
  });

  it('announces a member that stopped serving', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'update-status' }, { ...state, cluster: [member(0, 'leader', { state: 'stopped' })] });
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    expect(result.appStatus).toEqual(result.status);
    expect(result.peerUnits[0]!['member-serving']).toBe('False');
    // The role is what Patroni last said; without a view of the member it is left as it was.
    expect(result.peerUnits[0]!['member-role']).toBe('primary');
  });
});

describe('install', () => {
  it('opens the workload ports and says it is installing', async () => {
    const result = await runScenario({ hook: 'install' }, { peerRelation: false });
    expect(result.status).toEqual({ status: 'maintenance', message: 'installing charm software' });
    expect(result.openedPorts.map((port) => `${port.protocol}/${port.port}`)).toEqual(['tcp/5432', 'tcp/8008']);
    expect(result.workloadOperations).toEqual([]);
    expect(result.appSecret).toEqual({});
  });

  it('blocks at once on a bad deploy-time config, naming the option', async () => {
    const result = await runScenario({ hook: 'install' }, { peerRelation: false, config: { synchronous_node_count: 'some' } });
    expect(result.status).toEqual({ status: 'blocked', message: 'Configuration Error: synchronous_node_count="some" is invalid' });
  });
});

describe('stop', () => {
  it('hands the Kubernetes objects to the StatefulSet and keeps the peer data while units remain', async () => {
    const kubernetes = recordingKubernetes();
    const state = await leader();
    const result = await runScenario({ hook: 'stop' }, { ...state, kubernetes });

    expect(result.exitCode).toBe(0);
    expect(kubernetes.calls).toEqual(['adoptCreatedObjects']);
    expect(result.peerUnits[0]).toMatchObject({ 'member-serving': 'True', 'member-role': 'primary' });
    expect(result.workloadOperations).toEqual([]);
    expect(result.patroniRequests).toEqual([]);
  });

  it('clears the unit\'s peer data when the application is scaled to zero', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'stop' }, { ...state, dying: [0] });
    expect(result.exitCode).toBe(0);
    expect(result.peerUnits[0]!['member-serving']).toBeUndefined();
    expect(result.peerUnits[0]!['member-role']).toBeUndefined();
    // The application's bag is the leader's to keep.
    expect(result.peerApp['cluster_initialised']).toBe(state.peerApp!['cluster_initialised']);
  });

  it('logs, and does not fail, when Kubernetes refuses', async () => {
    const kubernetes = recordingKubernetes(() => ({ kind: 'forbidden', message: 'forbidden' }));
    const result = await runScenario({ hook: 'stop' }, { ...(await leader()), kubernetes });
    expect(result.exitCode).toBe(0);
    expect(result.logs).toContain('could not hand Kubernetes objects to the StatefulSet');
  });
});
