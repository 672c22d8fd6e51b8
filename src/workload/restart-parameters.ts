/**
 * Which parameter changes need a PostgreSQL restart: those whose `pg_settings.context` is
 * `postmaster` (read only at server start). Everything else is applied by a reload, which
 * Patroni does by itself after a config change.
 *
 * The list is PostgreSQL's own: `SELECT name FROM pg_settings WHERE context = 'postmaster'` on
 * PostgreSQL 15.18 (Debian), 55 names. PostgreSQL 14 has the same list except
 * `wal_decode_buffer_size`, which 15 introduced (with recovery prefetching).
 */

const POSTMASTER_PARAMETERS_COMMON: readonly string[] = [
  'archive_mode',
  'autovacuum_freeze_max_age',
  'autovacuum_max_workers',
  'autovacuum_multixact_freeze_max_age',
  'bonjour',
  'bonjour_name',
  'cluster_name',
  'config_file',
  'data_directory',
  'data_sync_retry',
  'dynamic_shared_memory_type',
  'event_source',
  'external_pid_file',
  'hba_file',
  'hot_standby',
  'huge_page_size',
  'huge_pages',
  'ident_file',
  'ignore_invalid_pages',
  'jit_provider',
  'listen_addresses',
  'logging_collector',
  'max_connections',
  'max_files_per_process',
  'max_locks_per_transaction',
  'max_logical_replication_workers',
  'max_pred_locks_per_transaction',
  'max_prepared_transactions',
  'max_replication_slots',
  'max_wal_senders',
  'max_worker_processes',
  'min_dynamic_shared_memory',
  'old_snapshot_threshold',
  'port',
  'recovery_target',
  'recovery_target_action',
  'recovery_target_inclusive',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_time',
  'recovery_target_timeline',
  'recovery_target_xid',
  'shared_buffers',
  'shared_memory_type',
  'shared_preload_libraries',
  'superuser_reserved_connections',
  'track_activity_query_size',
  'track_commit_timestamp',
  'unix_socket_directories',
  'unix_socket_group',
  'unix_socket_permissions',
  'wal_buffers',
  'wal_level',
  'wal_log_hints',
];

const POSTMASTER_PARAMETERS: Readonly<Record<14 | 15, ReadonlySet<string>>> = {
  14: new Set(POSTMASTER_PARAMETERS_COMMON),
  15: new Set([...POSTMASTER_PARAMETERS_COMMON, 'wal_decode_buffer_size']),
};

/** The supported majors; anything newer is checked against the newest list we have. */
export function postmasterParameters(majorVersion: number): ReadonlySet<string> {
  return majorVersion <= 14 ? POSTMASTER_PARAMETERS[14] : POSTMASTER_PARAMETERS[15];
}

/** True when changing this parameter (name in any case, as PostgreSQL accepts) needs a restart. */
export function needsRestart(name: string, majorVersion: number = 15): boolean {
  return postmasterParameters(majorVersion).has(name.toLowerCase());
}

export type ParameterMap = Readonly<Record<string, string | number | boolean | null | undefined>>;

const BOOLEAN_WORDS: Readonly<Record<string, 'on' | 'off'>> = {
  on: 'on',
  true: 'on',
  yes: 'on',
  off: 'off',
  false: 'off',
  no: 'off',
};

/**
 * One spelling per value so equal settings compare equal: booleans and their words become
 * on/off, numbers their decimal text. Units are not converted (`128MB` ≠ `131072kB`), so such a
 * rewrite reports a restart: a spare restart, never a missed one.
 */
function normalised(value: string | number | boolean | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  const trimmed = value.trim();
  return BOOLEAN_WORDS[trimmed.toLowerCase()] ?? trimmed;
}

/**
 * The postmaster-context parameters whose value differs between two parameter sets (added,
 * removed — back to the default — or changed), lower-cased and sorted.
 */
export function parametersNeedingRestart(before: ParameterMap, after: ParameterMap, majorVersion: number = 15): string[] {
  const lower = (map: ParameterMap) =>
    new Map(Object.entries(map).map(([name, value]) => [name.toLowerCase(), normalised(value)] as const));
  const old = lower(before);
  const next = lower(after);
  const changed = new Set<string>();
  for (const name of new Set([...old.keys(), ...next.keys()])) {
    if (old.get(name) !== next.get(name) && needsRestart(name, majorVersion)) changed.add(name);
  }
  return [...changed].sort();
}
