/**
 * The `database` (postgresql_client) provider, state in → one hook → state out: what our
 * application bag and secrets hold for a data_interfaces 0.58 requirer, when credentials go out,
 * how they follow scale and roles, and which users go with their relation.
 */
import { describe, expect, it } from 'vitest';
import { userHash } from '../../../../src/handlers/reconcile/client-relations.ts';
import { MESSAGES } from '../../../../src/handlers/reconcile/outcome.ts';
import { member, memberHost, nextState, PASSWORDS, runScenario, type Hook, type ScenarioState } from '../../scenario/charm-scenario.ts';
import {
  databaseRelation,
  DEFAULT_REQUESTED_SECRETS,
  latestContent,
  PRIMARY,
  pythonList,
  REPLICAS,
  requirerAppBag,
  secretByLabel,
} from './client-relations-support.ts';
import { initialisedApp, patroniYml, settle, shared, sqlMethods, steadyLeader } from './support.ts';

const changed = (id: number): Hook => ({ hook: 'client-relation', id, kind: 'changed', remoteUnit: 'client/0' });
const broken = (id: number): Hook => ({ hook: 'client-relation', id, kind: 'broken' });
const PASSWORD = /^[A-Za-z0-9]{16}$/;
const REQUEST_DATA = '{"database": "myapp", "provided-secrets": "[\\"mtls-cert\\"]", "requested-secrets": "[\\"username\\", \\"password\\", \\"tls\\", \\"tls-ca\\", \\"uris\\", \\"read-only-uris\\", \\"entity-name\\", \\"entity-password\\"]"}';

const leader = shared(() => steadyLeader());
/** A settled three-unit cluster seen from its leader (unit 0, the primary). */
const leaderOfThree = shared(() =>
  settle({
    units: 3,
    appSecret: { ...PASSWORDS },
    peerApp: initialisedApp(0, 1, 2),
    cluster: [member(0, 'leader'), member(1, 'sync_standby'), member(2, 'replica')],
  }),
);

function withRelations(state: ScenarioState, ...relations: NonNullable<ScenarioState['clientRelations']>): ScenarioState {
  return { ...state, clientRelations: relations };
}

/** Peer unit bags whose `user_hash` says they admit `users`. */
function peersAdmitting(state: ScenarioState, users: Record<string, string[]>, ...units: number[]): ScenarioState {
  const peerUnits = structuredClone(state.peerUnits ?? {});
  for (const n of units) peerUnits[n] = { ...peerUnits[n], user_hash: userHash(users) };
  return { ...state, peerUnits };
}

describe('database relation: the first answer', () => {
  it('gives a data_interfaces 0.58 requirer (default requested-secrets) the whole bag and both secrets in one hook', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp'))));

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    const user = secretByLabel(result, 'database.7.user.secret')!;
    const tls = secretByLabel(result, 'database.7.tls.secret')!;
    expect(result.clientRelations[7]!.localApp).toEqual({
      'secret-user': `secret:${user.id}`,
      'secret-tls': `secret:${tls.id}`,
      endpoints: PRIMARY,
      'read-only-endpoints': PRIMARY,
      version: '16.4',
      database: 'myapp',
      data: REQUEST_DATA,
    });
    const content = latestContent(user);
    expect(content).toEqual({
      username: 'relation_id_7',
      password: expect.stringMatching(PASSWORD),
      uris: `postgresql://relation_id_7:${content['password']}@${PRIMARY}/myapp`,
      'read-only-uris': `postgresql://relation_id_7:${content['password']}@${PRIMARY}/myapp`,
    });
    expect(latestContent(tls)).toEqual({ tls: 'False' });
    for (const secret of [user, tls]) {
      expect(secret.owner).toEqual({ kind: 'application', name: 'postgresql-k8s' });
      expect(secret.revisions).toHaveLength(1);
      expect(secret.grants).toEqual([{ target: 'client', targetKind: 'application', relationId: 7, role: 'view' }]);
    }
    // Our unit bag carries nothing of the protocol.
    expect(Object.keys(result.clientRelations[7]!.localUnits[0]!).sort()).toEqual(['egress-subnets', 'ingress-address', 'private-address']);
  });

  it('creates the user with relation_access, then its database as its sole owner, and records the user', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp'))));

    const calls = result.sql.filter((call) => ['createUser', 'createDatabase', 'getPostgreSQLVersion'].includes(call.method));
    expect(calls.map((call) => [call.method, call.args])).toEqual([
      ['createUser', ['relation_id_7', { password: '<given>', extraUserRoles: ['relation_access'] }]],
      ['createDatabase', ['myapp', 'relation_id_7', { plugins: expect.any(Array), requestingDatabagCount: 1 }]],
      ['getPostgreSQLVersion', []],
    ]);
    expect(result.database.passwords?.['relation_id_7']).toBe(latestContent(secretByLabel(result, 'database.7.user.secret')!)['password']);
    expect(JSON.parse(result.peerApp['relation-users']!)).toEqual({ relation_id_7: { database: 'myapp', roles: ['relation_access'] } });
  });

  it('renders the pg_hba rule for the planned user and announces it in user_hash', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp'))));

    expect(patroniYml(result)!['postgresql']['pg_hba']).toContain('host myapp relation_id_7 0.0.0.0/0 md5');
    expect(result.peerUnits[0]!['user_hash']).toBe(userHash({ relation_id_7: ['myapp'] }));
  });

  it('writes everything in plain text for a requirer that requested no secrets', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), databaseRelation(7, { database: 'myapp' })));

    const bag = result.clientRelations[7]!.localApp;
    expect(bag).toEqual({
      username: 'relation_id_7',
      password: expect.stringMatching(PASSWORD),
      uris: `postgresql://relation_id_7:${bag['password']}@${PRIMARY}/myapp`,
      tls: 'False',
      endpoints: PRIMARY,
      'read-only-endpoints': PRIMARY,
      version: '16.4',
      database: 'myapp',
      data: '{"database": "myapp"}',
    });
    expect(result.relationSecrets).toEqual([]);
  });

  it('writes nothing before the requirer asked for a database (data_interfaces PrematureDataAccess rule)', async () => {
    const early = { 'requested-secrets': pythonList(DEFAULT_REQUESTED_SECRETS), 'provided-secrets': pythonList(['mtls-cert']) };
    const result = await runScenario(changed(7), withRelations(await leader(), databaseRelation(7, early)));

    expect(result.exitCode).toBe(0);
    expect(result.clientRelations[7]!.localApp).toEqual({});
    expect(result.relationSecrets).toEqual([]);
    expect(sqlMethods(result)).not.toContain('createUser');
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('keeps the password and writes nothing new on the next hook', async () => {
    const state = withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp')));
    const first = await runScenario(changed(7), state);
    const second = await runScenario({ hook: 'update-status' }, nextState(state, first));

    expect(second.clientRelations[7]!.localApp).toEqual(first.clientRelations[7]!.localApp);
    const user = secretByLabel(second, 'database.7.user.secret')!;
    expect(user.revisions).toHaveLength(1);
    expect(sqlMethods(second)).not.toContain('createUser');
  });
});

describe('database relation: a renamed database', () => {
  it('gives the user the new database once every unit admits it, keeping the password', async () => {
    const state = withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp')));
    const first = await runScenario(changed(7), state);
    const after = nextState(state, first);
    const renamed = { ...after, clientRelations: [{ ...after.clientRelations![0]!, remoteAppData: requirerAppBag('newapp') }] };
    const result = await runScenario(changed(7), renamed);

    expect(result.clientRelations[7]!.localApp['database']).toBe('newapp');
    expect(result.database.databases).toEqual(['myapp', 'newapp']);
    const before = latestContent(secretByLabel(first, 'database.7.user.secret')!);
    const now = latestContent(secretByLabel(result, 'database.7.user.secret')!);
    expect(now['password']).toBe(before['password']);
    expect(now['uris']).toBe(`postgresql://relation_id_7:${before['password']}@${PRIMARY}/newapp`);
    // PostgreSQL still grants it the old one too, and pg_hba follows what PostgreSQL grants.
    expect(patroniYml(result)!['postgresql']['pg_hba']).toContain('host myapp,newapp relation_id_7 0.0.0.0/0 md5');
  });
});

describe('database relation: every unit admits the user before it gets credentials', () => {
  it('waits while a peer has not announced the new user (no credentials, nothing created), then answers', async () => {
    const state = withRelations(await leaderOfThree(), databaseRelation(7, requirerAppBag('myapp')));
    const stale = peersAdmitting(state, {}, 1, 2);
    const halfway = peersAdmitting(peersAdmitting(state, {}, 2), { relation_id_7: ['myapp'] }, 1);

    for (const waiting of [stale, halfway]) {
      const result = await runScenario(changed(7), waiting);
      expect(result.exitCode).toBe(0);
      expect(result.status).toEqual({ status: 'waiting', message: MESSAGES.clientUsersPending });
      expect(result.clientRelations[7]!.localApp).toEqual({});
      expect(result.relationSecrets).toEqual([]);
      expect(sqlMethods(result)).not.toContain('createUser');
      // The leader itself already admits the user.
      expect(patroniYml(result)!['postgresql']['pg_hba']).toContain('host myapp relation_id_7 0.0.0.0/0 md5');
    }

    const ready = await runScenario({ hook: 'peer-relation', kind: 'changed', remoteUnit: 2 }, peersAdmitting(state, { relation_id_7: ['myapp'] }, 1, 2));
    expect(ready.status).toEqual({ status: 'active', message: 'Primary' });
    expect(ready.clientRelations[7]!.localApp['secret-user']).toMatch(/^secret:/);
  });
});

describe('database relation: read-only endpoints follow the units', () => {
  it('reads from the replicas with three units, and from the primary again once scaled down to one', async () => {
    const state = peersAdmitting(withRelations(await leaderOfThree(), databaseRelation(7, requirerAppBag('myapp'))), { relation_id_7: ['myapp'] }, 1, 2);
    const three = await runScenario(changed(7), state);
    expect(three.clientRelations[7]!.localApp['read-only-endpoints']).toBe(REPLICAS);
    const password = latestContent(secretByLabel(three, 'database.7.user.secret')!)['password'];
    expect(latestContent(secretByLabel(three, 'database.7.user.secret')!)['read-only-uris']).toBe(`postgresql://relation_id_7:${password}@${REPLICAS}/myapp`);

    // Scaled down: units 1 and 2 are gone from the model.
    const after = nextState(state, three);
    const one: ScenarioState = { ...after, units: 1, peerApp: { ...after.peerApp, endpoints: JSON.stringify(['postgresql-k8s-0.postgresql-k8s-endpoints']) }, peerUnits: { 0: after.peerUnits![0]! }, cluster: [member(0, 'leader')] };
    const single = await runScenario({ hook: 'update-status' }, one);
    expect(single.clientRelations[7]!.localApp['read-only-endpoints']).toBe(PRIMARY);
    const user = secretByLabel(single, 'database.7.user.secret')!;
    expect(latestContent(user)).toEqual({
      username: 'relation_id_7',
      password,
      uris: `postgresql://relation_id_7:${password}@${PRIMARY}/myapp`,
      'read-only-uris': `postgresql://relation_id_7:${password}@${PRIMARY}/myapp`,
    });
    expect(user.revisions).toHaveLength(2);
  });
});

describe('database relation: extra-user-roles', () => {
  it('updates the roles of an answered relation when the requirer changes them, keeping the password', async () => {
    const state = withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp')));
    const first = await runScenario(changed(7), state);
    const after = nextState(state, first);
    const changedRoles = { ...after, clientRelations: [{ ...after.clientRelations![0]!, remoteAppData: requirerAppBag('myapp', { 'extra-user-roles': 'CREATEDB' }) }] };
    const result = await runScenario(changed(7), changedRoles);

    expect(result.exitCode).toBe(0);
    const update = result.sql.find((call) => call.method === 'createUser')!;
    expect(update.args).toEqual(['relation_id_7', { password: '<given>', extraUserRoles: ['createdb', 'relation_access'], replaceRoles: { revoke: ['relation_access'] } }]);
    expect(JSON.parse(result.peerApp['relation-users']!)).toEqual({ relation_id_7: { database: 'myapp', roles: ['createdb', 'relation_access'] } });
    expect(latestContent(secretByLabel(result, 'database.7.user.secret')!)['password']).toBe(latestContent(secretByLabel(first, 'database.7.user.secret')!)['password']);
  });

  it('blocks on unknown roles with the reference message, hands out nothing, and clears once they are fixed', async () => {
    const bad = withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp', { 'extra-user-roles': 'superuser; DROP ROLE operator' })));
    const blockedResult = await runScenario(changed(7), bad);
    expect(blockedResult.exitCode).toBe(0);
    expect(blockedResult.status).toEqual({ status: 'blocked', message: 'invalid role(s) for extra user roles' });
    expect(blockedResult.clientRelations[7]!.localApp).toEqual({});
    expect(blockedResult.database.users).not.toContain('relation_id_7');

    const after = nextState(bad, blockedResult);
    const fixed = await runScenario(changed(7), { ...after, clientRelations: [{ ...after.clientRelations![0]!, remoteAppData: requirerAppBag('myapp', { 'extra-user-roles': 'SUPERUSER' }) }] });
    expect(fixed.status).toEqual({ status: 'active', message: 'Primary' });
    expect(fixed.clientRelations[7]!.localApp['secret-user']).toMatch(/^secret:/);
  });

  it('blocks a bad database name naming the relation, and the rest keeps working', async () => {
    const result = await runScenario(changed(8), withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp')), databaseRelation(8, requirerAppBag('template1'), { remoteApp: 'other' })));
    expect(result.status).toEqual({ status: 'blocked', message: 'invalid database name "template1" on database:8: it is reserved; ask the client for another name' });
    expect(result.clientRelations[8]!.localApp).toEqual({});
    expect(result.clientRelations[7]!.localApp['secret-user']).toMatch(/^secret:/);
  });
});

describe('database relation: when it goes', () => {
  async function answered(): Promise<ScenarioState> {
    // relation_id_99 exists in PostgreSQL but was made by someone else (PgBouncer names its users so).
    const base = await leader();
    const state = withRelations({ ...base, database: { ...base.database!, users: [...base.database!.users, 'relation_id_99'] } }, databaseRelation(7, requirerAppBag('myapp')));
    return nextState(state, await runScenario(changed(7), state));
  }

  it('drops the recorded user with its connections and its secrets on relation-broken, never an unrecorded one', async () => {
    const state = await answered();
    const result = await runScenario(broken(7), { ...state, clientRelations: [{ ...state.clientRelations![0]!, dying: true, remoteUnits: 0 }] });

    expect(result.exitCode).toBe(0);
    expect(result.sql.filter((call) => call.method === 'deleteUser').map((call) => call.args)).toEqual([['relation_id_7', { terminateConnections: true }]]);
    expect(result.database.terminated).toEqual(['relation_id_7']);
    expect(result.database.users).toContain('relation_id_99');
    expect(result.database.users).not.toContain('relation_id_7');
    expect(JSON.parse(result.peerApp['relation-users']!)).toEqual({});
    expect(result.relationSecrets).toEqual([]);
    expect(patroniYml(result)!['postgresql']['pg_hba']).not.toContain('host myapp relation_id_7 0.0.0.0/0 md5');
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('also ends the dropped user\'s sessions on every replica (they outlive the DROP ROLE there)', async () => {
    const state = peersAdmitting(withRelations(await leaderOfThree(), databaseRelation(7, requirerAppBag('myapp'))), { relation_id_7: ['myapp'] }, 1, 2);
    const after = nextState(state, await runScenario(changed(7), state));
    const result = await runScenario(broken(7), { ...after, clientRelations: [{ ...after.clientRelations![0]!, dying: true, remoteUnits: 0 }] });

    expect(result.sql.filter((call) => ['deleteUser', 'terminateUserSessions'].includes(call.method)).map((call) => [call.method, call.host, call.args[0]])).toEqual([
      ['deleteUser', memberHost(0), 'relation_id_7'],
      ['terminateUserSessions', memberHost(1), 'relation_id_7'],
      ['terminateUserSessions', memberHost(2), 'relation_id_7'],
    ]);
  });

  it('drops a recorded user whose relation is found missing in a later hook', async () => {
    const state = await answered();
    const result = await runScenario({ hook: 'update-status' }, { ...state, clientRelations: [] });
    expect(result.database.users).not.toContain('relation_id_7');
    expect(result.database.users).toContain('relation_id_99');
  });

  it('drops nothing on the unit that is itself leaving (peer departing, or dying in goal-state)', async () => {
    const state = await answered();
    const breaking = { ...state, clientRelations: [{ ...state.clientRelations![0]!, dying: true, remoteUnits: 0 }] };
    const departing = await runScenario(broken(7), { ...breaking, peerUnits: { 0: { ...breaking.peerUnits![0], departing: 'True' } } });
    const dying = await runScenario(broken(7), { ...breaking, dying: [0] });
    for (const result of [departing, dying]) {
      expect(result.exitCode).toBe(0);
      expect(sqlMethods(result)).not.toContain('deleteUser');
      expect(result.database.users).toContain('relation_id_7');
    }
  });

  it('records that this unit is leaving when its own relation-departed runs', async () => {
    const state = await answered();
    const result = await runScenario({ hook: 'client-relation', id: 7, kind: 'departed', remoteUnit: 'client/0', departingUnit: 'postgresql-k8s/0' }, state);
    expect(result.exitCode).toBe(0);
    expect(result.peerUnits[0]!['departing']).toBe('True');
    expect(sqlMethods(result)).toEqual([]);
  });
});

describe('client users in pg_hba', () => {
  it('also admits users PostgreSQL has that no relation of ours planned (PgBouncer\'s), superusers to all', async () => {
    const base = await leader();
    const state = withRelations(
      { ...base, database: { ...base.database!, users: [...base.database!.users, 'pgbouncer_auth_relation_id_7', 'relation_id_12'], roles: { pgbouncer_auth_relation_id_7: ['superuser'] }, grants: { relation_id_12: ['appdb'] } } },
      databaseRelation(7, requirerAppBag('pgbouncer', { 'extra-user-roles': 'SUPERUSER' })),
    );
    const result = await runScenario(changed(7), state);
    const hba: string[] = patroniYml(result)!['postgresql']['pg_hba'];
    expect(hba).toEqual(expect.arrayContaining(['host all pgbouncer_auth_relation_id_7 0.0.0.0/0 md5', 'host appdb relation_id_12 0.0.0.0/0 md5', 'host all relation_id_7 0.0.0.0/0 md5']));
    // user_hash covers the planned users only: the same on every unit, whatever PostgreSQL answered.
    expect(result.peerUnits[0]!['user_hash']).toBe(userHash({ relation_id_7: 'all' }));
  });

  it('plans a SUPERUSER relation user for every database before PostgreSQL has it', async () => {
    // PgBouncer connects to `postgres` and each client database as soon as it has credentials.
    const state = withRelations(await leader(), databaseRelation(7, requirerAppBag('pgbouncer', { 'extra-user-roles': 'SUPERUSER' })));
    const result = await runScenario(changed(7), state);
    expect(patroniYml(result)!['postgresql']['pg_hba']).toContain('host all relation_id_7 0.0.0.0/0 md5');
    expect(patroniYml(result)!['postgresql']['pg_hba']).not.toContain('host pgbouncer relation_id_7 0.0.0.0/0 md5');
  });
});

describe('one client endpoint at a time', () => {
  it('blocks database together with db, and clears once db goes', async () => {
    const state = withRelations(await leader(), databaseRelation(7, requirerAppBag('myapp')), { id: 8, endpoint: 'db', remoteApp: 'legacy' });
    const both = await runScenario(changed(7), state);
    expect(both.status).toEqual({ status: 'blocked', message: 'Please choose one endpoint to use. No need to relate all of them simultaneously!' });
    expect(both.appStatus.status).toBe('blocked');

    const after = nextState(state, both);
    const one = await runScenario(broken(8), { ...after, clientRelations: [after.clientRelations![0]!, { ...after.clientRelations![1]!, dying: true, remoteUnits: 0 }] });
    expect(one.status).toEqual({ status: 'active', message: 'Primary' });
  });
});
