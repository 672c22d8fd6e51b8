import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exporterQueries, exporterQueriesPath } from '../../../src/cos/exporter-queries.ts';

type Queries = Record<string, { query: string; master?: boolean; metrics: Record<string, { usage: string }>[] }>;

/** The metric names postgres_exporter makes of a queries file: `<key>_<column>` for every non-LABEL column. */
const metricNames = (queries: Queries): string[] =>
  Object.entries(queries).flatMap(([key, q]) => q.metrics.flatMap((m) => Object.entries(m).filter(([, c]) => c.usage !== 'LABEL').map(([column]) => `${key}_${column}`)));

describe('exporter queries', () => {
  it('give the metrics the alert rules need that the exporter has no collector for', () => {
    const queries = parse(exporterQueries({ statUserTables: true })) as Queries;
    expect(metricNames(queries).sort()).toEqual([
      'pg_general_index_info_pg_relation_size',
      'pg_stat_user_tables_last_autoanalyze',
      'pg_stat_user_tables_last_autovacuum',
      'pg_stat_user_tables_n_dead_tup',
      'pg_stat_user_tables_n_live_tup',
      'pg_txid_current',
      'postgresql_errors_total',
    ]);
    // Every LABEL and metric column is one the query selects.
    for (const { query, metrics } of Object.values(queries)) {
      for (const column of metrics.flatMap((m) => Object.keys(m))) expect(query).toMatch(new RegExp(`\\b${column}\\b`));
    }
    // No query consumes a transaction ID or fails on a replica.
    expect(Object.values(queries).map((q) => q.query).join('\n')).not.toMatch(/txid_current\(\)|pg_current_xact_id\(\)/);
  });

  it('leave pg_stat_user_tables to an exporter that collects it itself', () => {
    const queries = parse(exporterQueries({ statUserTables: false })) as Queries;
    expect(Object.keys(queries)).not.toContain('pg_stat_user_tables');
    expect(metricNames(queries)).toContain('pg_txid_current');
  });

  it('live on the storage mount', () => {
    expect(exporterQueriesPath({ storage: '/var/lib/postgresql/data' })).toBe('/var/lib/postgresql/data/exporter-queries.yaml');
  });
});
