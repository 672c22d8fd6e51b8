/**
 * Steps `service` (Pebble layer, replan, SIGHUP; Kubernetes preparation; a non-leader waits for
 * the cluster) and `service-health` (restart an inactive Patroni), state in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { member, PASSWORDS, runHooks, runScenario } from '../../scenario/charm-scenario.ts';
import { endpointsOf, FORBIDDEN, initialisedApp, operations, patroniYml, recordingKubernetes, shared, steadyLeader } from './support.ts';
import { debianWorkload } from '../../scenario/in-memory-workload.ts';

const leader = shared(() => steadyLeader());
const TRUST = { status: 'blocked', message: 'Insufficient permissions, try: `juju trust postgresql-k8s --scope=cluster`' };
const RESTARTING = { status: 'maintenance', message: 'Database service inactive, restarting' };

describe('service step', () => {
  it('adds the layer and replans on the first start', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS } });

    expect(result.workloadOperations.filter((op) => op.op === 'add-layer' || op.op === 'replan').map((op) => op.op)).toEqual(['add-layer', 'replan']);
    const [add] = operations(result, 'add-layer');
    expect(add).toMatchObject({ label: 'postgresql', combine: true });
    expect(add!.layer.services!['postgresql']).toMatchObject({ command: '/usr/bin/patroni /var/lib/postgresql/data/patroni.yml', startup: 'enabled' });
    expect(result.workload.running['postgresql']).toBe(true);
    expect(operations(result, 'signal')).toEqual([]);
  });

  it('sends SIGHUP, without replanning, when only patroni.yml changed', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...(await leader()), config: { connection_authentication_timeout: 120 } });

    expect(operations(result, 'push')).toHaveLength(1);
    expect(patroniYml(result)!['postgresql']['parameters']['authentication_timeout']).toBe(120);
    expect(operations(result, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
    expect(operations(result, 'add-layer')).toEqual([]);
    expect(operations(result, 'replan')).toEqual([]);
  });

  it('replans an intact plan on pebble-ready when nothing runs (a restarted container)', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'pebble-ready' }, { ...state, workload: { ...state.workload!, running: {} } });

    expect(operations(result, 'add-layer')).toEqual([]);
    expect(operations(result, 'replan')).toHaveLength(1);
    expect(result.workload.running['postgresql']).toBe(true);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('stops a non-leader before the cluster is initialised, its patroni.yml in place', async () => {
    const result = await runScenario({ hook: 'peer-relation', kind: 'changed', remoteUnit: 0 }, { units: 2, unit: 1, appSecret: { ...PASSWORDS }, peerApp: { endpoints: endpointsOf(0, 1) } });

    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
    expect(patroniYml(result)!['name']).toBe('postgresql-k8s-1');
    expect(operations(result, 'add-layer')).toEqual([]);
    expect(result.workload.running).toEqual({});
    expect(result.patroniRequests).toEqual([]);
  });

  it('holds a joiner back until the leader has put it in `endpoints`', async () => {
    const result = await runScenario({ hook: 'peer-relation', kind: 'joined', remoteUnit: 0 }, { units: 2, unit: 1, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0) });

    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    expect(operations(result, 'push')).toHaveLength(1);
    expect(operations(result, 'add-layer')).toEqual([]);
    expect(result.peerApp['endpoints']).toBe(endpointsOf(0));
  });

  it('starts the joiner once it is admitted and the cluster runs', async () => {
    const result = await runScenario(
      { hook: 'peer-relation', kind: 'changed', remoteUnit: 0 },
      { units: 2, unit: 1, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1), cluster: [member(0, 'leader'), member(1, 'sync_standby')] },
    );
    expect(operations(result, 'replan')).toHaveLength(1);
    expect(result.status).toEqual({ status: 'active', message: '' });
  });

  it('on Kubernetes, labels the pod, clears stale Patroni objects and creates the role services before the first start', async () => {
    const kubernetes = recordingKubernetes();
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS }, kubernetes });

    expect(kubernetes.calls).toEqual(['patchPodLabels postgresql-k8s/0', 'deleteStalePatroniObjects', 'ensureRoleServices role=primary']);
    expect(operations(result, 'replan')).toHaveLength(1);
  });

  it('on Kubernetes, selects the primary by the label the workload\'s Patroni really gives its leader', async () => {
    // Patroni before 3.1 has no leader_label_value and labels its leader role=master.
    const kubernetes = recordingKubernetes();
    const workload = debianWorkload({ commands: { '/usr/bin/patroni': { stdout: 'patroni 3.0.2\n' } } });
    await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS }, kubernetes, workload });
    expect(kubernetes.calls).toContain('ensureRoleServices role=master');

    const newer = recordingKubernetes();
    const workload31 = debianWorkload({ commands: { '/usr/bin/patroni': { stdout: 'patroni 3.1.2\n' } } });
    await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS }, kubernetes: newer, workload: workload31 });
    expect(newer.calls).toContain('ensureRoleServices role=primary');
  });

  it('on Kubernetes, has a non-leader label its pod only, and a steady unit call nothing', async () => {
    const joiner = recordingKubernetes();
    await runScenario(
      { hook: 'peer-relation', kind: 'changed', remoteUnit: 0 },
      { units: 2, unit: 1, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1), cluster: [member(0, 'leader'), member(1, 'sync_standby')], kubernetes: joiner },
    );
    expect(joiner.calls).toEqual(['patchPodLabels postgresql-k8s/1']);

    const steady = recordingKubernetes();
    await runScenario({ hook: 'update-status' }, { ...(await leader()), kubernetes: steady });
    expect(steady.calls).toEqual([]);
  });

  it('blocks on a 403 without starting anything, and clears once trust is granted', async () => {
    let trusted = false;
    const kubernetes = recordingKubernetes(() => (trusted ? { kind: 'done' } : FORBIDDEN));
    const [forbidden, granted] = await runHooks([{ hook: 'config-changed' }, { hook: 'config-changed' }], { appSecret: { ...PASSWORDS }, cluster: [member(0, 'leader')], kubernetes }, (next) => {
      trusted = true;
      return next;
    });

    expect(forbidden!.status).toEqual(TRUST);
    expect(forbidden!.appStatus).toEqual(TRUST);
    expect(operations(forbidden!, 'add-layer')).toEqual([]);
    expect(forbidden!.workload.running).toEqual({});
    expect(granted!.status).toEqual({ status: 'active', message: 'Primary' });
    expect(operations(granted!, 'replan')).toHaveLength(1);
    expect(kubernetes.calls.filter((call) => call === 'patchPodLabels postgresql-k8s/0')).toHaveLength(2);
  });

  it('waits when the Kubernetes API fails otherwise', async () => {
    const kubernetes = recordingKubernetes(() => ({ kind: 'failed', message: 'connection refused' }));
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS }, kubernetes });
    expect(result.status).toEqual({ status: 'waiting', message: 'waiting for the Kubernetes API' });
    expect(operations(result, 'replan')).toEqual([]);
  });
});

describe('service-health step', () => {
  it('restarts an inactive Patroni on update-status and shows it until the member is back', async () => {
    const state = await leader();
    const down = { ...state, workload: { ...state.workload!, running: {} }, cluster: [member(0, 'leader', { state: 'stopped' })] };
    const [restarting, back] = await runHooks([{ hook: 'update-status' }, { hook: 'config-changed' }], down, (next) => ({ ...next, cluster: [member(0, 'leader')] }));

    expect(operations(restarting!, 'restart')).toEqual([{ op: 'restart', services: ['postgresql'] }]);
    expect(restarting!.status).toEqual(RESTARTING);
    expect(restarting!.peerUnits[0]!['member-serving']).toBe('False');
    // Shown, it is re-checked on the next hook: the service runs and the member is up.
    expect(operations(back!, 'restart')).toEqual([]);
    expect(back!.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('leaves a running service alone', async () => {
    const result = await runScenario({ hook: 'update-status' }, await leader());
    expect(operations(result, 'restart')).toEqual([]);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('leaves the service alone while a backup is being restored', async () => {
    const state = await leader();
    const result = await runScenario(
      { hook: 'update-status' },
      { ...state, peerApp: { ...state.peerApp, 'restoring-backup': '2026-12-01T00:00:00Z' }, workload: { ...state.workload!, running: {} } },
    );
    expect(operations(result, 'restart')).toEqual([]);
    expect(result.status.message).not.toBe(RESTARTING.message);
  });
});
