import { describe, expect, it } from 'vitest';
import type { ConfigPatch } from '../../../src/patroni/schemas.ts';
import { synchronousConfiguration } from '../../../src/patroni/synchronous.ts';
import { maxConnections, patroniDynamicConfigPatch, patroniTiming, type DynamicConfigInput } from '../../../src/workload/index.ts';

const config = {
  experimental_max_connections: undefined,
  memory_max_prepared_transactions: 0,
  memory_shared_buffers: undefined,
  durability_wal_keep_size: 4096,
  durability_maximum_lag_on_failover: 1048576,
  failover_detection_timeout: 10,
};
const input: DynamicConfigInput = {
  cpuCores: 2,
  config,
  workerConfig: {},
  synchronous: synchronousConfiguration('all', 3, 3, true),
};

describe('patroniDynamicConfigPatch (reference: src/charm.py _api_update_config)', () => {
  it('sends the reference body for defaults on a 3-unit application', () => {
    const patch: ConfigPatch = patroniDynamicConfigPatch(input);
    expect(patch).toEqual({
      postgresql: {
        remove_data_directory_on_rewind_failure: false,
        remove_data_directory_on_diverged_timelines: false,
        parameters: {
          max_connections: 100,
          max_prepared_transactions: 0,
          max_replication_slots: 25,
          max_wal_senders: 25,
          shared_buffers: null,
          wal_keep_size: 4096,
        },
      },
      synchronous_node_count: 2,
      synchronous_mode_strict: true,
      maximum_lag_on_failover: 1048576,
      // not in the reference's body: failover_detection_timeout's Patroni timing
      ttl: 10,
      loop_wait: 1,
      retry_timeout: 4,
    });
    expect(Object.keys(patch.postgresql as object)).toEqual([
      'remove_data_directory_on_rewind_failure',
      'remove_data_directory_on_diverged_timelines',
      'parameters',
    ]);
  });

  it('uses the configured values, the worker parameters and the standby cluster', () => {
    const patch = patroniDynamicConfigPatch({
      ...input,
      cpuCores: 64,
      config: {
        ...config,
        experimental_max_connections: 500,
        memory_max_prepared_transactions: 10,
        memory_shared_buffers: 16384,
        durability_wal_keep_size: 1024,
        durability_maximum_lag_on_failover: 0,
      },
      workerConfig: { max_worker_processes: '8', max_logical_replication_workers: '4', max_parallel_workers: '8' },
      synchronous: synchronousConfiguration(1, 1, 1, true),
      standbyClusterHost: '10.1.2.3',
    });
    expect(patch.postgresql.parameters).toEqual({
      max_connections: 500,
      max_prepared_transactions: 10,
      max_replication_slots: 25,
      max_wal_senders: 25,
      shared_buffers: 16384,
      wal_keep_size: 1024,
      max_worker_processes: '8',
      max_logical_replication_workers: '4',
    });
    expect(patch).toMatchObject({
      synchronous_node_count: 0,
      synchronous_mode_strict: false,
      maximum_lag_on_failover: 0,
      standby_cluster: { host: '10.1.2.3' },
    });
  });

  it('computes max_connections as max(4 × vCPU, 100) unless the option is set', () => {
    expect(maxConnections(undefined, 1)).toBe(100);
    expect(maxConnections(undefined, 25)).toBe(100);
    expect(maxConnections(undefined, 26)).toBe(104);
    expect(maxConnections(0, 30)).toBe(120);
    expect(maxConnections(42, 30)).toBe(42);
  });
});

describe('patroniTiming (failover_detection_timeout)', () => {
  it.each([
    [8, { ttl: 8, loop_wait: 1, retry_timeout: 3 }],
    [10, { ttl: 10, loop_wait: 1, retry_timeout: 4 }],
    [16, { ttl: 16, loop_wait: 2, retry_timeout: 7 }],
    [30, { ttl: 30, loop_wait: 3, retry_timeout: 13 }],
    [3600, { ttl: 3600, loop_wait: 10, retry_timeout: 1795 }],
  ])('%i s gives %j', (seconds, timing) => {
    expect(patroniTiming(seconds)).toEqual(timing);
  });

  it('keeps ttl >= loop_wait + 2 × retry_timeout (Patroni\'s rule) and loop_wait between 1 and 10 over the whole range', () => {
    for (let seconds = 8; seconds <= 3600; seconds++) {
      const { ttl, loop_wait, retry_timeout } = patroniTiming(seconds);
      expect(ttl).toBe(seconds);
      expect(loop_wait + 2 * retry_timeout).toBeLessThanOrEqual(ttl);
      expect(loop_wait).toBeGreaterThanOrEqual(1);
      expect(loop_wait).toBeLessThanOrEqual(10);
      expect(retry_timeout).toBeGreaterThanOrEqual(3);
    }
  });
});
