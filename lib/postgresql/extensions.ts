/**
 * Enabling and disabling extensions in every database, and pgAudit's settings (the reference's
 * `PostgreSQL.enable_disable_extensions` and `_configure_pgaudit`, in
 * `lib/charms/postgresql_k8s/v0/postgresql.py`).
 */
import type { PostgreSQLConnector, Queryable } from './connection.ts';
import { DEPENDENCY_PLUGINS } from './constants.ts';
import {
  PostgreSQLDependentObjectsStillExistError,
  PostgreSQLEnableDisableExtensionError,
  sqlState,
} from './errors.ts';
import { firstColumn, ident } from './sql.ts';

const UNIQUE_VIOLATION = '23505';
const DEPENDENT_OBJECTS_STILL_EXIST = '2BP01';

/** The statements that switch pgAudit's logging on (the charm's policy) or back to defaults. */
export function pgauditStatements(enable: boolean): string[] {
  const statements = enable
    ? [
        "ALTER SYSTEM SET pgaudit.log = 'ROLE,DDL,MISC,MISC_SET'",
        'ALTER SYSTEM SET pgaudit.log_client TO off',
        'ALTER SYSTEM SET pgaudit.log_parameter TO off',
      ]
    : [
        'ALTER SYSTEM RESET pgaudit.log',
        'ALTER SYSTEM RESET pgaudit.log_client',
        'ALTER SYSTEM RESET pgaudit.log_parameter',
      ];
  return [...statements, 'SELECT pg_reload_conf()'];
}

async function pgauditLoaded(client: Queryable): Promise<boolean> {
  const result = await client.query("SELECT 1 FROM pg_settings WHERE name = 'pgaudit.log'");
  return (result.rowCount ?? 0) > 0;
}

/**
 * Apply pgAudit's settings. Its parameters exist only while the library is preloaded; without
 * it there is nothing to reset, so disabling is then a no-op (enabling still fails, typed).
 */
export async function configurePgaudit(db: PostgreSQLConnector, enable: boolean): Promise<void> {
  try {
    await db.run(async (client) => {
      if (!enable && !(await pgauditLoaded(client))) return;
      for (const statement of pgauditStatements(enable)) await client.query(statement);
    });
  } catch (cause) {
    throw new PostgreSQLEnableDisableExtensionError(
      `Failed to ${enable ? 'enable' : 'disable'} pgAudit logging`,
      { cause },
    );
  }
}

export interface ExtensionChanges {
  /** Extensions to drop, dependents before what they depend on. */
  drop: string[];
  /** Extensions to create, dependencies before their dependents. */
  create: string[];
}

/**
 * Order the wanted states: the extensions others depend on come first (absent from the input
 * means disabled, as in the reference), then the input in its order. Creation follows that
 * order; drops run in reverse so a dependent goes before its dependency.
 */
export function planExtensionChanges(extensions: ReadonlyMap<string, boolean>): ExtensionChanges {
  const ordered = new Map<string, boolean>();
  for (const plugin of DEPENDENCY_PLUGINS) ordered.set(plugin, extensions.get(plugin) ?? false);
  for (const [name, enable] of extensions) ordered.set(name, enable);
  const entries = [...ordered];
  return {
    drop: entries.filter(([, enable]) => !enable).map(([name]) => name).reverse(),
    create: entries.filter(([, enable]) => enable).map(([name]) => name),
  };
}

function asMap(extensions: ReadonlyMap<string, boolean> | Readonly<Record<string, boolean>>) {
  return extensions instanceof Map
    ? (extensions as ReadonlyMap<string, boolean>)
    : new Map(Object.entries(extensions));
}

async function applyChanges(client: Queryable, changes: ExtensionChanges): Promise<void> {
  const statements = [
    ...changes.drop.map((name) => `DROP EXTENSION IF EXISTS ${ident(name)}`),
    ...changes.create.map((name) => `CREATE EXTENSION IF NOT EXISTS ${ident(name)}`),
  ];
  for (const statement of statements) {
    try {
      await client.query(statement);
    } catch (error) {
      // Two units creating the same extension at once: the other one won, which is fine.
      if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
    }
  }
}

/**
 * Bring every non-template database (or just `database`) to the wanted extension states, then
 * set pgAudit's logging to match `pgaudit`. Dropping an extension something still uses raises
 * PostgreSQLDependentObjectsStillExistError (the charm blocks on it).
 */
export async function enableDisableExtensions(
  db: PostgreSQLConnector,
  extensions: ReadonlyMap<string, boolean> | Readonly<Record<string, boolean>>,
  options: { database?: string } = {},
): Promise<void> {
  const wanted = asMap(extensions);
  const changes = planExtensionChanges(wanted);
  try {
    const databases =
      options.database !== undefined
        ? [options.database]
        : await db.run((client) =>
            firstColumn(client, 'SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn'),
          );
    await configurePgaudit(db, false);
    for (const database of databases) {
      await db.run((client) => applyChanges(client, changes), { database });
    }
    await configurePgaudit(db, wanted.get('pgaudit') ?? false);
  } catch (cause) {
    if (sqlState(cause) === DEPENDENT_OBJECTS_STILL_EXIST) {
      throw new PostgreSQLDependentObjectsStillExistError(
        'Cannot disable extensions: existing objects depend on them',
        { cause },
      );
    }
    if (cause instanceof PostgreSQLEnableDisableExtensionError) throw cause;
    throw new PostgreSQLEnableDisableExtensionError('Failed to enable or disable extensions', { cause });
  }
}
