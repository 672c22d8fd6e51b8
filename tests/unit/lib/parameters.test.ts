import { describe, expect, it } from 'vitest';
import { isLibError } from '../../../lib/errors.ts';
import { SharedBuffersTooLargeError } from '../../../lib/postgresql/errors.ts';
import { buildPostgresqlParameters, parameterNameForOption } from '../../../lib/postgresql/parameters.ts';

const GiB = 1024 ** 3;

describe('parameterNameForOption', () => {
  it.each([
    ['connection_authentication_timeout', 'authentication_timeout'],
    ['cpu_max_worker_processes', 'max_worker_processes'],
    ['durability_synchronous_commit', 'synchronous_commit'],
    ['instance_default_text_search_config', 'default_text_search_config'],
    ['logging_log_connections', 'log_connections'],
    ['memory_shared_buffers', 'shared_buffers'],
    ['optimizer_enable_seqscan', 'enable_seqscan'],
    ['request_date_style', 'DateStyle'],
    ['request_time_zone', 'TimeZone'],
    ['response_lc_monetary', 'lc_monetary'],
    ['session_idle_in_transaction_session_timeout', 'idle_in_transaction_session_timeout'],
    ['storage_default_table_access_method', 'default_table_access_method'],
    ['vacuum_vacuum_cost_delay', 'vacuum_cost_delay'],
    ['optimizer_pg_stat_statements_track', 'pg_stat_statements.track'],
    ['optimizer_pg_stat_statements_track_utility', 'pg_stat_statements.track_utility'],
    ['optimizer_pg_stat_statements_save', 'pg_stat_statements.save'],
  ])('%s → %s', (option, parameter) => {
    expect(parameterNameForOption(option)).toBe(parameter);
  });

  it.each([
    'durability_maximum_lag_on_failover',
    'profile',
    'profile_limit_memory',
    'plugin_citext_enable',
    'synchronous_node_count',
    'synchronous_mode_strict',
    'ldap_map',
    'ldap_search_filter',
    'experimental_max_connections',
  ])('%s is not a PostgreSQL parameter', (option) => {
    expect(parameterNameForOption(option)).toBeNull();
  });
});

describe('buildPostgresqlParameters', () => {
  const base = {
    synchronous_node_count: 'all',
    connection_authentication_timeout: 60,
    cpu_max_worker_processes: 'auto',
    cpu_wal_compression: true,
    durability_maximum_lag_on_failover: 1048576,
    logging_track_functions: 'pl',
    optimizer_cpu_tuple_cost: 0.01,
    optimizer_track_functions: 'all',
    optimizer_pg_stat_statements_track: 'top',
    plugin_audit_enable: true,
    profile: 'production',
    request_date_style: 'ISO, MDY',
    request_time_zone: 'UTC',
  };

  it('maps options to parameters in config order, copying values as they are', () => {
    const parameters = buildPostgresqlParameters({ ...base, profile: 'testing' }, 8 * GiB);
    expect(parameters).toEqual({
      authentication_timeout: 60,
      max_worker_processes: 'auto',
      wal_compression: true,
      track_functions: 'all',
      cpu_tuple_cost: 0.01,
      'pg_stat_statements.track': 'top',
      DateStyle: 'ISO, MDY',
      TimeZone: 'UTC',
    });
    // The reference's quirk: both *_track_functions map to one parameter; the later one wins.
    expect(Object.keys(parameters).indexOf('track_functions')).toBe(3);
  });

  it('the earlier track_functions option loses even when it comes second in the record', () => {
    const parameters = buildPostgresqlParameters(
      { optimizer_track_functions: 'all', logging_track_functions: 'pl', profile: 'testing' },
      GiB,
    );
    expect(parameters.track_functions).toBe('pl');
  });

  it('skips unset (undefined or null) options', () => {
    const parameters = buildPostgresqlParameters(
      { memory_shared_buffers: undefined, memory_work_mem: null, memory_temp_buffers: 1024, profile: 'testing' },
      GiB,
    );
    expect(parameters).toEqual({ temp_buffers: 1024 });
  });

  it('production, 8 GiB: shared_buffers 25 % and effective_cache_size the rest (reference units)', () => {
    const parameters = buildPostgresqlParameters({ profile: 'production' }, 8 * GiB);
    expect(parameters).toEqual({ shared_buffers: '274877', effective_cache_size: '824576' });
  });

  it('production, 1 GiB', () => {
    const parameters = buildPostgresqlParameters({ profile: 'production' }, GiB);
    expect(parameters).toEqual({ shared_buffers: '34359', effective_cache_size: '103040' });
  });

  it('production with memory_shared_buffers keeps it (as a number) and derives effective_cache_size', () => {
    const parameters = buildPostgresqlParameters(
      { profile: 'production', memory_shared_buffers: 100000 },
      8 * GiB,
    );
    expect(parameters).toEqual({ shared_buffers: 100000, effective_cache_size: '996992' });
  });

  it('testing adds no memory parameters and keeps a user-set shared_buffers', () => {
    expect(buildPostgresqlParameters({ profile: 'testing' }, 8 * GiB)).toEqual({});
    expect(
      buildPostgresqlParameters({ profile: 'testing', memory_shared_buffers: 4096 }, 8 * GiB),
    ).toEqual({ shared_buffers: 4096 });
  });

  it('a limit below the available memory wins', () => {
    const parameters = buildPostgresqlParameters({ profile: 'production' }, 8 * GiB, 2000 * 10 ** 6);
    expect(parameters).toEqual({ shared_buffers: '64000', effective_cache_size: '192000' });
  });

  it('a limit above the available memory, or a zero/absent limit, changes nothing', () => {
    const expected = { shared_buffers: '274877', effective_cache_size: '824576' };
    expect(buildPostgresqlParameters({ profile: 'production' }, 8 * GiB, 16 * 10 ** 9)).toEqual(expected);
    expect(buildPostgresqlParameters({ profile: 'production' }, 8 * GiB, 0)).toEqual(expected);
    expect(buildPostgresqlParameters({ profile: 'production' }, 8 * GiB, null)).toEqual(expected);
  });

  it('allows shared_buffers up to exactly 40 % of memory', () => {
    // 8 GiB → 3435 MB → at most 429375 pages.
    expect(
      buildPostgresqlParameters({ profile: 'testing', memory_shared_buffers: 429375 }, 8 * GiB),
    ).toEqual({ shared_buffers: 429375 });
  });

  it('rejects shared_buffers above 40 % with a typed error naming the option and the limit', () => {
    let error: unknown;
    try {
      buildPostgresqlParameters({ profile: 'production', memory_shared_buffers: 429376 }, 8 * GiB);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SharedBuffersTooLargeError);
    expect(isLibError(error, 'shared-buffers-too-large')).toBe(true);
    expect((error as SharedBuffersTooLargeError).option).toBe('memory_shared_buffers');
    expect((error as Error).message).toBe(
      'Shared buffers config option should be at most 40% of the available memory, which is 3435MB',
    );
  });

  it('checks the 40 % cap against the limited memory, in testing too', () => {
    // 2000 MB limit → 800 MB → at most 100000 pages.
    expect(() =>
      buildPostgresqlParameters({ profile: 'testing', memory_shared_buffers: 100001 }, 8 * GiB, 2000 * 10 ** 6),
    ).toThrow('which is 800MB');
    expect(
      buildPostgresqlParameters({ profile: 'testing', memory_shared_buffers: 100000 }, 8 * GiB, 2000 * 10 ** 6),
    ).toEqual({ shared_buffers: 100000 });
  });
});
