import { describe, expect, it } from 'vitest';
import {
  ConfigValidationError,
  parameterNameFor,
  parseCharmConfigOrThrow,
  postgresqlParameterOptions,
  type CharmConfig,
} from '../../../src/config/index.ts';
import { readConfigYaml } from './repo-yaml.ts';

const defaults = parseCharmConfigOrThrow({});

describe('which options become PostgreSQL parameters', () => {
  it.each([
    ['connection_authentication_timeout', 'authentication_timeout'],
    ['cpu_max_worker_processes', 'max_worker_processes'],
    ['cpu_wal_compression', 'wal_compression'],
    ['durability_synchronous_commit', 'synchronous_commit'],
    ['instance_password_encryption', 'password_encryption'],
    ['logging_log_connections', 'log_connections'],
    ['memory_shared_buffers', 'shared_buffers'],
    ['optimizer_enable_seqscan', 'enable_seqscan'],
    ['request_date_style', 'DateStyle'],
    ['request_time_zone', 'TimeZone'],
    ['optimizer_pg_stat_statements_track', 'pg_stat_statements.track'],
    ['optimizer_pg_stat_statements_track_utility', 'pg_stat_statements.track_utility'],
    ['optimizer_pg_stat_statements_save', 'pg_stat_statements.save'],
    ['response_lc_monetary', 'lc_monetary'],
    ['session_idle_in_transaction_session_timeout', 'idle_in_transaction_session_timeout'],
    ['storage_hot_standby_feedback', 'hot_standby_feedback'],
    ['vacuum_vacuum_cost_delay', 'vacuum_cost_delay'],
    ['vacuum_autovacuum_naptime', 'autovacuum_naptime'],
  ])('%s sets %s', (option, parameter) => {
    expect(parameterNameFor(option)).toBe(parameter);
  });

  it.each([
    'synchronous_node_count',
    'synchronous_mode_strict',
    'durability_maximum_lag_on_failover',
    'experimental_max_connections',
    'ldap_map',
    'ldap_search_filter',
    'plugin_audit_enable',
    'plugin_pg_stat_statements_enable',
    'profile',
    'profile_limit_memory',
  ])('%s sets none', (option) => {
    expect(parameterNameFor(option)).toBeUndefined();
  });

  it('maps every parameter option of config.yaml to a distinct name, except track_functions', () => {
    const names = Object.keys(readConfigYaml())
      .map((option) => parameterNameFor(option))
      .filter((name): name is string => name !== undefined);
    // 186 options − 53 plugin toggles − 7 others without a parameter prefix − the Patroni-only lag.
    expect(names).toHaveLength(125);
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    expect(duplicates).toEqual(['track_functions']);
  });
});

describe('postgresqlParameterOptions', () => {
  it('passes the defaults on as typed, in config.yaml order', () => {
    const parameters = postgresqlParameterOptions(defaults);
    expect(Object.keys(parameters).slice(0, 4)).toEqual([
      'authentication_timeout',
      'statement_timeout',
      'parallel_leader_participation',
      'max_logical_replication_workers',
    ]);
    expect(parameters).toMatchObject({
      authentication_timeout: 60,
      max_worker_processes: 'auto',
      wal_compression: true,
      synchronous_commit: 'on',
      cpu_tuple_cost: 0.01,
      DateStyle: 'ISO, MDY',
      TimeZone: 'UTC',
      'pg_stat_statements.track': 'top',
      'pg_stat_statements.save': false,
      track_functions: 'none',
      vacuum_multixact_freeze_table_age: 150000000,
    });
    // The 125 parameter options, less the unset shared_buffers and the doubled track_functions.
    expect(Object.keys(parameters)).toHaveLength(123);
  });

  it('leaves out what is not a parameter and what is unset', () => {
    const parameters = postgresqlParameterOptions(defaults);
    const absent = [
      'maximum_lag_on_failover',
      'shared_buffers',
      'max_connections',
      'synchronous_node_count',
      'synchronous_mode_strict',
      'node_count',
      'mode_strict',
      'profile',
      'limit_memory',
      'map',
      'search_filter',
      'pgaudit',
    ];
    for (const key of absent) expect(parameters).not.toHaveProperty(key);
    for (const key of Object.keys(parameters)) expect(key).not.toMatch(/^(plugin|ldap)_|_enable$/);
  });

  it('includes shared_buffers once the operator sets it', () => {
    const config = parseCharmConfigOrThrow({ memory_shared_buffers: 4096, request_time_zone: 'Europe/Paris' });
    expect(postgresqlParameterOptions(config)).toMatchObject({ shared_buffers: 4096, TimeZone: 'Europe/Paris' });
  });
});

describe('track_functions, which two options set', () => {
  it.each([
    ['none', 'none', 'none'],
    ['pl', 'none', 'pl'],
    ['all', 'none', 'all'],
    ['none', 'pl', 'pl'],
    ['none', 'all', 'all'],
    ['pl', 'pl', 'pl'],
    ['all', 'all', 'all'],
  ])('logging=%s with optimizer=%s gives %s', (logging, optimizer, expected) => {
    const config = parseCharmConfigOrThrow({ logging_track_functions: logging, optimizer_track_functions: optimizer });
    expect(postgresqlParameterOptions(config)['track_functions']).toBe(expected);
  });

  it.each([
    ['pl', 'all'],
    ['all', 'pl'],
  ])('rejects logging=%s with optimizer=%s, naming both options', (logging, optimizer) => {
    const raw = { logging_track_functions: logging, optimizer_track_functions: optimizer };
    let error: unknown;
    try {
      parseCharmConfigOrThrow(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const { message, issues } = error as ConfigValidationError;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ option: 'optimizer_track_functions', value: optimizer });
    expect(message).toContain(`optimizer_track_functions="${optimizer}" is invalid`);
    expect(message).toContain(`logging_track_functions="${logging}"`);
  });

  it('reports the conflict together with out-of-range options', () => {
    expect(() =>
      parseCharmConfigOrThrow({ memory_work_mem: 1, logging_track_functions: 'pl', optimizer_track_functions: 'all' }),
    ).toThrow(/memory_work_mem=1 is invalid.*optimizer_track_functions="all" is invalid/);
  });

  it('refuses a hand-built config that bypassed parsing', () => {
    const forged: CharmConfig = { ...defaults, logging_track_functions: 'pl', optimizer_track_functions: 'all' };
    expect(() => postgresqlParameterOptions(forged)).toThrow(ConfigValidationError);
  });
});
