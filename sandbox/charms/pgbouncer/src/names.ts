/**
 * The names pgbouncer-k8s gives its users, its request and its files
 * (canonical/pgbouncer-k8s-operator: src/constants.py, src/relations/backend_database.py,
 * src/relations/pgbouncer_provider.py). Pure.
 */

/** The container (and Pebble layer label) of the workload. */
export const CONTAINER = 'pgbouncer';
export const BACKEND_ENDPOINT = 'backend-database';
export const CLIENT_ENDPOINT = 'database';
export const PEER_ENDPOINT = 'pgb-peers';

/** What pgbouncer-k8s asks our `database` endpoint for: database `pgbouncer`, as a SUPERUSER. */
export const BACKEND_DATABASE = 'pgbouncer';
export const BACKEND_EXTRA_USER_ROLES = 'SUPERUSER';
/** The databases the auth function is installed in besides the clients' (`collect_databases`). */
export const POSTGRES_DATABASE = 'postgres';

/** The OS user pgbouncer runs as (pgbouncer.ini `user = postgres`, the Pebble service's user). */
export const WORKLOAD_USER = 'postgres';

export const DEFAULT_LISTEN_PORT = 6432;

/** Names pgbouncer-k8s derives from the relation user and its own application name: `-` becomes `_`. */
function underscored(name: string): string {
  return name.replaceAll('-', '_');
}

/** `pgbouncer_auth_<backend username>`: the SUPERUSER that auth_query logs in as. */
export function authUserName(backendUsername: string): string {
  return underscored(`pgbouncer_auth_${backendUsername}`);
}

/** `pgbouncer_stats_<app>`: in pgbouncer's userlist only, never created in PostgreSQL. */
export function statsUserName(app: string): string {
  return underscored(`pgbouncer_stats_${app}`);
}

/** `pgbouncer_admin_<app>`: in pgbouncer's userlist only, never created in PostgreSQL. */
export function adminUserName(app: string): string {
  return underscored(`pgbouncer_admin_${app}`);
}

/** pgbouncer's `auth_query`: the SECURITY DEFINER function the install SQL creates in the auth user's schema. */
export function authQuery(authUser: string): string {
  return `SELECT username, password FROM ${authUser}.get_auth($1)`;
}

/** The user pgbouncer creates on our server for a client of its own `database` endpoint. */
export function clientRelationUser(relationId: number): string {
  return `relation_id_${relationId}`;
}

/** The read-only alias pgbouncer serves for a database, when the name stays under PostgreSQL's 64 bytes. */
export function readOnlyDatabaseName(database: string): string | undefined {
  const name = `${database}_readonly`;
  return name.length < 64 ? name : undefined;
}

/** The ClusterIP Service pgbouncer-k8s applies for its clients (`<app>-service`). */
export function serviceName(app: string): string {
  return `${app}-service`;
}

/** `<app>-service.<model>.svc.cluster.local:<port>`: what it publishes as `endpoints` (and `read-only-endpoints`). */
export function serviceEndpoint(app: string, model: string, port: number): string {
  return `${serviceName(app)}.${model}.svc.cluster.local:${port}`;
}
