/**
 * Steps `passwords` (the leader makes sure every system password exists), `passwords-available`
 * (Patroni cannot start without them) and `endpoints` (the app bag lists the members), state in →
 * one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { member, memberHost, PASSWORDS, runScenario } from '../../scenario/charm-scenario.ts';
import { endpointsOf, initialisedApp, operations, patroniYml, shared, steadyReplica } from './support.ts';

const USERS = ['backup', 'operator', 'replication', 'rewind', 'monitoring', 'patroni'];
const replica = shared(() => steadyReplica());

describe('passwords step', () => {
  it('has the leader generate every system password, 16 alphanumerics each, and render them', async () => {
    const result = await runScenario({ hook: 'leader-elected' }, {});

    expect(Object.keys(result.appSecret).sort()).toEqual(USERS.map((user) => `${user}-password`).sort());
    for (const value of Object.values(result.appSecret)) expect(value).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(new Set(Object.values(result.appSecret)).size).toBe(USERS.length);
    const yml = patroniYml(result)!;
    expect(yml['restapi']['authentication']).toEqual({ username: 'patroni', password: result.appSecret['patroni-password'] });
    expect(yml['postgresql']['authentication']).toEqual({
      replication: { username: 'replication', password: result.appSecret['replication-password'] },
      rewind: { username: 'rewind', password: result.appSecret['rewind-password'] },
      superuser: { username: 'operator', password: result.appSecret['operator-password'] },
    });
  });

  it('never replaces a stored password: only the missing ones are generated', async () => {
    const stored = { 'operator-password': PASSWORDS['operator-password']!, 'patroni-password': PASSWORDS['patroni-password']! };
    const result = await runScenario({ hook: 'leader-elected' }, { appSecret: stored });

    expect(result.appSecret).toMatchObject(stored);
    expect(result.appSecret['rewind-password']).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(Object.keys(result.appSecret)).toHaveLength(USERS.length);
    expect(patroniYml(result)!['restapi']['authentication']['password']).toBe(PASSWORDS['patroni-password']);
  });

  it('leaves a complete secret as it is', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS } });
    expect(result.appSecret).toEqual(PASSWORDS);
    expect(result.logs).not.toContain('generated passwords');
  });

  it('has a non-leader render the leader\'s passwords, generating none', async () => {
    const state = await replica();
    expect(state.appSecret).toEqual(PASSWORDS);
    const yml = patroniYml({ workload: state.workload! })!;
    expect(yml['postgresql']['authentication']['superuser']['password']).toBe(PASSWORDS['operator-password']);
    expect(yml['restapi']['authentication']['password']).toBe(PASSWORDS['patroni-password']);
  });
});

describe('a rotated password', () => {
  it('reaches a non-leader on secret-changed: patroni.yml re-rendered and Patroni reloaded, no restart', async () => {
    const state = await replica();
    const rotated = { ...PASSWORDS, 'rewind-password': 'rewindPass000002' };
    const result = await runScenario({ hook: 'secret-changed' }, { ...state, appSecret: rotated });

    expect(patroniYml(result)!['postgresql']['authentication']['rewind']['password']).toBe('rewindPass000002');
    expect(operations(result, 'push')).toHaveLength(1);
    expect(operations(result, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
    expect(operations(result, 'replan')).toEqual([]);
    expect(result.appSecret).toEqual(rotated);
  });
});

describe('passwords-available step', () => {
  it('makes a non-leader wait, with nothing rendered, until the leader has stored the passwords', async () => {
    const result = await runScenario({ hook: 'peer-relation', kind: 'joined', remoteUnit: 0 }, { units: 2, unit: 1, peerApp: { endpoints: endpointsOf(0) } });

    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
    expect(result.appSecret).toEqual({});
    expect(patroniYml(result)).toBeUndefined();
    expect(operations(result, 'add-layer')).toEqual([]);
    // The workload itself was prepared: PGDATA exists for when the passwords come.
    expect(result.workload.dirs['/var/lib/postgresql/data/pgdata']).toMatchObject({ user: 'postgres', permissions: 0o750 });
  });

  it('lets a non-leader start with the four passwords Patroni needs, monitoring or not', async () => {
    const { 'monitoring-password': _monitoring, 'backup-password': _backup, ...patroniOnes } = PASSWORDS;
    const result = await runScenario(
      { hook: 'peer-relation', kind: 'changed', remoteUnit: 0 },
      { units: 2, unit: 1, appSecret: patroniOnes, peerApp: initialisedApp(0, 1), cluster: [member(0, 'leader'), member(1, 'sync_standby')] },
    );

    expect(result.status).toEqual({ status: 'active', message: '' });
    expect(patroniYml(result)!['postgresql']['authentication']['rewind']['password']).toBe(PASSWORDS['rewind-password']);
    const [add] = operations(result, 'add-layer');
    expect(add!.layer.services!['metrics_server']!.environment).toBeUndefined();
  });
});

describe('endpoints step', () => {
  it('has the leader list every unit in the peer relation, in unit order', async () => {
    const result = await runScenario({ hook: 'peer-relation', kind: 'joined', remoteUnit: 2 }, { units: 3, appSecret: { ...PASSWORDS } });

    expect(JSON.parse(result.peerApp['endpoints']!)).toEqual([memberHost(0), memberHost(1), memberHost(2)]);
    // Every member may replicate from this one: pg_hba has a replication rule per endpoint.
    const hba: string[] = patroniYml(result)!['postgresql']['pg_hba'];
    for (const n of [1, 2]) expect(hba.some((rule) => rule.startsWith('host replication replication') && rule.includes(memberHost(n)))).toBe(true);
  });

  it('does not rewrite a list that has the same members in another order', async () => {
    const stored = endpointsOf(2, 0, 1);
    const result = await runScenario({ hook: 'peer-relation', kind: 'changed', remoteUnit: 1 }, { units: 3, appSecret: { ...PASSWORDS }, peerApp: { endpoints: stored } });
    expect(result.peerApp['endpoints']).toBe(stored);
    expect(result.logs).not.toContain('updated the cluster member endpoints');
  });

  it('drops a departed unit (no longer in relation-list)', async () => {
    const result = await runScenario(
      { hook: 'peer-relation', kind: 'departed', remoteUnit: 2, departingUnit: 2 },
      { units: 2, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1, 2) },
    );
    expect(JSON.parse(result.peerApp['endpoints']!)).toEqual([memberHost(0), memberHost(1)]);
  });

  it('leaves the list alone on a non-leader, even when it misses a unit', async () => {
    const state = await replica();
    const result = await runScenario({ hook: 'peer-relation', kind: 'changed', remoteUnit: 0 }, { ...state, peerApp: initialisedApp(0, 1) });
    expect(result.peerApp['endpoints']).toBe(endpointsOf(0, 1));
  });

  it('writes nothing without a peer relation (install, early leader-elected), rendering this member alone', async () => {
    const result = await runScenario({ hook: 'leader-elected' }, { peerRelation: false });
    expect(result.peerApp).toEqual({});
    expect(result.peerUnits[0]).toEqual({});
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    // The passwords are in the application secret, which needs no relation.
    expect(Object.keys(result.appSecret)).toHaveLength(USERS.length);
    expect(patroniYml(result)!['bootstrap']['dcs']['synchronous_node_count']).toBe(0);
  });
});
