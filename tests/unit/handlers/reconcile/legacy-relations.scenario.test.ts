/**
 * The legacy `db` / `db-admin` endpoints (interface `pgsql`), state in → one hook → state out:
 * the whole bags an ops-lib-pgsql client reads, checked against its readiness rule; SUPERUSER on
 * db-admin; the Blocked messages and their clearing; client scale-up and departure; the other
 * units' own bags; bad names; relation-broken.
 */
import { describe, expect, it } from 'vitest';
import { userHash } from '../../../../src/handlers/reconcile/client-relations.ts';
import { SHARED_CREDENTIALS_FIELD } from '../../../../src/relations/legacy/shared-credentials.ts';
import { nextState, runHooks, runScenario, type ClientRelationState, type Hook, type ScenarioResult, type ScenarioState } from '../../scenario/charm-scenario.ts';
import { clientIsReady, clientMaster, parseConnectionString } from '../../relations/legacy/is-ready.ts';
import { patroniYml, shared, steadyLeader, steadyReplica } from './support.ts';

/** What ops-lib-pgsql writes (app bag, mirrored into each unit bag): extensions sorted. */
const REQUEST = { database: 'db_with_extensions', extensions: 'pg_trgm:public,unaccent:public' };
const PLUGINS = { plugin_pg_trgm_enable: true, plugin_unaccent_enable: true };
const PRIMARY_SVC = 'postgresql-k8s-primary.test.svc.cluster.local';
const REPLICAS_SVC = 'postgresql-k8s-replicas.test.svc.cluster.local';
const fqdn = (n: number) => `postgresql-k8s-${n}.postgresql-k8s-endpoints.test.svc.cluster.local`;
const PASSWORD = /^[A-Za-z0-9]{16}$/;
const EXTENSIONS_BLOCKED = { status: 'blocked', message: 'extensions requested through relation' };
const ROLES_BLOCKED = { status: 'blocked', message: 'roles requested through relation, use postgresql_client interface instead' };

const changed = (id: number): Hook => ({ hook: 'client-relation', id, kind: 'changed', remoteUnit: 'pgtest/0' });

function legacyRelation(id: number, extra: Partial<ClientRelationState> = {}, request: Record<string, string> = REQUEST): ClientRelationState {
  const units = extra.remoteUnits ?? 1;
  const remoteUnitData = Object.fromEntries(Array.from({ length: units }, (_, n) => [n, { ...request }]));
  return { id, endpoint: 'db', remoteApp: 'pgtest', remoteAppData: { ...request }, remoteUnitData, ...extra };
}

const leader = shared(() => steadyLeader({ config: PLUGINS }));

function withRelations(state: ScenarioState, ...relations: ClientRelationState[]): ScenarioState {
  return { ...state, clientRelations: relations };
}

/** Our bags on relation `id`: the app bag and unit `n`'s bag. */
function bagsOf(result: ScenarioResult, id: number, n = 0) {
  const relation = result.clientRelations[id]!;
  return { app: relation.localApp, unit: relation.localUnits[n]! };
}

function expectedBag(password: string, host: string, extra: Record<string, string> = {}): Record<string, string> {
  const connection = (service: string) =>
    `dbname=db_with_extensions fallback_application_name=pgtest host=${service} password=${password} port=5432 user=relation_id_7`;
  return {
    'allowed-subnets': '10.2.0.10/32',
    'allowed-units': 'pgtest/0',
    host,
    master: connection(PRIMARY_SVC),
    standbys: connection(REPLICAS_SVC),
    port: '5432',
    user: 'relation_id_7',
    password,
    database: 'db_with_extensions',
    extensions: 'pg_trgm:public,unaccent:public',
    version: '16.4',
    ...extra,
  };
}

describe('db relation: the leader answers an ops-lib-pgsql client', () => {
  it('writes the whole bag, key for key, into our app bag and its own unit bag, and the client accepts it', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7)));

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    const { app, unit } = bagsOf(result, 7);
    const password = app['password']!;
    expect(password).toMatch(PASSWORD);
    expect(app).toEqual(expectedBag(password, fqdn(0)));
    // Juju's own keys stay in the unit bag beside ours.
    expect(unit).toEqual({ ...expectedBag(password, fqdn(0)), 'egress-subnets': expect.any(String), 'ingress-address': expect.any(String), 'private-address': expect.any(String) });

    // ops-lib-pgsql's choice: the first ready bag with a master, by owner name.
    const clientUnit = { 'egress-subnets': '10.2.0.10/32' };
    expect(clientIsReady(REQUEST, clientUnit, app)).toBe(true);
    expect(clientIsReady(REQUEST, clientUnit, unit)).toBe(true);
    const master = parseConnectionString(clientMaster(REQUEST, clientUnit, { 'postgresql-k8s': app, 'postgresql-k8s/0': unit })!);
    expect(master).toMatchObject({ host: PRIMARY_SVC, user: 'relation_id_7', password, dbname: 'db_with_extensions', port: '5432' });
  });

  it('creates the user in relation_access and the database with the enabled plugins, records the user, logs the deprecation', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7)));

    const calls = result.sql.filter((call) => ['createUser', 'createDatabase'].includes(call.method));
    expect(calls.map((call) => [call.method, call.args])).toEqual([
      ['createUser', ['relation_id_7', { password: '<given>', admin: false, extraUserRoles: ['relation_access'] }]],
      ['createDatabase', ['db_with_extensions', 'relation_id_7', { plugins: ['pgaudit', 'pg_trgm', 'unaccent'] }]],
    ]);
    expect(result.database.passwords?.['relation_id_7']).toBe(bagsOf(result, 7).app['password']);
    expect(JSON.parse(result.peerApp['relation-users']!)).toEqual({ relation_id_7: { database: 'db_with_extensions', roles: ['relation_access'] } });
    expect(result.logs).toContain('DEPRECATION WARNING - `db` is a legacy interface');
    expect(patroniYml(result)!['postgresql']['pg_hba']).toContain('host db_with_extensions relation_id_7 0.0.0.0/0 md5');
    expect(result.peerUnits[0]!['user_hash']).toBe(userHash({ relation_id_7: ['db_with_extensions'] }));
  });

  it('keeps the password, creates nothing again and writes nothing new on the next hook', async () => {
    const state = withRelations(await leader(), legacyRelation(7));
    const [first, second] = await runHooks([changed(7), { hook: 'update-status' }], state);

    expect(bagsOf(second!, 7)).toEqual(bagsOf(first!, 7));
    expect(second!.sql.map((call) => call.method)).not.toContain('createUser');
  });

  it('makes db-admin users SUPERUSER, admitted to every database', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7, { endpoint: 'db-admin' })));

    const create = result.sql.find((call) => call.method === 'createUser')!;
    expect(create.args).toEqual(['relation_id_7', { password: '<given>', admin: true, extraUserRoles: ['relation_access'] }]);
    expect(result.logs).toContain('DEPRECATION WARNING - `db-admin` is a legacy interface');
    expect(patroniYml(result)!['postgresql']['pg_hba']).toContain('host all relation_id_7 0.0.0.0/0 md5');
    expect(bagsOf(result, 7).app['user']).toBe('relation_id_7');
  });
});

describe('db relation: requests the charm refuses', () => {
  it('blocks on a disabled extension, writing nothing; enabling the plugins serves it and clears the status', async () => {
    const state = withRelations(await steadyLeader(), legacyRelation(7));
    const [refused, fixed] = await runHooks([changed(7), { hook: 'config-changed' }], state, (next) => ({ ...next, config: PLUGINS }));

    expect(refused!.status).toEqual(EXTENSIONS_BLOCKED);
    expect(refused!.appStatus).toEqual(EXTENSIONS_BLOCKED);
    expect(bagsOf(refused!, 7).app).toEqual({});
    expect(refused!.sql.map((call) => call.method)).not.toContain('createUser');

    expect(fixed!.status).toEqual({ status: 'active', message: 'Primary' });
    expect(bagsOf(fixed!, 7).app['extensions']).toBe('pg_trgm:public,unaccent:public');
  });

  it('blocks on an extension no plugin option knows', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7, {}, { database: 'x', extensions: 'no_such_ext' })));
    expect(result.status).toEqual(EXTENSIONS_BLOCKED);
  });

  it('blocks on roles, serving the other relations; the status clears when the relation goes', async () => {
    const roles = legacyRelation(8, { remoteApp: 'old' }, { database: 'old', roles: 'admin' });
    const state = withRelations(await leader(), legacyRelation(7), roles);
    const [blocked, gone] = await runHooks([changed(8), { hook: 'client-relation', id: 8, kind: 'broken' }], state, (next) => ({
      ...next,
      clientRelations: next.clientRelations!.map((relation) => (relation.id === 8 ? { ...relation, dying: true } : relation)),
    }));

    expect(blocked!.status).toEqual(ROLES_BLOCKED);
    expect(bagsOf(blocked!, 7).app['user']).toBe('relation_id_7');
    expect(bagsOf(blocked!, 8).app).toEqual({});
    expect(bagsOf(blocked!, 8).app).not.toHaveProperty('roles');
    expect(gone!.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it.each([
    ['Mattermost', 'it contains uppercase letters'],
    ['my db', 'it contains whitespace'],
    ['a"b', 'it contains quotes or backslashes'],
    ['postgres', 'it is reserved'],
    ['x'.repeat(64), 'it is longer than 63 bytes'],
  ])('blocks on the database name %j, naming the relation, and creates nothing', async (database, problem) => {
    const result = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7, {}, { database })));

    expect(result.exitCode).toBe(0);
    expect(result.status.status).toBe('blocked');
    expect(result.status.message).toContain('on db:7: ');
    expect(result.status.message).toContain(problem);
    expect(result.sql.map((call) => call.method)).not.toContain('createUser');
    expect(bagsOf(result, 7).app).toEqual({});
  });

  it('writes nothing until the client names a database', async () => {
    const result = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7, {}, { extensions: 'pg_trgm:public' })));
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(bagsOf(result, 7).app).toEqual({});
  });
});

describe('db relation: client units come and go', () => {
  it('adds a new client unit\'s egress subnet (it becomes ready), and drops a departed unit from allowed-units', async () => {
    const state = withRelations(await leader(), legacyRelation(7));
    const first = await runScenario(changed(7), state);
    const scaledState = nextState(state, first);
    scaledState.clientRelations = [{ ...scaledState.clientRelations![0]!, remoteUnits: 2, remoteUnitData: { 0: REQUEST, 1: REQUEST } }];
    const scaled = await runScenario({ hook: 'client-relation', id: 7, kind: 'joined', remoteUnit: 'pgtest/1' }, scaledState);

    const bags = bagsOf(scaled, 7);
    expect(bags.app['allowed-subnets']).toBe('10.2.0.10/32,10.2.0.11/32');
    expect(bags.app['allowed-units']).toBe('pgtest/0,pgtest/1');
    expect(bags.unit['allowed-units']).toBe('pgtest/0,pgtest/1');
    expect(clientIsReady(REQUEST, { 'egress-subnets': '10.2.0.11/32' }, bags.app)).toBe(true);
    expect(bags.app['password']).toBe(bagsOf(first, 7).app['password']);

    // pgtest/1 leaves: Juju has dropped it from relation-list in its -departed hook.
    const departedState = nextState(scaledState, scaled);
    departedState.clientRelations = [{ ...departedState.clientRelations![0]!, remoteUnits: 1 }];
    const departed = await runScenario({ hook: 'client-relation', id: 7, kind: 'departed', remoteUnit: 'pgtest/1', departingUnit: 'pgtest/1' }, departedState);
    expect(bagsOf(departed, 7).app['allowed-units']).toBe('pgtest/0');
    expect(bagsOf(departed, 7).unit['allowed-units']).toBe('pgtest/0');
    expect(bagsOf(departed, 7).app['allowed-subnets']).toBe('10.2.0.10/32');
    expect(bagsOf(departed, 7).app).not.toHaveProperty('allowed_units');
  });
});

describe('db relation: the other units', () => {
  it('write the same databag into their own unit bag, with their own host, once the leader shared the password and their pg_hba admits the user', async () => {
    const leaderResult = await runScenario(changed(7), withRelations(await leader(), legacyRelation(7)));
    const password = bagsOf(leaderResult, 7).app['password']!;
    const shared = leaderResult.appSecret[SHARED_CREDENTIALS_FIELD]!;
    expect(JSON.parse(shared)).toEqual({ 7: { password, database: 'db_with_extensions' } });

    const replica = await steadyReplica({ config: PLUGINS });
    const waiting = await runScenario(changed(7), withRelations(replica, legacyRelation(7)));
    expect(bagsOf(waiting, 7, 1).unit).not.toHaveProperty('password');

    const state = withRelations(
      { ...replica, appSecret: { ...replica.appSecret, [SHARED_CREDENTIALS_FIELD]: shared }, peerApp: { ...replica.peerApp, 'relation-users': leaderResult.peerApp['relation-users']! } },
      legacyRelation(7),
    );
    const [first, second] = await runHooks([changed(7), { hook: 'update-status' }], state);
    const unit = bagsOf(second!, 7, 1).unit;
    expect(unit).toMatchObject(expectedBag(password, fqdn(1), { version: expect.any(String) }));
    expect(bagsOf(first!, 7, 1).app).toEqual({}); // a non-leader never writes our app bag
    expect(second!.sql.map((call) => call.method)).not.toContain('createUser');
    expect(clientIsReady(REQUEST, { 'egress-subnets': '10.2.0.10/32' }, unit)).toBe(true);
  });
});

describe('db relation: relation-broken', () => {
  it('drops the user and forgets its shared password', async () => {
    const state = withRelations(await leader(), legacyRelation(7));
    const [served, broken] = await runHooks([changed(7), { hook: 'client-relation', id: 7, kind: 'broken' }], state, (next) => ({
      ...next,
      clientRelations: next.clientRelations!.map((relation) => ({ ...relation, dying: true })),
    }));

    expect(served!.appSecret[SHARED_CREDENTIALS_FIELD]).toBeDefined();
    expect(broken!.sql.filter((call) => call.method === 'deleteUser').map((call) => call.args[0])).toEqual(['relation_id_7']);
    expect(broken!.appSecret[SHARED_CREDENTIALS_FIELD]).toBeUndefined();
    expect(JSON.parse(broken!.peerApp['relation-users'] ?? '{}')).toEqual({});
  });
});
