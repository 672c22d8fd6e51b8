/**
 * The PostgreSQL settings patroni.yml always carries (reference charm: `templates/patroni.yml.j2`):
 * the cluster-wide parameters written into `bootstrap.dcs` when the cluster is created, the
 * preloaded libraries and the WAL archive command.
 *
 * Values are typed as PostgreSQL reads them. The reference's YAML leaves some on/off values bare
 * (`archive_mode: on`), which PyYAML turns into booleans; we write the strings `'on'`/`'off'`,
 * which PostgreSQL reads identically and nobody can misread.
 */
import type { WorkloadPaths } from './paths.ts';

export type PostgresqlParameterValue = string | number | boolean;

/**
 * Preloaded on every member (bootstrap and local parameters): the rock ships all three. A
 * workload without TimescaleDB (Debian's PostgreSQL in the sandbox) must leave it out, or the
 * postmaster refuses to start.
 */
export const SHARED_PRELOAD_LIBRARIES: readonly string[] = Object.freeze(['timescaledb', 'pgaudit', 'pg_stat_statements']);

/** pg_stat_statements' entry limit, set locally on every member. */
export const PG_STAT_STATEMENTS_MAX = 10000;

/** What PostgreSQL runs per WAL segment: push to pgBackRest once a stanza exists, else nothing. */
export function archiveCommand(stanza: string | undefined): string {
  return stanza === undefined ? '/bin/true' : `pgbackrest --stanza=${stanza} archive-push %p`;
}

/**
 * The rock's message locale. It must exist on the machine: Debian's image has only C/C.UTF-8/
 * POSIX, and PostgreSQL refuses to start with a missing `lc_messages` locale.
 */
export const DEFAULT_LC_MESSAGES = 'en_US.UTF8';

export interface BootstrapParameterOptions {
  /** The pgBackRest stanza once WAL archiving is on. */
  readonly stanza?: string;
  readonly sharedPreloadLibraries: readonly string[];
  readonly lcMessages: string;
}

/** `bootstrap.dcs.postgresql.parameters`, in the reference's order. */
export function bootstrapParameters(
  paths: WorkloadPaths,
  options: BootstrapParameterOptions,
): Record<string, PostgresqlParameterValue> {
  return {
    synchronous_standby_names: '*',
    archive_command: archiveCommand(options.stanza),
    archive_mode: 'on',
    autovacuum: true,
    debug_print_plan: 'off',
    debug_print_parse: 'off',
    debug_print_rewritten: 'off',
    fsync: true,
    full_page_writes: true,
    lc_messages: options.lcMessages,
    log_autovacuum_min_duration: 60000,
    log_checkpoints: 'on',
    log_destination: 'stderr',
    log_directory: paths.postgresqlLogs,
    log_error_verbosity: 'verbose',
    log_file_mode: '0600',
    log_filename: 'postgresql-%w_%H%M.log',
    log_hostname: 'off',
    log_line_prefix: '%t [%p]: user=%u,db=%d,app=%a,client=%h,line=%l ',
    log_min_duration_sample: -1,
    log_min_error_statement: 'warning',
    log_recovery_conflict_waits: 'on',
    log_replication_commands: 'on',
    log_rotation_age: 1,
    log_rotation_size: 0,
    log_statement: 'ddl',
    log_statement_sample_rate: 1,
    log_statement_stats: 'off',
    log_temp_files: 1,
    log_timezone: 'UTC',
    log_truncate_on_rotation: 'on',
    logging_collector: 'on',
    wal_level: 'logical',
    shared_preload_libraries: options.sharedPreloadLibraries.join(','),
  };
}

/** `initdb` options for a brand-new cluster (neither restoring nor an async standby). */
export type InitdbOption = string | Readonly<Record<string, string>>;
export const INITDB_OPTIONS: readonly InitdbOption[] = [
  { 'auth-host': 'md5' },
  { 'auth-local': 'trust' },
  { encoding: 'UTF8' },
  'data-checksums',
];
