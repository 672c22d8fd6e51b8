/**
 * The `backend-database` side: what pgbouncer-k8s reads from the PostgreSQL charm and the SQL it
 * runs there (canonical/pgbouncer-k8s-operator: src/relations/backend_database.py).
 *
 * It connects as the relation user (`relation_id_<id>`, a SUPERUSER) to the host of `endpoints`,
 * database `pgbouncer`, with no sslmode (libpq's default, prefer; here plain).
 */
import { CharmError } from '../../../../src/errors.ts';
import type { HookTools, RelationRef } from '../../../../src/juju/hook-tools.ts';
import { PostgreSQL } from '../../../../lib/postgresql/index.ts';
import { DatabaseRequirer } from '../../lib/data-interfaces-requirer.ts';
import { splitEndpoint } from './ini.ts';
import { authUserName, BACKEND_DATABASE, BACKEND_ENDPOINT, BACKEND_EXTRA_USER_ROLES, POSTGRES_DATABASE } from './names.ts';
import { backendNeedsHbaSync, installAuthFunctionStatements, NON_TEMPLATE_DATABASES, SMOKE_CHECK, uninstallAuthFunctionStatements } from './sql.ts';

export class BackendError extends CharmError<'backend-version-missing' | 'backend-endpoint-invalid'> {}

/** libpq's `connect_timeout=1` is 2 s in effect (its minimum). */
const CONNECT_TIMEOUT_MS = 2_000;
/** `sync_hba`: tenacity's wait_fixed(15) and stop_after_delay(90). */
export const HBA_SYNC = { intervalMs: 15_000, timeoutMs: 90_000 };

export function backendRequirer(tools: HookTools): DatabaseRequirer {
  return new DatabaseRequirer(tools, { endpoint: BACKEND_ENDPOINT, database: BACKEND_DATABASE, extraUserRoles: BACKEND_EXTRA_USER_ROLES });
}

export interface BackendInfo {
  relation: RelationRef;
  endpoints: string;
  readOnlyEndpoints: string;
  host: string;
  port: number;
  username: string;
  password: string;
  version: string;
  authUser: string;
}

export async function backendRelation(tools: HookTools): Promise<RelationRef | undefined> {
  return (await tools.relationIds(BACKEND_ENDPOINT))[0];
}

/**
 * The backend's connection facts (`postgres` property), or undefined until `endpoints`, the
 * username and the password are all there. A missing `version` at that point is an error, as it
 * is for pgbouncer-k8s, whose `version.split(".")` has no None check.
 */
export async function readBackend(tools: HookTools, relation: RelationRef | undefined): Promise<BackendInfo | undefined> {
  if (relation === undefined) return undefined;
  const data = await backendRequirer(tools).fetch(relation, ['endpoints', 'read-only-endpoints', 'username', 'password', 'version']);
  const { endpoints, username, password } = data;
  if (!endpoints || !username || !password) return undefined;
  const version = data['version'];
  if (version === undefined || version === '') throw new BackendError('backend-version-missing', `backend-database:${relation.id} shares credentials but no version`);
  const split = splitEndpoint(endpoints);
  if (!split) throw new BackendError('backend-endpoint-invalid', `backend-database:${relation.id} endpoints ${JSON.stringify(endpoints)} is not host:port`);
  return {
    relation,
    endpoints,
    readOnlyEndpoints: data['read-only-endpoints'] ?? '',
    host: split.host,
    port: Number(split.port),
    username,
    password,
    version,
    authUser: authUserName(username),
  };
}

/** The lib/postgresql helper for the backend, as the relation user, on database `pgbouncer` by default. */
export function backendPostgres(info: BackendInfo): PostgreSQL {
  return new PostgreSQL({
    primaryHost: info.host,
    currentHost: info.host,
    port: info.port,
    user: info.username,
    password: info.password,
    database: BACKEND_DATABASE,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  });
}

/** `ready`'s smoke check: a connection to `pgbouncer` that answers `SELECT version();`. */
export async function backendAnswers(info: BackendInfo): Promise<boolean> {
  try {
    await backendPostgres(info).run((client) => client.query(SMOKE_CHECK));
    return true;
  } catch {
    return false;
  }
}

async function runEach(postgres: PostgreSQL, database: string, statements: readonly string[]): Promise<void> {
  await postgres.run(async (client) => {
    for (const statement of statements) await client.query(statement);
  }, { database });
}

/** `initialise_auth_function`: the install SQL in each database. */
export async function installAuthFunction(info: BackendInfo, databases: readonly string[]): Promise<void> {
  const postgres = backendPostgres(info);
  for (const database of databases) await runEach(postgres, database, installAuthFunctionStatements(info.authUser));
}

/** `remove_auth_function`: the uninstall SQL in each database. */
export async function removeAuthFunction(info: BackendInfo, databases: readonly string[]): Promise<void> {
  const postgres = backendPostgres(info);
  for (const database of databases) await runEach(postgres, database, uninstallAuthFunctionStatements(info.authUser));
}

/** Whether `database` accepts a connection from the relation user (`collect_databases` tries each). */
async function connectable(info: BackendInfo, database: string): Promise<boolean> {
  try {
    await backendPostgres(info).run(async () => undefined, { database });
    return true;
  } catch {
    return false;
  }
}

/** `collect_databases`: `pgbouncer`, `postgres`, and each client's database that exists yet. */
export async function collectDatabases(info: BackendInfo, clientDatabases: readonly string[]): Promise<string[]> {
  const out = [BACKEND_DATABASE, POSTGRES_DATABASE];
  for (const database of clientDatabases) if (await connectable(info, database)) out.push(database);
  return out;
}

/** update-status: the non-template databases (for the wildcard's `_readonly` aliases). */
export async function serverDatabases(info: BackendInfo): Promise<string[]> {
  return backendPostgres(info).run(async (client) => {
    const result = await client.query<{ datname: string }>(NON_TEMPLATE_DATABASES);
    return result.rows.map((row) => row.datname);
  });
}

/**
 * `sync_hba`: wait until the server's pg_hba has a rule for `user` (from backend 14.16 on),
 * checking at once and then every 15 s for up to 90 s; on timeout carry on, as pgbouncer-k8s
 * does, with a warning. Returns whether the rule was seen.
 */
export async function syncHba(
  info: BackendInfo,
  user: string,
  options: { intervalMs?: number; timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<boolean> {
  if (!backendNeedsHbaSync(info.version)) return true;
  const interval = options.intervalMs ?? HBA_SYNC.intervalMs;
  const deadline = Date.now() + (options.timeoutMs ?? HBA_SYNC.timeoutMs);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const postgres = backendPostgres(info);
  for (;;) {
    if (await postgres.isUserInHba(user).catch(() => false)) return true;
    if (Date.now() + interval > deadline) return false;
    await sleep(interval);
  }
}
