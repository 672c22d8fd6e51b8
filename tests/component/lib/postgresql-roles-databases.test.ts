/**
 * Users, groups, grants and databases against a real PostgreSQL 15. The server logs every
 * statement (log_statement=all) so we can prove passwords never reach its log.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_GROUPS,
  PostgreSQL,
  PostgreSQLConnectionError,
  PostgreSQLCreateUserError,
  PostgreSQLInvalidExtraUserRolesError,
  PostgreSQLListUsersError,
  PostgreSQLUpdateUserPasswordError,
  connect,
  isConnectionFailure,
} from '../../../lib/postgresql/index.ts';
import { asSuperuser, startPostgres, tryLogin, type PostgresInstance } from '../../support/postgres-instance.ts';
import { errorCode } from '../../../lib/errors.ts';

const SYSTEM_USERS = ['backup', 'replication', 'rewind', 'operator', 'monitoring'];
const OPERATOR_PASSWORD = 'operator-Secret-1';
const INVALID_PASSWORD = '28P01';

let instance: PostgresInstance;
let postgresql: PostgreSQL;

async function scalar(sql: string, values: unknown[] = [], database = 'postgres'): Promise<unknown> {
  return asSuperuser(instance, async (client) => (await client.query({ text: sql, values, rowMode: 'array' })).rows[0]?.[0], database);
}

async function memberOf(user: string, role: string): Promise<boolean> {
  return (await scalar('SELECT pg_has_role($1, $2, \'MEMBER\')', [user, role])) === true;
}

beforeAll(async () => {
  instance = await startPostgres({ settings: { log_statement: 'all' } });
  await asSuperuser(instance, async (client) => {
    await client.query(`CREATE ROLE operator WITH LOGIN SUPERUSER PASSWORD '${OPERATOR_PASSWORD}'`);
    for (const user of ['backup', 'replication', 'rewind', 'monitoring']) {
      await client.query(`CREATE ROLE ${user} WITH LOGIN`);
    }
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
});

afterAll(async () => {
  await instance?.stop();
});

describe('connections', () => {
  it('a wrong password is a typed connection failure that does not repeat the password', async () => {
    const wrong = 'definitely-Wrong-pw';
    const error = await connect({
      host: instance.host,
      port: instance.port,
      user: 'operator',
      password: wrong,
      database: 'postgres',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLConnectionError);
    expect((error as PostgreSQLConnectionError).code).toBe('postgresql-connection-failed');
    expect((error as Error).message).not.toContain(wrong);
    expect(errorCode((error as Error).cause)).toBe(INVALID_PASSWORD);
  });

  it('operations wrap connection failures so callers can tell them apart', async () => {
    const unreachable = new PostgreSQL({ ...postgresql.connector.settings, password: 'nope' });
    const error = await unreachable.listUsers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLListUsersError);
    expect(isConnectionFailure(error)).toBe(true);
  });
});

describe('setUpDatabase', () => {
  it('locks down the postgres database and creates the admin role, once', async () => {
    await asSuperuser(instance, (c) => c.query('CREATE ROLE outsider LOGIN PASSWORD \'outsider-pw\''));
    expect(await tryLogin(instance, 'outsider', 'outsider-pw')).toBeNull();

    await postgresql.setUpDatabase();

    expect(await tryLogin(instance, 'outsider', 'outsider-pw')).toBe('42501'); // no CONNECT any more
    expect(await scalar("SELECT has_schema_privilege('outsider', 'public', 'CREATE')")).toBe(false);
    for (const user of SYSTEM_USERS) {
      expect(await scalar("SELECT has_database_privilege($1, 'postgres', 'CONNECT,CREATE,TEMP')", [user])).toBe(true);
    }
    expect(await scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'admin'")).toBe(false);
    expect(await memberOf('admin', 'pg_read_all_data')).toBe(true);
    expect(await memberOf('admin', 'pg_write_all_data')).toBe(true);
    expect(await scalar("SELECT has_database_privilege('admin', 'postgres', 'CONNECT')")).toBe(true);

    // Done once: a grant given afterwards survives a second call.
    await asSuperuser(instance, (c) => c.query('GRANT CONNECT ON DATABASE postgres TO outsider'));
    await postgresql.setUpDatabase();
    expect(await tryLogin(instance, 'outsider', 'outsider-pw')).toBeNull();
  });
});

describe('access groups', () => {
  it('creates the three groups idempotently and puts the system users in internal_access', async () => {
    await postgresql.createAccessGroups();
    await postgresql.createAccessGroups();
    expect(await postgresql.listAccessGroups()).toEqual([...ACCESS_GROUPS].sort());
    await postgresql.grantInternalAccessGroupMemberships();
    expect(await postgresql.listUsers({ group: 'internal_access' })).toEqual([...SYSTEM_USERS].sort());
  });

  it('puts relation users (and only them) in relation_access', async () => {
    await postgresql.createUser('relation_id_5', { password: 'rel-pw-5' });
    await postgresql.createUser('relation-6', { password: 'rel-pw-6' });
    expect(await postgresql.listUsersFromRelation()).toEqual(['relation-6', 'relation_id_5']);
    await postgresql.grantRelationAccessGroupMemberships();
    expect(await postgresql.listUsers({ group: 'relation_access' })).toEqual(['relation-6', 'relation_id_5']);
    expect(await memberOf('outsider', 'relation_access')).toBe(false);
  });
});

describe('users', () => {
  it('creates a login user that can log in with its password only', async () => {
    await postgresql.createUser('app_user', { password: 'first-Password' });
    expect(await postgresql.userExists('app_user')).toBe(true);
    expect(await postgresql.userExists('ghost')).toBe(false);
    expect(await postgresql.listUsers()).toContain('app_user');
    await asSuperuser(instance, (c) => c.query('GRANT CONNECT ON DATABASE postgres TO app_user'));
    expect(await tryLogin(instance, 'app_user', 'first-Password')).toBeNull();
    expect(await tryLogin(instance, 'app_user', 'other')).toBe(INVALID_PASSWORD);
  });

  it('password change: the new password works, the old one fails', async () => {
    await postgresql.updateUserPassword('app_user', "new-P'assword");
    expect(await tryLogin(instance, 'app_user', "new-P'assword")).toBeNull();
    expect(await tryLogin(instance, 'app_user', 'first-Password')).toBe(INVALID_PASSWORD);
  });

  it('creating an existing user updates it (ALTER path) instead of failing', async () => {
    await postgresql.createUser('app_user', { password: 'third-Password', extraUserRoles: ['admin', 'pg_monitor'] });
    expect(await tryLogin(instance, 'app_user', 'third-Password')).toBeNull();
    expect(await memberOf('app_user', 'admin')).toBe(true);
    expect(await memberOf('app_user', 'pg_monitor')).toBe(true);
    expect(await scalar("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'app_user'")).toBe(true);
  });

  it('applies extra roles and attributes to a new user', async () => {
    await postgresql.createUser('power_user', { password: 'pw-power', extraUserRoles: ['createrole', 'pg_read_all_stats'] });
    expect(await scalar("SELECT rolcreaterole FROM pg_roles WHERE rolname = 'power_user'")).toBe(true);
    expect(await scalar("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'power_user'")).toBe(false);
    expect(await memberOf('power_user', 'pg_read_all_stats')).toBe(true);
    await postgresql.createUser('super_user', { password: 'pw-super', admin: true });
    expect(await scalar("SELECT rolsuper FROM pg_roles WHERE rolname = 'super_user'")).toBe(true);
    expect((await postgresql.listValidPrivilegesAndRoles()).roles.has('power_user')).toBe(true);
  });

  it('rejects unknown extra roles before touching the database', async () => {
    const error = await postgresql
      .createUser('bad_user', { password: 'x', extraUserRoles: ['pg_monitor', 'not_a_role'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLInvalidExtraUserRolesError);
    expect(await postgresql.userExists('bad_user')).toBe(false);
  });

  it('fails typed when PostgreSQL refuses the statement (an empty role name)', async () => {
    const error = await postgresql.createUser('', { password: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLCreateUserError);
    expect((error as PostgreSQLCreateUserError).code).toBe('postgresql-create-user-failed');
  });

  it('a password change for a missing user fails typed, without the password in the message', async () => {
    const error = await postgresql.updateUserPassword('ghost', 'ghost-Secret-pw').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLUpdateUserPasswordError);
    expect((error as Error).message).not.toContain('ghost-Secret-pw');
  });

  it('never lets a password reach the server log, even with log_statement=all', async () => {
    const log = await readFile(instance.logFile, 'utf8');
    expect(log).toContain('CREATE ROLE outsider'); // the log does record statements…
    for (const secret of ['ghost-Secret-pw', 'first-Password', "new-P''assword", 'third-Password', 'pw-power', 'pw-super', 'rel-pw-5']) {
      expect(log).not.toContain(secret); // …but none of ours with a password
    }
  });
});

describe('databases', () => {
  beforeAll(async () => {
    await postgresql.createUser('shop_owner', { password: 'shop-pw' });
    await postgresql.createUser('shop_other', { password: 'other-pw' });
  });

  it('creates a database only its user, admin and the system users may use', async () => {
    await postgresql.createDatabase('shop', 'shop_owner', { requestingDatabagCount: 1 });
    expect(await postgresql.listDatabases()).toContain('shop');
    expect(await tryLogin(instance, 'shop_owner', 'shop-pw', 'shop')).toBeNull();
    expect(await tryLogin(instance, 'shop_other', 'other-pw', 'shop')).toBe('42501');
    for (const user of [...SYSTEM_USERS, 'admin']) {
      expect(await scalar("SELECT has_database_privilege($1, 'shop', 'CONNECT')", [user])).toBe(true);
    }
    expect(await postgresql.listAccessibleDatabasesForUser('shop_owner')).toEqual(['shop']);
    expect(await postgresql.listAccessibleDatabasesForUser('operator')).toEqual(['all']);
  });

  it('sole client: everything already in the database becomes the user’s', async () => {
    await asSuperuser(instance, async (c) => {
      await c.query('CREATE SCHEMA inventory');
      await c.query('CREATE TABLE inventory."Items" (id serial PRIMARY KEY, name text)');
      await c.query('CREATE SEQUENCE public.loose_seq');
      await c.query('CREATE VIEW inventory.item_names AS SELECT name FROM inventory."Items"');
      await c.query('CREATE FUNCTION public.add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$');
      await c.query('CREATE PROCEDURE public.noop() LANGUAGE sql AS $$ SELECT 1 $$');
      await c.query('CREATE AGGREGATE public.total(int) (SFUNC = int4pl, STYPE = int)');
      const blob = await c.query<{ oid: number }>("SELECT lo_from_bytea(0, 'blob') AS oid");
      await c.query(`ALTER LARGE OBJECT ${Number(blob.rows[0]?.oid)} OWNER TO operator`);
    }, 'shop');

    await postgresql.createDatabase('shop', 'shop_owner', { requestingDatabagCount: 1 });

    const owners = await asSuperuser(instance, async (c) => (await c.query(`
      SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('inventory', 'public') AND c.relkind IN ('r', 'S', 'v')
      UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
      UNION ALL SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('inventory', 'public')
      UNION ALL SELECT 'large object', pg_get_userbyid(lomowner) FROM pg_largeobject_metadata`)).rows, 'shop');
    expect(owners.length).toBe(10);
    for (const row of owners) expect({ name: row.name, owner: row.owner }).toEqual({ name: row.name, owner: 'shop_owner' });
  });

  it('shared database: the user gets privileges on every schema instead of ownership', async () => {
    await postgresql.createDatabase('shared', 'shop_owner');
    await asSuperuser(instance, async (c) => {
      await c.query('CREATE TABLE public.ledger (id int)');
      await c.query('CREATE SCHEMA reports');
    }, 'shared');
    await postgresql.createDatabase('shared', 'shop_other', { requestingDatabagCount: 2 });
    for (const [query, expected] of [
      ["SELECT has_table_privilege('shop_other', 'public.ledger', 'SELECT,INSERT,UPDATE,DELETE')", true],
      ["SELECT has_schema_privilege('shop_other', 'reports', 'USAGE,CREATE')", true],
      ["SELECT pg_get_userbyid(relowner) = 'shop_other' FROM pg_class WHERE relname = 'ledger'", false],
    ] as const) {
      expect(await scalar(query, [], 'shared')).toBe(expected);
    }
  });

  it('enables the requested extensions in the new database', async () => {
    await postgresql.createDatabase('with_ext', 'shop_owner', { plugins: ['citext'] });
    expect(await scalar("SELECT count(*)::int FROM pg_extension WHERE extname = 'citext'", [], 'with_ext')).toBe(1);
    expect(await scalar("SELECT count(*)::int FROM pg_extension WHERE extname = 'citext'", [], 'shop')).toBe(0);
  });

  it('deleting a user hands its objects to the operator in every database', async () => {
    await postgresql.createUser('leaving', { password: 'leaving-pw' });
    await asSuperuser(instance, async (c) => {
      await c.query('GRANT CREATE ON SCHEMA public TO leaving');
      await c.query('SET ROLE leaving');
      await c.query('CREATE TABLE public.left_behind (id int)');
    }, 'shop');
    await postgresql.deleteUser('leaving');
    expect(await postgresql.userExists('leaving')).toBe(false);
    expect(await scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'left_behind'", [], 'shop')).toBe('operator');
    await postgresql.deleteUser('leaving'); // already gone: no error
  });
});
