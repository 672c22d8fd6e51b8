import { describe, expect, it } from 'vitest';
import { needsRestart, parametersNeedingRestart, postmasterParameters } from '../../../src/workload/index.ts';

describe('postmaster-context parameters', () => {
  it('lists PostgreSQL 15 (55 names) and 14 (without wal_decode_buffer_size)', () => {
    expect(postmasterParameters(15).size).toBe(55);
    expect(postmasterParameters(14).size).toBe(54);
    expect(postmasterParameters(15).has('wal_decode_buffer_size')).toBe(true);
    expect(postmasterParameters(14).has('wal_decode_buffer_size')).toBe(false);
    expect(postmasterParameters(16)).toBe(postmasterParameters(15));
  });

  it('classifies parameters the charm sets', () => {
    const restart = ['shared_buffers', 'max_connections', 'max_worker_processes', 'max_logical_replication_workers',
      'max_prepared_transactions', 'max_wal_senders', 'max_replication_slots', 'wal_level', 'archive_mode',
      'shared_preload_libraries', 'max_locks_per_transaction', 'logging_collector', 'track_commit_timestamp', 'wal_buffers'];
    const reload = ['work_mem', 'wal_keep_size', 'ssl', 'archive_command', 'max_parallel_workers', 'effective_cache_size',
      'DateStyle', 'synchronous_commit', 'wal_compression', 'pg_stat_statements.max', 'log_min_duration_statement'];
    for (const name of restart) expect(needsRestart(name), name).toBe(true);
    for (const name of reload) expect(needsRestart(name), name).toBe(false);
    expect(needsRestart('Shared_Buffers')).toBe(true);
  });
});

describe('parametersNeedingRestart', () => {
  const before = { shared_buffers: '128', work_mem: 4096, max_connections: 100, wal_compression: 'on', archive_mode: true };

  it('is empty when nothing that needs a restart changed', () => {
    expect(parametersNeedingRestart(before, { ...before, work_mem: 8192, wal_compression: 'off' })).toEqual([]);
    expect(parametersNeedingRestart(before, { ...before })).toEqual([]);
  });

  it('treats equal spellings as equal', () => {
    const same = { shared_buffers: 128, work_mem: '4096', MAX_CONNECTIONS: '100', wal_compression: true, archive_mode: 'ON' };
    expect(parametersNeedingRestart(before, same)).toEqual([]);
  });

  it('reports changed, added and removed postmaster parameters, sorted', () => {
    const after = { shared_buffers: '256', work_mem: 4096, wal_compression: 'on', archive_mode: 'off', max_worker_processes: '4' };
    expect(parametersNeedingRestart(before, after)).toEqual(['archive_mode', 'max_connections', 'max_worker_processes', 'shared_buffers']);
  });

  it('uses the list of the given major version', () => {
    expect(parametersNeedingRestart({}, { wal_decode_buffer_size: '1MB' }, 15)).toEqual(['wal_decode_buffer_size']);
    expect(parametersNeedingRestart({}, { wal_decode_buffer_size: '1MB' }, 14)).toEqual([]);
  });

  it('counts a unit rewrite as a change (a spare restart, never a missed one)', () => {
    expect(parametersNeedingRestart({ shared_buffers: '128MB' }, { shared_buffers: '131072kB' })).toEqual(['shared_buffers']);
  });
});
