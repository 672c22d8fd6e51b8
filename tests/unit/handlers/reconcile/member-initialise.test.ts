/**
 * Steps `member` (this member's Patroni is up, else Waiting) and `initialise` (the leader, once:
 * system users, database set-up, access groups, `cluster_initialised`), state in → one hook →
 * state out.
 */
import { describe, expect, it } from 'vitest';
import { member, memberHost, PASSWORDS, runHooks, runScenario } from '../../scenario/charm-scenario.ts';
import { emptyDatabase } from '../../scenario/in-memory-postgresql.ts';
import { endpointsOf, requestLines, shared, sqlMethods, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());

const FRESH = { appSecret: { ...PASSWORDS }, peerApp: { endpoints: endpointsOf(0) } };

describe('member step', () => {
  it('waits while the member is not up yet', async () => {
    const result = await runScenario({ hook: 'config-changed' }, FRESH);
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    expect(result.appStatus).toEqual(result.status);
    expect(sqlMethods(result)).toEqual([]);
    expect(result.peerApp['cluster_initialised']).toBeUndefined();
  });

  it('says the cluster is starting on pebble-ready', async () => {
    const result = await runScenario({ hook: 'pebble-ready' }, FRESH);
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
  });

  it('waits when Patroni does not answer, taking one look only when nothing suggests it is coming up', async () => {
    // The service already runs (nothing replanned in this hook), so nothing says to wait longer.
    const result = await runScenario({ hook: 'update-status' }, { ...(await leader()), patroniAnswers: { 'GET /health': 'unreachable' }, timing: { memberStartTimeoutMs: 2_000 } });
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    expect(requestLines(result).filter((line) => line === 'GET /health')).toHaveLength(1);
    expect(result.peerUnits[0]!['member-serving']).toBe('False');
  });

  it('polls, bounded, after it has just started the service', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...FRESH, cluster: [member(0, 'leader', { state: 'starting' })], timing: { memberStartTimeoutMs: 60, pollIntervalMs: 5 } });
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    expect(requestLines(result).filter((line) => line === 'GET /health').length).toBeGreaterThan(1);
  });
});

describe('initialise step', () => {
  it('creates the system users, the database set-up and the access groups on the primary, once', async () => {
    const [first, second] = await runHooks([{ hook: 'config-changed' }, { hook: 'update-status' }], { ...FRESH, cluster: [member(0, 'leader')] });

    expect(first!.sql.map((call) => [call.method, call.host])).toEqual(
      ['listUsers', 'createUser', 'createUser', 'setUpDatabase', 'listAccessGroups', 'createAccessGroups', 'grantInternalAccessGroupMemberships']
        .map((method) => [method, memberHost(0)])
        // The extensions step runs next on the same primary.
        .concat([['enableDisableExtensions', memberHost(0)]]),
    );
    const created = first!.sql.filter((call) => call.method === 'createUser').map((call) => call.args);
    expect(created).toEqual([
      ['backup', { password: '<given>', admin: true, extraUserRoles: [] }],
      ['monitoring', { password: '<given>', admin: false, extraUserRoles: ['pg_monitor'] }],
    ]);
    expect(first!.database.users).toEqual(['operator', 'replication', 'rewind', 'backup', 'monitoring']);
    expect(first!.database.databaseSetUp).toBe(true);
    expect(first!.peerApp['cluster_initialised']).toBe('True');
    expect(first!.status).toEqual({ status: 'active', message: 'Primary' });

    expect(sqlMethods(second!)).not.toContain('createUser');
    expect(sqlMethods(second!)).not.toContain('setUpDatabase');
    expect(second!.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('finishes an interrupted initialisation, creating only what is missing', async () => {
    const database = emptyDatabase({ users: ['operator', 'replication', 'rewind', 'backup'], accessGroups: ['identity_access', 'internal_access', 'relation_access'] });
    const result = await runScenario({ hook: 'config-changed' }, { ...FRESH, cluster: [member(0, 'leader')], database });

    expect(result.sql.filter((call) => call.method === 'createUser').map((call) => call.args[0])).toEqual(['monitoring']);
    expect(sqlMethods(result)).not.toContain('createAccessGroups');
    expect(result.peerApp['cluster_initialised']).toBe('True');
  });

  it('waits for a running primary before it initialises anything', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...FRESH, cluster: [member(0, 'replica')] });
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for primary endpoint to be ready' });
    expect(sqlMethods(result)).toEqual([]);
    expect(result.peerApp['cluster_initialised']).toBeUndefined();
  });

  it('leaves initialisation to the leader', async () => {
    const result = await runScenario(
      { hook: 'update-status' },
      { units: 2, unit: 1, appSecret: { ...PASSWORDS }, peerApp: { endpoints: endpointsOf(0, 1) }, cluster: [member(0, 'leader'), member(1, 'sync_standby')] },
    );
    expect(sqlMethods(result)).toEqual([]);
    expect(result.status).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
  });
});
