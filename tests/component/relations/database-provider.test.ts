/**
 * The `database` provider against a real PostgreSQL: the leader's client-serve step (real SQL,
 * the sandbox's in-memory Juju for relation data and secrets) creates the user and database; the
 * credentials from the relation's secret log in to that database, and pg_hba as the charm renders
 * it refuses the user everywhere else; when the relation is gone the user is dropped, its open
 * session ended.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgreSQL } from '../../../lib/postgresql/index.ts';
import { addApplication, addRelation, addUnit, enterScope, removeRelation } from '../../../sandbox/juju/model.ts';
import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';
import { parseCharmConfigOrThrow } from '../../../src/config/index.ts';
import { clientServeStep, mergeUserDatabases, plannedUsers, userHash } from '../../../src/handlers/reconcile/client-relations.ts';
import type { HandlerDeps } from '../../../src/handlers/deps.ts';
import { createLogger } from '../../../src/logging.ts';
import { ClusterSnapshot } from '../../../src/patroni/cluster-snapshot.ts';
import type { PatroniClient } from '../../../src/patroni/index.ts';
import { readClientRelations, type ClientRelationsSnapshot } from '../../../src/relations/client-relations.ts';
import { PeerDataStore } from '../../../src/state/peer-data.ts';
import { SecretStore } from '../../../src/state/secrets.ts';
import { memberPgHba } from '../../../src/workload/pg-hba.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { asSuperuser, startPostgres, tryLogin, type PostgresInstance } from '../../support/postgres-instance.ts';

const APP = 'postgresql-k8s';
const UNIT = `${APP}/0`;
const OPERATOR_PASSWORD = 'operator-Secret-1';
const SYSTEM_USERS = ['backup', 'replication', 'rewind', 'operator', 'monitoring'];
const NO_HBA_ENTRY = '28000';

let instance: PostgresInstance;
let postgresql: PostgreSQL;

const harness = charmHarness({ units: 1 });
const model = harness.model;
addApplication(model, {
  name: 'client',
  charm: charmMetaFromYaml({ metadata: 'name: client\nrequires:\n  database:\n    interface: postgresql_client\n' }),
});
addUnit(model, 'client', { address: '10.2.0.10' });
addApplication(model, {
  name: 'client2',
  charm: charmMetaFromYaml({ metadata: 'name: client2\nrequires:\n  database:\n    interface: postgresql_client\n' }),
});
model.nextRelationId = 7;
const relation = addRelation(model, `${APP}:database`, 'client:database');
enterScope(model, relation.id, UNIT);
enterScope(model, relation.id, 'client/0');
relation.appData['client'] = { database: 'myapp', 'requested-secrets': '["username", "password", "tls", "tls-ca", "uris", "read-only-uris"]' };
model.relations.find((r) => r.interface === 'postgresql_peers')!.appData[APP] = { cluster_initialised: 'True' };

/** One hook of the leader's client-serve step with real SQL; its Juju writes are committed. */
async function serveHook(): Promise<{ snapshot: ClientRelationsSnapshot; status: string | undefined }> {
  const { tools, context } = harness.hook(UNIT, { hookName: 'update-status' });
  const peers = new PeerDataStore(tools, { app: APP, unit: UNIT });
  const cluster = { members: [{ name: `${APP}-0`, role: 'leader', state: 'running', host: instance.host, port: instance.port }] };
  const patroni = { cluster: async () => cluster, clusterFromAny: async () => cluster } as unknown as PatroniClient;
  const deps = {
    appName: APP,
    modelName: 'test',
    unitName: UNIT,
    tools,
    secrets: new SecretStore(tools, APP),
    peers,
    cluster: new ClusterSnapshot(async () => patroni),
    postgresql: async () => postgresql,
    logger: createLogger({ level: 'silent' }),
  } as unknown as HandlerDeps;
  const snapshot = await readClientRelations(tools, { appName: APP, unitName: UNIT, isLeader: true });
  const planned = plannedUsers(snapshot);
  const app = await peers.readApp();
  const result = await clientServeStep.run(deps, {
    isLeader: true,
    app: app.status === 'no-peer-relation' ? {} : app.data,
    unit: {},
    peerUnits: [],
    config: parseCharmConfigOrThrow({ ...(await tools.configGet()) }),
    rendered: { workerConfig: {}, plannedUnits: 1, tls: false, changed: false },
    clients: { snapshot, plannedUsers: planned, plannedHash: userHash(planned), userDatabases: mergeUserDatabases(planned) },
    member: { state: 'running', role: 'primary' } as never,
  });
  context.commit();
  return { snapshot, status: result.kind === 'next' ? result.report?.message : result.report.message };
}

/** pg_hba.conf as the charm renders it for these client users (plus the test's own superuser access). */
async function renderHba(snapshot: ClientRelationsSnapshot): Promise<void> {
  const rules = memberPgHba({
    tls: false,
    extraReplicationEndpoints: [],
    connectivity: true,
    memberFqdn: 'postgresql-k8s-0.postgresql-k8s-endpoints.test.svc.cluster.local',
    endpoints: [],
    namespace: 'test',
    userDatabases: mergeUserDatabases(plannedUsers(snapshot)),
  }).filter((rule) => !rule.startsWith('local '));
  await writeFile(join(instance.dataDir, 'pg_hba.conf'), ['local all all trust', ...rules, ''].join('\n'));
  await asSuperuser(instance, (client) => client.query('SELECT pg_reload_conf()'));
}

/** The `user` secret's content, as the requirer reads it (the URI from our app bag). */
function userSecret(): Record<string, string> {
  const uri = relation.appData[APP]!['secret-user']!;
  const secret = model.secrets[uri.replace(/^secret:/, '')]!;
  const latest = secret.revisions[secret.revisions.length - 1]!;
  return Object.fromEntries(Object.entries(latest.content).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

beforeAll(async () => {
  // The charm's workload preloads pgaudit, which plugin_audit_enable (on by default) needs.
  instance = await startPostgres({ settings: { shared_preload_libraries: 'pgaudit' } });
  await asSuperuser(instance, async (client) => {
    await client.query(`CREATE ROLE operator WITH LOGIN SUPERUSER PASSWORD '${OPERATOR_PASSWORD}'`);
    for (const user of ['backup', 'replication', 'rewind', 'monitoring']) await client.query(`CREATE ROLE ${user} WITH LOGIN`);
    await client.query('CREATE DATABASE otherdb');
  });
  postgresql = new PostgreSQL({
    primaryHost: instance.host,
    currentHost: instance.host,
    port: instance.port,
    user: 'operator',
    password: OPERATOR_PASSWORD,
    database: 'postgres',
    systemUsers: SYSTEM_USERS,
  });
  // What the leader's initialise step leaves.
  await postgresql.setUpDatabase();
  await postgresql.createAccessGroups();
  await postgresql.grantInternalAccessGroupMemberships();
});

afterAll(async () => {
  await instance?.stop();
});

describe('database relation against PostgreSQL', () => {
  let session: pg.Client | undefined;

  afterAll(async () => {
    await session?.end().catch(() => undefined);
  });

  it('gives the client a user that logs in to its database, and only there', async () => {
    const { snapshot, status } = await serveHook();
    expect(status).toBeUndefined();
    await renderHba(snapshot);

    const credentials = userSecret();
    expect(credentials['username']).toBe('relation_id_7');
    expect(credentials['uris']).toBe(`postgresql://relation_id_7:${credentials['password']}@postgresql-k8s-primary.test.svc.cluster.local:5432/myapp`);
    expect(relation.appData[APP]!['version']).toMatch(/^\d+\.\d+/);
    expect(await tryLogin(instance, 'relation_id_7', credentials['password']!, 'myapp')).toBeNull();
    expect(await tryLogin(instance, 'relation_id_7', credentials['password']!, 'otherdb')).toBe(NO_HBA_ENTRY);
    expect(await tryLogin(instance, 'relation_id_7', credentials['password']!, 'postgres')).toBe(NO_HBA_ENTRY);
    expect(await tryLogin(instance, 'relation_id_7', 'wrong-password', 'myapp')).toBe('28P01');

    // The first and only client owns what it creates, and may create tables.
    session = new pg.Client({ host: instance.host, port: instance.port, user: 'relation_id_7', password: credentials['password']!, database: 'myapp' });
    session.on('error', () => undefined);
    await session.connect();
    await session.query('CREATE TABLE items (id int)');
    await session.query('INSERT INTO items VALUES (1)');
  });

  it('updates the roles when the requirer changes extra-user-roles, turning off what it no longer asks for', async () => {
    model.nextRelationId = 9;
    const other = addRelation(model, `${APP}:database`, 'client2:database');
    enterScope(model, other.id, UNIT);
    other.appData['client2'] = { database: 'rolesdb', 'extra-user-roles': 'SUPERUSER' };
    const attributes = async () =>
      asSuperuser(instance, async (client) => (await client.query("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = 'relation_id_9'")).rows[0]);

    expect((await serveHook()).status).toBeUndefined();
    expect(await attributes()).toEqual({ rolsuper: true, rolcreatedb: false });
    const password = other.appData[APP]!['password']!;

    other.appData['client2'] = { database: 'rolesdb', 'extra-user-roles': 'CREATEDB' };
    const { snapshot, status } = await serveHook();
    expect(status).toBeUndefined();
    await renderHba(snapshot);
    expect(await attributes()).toEqual({ rolsuper: false, rolcreatedb: true });
    // Same password, still a member of relation_access.
    expect(other.appData[APP]!['password']).toBe(password);
    expect(await tryLogin(instance, 'relation_id_9', password, 'rolesdb')).toBeNull();
    const member = await asSuperuser(instance, async (client) => (await client.query("SELECT pg_has_role('relation_id_9', 'relation_access', 'MEMBER') AS m")).rows[0].m);
    expect(member).toBe(true);
  });

  it('drops the user with its open session once the relation is gone', async () => {
    const password = userSecret()['password']!;
    removeRelation(model, relation.id);
    const { status } = await serveHook();
    expect(status).toBeUndefined();

    await expect(session!.query('SELECT 1')).rejects.toThrow();
    const exists = await asSuperuser(instance, async (client) => (await client.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'relation_id_7'")).rows[0].n);
    expect(exists).toBe(0);
    // Its table stays, handed to the charm's user.
    const owner = await asSuperuser(instance, async (client) => (await client.query("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'items'")).rows[0].owner, 'myapp');
    expect(owner).toBe('operator');
    expect(await tryLogin(instance, 'relation_id_7', password, 'myapp')).not.toBeNull();
    const peerApp = model.relations.find((r) => r.interface === 'postgresql_peers')!.appData[APP]!;
    expect(Object.keys(JSON.parse(peerApp['relation-users']!))).toEqual(['relation_id_9']);
    expect(Object.values(model.secrets).filter((secret) => secret.label?.startsWith('database.7.'))).toEqual([]);
  });

  it('ends a user\'s sessions on a member (what the leader does on each replica after a drop)', async () => {
    const password = model.relations.find((r) => r.id === 9)!.appData[APP]!['password']!;
    const reader = new pg.Client({ host: instance.host, port: instance.port, user: 'relation_id_9', password, database: 'rolesdb' });
    reader.on('error', () => undefined);
    await reader.connect();
    expect(await postgresql.terminateUserSessions('relation_id_9', { currentHost: true })).toBe(1);
    await expect(reader.query('SELECT 1')).rejects.toThrow();
    await reader.end().catch(() => undefined);
  });
});
