import { describe, expect, it } from 'vitest';
import { PostgreSQLCreateUserError, PostgreSQLEnableDisableExtensionError } from '../../../../lib/postgresql/index.ts';
import { parseCharmConfigOrThrow } from '../../../../src/config/index.ts';
import type { ClientRelation } from '../../../../src/relations/client-relations.ts';
import { legacyBlockedMessage, legacyPlannedUsers, planLegacyRelations } from '../../../../src/relations/legacy/plan.ts';
import { DEPRECATION_WARNING, serveLegacyRelations, type LegacyServeInput, type LegacySql } from '../../../../src/relations/legacy/serve.ts';
import { decodeSharedCredentials, SHARED_CREDENTIALS_FIELD } from '../../../../src/relations/legacy/shared-credentials.ts';
import { clientIsReady } from './is-ready.ts';

const CONFIG = parseCharmConfigOrThrow({ plugin_pg_trgm_enable: true, plugin_unaccent_enable: true });
const REQUEST = { database: 'db_with_extensions', extensions: 'pg_trgm:public,unaccent:public' };

function relation(overrides: Partial<ClientRelation> = {}): ClientRelation {
  return {
    id: 7,
    endpoint: 'db',
    remoteApp: 'pgtest',
    remoteAppBag: REQUEST,
    remoteUnitBags: { 'pgtest/0': { ...REQUEST, 'egress-subnets': '10.1.2.3/32' } },
    localAppBag: {},
    localUnitBag: {},
    ...overrides,
  };
}

interface World {
  secret: Record<string, string>;
  writes: { id: number; changes: Record<string, string>; app: boolean }[];
  sql: string[];
  logs: string[];
}

function harness(world: World, unitName = 'pg/0') {
  const deps = {
    appName: 'pg',
    unitName,
    modelName: 'dev',
    tools: {
      relationSet: async (ref: { id: number }, changes: Readonly<Record<string, string>>, options: { app?: boolean } = {}) => {
        world.writes.push({ id: ref.id, changes: { ...changes }, app: options.app === true });
      },
    },
    secrets: {
      get: async (_scope: 'app' | 'unit', field: string) => world.secret[field],
      set: async (_scope: 'app' | 'unit', fields: Record<string, string | undefined>) => {
        for (const [key, value] of Object.entries(fields)) {
          if (value === undefined || value === '') delete world.secret[key];
          else world.secret[key] = value;
        }
      },
    },
    logger: {
      info: (..._args: unknown[]) => undefined,
      debug: (..._args: unknown[]) => undefined,
      warn: (...args: unknown[]) => {
        world.logs.push(String(args.find((arg) => typeof arg === 'string')));
      },
    },
  };
  return deps;
}

function recordingSql(world: World, fail?: Error): LegacySql {
  return {
    createUser: async (user, options) => {
      if (fail) throw fail;
      world.sql.push(`user ${user} admin=${options.admin} roles=${options.extraUserRoles.join(',')} pw=${options.password.length}`);
    },
    createDatabase: async (database, user, options) => {
      world.sql.push(`database ${database} for ${user} plugins=${options.plugins.join(',')}`);
    },
  };
}

function input(world: World, relations: ClientRelation[], overrides: Partial<LegacyServeInput> = {}): LegacyServeInput {
  return {
    isLeader: true,
    plans: planLegacyRelations({ relations }, CONFIG),
    plugins: ['pgaudit', 'pg_trgm', 'unaccent'],
    admitted: () => true,
    sql: async () => recordingSql(world),
    version: async () => '15.18',
    ...overrides,
  };
}

const fresh = (): World => ({ secret: {}, writes: [], sql: [], logs: [] });

describe('serveLegacyRelations on the leader', () => {
  it('creates the user and database, shares the credential, and writes the app and unit bags', async () => {
    const world = fresh();
    const result = await serveLegacyRelations(harness(world), input(world, [relation()]));
    expect(result).toEqual({ published: [7], pending: [] });
    expect(world.sql).toEqual(['user relation_id_7 admin=false roles=relation_access pw=16', 'database db_with_extensions for relation_id_7 plugins=pgaudit,pg_trgm,unaccent']);
    expect(world.logs).toContain(DEPRECATION_WARNING('db'));
    expect(world.logs).toContain('DEPRECATION WARNING - `db` is a legacy interface');
    const shared = decodeSharedCredentials(world.secret[SHARED_CREDENTIALS_FIELD]);
    expect(shared['7']).toMatchObject({ database: 'db_with_extensions' });
    expect(shared['7']!.password).toMatch(/^[A-Za-z0-9]{16}$/);
    const unitWrite = world.writes.find((write) => !write.app)!;
    const appWrite = world.writes.find((write) => write.app)!;
    expect(unitWrite.changes).toEqual(appWrite.changes); // the leader's own host in both
    expect(Object.keys(appWrite.changes).sort()).toEqual(
      ['allowed-subnets', 'allowed-units', 'database', 'extensions', 'host', 'master', 'password', 'port', 'standbys', 'user', 'version'].sort(),
    );
    expect(appWrite.changes.password).toBe(shared['7']!.password);
    expect(clientIsReady(REQUEST, { 'egress-subnets': '10.1.2.3/32' }, appWrite.changes)).toBe(true);
  });

  it('makes db-admin users SUPERUSER', async () => {
    const world = fresh();
    await serveLegacyRelations(harness(world), input(world, [relation({ endpoint: 'db-admin' })]));
    expect(world.sql[0]).toBe('user relation_id_7 admin=true roles=relation_access pw=16');
    expect(world.logs).toContain('DEPRECATION WARNING - `db-admin` is a legacy interface');
  });

  it('reuses the password already in our bag, and sets nothing up again once shared', async () => {
    const world = fresh();
    const served = relation({ localUnitBag: { password: 'KeepThisPassword' } });
    await serveLegacyRelations(harness(world), input(world, [served]));
    expect(decodeSharedCredentials(world.secret[SHARED_CREDENTIALS_FIELD])['7']!.password).toBe('KeepThisPassword');
    world.sql.length = 0;
    await serveLegacyRelations(harness(world), input(world, [served]));
    expect(world.sql).toEqual([]);
  });

  it('writes nothing while pg_hba does not admit the user everywhere, but sets it up and shares it', async () => {
    const world = fresh();
    const result = await serveLegacyRelations(harness(world), input(world, [relation()], { admitted: () => false }));
    expect(result).toEqual({ published: [], pending: [7] });
    expect(world.writes).toEqual([]);
    expect(world.sql).toHaveLength(2);
    expect(world.secret[SHARED_CREDENTIALS_FIELD]).toBeDefined();
  });

  it('writes only what changed: a departed client unit leaves allowed-units and allowed-subnets', async () => {
    const world = fresh();
    const two = relation({
      remoteUnitBags: { 'pgtest/0': { 'egress-subnets': '10.1.2.3/32' }, 'pgtest/1': { 'egress-subnets': '10.1.2.4/32' } },
    });
    await serveLegacyRelations(harness(world), input(world, [two]));
    const bag = world.writes.find((write) => write.app)!.changes;
    expect(bag['allowed-units']).toBe('pgtest/0,pgtest/1');
    world.writes.length = 0;
    const departed = relation({ localAppBag: bag, localUnitBag: bag, remoteUnitBags: { 'pgtest/0': { 'egress-subnets': '10.1.2.3/32' } } });
    await serveLegacyRelations(harness(world), input(world, [departed]));
    expect(world.writes).toEqual([
      { id: 7, app: false, changes: { 'allowed-subnets': '10.1.2.3/32', 'allowed-units': 'pgtest/0' } },
      { id: 7, app: true, changes: { 'allowed-subnets': '10.1.2.3/32', 'allowed-units': 'pgtest/0' } },
    ]);
    expect(world.sql).toHaveLength(2); // first hook only
  });

  it('turns a set-up failure into the reference\'s Blocked message, and publishes nothing', async () => {
    const world = fresh();
    const sql = async () => recordingSql(world, new PostgreSQLCreateUserError('Failed to create user relation_id_7'));
    const result = await serveLegacyRelations(harness(world), input(world, [relation({ endpoint: 'db-admin' })], { sql }));
    expect(result).toEqual({ blockedMessage: "Failed to initialize db-admin relation", published: [], pending: [] });
    expect(world.writes).toEqual([]);
    expect(world.secret[SHARED_CREDENTIALS_FIELD]).toBeUndefined();
  });

  it('blocks rather than failing the hook when an extension cannot be enabled in the new database', async () => {
    const world = fresh();
    const sql = async (): Promise<LegacySql> => ({
      ...recordingSql(world),
      createDatabase: async () => {
        throw new PostgreSQLEnableDisableExtensionError('Failed to enable pg_trgm');
      },
    });
    const result = await serveLegacyRelations(harness(world), input(world, [relation()], { sql }));
    expect(result.blockedMessage).toBe('Failed to initialize db relation');
  });

  it('forgets the shared entry of a relation that is gone', async () => {
    const world = fresh();
    await serveLegacyRelations(harness(world), input(world, [relation(), relation({ id: 9 })]));
    expect(Object.keys(decodeSharedCredentials(world.secret[SHARED_CREDENTIALS_FIELD]))).toEqual(['7', '9']);
    await serveLegacyRelations(harness(world), input(world, [relation({ id: 9 })]));
    expect(Object.keys(decodeSharedCredentials(world.secret[SHARED_CREDENTIALS_FIELD]))).toEqual(['9']);
    await serveLegacyRelations(harness(world), input(world, []));
    expect(world.secret[SHARED_CREDENTIALS_FIELD]).toBeUndefined();
  });

  it('serves nothing on a blocked relation and keeps the version the bag has when it cannot be read', async () => {
    const world = fresh();
    const roles = relation({ remoteAppBag: { ...REQUEST, roles: 'admin' } });
    const plans = planLegacyRelations({ relations: [roles] }, CONFIG);
    expect(legacyBlockedMessage(plans)).toBe('roles requested through relation, use postgresql_client interface instead');
    expect(legacyPlannedUsers({ relations: [roles] })).toEqual({});
    await serveLegacyRelations(harness(world), input(world, [roles]));
    expect(world.writes).toEqual([]);
    expect(world.sql).toEqual([]);

    const world2 = fresh();
    const withVersion = relation({ localUnitBag: { version: '15.17' } });
    await serveLegacyRelations(harness(world2), input(world2, [withVersion], { version: async () => undefined }));
    const unitWrite = world2.writes.find((write) => !write.app)!;
    expect(unitWrite.changes).not.toHaveProperty('version');
    const appWrite = world2.writes.find((write) => write.app)!;
    expect(appWrite.changes).not.toHaveProperty('version');
  });
});

describe('serveLegacyRelations on another unit', () => {
  it('waits for the leader\'s shared entry, then writes its own unit bag with its own host', async () => {
    const world = fresh();
    const follower = harness(world, 'pg/2');
    const plain = relation({ localAppBag: undefined });
    await serveLegacyRelations(follower, input(world, [plain], { isLeader: false }));
    expect(world.writes).toEqual([]);

    world.secret[SHARED_CREDENTIALS_FIELD] = JSON.stringify({ 7: { password: 'SharedPassword16', database: 'db_with_extensions' } });
    const result = await serveLegacyRelations(follower, input(world, [plain], { isLeader: false }));
    expect(result.published).toEqual([7]);
    expect(world.sql).toEqual([]);
    expect(world.writes).toHaveLength(1);
    const write = world.writes[0]!;
    expect(write.app).toBe(false);
    expect(write.changes.host).toBe('pg-2.pg-endpoints.dev.svc.cluster.local');
    expect(write.changes.password).toBe('SharedPassword16');
    expect(clientIsReady(REQUEST, { 'egress-subnets': '10.1.2.3/32' }, write.changes)).toBe(true);
    expect(world.secret[SHARED_CREDENTIALS_FIELD]).toContain('SharedPassword16'); // untouched
  });

  it('does not publish a database the leader has not set up yet, nor before its own pg_hba admits the user', async () => {
    const world = fresh();
    world.secret[SHARED_CREDENTIALS_FIELD] = JSON.stringify({ 7: { password: 'SharedPassword16', database: 'old_name' } });
    await serveLegacyRelations(harness(world, 'pg/1'), input(world, [relation({ localAppBag: undefined })], { isLeader: false }));
    expect(world.writes).toEqual([]);
    world.secret[SHARED_CREDENTIALS_FIELD] = JSON.stringify({ 7: { password: 'SharedPassword16', database: 'db_with_extensions' } });
    await serveLegacyRelations(harness(world, 'pg/1'), input(world, [relation({ localAppBag: undefined })], { isLeader: false, admitted: () => false }));
    expect(world.writes).toEqual([]);
  });
});

describe('legacyPlannedUsers', () => {
  it('admits a db user to its database and a db-admin user everywhere, from relation data alone', () => {
    const relations = [
      relation(),
      relation({ id: 8, endpoint: 'db-admin' }),
      relation({ id: 9, endpoint: 'database' }),
      relation({ id: 10, remoteAppBag: { database: 'Bad Name' }, remoteUnitBags: {} }),
      relation({ id: 11, remoteAppBag: { database: 'x', roles: 'admin' }, remoteUnitBags: {} }),
      relation({ id: 12, remoteAppBag: {}, remoteUnitBags: {} }),
      relation({ id: 13, remoteAppBag: { database: 'needs_postgis', extensions: 'postgis' }, remoteUnitBags: {} }),
    ];
    expect(legacyPlannedUsers({ relations })).toEqual({ relation_id_7: ['db_with_extensions'], relation_id_8: 'all', relation_id_13: ['needs_postgis'] });
  });
});
