/**
 * The Pebble services of the workload (reference charm: `src/charm.py` `_postgresql_layer`): their
 * names, and the commands the rock runs for them. Commands are data so a workload without the
 * rock's helper scripts (the sandbox, with Debian's packages) can point them elsewhere.
 */

export const SERVICE_POSTGRESQL = 'postgresql';
export const SERVICE_PGBACKREST_SERVER = 'pgbackrest server';
export const SERVICE_LDAP_SYNC = 'ldap-sync';
export const SERVICE_METRICS = 'metrics_server';
export const SERVICE_PGBACKREST_METRICS = 'pgbackrest_metrics_service';
export const SERVICE_ROTATE_LOGS = 'rotate-logs';

/** The layer's label: the charm adds it with `combine: true`. */
export const LAYER_LABEL = 'postgresql';
/** The ready check, named like the service it watches. */
export const CHECK_POSTGRESQL = 'postgresql';
/** The metrics exporter's check, named like its service. */
export const CHECK_METRICS = SERVICE_METRICS;

export interface WorkloadCommands {
  /** Patroni's executable; the service runs `<patroni> <patroni.yml>`. */
  readonly patroni: string;
  readonly pgbackrestServer: string;
  readonly ldapSync: string;
  readonly metricsExporter: string;
  readonly pgbackrestExporter: string;
  /** Run with the rotate-logs script path appended. */
  readonly rotateLogs: string;
}

/** What the rock ships. */
export const ROCK_COMMANDS: WorkloadCommands = Object.freeze({
  patroni: 'patroni',
  pgbackrestServer: 'pgbackrest server',
  ldapSync: '/start-ldap-synchronizer.sh',
  metricsExporter: '/start-exporter.sh',
  pgbackrestExporter: '/usr/bin/pgbackrest_exporter',
  rotateLogs: 'python3',
});

/** What Patroni does when it exits: the reference's default, or an override (`ignore` during restore). */
export type OnFailure = 'restart' | 'shutdown' | 'success-shutdown' | 'ignore';
export const DEFAULT_PATRONI_ON_FAILURE: OnFailure = 'restart';
