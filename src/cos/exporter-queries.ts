/**
 * Custom queries for the PostgreSQL exporter (postgres_exporter's `--extend.query-path`, given
 * through its `PG_EXPORTER_EXTEND_QUERY_PATH` environment variable so that the rock's
 * `/start-exporter.sh`, which passes no arguments, gets it too). They serve the metrics some
 * alert rules of `src/prometheus_alert_rules/postgresql_rules.yaml` need that the exporter has no
 * built-in collector for. postgres_exporter names each metric `<query key>_<column>`; LABEL
 * columns become labels; the exporter adds `server`.
 *
 * What the queries cannot give (docs/cos.md says the same):
 * - the exporter runs them in the database it connects to (`postgres`), so per-table and
 *   per-index metrics cover that database only (Debian's 0.11 exporter's
 *   `--auto-discover-databases` builds an unusable connection string for a unix-socket URL);
 * - `postgresql_errors_total{type="statement_timeout"}`: PostgreSQL counts cancelled statements
 *   nowhere SQL can read (only its log says so);
 * - `pg_stat_ssl_compression`: PostgreSQL 14 removed SSL compression and the column;
 * - `pg_bloat_*`: a bloat estimate reads `pg_stats`, which shows the monitoring user (pg_monitor)
 *   no rows for tables it may not read, and exact figures need the pgstattuple extension in each
 *   database; an estimate without statistics would be a made-up number.
 */
import { stringify } from 'yaml';
import type { WorkloadPaths } from '../workload/paths.ts';

/** Where the charm pushes the queries in the workload (the storage mount, like the pgpass file). */
export function exporterQueriesPath(paths: Pick<WorkloadPaths, 'storage'>): string {
  return `${paths.storage}/exporter-queries.yaml`;
}

/** The environment variable postgres_exporter reads `--extend.query-path` from. */
export const EXPORTER_QUERY_PATH_VARIABLE = 'PG_EXPORTER_EXTEND_QUERY_PATH';

type Usage = 'LABEL' | 'GAUGE' | 'COUNTER';
interface Query {
  readonly query: string;
  /** Run once per server rather than per discovered database. */
  readonly master?: boolean;
  readonly metrics: readonly Record<string, { readonly usage: Usage; readonly description: string }>[];
}

const column = (name: string, usage: Usage, description: string) => ({ [name]: { usage, description } });

/**
 * `pg_stat_user_tables_*` (PostgresqlTableNotAutoVacuumed, …NotAutoAnalyzed, …TooManyDeadTuples).
 * Newer exporters (the rock's) have a built-in `stat_user_tables` collector with the same names
 * and labels; a second source of one series makes the exporter fail the scrape, so this query is
 * for exporters without it. Times are Unix seconds, 0 for never, as that collector gives them.
 */
const STAT_USER_TABLES: Query = {
  query: `SELECT current_database() AS datname, schemaname, relname, n_live_tup, n_dead_tup,
  COALESCE(EXTRACT(EPOCH FROM last_autovacuum), 0) AS last_autovacuum,
  COALESCE(EXTRACT(EPOCH FROM last_autoanalyze), 0) AS last_autoanalyze
FROM pg_stat_user_tables`,
  metrics: [
    column('datname', 'LABEL', 'Database'),
    column('schemaname', 'LABEL', 'Schema of the table'),
    column('relname', 'LABEL', 'Table'),
    column('n_live_tup', 'GAUGE', 'Estimated number of live rows'),
    column('n_dead_tup', 'GAUGE', 'Estimated number of dead rows'),
    column('last_autovacuum', 'GAUGE', 'Last autovacuum of the table (Unix time, 0 for never)'),
    column('last_autoanalyze', 'GAUGE', 'Last autoanalyze of the table (Unix time, 0 for never)'),
  ],
};

const QUERIES: Readonly<Record<string, Query>> = {
  // pg_txid_current (PostgresqlLowXidConsumption): the next transaction ID, read from a snapshot so
  // that it works on a replica and consumes no ID (txid_current() would assign one per scrape).
  pg_txid: {
    master: true,
    query: 'SELECT txid_snapshot_xmax(txid_current_snapshot()) AS current',
    metrics: [column('current', 'COUNTER', 'The next transaction ID to be assigned')],
  },
  // pg_general_index_info_pg_relation_size (PostgresqlInvalidIndex, which looks for the `*ccnew*`
  // indexes a failed REINDEX CONCURRENTLY leaves).
  pg_general_index_info: {
    query: `SELECT current_database() AS datname, schemaname, relname, indexrelname, pg_relation_size(indexrelid) AS pg_relation_size
FROM pg_stat_user_indexes`,
    metrics: [
      column('datname', 'LABEL', 'Database'),
      column('schemaname', 'LABEL', 'Schema of the table'),
      column('relname', 'LABEL', 'Table'),
      column('indexrelname', 'LABEL', 'Index'),
      column('pg_relation_size', 'GAUGE', 'Size of the index in bytes'),
    ],
  },
  // postgresql_errors_total{type="deadlock_detected"} (PostgresqlHighRateDeadlock): each deadlock
  // PostgreSQL detects ends one transaction with SQLSTATE 40P01 (deadlock_detected), and
  // pg_stat_database.deadlocks counts them.
  postgresql_errors: {
    master: true,
    query: "SELECT 'deadlock_detected' AS type, COALESCE(sum(deadlocks), 0) AS total FROM pg_stat_database",
    metrics: [column('type', 'LABEL', 'The error condition'), column('total', 'COUNTER', 'Errors of that condition since the statistics were reset')],
  },
};

/** The queries file; `statUserTables` false for an exporter with a built-in stat_user_tables collector. */
export function exporterQueries(options: { readonly statUserTables: boolean }): string {
  const queries = options.statUserTables ? { pg_stat_user_tables: STAT_USER_TABLES, ...QUERIES } : QUERIES;
  return `# Written by the postgresql-k8s charm: custom queries for the PostgreSQL exporter.\n${stringify(queries)}`;
}
