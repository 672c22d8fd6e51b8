/**
 * pgbouncer.ini as pgbouncer-k8s renders it (canonical/pgbouncer-k8s-operator:
 * templates/pgb_config.j2, src/charm.py `render_pgb_config`, `_get_relation_config`,
 * `_get_readonly_dbs`), for the pgbouncer this repository runs: Debian's. Pure.
 *
 * Differences, each because the binary would refuse the setting (pgbouncer exits on an unknown
 * parameter or connection key; see https://www.pgbouncer.org/changelog.html):
 * - `auth_dbname` (pgbouncer 1.19) and `peer_id`/`[peers]` (1.19) and `max_prepared_statements`
 *   (1.21) are written only when the running version has them. Without `auth_dbname`, auth_query
 *   runs in the database the client asked for, which is why the auth function is installed in
 *   every client database, as pgbouncer-k8s does anyway.
 * - `server_reset_query` is `DISCARD ALL;` without pgbouncer-k8s's `LOAD 'login_hook';`: our
 *   PostgreSQL workload has no login_hook library, and LOADing a missing one fails every reset.
 * - One pgbouncer instance per unit, where pgbouncer-k8s runs one per core (2 to 4) sharing the
 *   port with so_reuseport; the pool sizes are divided by the instance count all the same.
 * - `listen_addr = 0.0.0.0` (pgbouncer-k8s: `*`): the sandbox's pods have IPv4 only.
 */

export interface PgbouncerVersion {
  major: number;
  minor: number;
}

/** `PgBouncer 1.18.0` (the first line of `pgbouncer --version`) → {1, 18}; undefined when unreadable. */
export function parsePgbouncerVersion(text: string): PgbouncerVersion | undefined {
  const match = /PgBouncer\s+(\d+)\.(\d+)/i.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

function atLeast(version: PgbouncerVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/** What a pgbouncer version understands of what pgbouncer-k8s writes. */
export function featuresOf(version: PgbouncerVersion): { authDbname: boolean; peers: boolean; maxPreparedStatements: boolean } {
  return { authDbname: atLeast(version, 1, 19), peers: atLeast(version, 1, 19), maxPreparedStatements: atLeast(version, 1, 21) };
}

/** One line of `[databases]`. `dbname` absent only for the `*` wildcard. */
export interface PgbDatabase {
  name: string;
  host: string;
  port: number | string;
  dbname?: string;
  authDbname?: string;
  authUser: string;
}

/** A database a client relation asked for, as pgbouncer-k8s keeps it in its peer data (`pgb_dbs_config`). */
export interface RelationDatabase {
  name: string;
  legacy: boolean;
  /** Only on the `*` entry: the database auth_query runs in. */
  auth_dbname?: string;
}

export interface BackendEndpoints {
  /** The backend's `endpoints`: `host:port`, split on its one colon. */
  endpoints: string;
  /** The backend's `read-only-endpoints`, comma-separated `host:port`s, or empty. */
  readOnlyEndpoints?: string;
}

/** `host:port` split as pgbouncer-k8s splits it (`split(":")`): exactly one colon, else undefined. */
export function splitEndpoint(endpoint: string): { host: string; port: string } | undefined {
  const parts = endpoint.split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { host: parts[0] as string, port: parts[1] as string };
}

/** The read-only hosts (sorted, comma-joined) and the port of one of them; the primary's when there are none. */
function readOnlyTarget(backend: BackendEndpoints, primary: { host: string; port: string }): { hosts: string; port: string } {
  const endpoints = [...new Set((backend.readOnlyEndpoints ?? '').split(',').filter((entry) => entry !== ''))];
  const split = endpoints.map(splitEndpoint).filter((entry): entry is { host: string; port: string } => entry !== undefined);
  if (split.length === 0) return { hosts: primary.host, port: primary.port };
  return { hosts: split.map((entry) => entry.host).sort().join(','), port: (split[0] as { port: string }).port };
}

/**
 * `[databases]` for the client relations (`_get_relation_config`): each requested database on
 * the primary, its `<db>_readonly` on the replicas (`<db>_standby` too for legacy relations),
 * and `*` when a client may reach any database; plus (`_get_readonly_dbs`) a `_readonly` alias
 * for each other database on the server when `*` is present. Empty until the backend has
 * published endpoints.
 */
export function relationDatabases(input: {
  backend: BackendEndpoints;
  databases: Readonly<Record<string, RelationDatabase>>;
  authUser: string;
  /** Non-template databases on the server that no relation asked for (peer `readonly_dbs`). */
  otherDatabases?: readonly string[];
}): PgbDatabase[] {
  const primary = splitEndpoint(input.backend.endpoints);
  if (!primary) return [];
  const readOnly = readOnlyTarget(input.backend, primary);
  const out: PgbDatabase[] = [];
  const entries = Object.values(input.databases);
  for (const database of entries) {
    if (database.name === '*') continue;
    out.push({ name: database.name, host: primary.host, dbname: database.name, port: primary.port, authUser: input.authUser });
    const readOnlyEntry = { host: readOnly.hosts, dbname: database.name, port: readOnly.port, authUser: input.authUser };
    if (`${database.name}_readonly`.length < 64) out.push({ name: `${database.name}_readonly`, ...readOnlyEntry });
    if (database.legacy && `${database.name}_standby`.length < 64) out.push({ name: `${database.name}_standby`, ...readOnlyEntry });
  }
  const wildcard = entries.find((database) => database.name === '*');
  if (wildcard) {
    const authDbname = wildcard.auth_dbname;
    out.push({ name: '*', host: primary.host, port: primary.port, authUser: input.authUser, ...(authDbname ? { authDbname } : {}) });
    if ((input.backend.readOnlyEndpoints ?? '') !== '') {
      for (const name of input.otherDatabases ?? []) {
        out.push({ name: `${name}_readonly`, host: readOnly.hosts, dbname: name, port: readOnly.port, authUser: input.authUser, ...(authDbname ? { authDbname } : {}) });
      }
    }
  }
  return out;
}

/** The three pool sizes pgbouncer-k8s derives from `max_db_connections` and its instance count. */
export function poolSizes(maxDbConnections: number, instances: number): { defaultPoolSize: number; minPoolSize: number; reservePoolSize: number } {
  if (maxDbConnections === 0) return { defaultPoolSize: 20, minPoolSize: 10, reservePoolSize: 10 };
  const effective = maxDbConnections / instances;
  return { defaultPoolSize: Math.ceil(effective / 2), minPoolSize: Math.ceil(effective / 4), reservePoolSize: Math.ceil(effective / 4) };
}

/** `md5` when the stats user's userlist entry is an md5 hash (a userlist from an older charm), else scram. */
export function authTypeFor(userlist: string, statsUser: string): 'md5' | 'scram-sha-256' {
  return userlist.includes(`"${statsUser}" "md5`) ? 'md5' : 'scram-sha-256';
}

export interface IniInput {
  version: PgbouncerVersion;
  databases: readonly PgbDatabase[];
  listenPort: number;
  poolMode: string;
  maxDbConnections: number;
  maxPreparedStatements: number;
  /** How many pgbouncer instances share the unit's connections (pool sizes are divided by it). */
  instances: number;
  adminUser: string;
  statsUser: string;
  authType: 'md5' | 'scram-sha-256';
  authQuery: string;
  authFile: string;
  logFile: string;
  pidFile: string;
  socketDir: string;
}

function databaseLine(database: PgbDatabase, authDbname: boolean): string {
  const parts = [`host=${database.host}`];
  if (database.dbname !== undefined) parts.push(`dbname=${database.dbname}`);
  if (authDbname && database.authDbname !== undefined) parts.push(`auth_dbname=${database.authDbname}`);
  parts.push(`port=${database.port}`, `auth_user=${database.authUser}`);
  return `${database.name} = ${parts.join(' ')}`;
}

export function renderPgbouncerIni(input: IniInput): string {
  const features = featuresOf(input.version);
  const pools = poolSizes(input.maxDbConnections, input.instances);
  const lines = ['[databases]', ...input.databases.map((database) => databaseLine(database, features.authDbname)), ''];
  if (features.peers) lines.push('[peers]', `1 = host=${input.socketDir} port=${input.listenPort}`, '');
  lines.push('[pgbouncer]');
  if (features.peers) lines.push('peer_id = 1');
  lines.push(
    'listen_addr = 0.0.0.0',
    `listen_port = ${input.listenPort}`,
    `logfile = ${input.logFile}`,
    `pidfile = ${input.pidFile}`,
    `admin_users = ${input.adminUser}`,
    `stats_users = ${input.statsUser}`,
    `auth_type = ${input.authType}`,
    'user = postgres',
    'max_client_conn = 10000',
    'ignore_startup_parameters = extra_float_digits,options',
    'server_tls_sslmode = prefer',
    'so_reuseport = 1',
    `unix_socket_dir = ${input.socketDir}`,
    `pool_mode = ${input.poolMode}`,
    `max_db_connections = ${input.maxDbConnections}`,
  );
  if (features.maxPreparedStatements) lines.push(`max_prepared_statements = ${input.maxPreparedStatements}`);
  lines.push(
    `default_pool_size = ${pools.defaultPoolSize}`,
    `min_pool_size = ${pools.minPoolSize}`,
    `reserve_pool_size = ${pools.reservePoolSize}`,
    `auth_query = ${input.authQuery}`,
    `auth_file = ${input.authFile}`,
    '; pgbouncer-k8s also LOADs login_hook here; our PostgreSQL has no such library.',
    'server_reset_query = DISCARD ALL;',
    'server_reset_query_always = 1',
    '',
  );
  return lines.join('\n');
}
