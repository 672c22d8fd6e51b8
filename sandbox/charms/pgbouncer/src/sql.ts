/**
 * The SQL pgbouncer-k8s runs on the backend PostgreSQL with the relation user it was given
 * (canonical/pgbouncer-k8s-operator: src/relations/sql/pgbouncer-install.sql and
 * pgbouncer-uninstall.sql, with `auth_user` replaced by the auth user's name, each preceded by
 * `RESET ROLE`; src/charm.py `_collect_readonly_dbs`). Pure: statement text only, run by
 * backend.ts (`sync_hba`'s pg_hba_file_rules query is lib/postgresql's `isUserInHba`).
 */
import { ident, literal } from '../../../../lib/postgresql/sql.ts';

/**
 * Installs pgbouncer's auth_query function in one database: a schema named after the auth user
 * holding `get_auth(username)`, a SECURITY DEFINER function that returns a login role's name and
 * stored password hash (never a replication role's, nor the auth user's own), executable by the
 * auth user only, who may use nothing else in that schema or in `public`.
 */
export function installAuthFunctionStatements(authUser: string): string[] {
  const user = ident(authUser);
  const fn = `${user}.get_auth(username TEXT)`;
  return [
    'RESET ROLE',
    `REVOKE ALL PRIVILEGES ON SCHEMA public FROM ${user}`,
    `CREATE SCHEMA IF NOT EXISTS ${user}`,
    `REVOKE ALL PRIVILEGES ON SCHEMA ${user} FROM ${user}`,
    `GRANT USAGE ON SCHEMA ${user} TO ${user}`,
    [
      `CREATE OR REPLACE FUNCTION ${fn}`,
      'RETURNS TABLE(username TEXT, password TEXT) AS $$',
      '  SELECT rolname::TEXT, rolpassword::TEXT FROM pg_authid',
      '  WHERE NOT pg_authid.rolreplication',
      '    AND pg_authid.rolcanlogin',
      `    AND pg_authid.rolname <> ${literal(authUser)}`,
      '    AND (pg_authid.rolvaliduntil IS NULL OR pg_authid.rolvaliduntil >= CURRENT_TIMESTAMP)',
      '    AND pg_authid.rolname = $1;',
      '$$ LANGUAGE SQL STABLE SECURITY DEFINER',
    ].join('\n'),
    `REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC, ${user}`,
    `GRANT EXECUTE ON FUNCTION ${fn} TO ${user}`,
  ];
}

/** Removes what the install made in one database, and whatever else the auth user owns there. */
export function uninstallAuthFunctionStatements(authUser: string): string[] {
  const user = ident(authUser);
  return [
    'RESET ROLE',
    `DROP FUNCTION IF EXISTS ${user}.get_auth(username TEXT)`,
    `DROP SCHEMA IF EXISTS ${user} CASCADE`,
    `DROP OWNED BY ${user} CASCADE`,
  ];
}

/** The connection smoke check pgbouncer-k8s runs before it calls the backend ready. */
export const SMOKE_CHECK = 'SELECT version();';

/** update-status: the databases a wildcard client could reach, for their `_readonly` aliases. */
export const NON_TEMPLATE_DATABASES = 'SELECT datname FROM pg_database WHERE datistemplate = false;';

/**
 * pgbouncer-k8s skips `sync_hba` for a backend older than 14.16 (which does not restrict pg_hba
 * per user), comparing the version strings as Python compares str: code unit by code unit.
 */
export function backendNeedsHbaSync(version: string): boolean {
  return !(version !== '' && version < '14.16');
}
