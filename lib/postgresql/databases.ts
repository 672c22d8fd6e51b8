/**
 * Databases: creation with grants, listing, and the one-time cluster setup (the reference's
 * `PostgreSQL.create_database` and `set_up_database` in `lib/charms/postgresql_k8s/v0/postgresql.py`).
 */
import type { PostgreSQLConnector, Queryable } from './connection.ts';
import { PERMISSIONS_GROUP_ADMIN } from './constants.ts';
import { PostgreSQLCreateDatabaseError, PostgreSQLDatabasesSetupError, PostgreSQLQueryError } from './errors.ts';
import { enableDisableExtensions } from './extensions.ts';
import { createUser } from './roles.ts';
import { firstColumn, ident } from './sql.ts';

/** The maintenance database every cluster has; set_up_database locks it down. */
export const DEFAULT_DATABASE = 'postgres';

/** A statement with its bind values (pg's QueryConfig shape). */
export interface SqlStatement {
  text: string;
  values?: string[];
}

/**
 * Grants that let `user` work in every schema of a database it shares with other relations.
 */
export function schemaGrantStatements(schemas: readonly string[], user: string): SqlStatement[] {
  const who = ident(user);
  return schemas.flatMap((schema) => {
    const where = ident(schema);
    return [
      `GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${where} TO ${who}`,
      `GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA ${where} TO ${who}`,
      `GRANT ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA ${where} TO ${who}`,
      `GRANT USAGE ON SCHEMA ${where} TO ${who}`,
      `GRANT CREATE ON SCHEMA ${where} TO ${who}`,
    ].map((text) => ({ text }));
  });
}

/**
 * Statements that hand large objects and schemas to `user` when it is a database's sole
 * client. (Tables, sequences, routines and views are handed over by `transferObjectOwnership`,
 * which must first look them up.)
 */
export function ownershipStatements(
  schemas: readonly string[],
  user: string,
  previousOwner: string,
): SqlStatement[] {
  return [
    {
      text: `UPDATE pg_catalog.pg_largeobject_metadata
             SET lomowner = (SELECT oid FROM pg_roles WHERE rolname = $1)
             WHERE lomowner = (SELECT oid FROM pg_roles WHERE rolname = $2)`,
      values: [user, previousOwner],
    },
    ...schemas.map((schema) => ({ text: `ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(user)}` })),
  ];
}

/**
 * One ALTER … OWNER statement per user object, quoted by PostgreSQL's own format(). Tables
 * come first: moving a table also moves the sequences it owns, which cannot be moved alone.
 */
const OWNERSHIP_TRANSFER_QUERY = `
  SELECT statement FROM (
    SELECT 1 AS step, format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, $1::text) AS statement
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
    UNION ALL
    SELECT 2, format('ALTER SEQUENCE %I.%I OWNER TO %I', n.nspname, c.relname, $1::text)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT 3, format('ALTER %s %I.%I(%s) OWNER TO %I',
                     CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                     n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), $1::text)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prokind IN ('f', 'p', 'a') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 4, format('ALTER VIEW %I.%I OWNER TO %I', n.nspname, c.relname, $1::text)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  ) AS statements ORDER BY step`;

async function transferObjectOwnership(client: Queryable, user: string): Promise<void> {
  for (const statement of await firstColumn(client, OWNERSHIP_TRANSFER_QUERY, [user])) {
    await client.query(statement);
  }
}

async function userSchemas(client: Queryable): Promise<string[]> {
  return firstColumn(
    client,
    `SELECT schema_name FROM information_schema.schemata
     WHERE schema_name NOT LIKE 'pg\\_%' AND schema_name <> 'information_schema'
     ORDER BY schema_name`,
  );
}

export interface CreateDatabaseOptions {
  /** Users besides `user` and `admin` that get every privilege on the database. */
  systemUsers?: readonly string[];
  /** Extensions to enable in the new database. */
  plugins?: readonly string[];
  /**
   * How many client relation databags (app and unit bags of every client relation) ask for
   * this database. Exactly one means `user` is its sole client and becomes owner of everything
   * in it; otherwise it only gets privileges on every schema.
   */
  requestingDatabagCount?: number;
}

/** Create the database if missing, then (re)apply its grants and ownership. */
export async function createDatabase(
  db: PostgreSQLConnector,
  database: string,
  user: string,
  options: CreateDatabaseOptions = {},
): Promise<void> {
  try {
    await db.run(async (client) => {
      const found = await client.query('SELECT datname FROM pg_database WHERE datname = $1', [database]);
      if ((found.rowCount ?? 0) === 0) await client.query(`CREATE DATABASE ${ident(database)}`);
      await client.query(`REVOKE ALL PRIVILEGES ON DATABASE ${ident(database)} FROM PUBLIC`);
      for (const grantee of [user, PERMISSIONS_GROUP_ADMIN, ...(options.systemUsers ?? [])]) {
        await client.query(`GRANT ALL PRIVILEGES ON DATABASE ${ident(database)} TO ${ident(grantee)}`);
      }
    });
    await db.run(async (client) => {
      const schemas = await userSchemas(client);
      if (options.requestingDatabagCount === 1) {
        await transferObjectOwnership(client, user);
        for (const statement of ownershipStatements(schemas, user, db.user)) await client.query(statement);
      } else {
        for (const statement of schemaGrantStatements(schemas, user)) await client.query(statement);
      }
    }, { database });
  } catch (cause) {
    throw new PostgreSQLCreateDatabaseError(`Failed to create database ${database}`, { cause });
  }
  if (options.plugins && options.plugins.length > 0) {
    await enableDisableExtensions(db, new Map(options.plugins.map((p) => [p, true])), { database });
  }
}

/** Every database that is not a template. */
export async function listDatabases(db: PostgreSQLConnector): Promise<string[]> {
  try {
    return await db.run((client) =>
      firstColumn(client, 'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname'),
    );
  } catch (cause) {
    throw new PostgreSQLQueryError('Failed to list databases', { cause });
  }
}

/**
 * First-start lock-down of the default database, done once (the `admin` role marks it done):
 * nobody but the system users may use it, nobody may create in `public`, and the NOLOGIN
 * `admin` role (read and write all data) exists.
 */
export async function setUpDatabase(
  db: PostgreSQLConnector,
  systemUsers: readonly string[],
): Promise<void> {
  try {
    const done = await db.run(async (client) => {
      const admin = await client.query('SELECT TRUE FROM pg_roles WHERE rolname = $1', [
        PERMISSIONS_GROUP_ADMIN,
      ]);
      if ((admin.rowCount ?? 0) > 0) return true;
      await client.query(`REVOKE ALL PRIVILEGES ON DATABASE ${ident(DEFAULT_DATABASE)} FROM PUBLIC`);
      await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      for (const user of systemUsers) {
        await client.query(`GRANT ALL PRIVILEGES ON DATABASE ${ident(DEFAULT_DATABASE)} TO ${ident(user)}`);
      }
      return false;
    }, { database: DEFAULT_DATABASE });
    if (done) return;
    await createUser(db, PERMISSIONS_GROUP_ADMIN, {
      extraUserRoles: ['pg_read_all_data', 'pg_write_all_data'],
    });
    await db.run((client) =>
      client.query(`GRANT CONNECT ON DATABASE ${ident(DEFAULT_DATABASE)} TO ${ident(PERMISSIONS_GROUP_ADMIN)}`),
    );
  } catch (cause) {
    throw new PostgreSQLDatabasesSetupError('Failed to set up the databases', { cause });
  }
}
