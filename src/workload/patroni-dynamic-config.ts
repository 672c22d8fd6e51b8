/**
 * The body of the `PATCH /config` the central reconcile sends (reference charm: `src/charm.py`
 * `update_config` → `_api_update_config`): parameters that must match on every member (Patroni takes
 * max_connections, max_prepared_transactions, max_wal_senders, max_replication_slots,
 * max_worker_processes and wal_keep_size only from the DCS and ignores local values), the
 * synchronous-replication settings, the failover lag and Patroni's timing (not in the reference,
 * which keeps Patroni's defaults; see `patroniTiming`).
 */
import type { CharmConfig } from '../config/index.ts';
import type { SynchronousConfiguration } from '../patroni/synchronous.ts';
import type { PatroniTiming } from './bootstrap.ts';

/** Replication slots and WAL senders the charm reserves (fixed in the reference). */
export const MAX_REPLICATION_SLOTS = 25;
export const MAX_WAL_SENDERS = 25;

export type DynamicConfigOptions = Pick<
  CharmConfig,
  | 'experimental_max_connections'
  | 'memory_max_prepared_transactions'
  | 'memory_shared_buffers'
  | 'durability_wal_keep_size'
  | 'durability_maximum_lag_on_failover'
  | 'failover_detection_timeout'
>;

export interface DynamicConfigInput {
  /** vCPUs available to the workload (node allocatable, lowered to the container limit). */
  readonly cpuCores: number;
  readonly config: DynamicConfigOptions;
  /** lib/postgresql `calculateWorkerProcessConfig` output (string values). */
  readonly workerConfig: Readonly<Record<string, string>>;
  /** src/patroni `synchronousConfiguration(...)`. */
  readonly synchronous: SynchronousConfiguration;
  /** The primary cluster's address when this cluster is an async standby. */
  readonly standbyClusterHost?: string;
}

/** The parameters of the patch; `shared_buffers: null` removes the key from the DCS. */
export type DynamicParameters = {
  max_connections: number;
  max_prepared_transactions: number;
  max_replication_slots: number;
  max_wal_senders: number;
  shared_buffers: number | null;
  wal_keep_size: number;
  max_worker_processes?: string;
  max_logical_replication_workers?: string;
};

/** A type alias (not an interface) so it is assignable to the Patroni client's `ConfigPatch`. */
export type PatroniDynamicConfigPatch = {
  postgresql: {
    remove_data_directory_on_rewind_failure: false;
    remove_data_directory_on_diverged_timelines: false;
    parameters: DynamicParameters;
  };
  synchronous_node_count: number;
  synchronous_mode_strict: boolean;
  maximum_lag_on_failover: number;
  ttl: number;
  loop_wait: number;
  retry_timeout: number;
  standby_cluster?: { host: string };
};

/**
 * Patroni's timing from `failover_detection_timeout` (its ttl, the leader lock's lifetime):
 * loop_wait an eighth of it (rounded down, 1 to 10 s), retry_timeout what is left halved, so
 * that ttl >= loop_wait + 2 × retry_timeout, the rule of Patroni's docs ("Dynamic Configuration
 * Settings"). 8 (the default) gives 8/1/3, 10 gives 10/1/4, 30 gives 30/3/13 (Patroni's
 * defaults are 30/10/10).
 *
 * Why a short loop_wait: after a failover the new leader creates the replicas' slots in its first
 * loop after the promotion, and the remaining replica can only stream (and, in strict synchronous
 * mode, let the first write commit) after that; a standby also notices the leader's loss one
 * loop after the lock expires (the Kubernetes DCS sends no event for an expiry). Each loop costs
 * a few local queries and one DCS write, which three members can afford once a second.
 */
export function patroniTiming(failoverDetectionTimeout: number): PatroniTiming {
  const ttl = failoverDetectionTimeout;
  const loopWait = Math.min(10, Math.max(1, Math.floor(ttl / 8)));
  return { ttl, loop_wait: loopWait, retry_timeout: Math.floor((ttl - loopWait) / 2) };
}

/**
 * `experimental_max_connections` when set (non-zero, as in the reference's truthiness test),
 * else 4 per vCPU with a floor of 100.
 */
export function maxConnections(experimental: number | undefined, cpuCores: number): number {
  return experimental ? experimental : Math.max(4 * cpuCores, 100);
}

export function patroniDynamicConfigPatch(input: DynamicConfigInput): PatroniDynamicConfigPatch {
  const { config, workerConfig } = input;
  const parameters: DynamicParameters = {
    max_connections: maxConnections(config.experimental_max_connections, input.cpuCores),
    max_prepared_transactions: config.memory_max_prepared_transactions,
    max_replication_slots: MAX_REPLICATION_SLOTS,
    max_wal_senders: MAX_WAL_SENDERS,
    // Unset → null: Patroni drops it from the DCS, and the local value (production profile) applies.
    shared_buffers: config.memory_shared_buffers ?? null,
    wal_keep_size: config.durability_wal_keep_size,
  };
  // Both need a restart; Patroni applies them to every member through the DCS.
  if (workerConfig.max_worker_processes !== undefined) {
    parameters.max_worker_processes = workerConfig.max_worker_processes;
  }
  if (workerConfig.max_logical_replication_workers !== undefined) {
    parameters.max_logical_replication_workers = workerConfig.max_logical_replication_workers;
  }
  const patch: PatroniDynamicConfigPatch = {
    postgresql: {
      remove_data_directory_on_rewind_failure: false,
      remove_data_directory_on_diverged_timelines: false,
      parameters,
    },
    synchronous_node_count: input.synchronous.synchronous_node_count,
    synchronous_mode_strict: input.synchronous.synchronous_mode_strict,
    maximum_lag_on_failover: config.durability_maximum_lag_on_failover,
    ...patroniTiming(config.failover_detection_timeout),
  };
  if (input.standbyClusterHost !== undefined) patch.standby_cluster = { host: input.standbyClusterHost };
  return patch;
}
