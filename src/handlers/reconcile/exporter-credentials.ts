/**
 * The metrics exporter's password, in a file only its user reads (0600, postgres) rather than in
 * the Pebble plan, which anyone with access to Pebble can read. The exporter reads the file when
 * it starts, so a changed password means restarting it (pebble-layer.ts does).
 */
import type { WorkloadPebble } from '../../clients/workload-pebble.ts';
import { exporterQueries, exporterQueriesPath } from '../../cos/exporter-queries.ts';
import type { WorkloadFlavour } from '../../workload-probe/index.ts';
import { DEFAULT_WORKLOAD_PATHS, MONITORING_PGPASS_MODE, monitoringPgpassContent } from '../../workload/index.ts';
import { pushIfChanged } from './patroni-config-file.ts';

/** Write the monitoring password file when its content, mode or owner differ; returns whether it did. */
export function writeMonitoringPgpass(pebble: WorkloadPebble, password: string): Promise<boolean> {
  return pushIfChanged(pebble, DEFAULT_WORKLOAD_PATHS.monitoringPgpass, monitoringPgpassContent(password), MONITORING_PGPASS_MODE);
}

/**
 * Write the exporter's custom queries (src/cos/exporter-queries.ts) when they differ; returns
 * whether it did. Debian's 0.11 exporter has no stat_user_tables collector, the rock's has one.
 */
export function writeExporterQueries(pebble: WorkloadPebble, flavour: WorkloadFlavour): Promise<boolean> {
  return pushIfChanged(pebble, exporterQueriesPath(DEFAULT_WORKLOAD_PATHS), exporterQueries({ statUserTables: flavour === 'debian' }), 0o644);
}
