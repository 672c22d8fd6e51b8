/**
 * The database and API users the workload is configured with (reference charm: `SYSTEM_USERS` in
 * `src/constants.py`, `PASSWORD_USERS` in `src/charm.py`), and the ports its processes listen on
 * (`_postgresql_layer`, `templates/patroni.yml.j2`).
 */

/** Patroni superuser; the charm connects as this user. */
export const OPERATOR_USER = 'operator';
/** Patroni replication user. */
export const REPLICATION_USER = 'replication';
/** Patroni rewind user (pg_rewind). */
export const REWIND_USER = 'rewind';
/** Read-only `pg_monitor` member the metrics exporter logs in as, over the unix socket. */
export const MONITORING_USER = 'monitoring';
/** pgBackRest's superuser; it logs in over the socket through `peer map=operator`. */
export const BACKUP_USER = 'backup';
/** Not a database user: the Patroni REST API basic-auth user. */
export const PATRONI_API_USER = 'patroni';
/** The database the charm and the exporter connect to. */
export const DEFAULT_DATABASE = 'postgres';

/** Users the charm manages and `set-password` accepts, in the reference's order. */
export const SYSTEM_USERS = [BACKUP_USER, REPLICATION_USER, REWIND_USER, OPERATOR_USER, MONITORING_USER] as const;

export const POSTGRESQL_PORT = 5432;
/** Patroni's REST API (`restapi.listen`): the one place 8008 is written, for the charm, its client and the sandbox. */
export const PATRONI_API_PORT = 8008;
/** postgres_exporter (`/start-exporter.sh`). */
export const METRICS_PORT = 9187;
/** pgbackrest_exporter. */
export const PGBACKREST_METRICS_PORT = 9854;

/** The two ports every member listens on; members sharing one host need their own. */
export interface MemberPorts {
  readonly postgresql: number;
  readonly patroniApi: number;
}

export const DEFAULT_MEMBER_PORTS: MemberPorts = Object.freeze({
  postgresql: POSTGRESQL_PORT,
  patroniApi: PATRONI_API_PORT,
});
