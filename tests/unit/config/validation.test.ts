import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CHARM_OPTIONS,
  ConfigValidationError,
  parseCharmConfig,
  parseCharmConfigOrThrow,
  type CharmConfig,
  type ConfigIssue,
} from '../../../src/config/index.ts';

const INT4 = 2_147_483_647;
const HALF_INT4 = 1_073_741_823;

// Transcribed from the reference's validation rules (its `src/config.py` `CharmConfig`), not src/.
const INT_RANGES: Record<string, readonly [number | undefined, number | undefined]> = {
  backup_retention_full_count: [0, 9_999_999],
  backup_retention_days: [0, 9_999_999],
  connection_authentication_timeout: [1, 600],
  connection_statement_timeout: [0, INT4],
  durability_maximum_lag_on_failover: [0, undefined],
  durability_wal_keep_size: [0, INT4],
  experimental_max_connections: [undefined, undefined],
  // Not in the reference: Patroni's ttl (8 s keeps retry_timeout at 3 s or more).
  failover_detection_timeout: [8, 3600],
  instance_max_locks_per_transaction: [64, INT4],
  logging_log_min_duration_statement: [-1, INT4],
  memory_maintenance_work_mem: [1024, INT4],
  memory_max_prepared_transactions: [0, 262_143],
  memory_shared_buffers: [16, HALF_INT4],
  memory_temp_buffers: [100, HALF_INT4],
  memory_work_mem: [64, INT4],
  optimizer_default_statistics_target: [1, 10_000],
  optimizer_from_collapse_limit: [1, INT4],
  optimizer_geqo_effort: [1, 10],
  optimizer_geqo_generations: [0, INT4],
  optimizer_geqo_pool_size: [0, INT4],
  optimizer_geqo_threshold: [2, INT4],
  optimizer_join_collapse_limit: [1, INT4],
  optimizer_min_parallel_index_scan_size: [0, 715_827_882],
  optimizer_min_parallel_table_scan_size: [0, 715_827_882],
  profile_limit_memory: [128, 9_999_999],
  request_deadlock_timeout: [1, INT4],
  request_lock_timeout: [0, INT4],
  request_track_activity_query_size: [100, 1_048_576],
  response_extra_float_digits: [-15, 3],
  response_gin_fuzzy_search_limit: [0, INT4],
  session_idle_in_transaction_session_timeout: [0, INT4],
  storage_bgwriter_lru_maxpages: [0, HALF_INT4],
  storage_gin_pending_list_limit: [64, INT4],
  storage_old_snapshot_threshold: [-1, 86_400],
  vacuum_autovacuum_analyze_threshold: [0, INT4],
  vacuum_autovacuum_freeze_max_age: [100_000, 2_000_000_000],
  vacuum_autovacuum_naptime: [1, 2_147_483],
  vacuum_autovacuum_vacuum_cost_limit: [-1, 10_000],
  vacuum_autovacuum_vacuum_insert_threshold: [-1, INT4],
  vacuum_autovacuum_vacuum_threshold: [0, INT4],
  vacuum_vacuum_cost_limit: [1, 10_000],
  vacuum_vacuum_cost_page_dirty: [0, 10_000],
  vacuum_vacuum_cost_page_hit: [0, 10_000],
  vacuum_vacuum_cost_page_miss: [0, 10_000],
  vacuum_vacuum_failsafe_age: [0, 2_100_000_000],
  vacuum_vacuum_freeze_min_age: [0, 1_000_000_000],
  vacuum_vacuum_freeze_table_age: [0, 2_000_000_000],
  vacuum_vacuum_multixact_failsafe_age: [0, 2_100_000_000],
  vacuum_vacuum_multixact_freeze_min_age: [0, 1_000_000_000],
  vacuum_vacuum_multixact_freeze_table_age: [0, 2_000_000_000],
};

// The reference's 1.80E+308 ceiling is above every finite double, so those are open-ended here.
const FLOAT_RANGES: Record<string, readonly [number, number | undefined]> = {
  optimizer_cpu_index_tuple_cost: [0, undefined],
  optimizer_cpu_operator_cost: [0, undefined],
  optimizer_cpu_tuple_cost: [0, undefined],
  optimizer_cursor_tuple_fraction: [0, 1],
  optimizer_geqo_seed: [0, 1],
  optimizer_geqo_selection_bias: [1.5, 2],
  optimizer_jit_above_cost: [-1, undefined],
  optimizer_jit_inline_above_cost: [-1, undefined],
  optimizer_jit_optimize_above_cost: [-1, undefined],
  optimizer_parallel_setup_cost: [0, undefined],
  optimizer_parallel_tuple_cost: [0, undefined],
  storage_bgwriter_lru_multiplier: [0, 10],
  vacuum_autovacuum_analyze_scale_factor: [0, 100],
  vacuum_autovacuum_vacuum_cost_delay: [-1, 100],
  vacuum_autovacuum_vacuum_insert_scale_factor: [0, 100],
  vacuum_autovacuum_vacuum_scale_factor: [0, 100],
  vacuum_vacuum_cost_delay: [0, 100],
};

const CHOICES: Record<string, readonly string[]> = {
  durability_synchronous_commit: ['on', 'remote_apply', 'remote_write'],
  instance_password_encryption: ['md5', 'scram-sha-256'],
  logging_client_min_messages: ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'warning', 'error'],
  logging_track_functions: ['none', 'pl', 'all'],
  optimizer_constraint_exclusion: ['on', 'off', 'partition'],
  optimizer_pg_stat_statements_track: ['none', 'top', 'all'],
  optimizer_track_functions: ['none', 'pl', 'all'],
  profile: ['testing', 'production'],
  request_backslash_quote: ['safe_encoding', 'on', 'off'],
  request_default_transaction_isolation: ['serializable', 'repeatable read', 'read committed', 'read uncommitted'],
  request_xmlbinary: ['base64', 'hex'],
  request_xmloption: ['content', 'document'],
  response_bytea_output: ['escape', 'hex'],
};

const WORKER_OPTIONS = [
  'cpu_max_logical_replication_workers',
  'cpu_max_parallel_maintenance_workers',
  'cpu_max_parallel_workers',
  'cpu_max_sync_workers_per_subscription',
  'cpu_max_worker_processes',
];

function namesOfKind(kind: string): string[] {
  return CHARM_OPTIONS.filter((option) => option.kind === kind).map((option) => option.name);
}

function issuesFor(raw: Record<string, unknown>): readonly ConfigIssue[] {
  const result = parseCharmConfig(raw);
  return result.ok ? [] : result.issues;
}

function expectValid(option: string, value: unknown): void {
  const result = parseCharmConfig({ [option]: value });
  expect(result.ok ? [] : result.issues, `${option}=${String(value)}`).toEqual([]);
  if (result.ok) expect((result.config as Record<string, unknown>)[option]).toEqual(value);
}

function expectInvalid(option: string, value: unknown): ConfigIssue {
  const issues = issuesFor({ [option]: value });
  expect(issues, `${option}=${String(value)}`).toHaveLength(1);
  const [issue] = issues;
  expect(issue).toMatchObject({ option, value });
  const message = new ConfigValidationError(issues).message;
  expect(message).toContain(`Configuration Error: ${option}=${JSON.stringify(value)} is invalid: `);
  return issue!;
}

describe('numeric ranges', () => {
  it('covers every numeric option of the table', () => {
    expect(Object.keys(INT_RANGES).sort()).toEqual(namesOfKind('int').sort());
    expect(Object.keys(FLOAT_RANGES).sort()).toEqual(namesOfKind('float').sort());
  });

  describe.each(Object.entries(INT_RANGES))('%s', (option, [min, max]) => {
    it('accepts its bounds and rejects one past them', () => {
      if (min !== undefined) {
        expectValid(option, min);
        expect(expectInvalid(option, min - 1).allowed).toContain(String(min));
      }
      if (max !== undefined) {
        expectValid(option, max);
        expect(expectInvalid(option, max + 1).allowed).toContain(String(max));
      }
      if (min === undefined && max === undefined) expectValid(option, -7);
    });

    it('rejects a fractional value', () => {
      expect(expectInvalid(option, (min ?? 0) + 0.5).allowed).toContain('integer');
    });
  });

  describe.each(Object.entries(FLOAT_RANGES))('%s', (option, [min, max]) => {
    it('accepts its bounds and rejects values past them', () => {
      expectValid(option, min);
      expectInvalid(option, min - 1);
      expectInvalid(option, min - 0.001);
      if (max === undefined) {
        expectValid(option, Number.MAX_VALUE);
      } else {
        expectValid(option, max);
        expectInvalid(option, max + 1);
        expectInvalid(option, max + 0.001);
      }
    });
  });
});

describe('choices', () => {
  it('covers every choice option of the table', () => {
    expect(Object.keys(CHOICES).sort()).toEqual(namesOfKind('choice').sort());
  });

  describe.each(Object.entries(CHOICES))('%s', (option, values) => {
    it.each(values)('accepts %j', (value) => expectValid(option, value));

    it('rejects anything else and lists every allowed value', () => {
      for (const bad of ['bogus', values[0]!.toUpperCase(), '']) {
        const issue = expectInvalid(option, bad);
        for (const value of values) expect(issue.allowed).toContain(`"${value}"`);
      }
    });
  });
});

describe('cpu_* worker counts', () => {
  it('covers every worker option of the table', () => {
    expect(namesOfKind('workers')).toEqual(WORKER_OPTIONS);
  });

  describe.each(WORKER_OPTIONS)('%s', (option) => {
    it('accepts "auto" and turns numeric strings of 2 or more into integers', () => {
      expectValid(option, 'auto');
      const parsed = parseCharmConfigOrThrow({ [option]: '2' }) as Record<string, unknown>;
      expect(parsed[option]).toBe(2);
      expect((parseCharmConfigOrThrow({ [option]: '64' }) as Record<string, unknown>)[option]).toBe(64);
    });

    it.each(['1', '0', '-2', '2.5', 'AUTO', 'four', ''])('rejects %j', (value) => {
      expect(expectInvalid(option, value).allowed).toBe('"auto" or an integer of 2 or more');
    });
  });
});

describe('synchronous_node_count', () => {
  it.each([
    ['all', 'all'],
    ['majority', 'majority'],
    ['1', 1],
    ['3', 3],
  ])('accepts %j as %j', (raw, parsed) => {
    expect(parseCharmConfigOrThrow({ synchronous_node_count: raw }).synchronous_node_count).toBe(parsed);
  });

  it.each(['0', '-1', '1.5', 'none', 'ALL', ''])('rejects %j', (value) => {
    expect(expectInvalid('synchronous_node_count', value).allowed).toBe('"all", "majority" or a positive integer');
  });
});

describe('booleans and free strings', () => {
  it('rejects a string where Juju sends a boolean', () => {
    expect(expectInvalid('cpu_wal_compression', 'yes').allowed).toBe('true or false');
  });

  it('accepts any string for options the database checks later', () => {
    expectValid('request_time_zone', 'Europe/Paris');
    expectValid('ldap_map', 'devs=app_rw');
    expect(expectInvalid('request_time_zone', 3).allowed).toBe('a string');
  });
});

describe('what Juju may or may not send', () => {
  it('treats null (config-get --all) as unset', () => {
    const config = parseCharmConfigOrThrow({ memory_shared_buffers: null, profile: null });
    expect(config).not.toHaveProperty('memory_shared_buffers');
    expect(config.profile).toBe('production');
  });

  it('keeps options without a default when they are set', () => {
    const config = parseCharmConfigOrThrow({ memory_shared_buffers: 1024, profile_limit_memory: 2048 });
    expect(config.memory_shared_buffers).toBe(1024);
    expect(config.profile_limit_memory).toBe(2048);
  });

  it('drops keys the charm does not declare', () => {
    expect(parseCharmConfigOrThrow({ 'not-an-option': 1 })).not.toHaveProperty('not-an-option');
  });

  it('reports every bad option at once, in config.yaml order', () => {
    const issues = issuesFor({ profile: 'dev', connection_authentication_timeout: 0, memory_work_mem: 1 });
    expect(issues.map((issue) => issue.option)).toEqual([
      'connection_authentication_timeout',
      'memory_work_mem',
      'profile',
    ]);
  });

  it('throws a ConfigValidationError from the throwing variant', () => {
    expect(() => parseCharmConfigOrThrow({ profile: 'dev' })).toThrow(ConfigValidationError);
  });
});

describe('the CharmConfig type', () => {
  it('narrows choices and marks options without a default as optional', () => {
    const config = parseCharmConfigOrThrow({});
    expectTypeOf(config.profile).toEqualTypeOf<'production' | 'testing'>();
    expectTypeOf(config.cpu_max_worker_processes).toEqualTypeOf<'auto' | number>();
    expectTypeOf(config.synchronous_node_count).toEqualTypeOf<'all' | 'majority' | number>();
    expectTypeOf(config.memory_shared_buffers).toEqualTypeOf<number | undefined>();
    expectTypeOf(config.plugin_audit_enable).toEqualTypeOf<boolean>();
    expectTypeOf<keyof CharmConfig>().toEqualTypeOf<(typeof CHARM_OPTIONS)[number]['name']>();
  });
});
