/**
 * Steps `config` (the charm config is valid) and `database-config` (values only PostgreSQL can
 * validate), state in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { nextState, PASSWORDS, runHooks, runScenario } from '../../scenario/charm-scenario.ts';
import { emptyDatabase } from '../../scenario/in-memory-postgresql.ts';
import { operations, patroniYml, shared, sqlMethods, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());

const CONFIG_MEMO = 'reconcile.config-checked';

describe('config step', () => {
  it('blocks on an invalid option, naming it, and touches nothing else', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { config: { synchronous_node_count: 'some' } });

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'blocked', message: 'Configuration Error: synchronous_node_count="some" is invalid' });
    expect(result.appStatus).toEqual(result.status);
    // Nothing after the config ran: no passwords, no endpoints, nothing in the workload.
    expect(result.appSecret).toEqual({});
    expect(result.peerApp).toEqual({});
    expect(result.workloadOperations).toEqual([]);
    expect(result.patroniRequests).toEqual([]);
  });

  it('counts the other invalid options in the status', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { config: { synchronous_node_count: 'some', connection_authentication_timeout: 0 } });
    expect(result.status.status).toBe('blocked');
    expect(result.status.message).toMatch(/^Configuration Error: \S+=\S+ is invalid \(and 1 more\)$/);
  });

  it('clears the block on the next config-changed once the option is fixed', async () => {
    const state = await leader();
    const [broken, fixed] = await runHooks([{ hook: 'config-changed' }, { hook: 'config-changed' }], { ...state, config: { synchronous_node_count: 'some' } }, (next) => ({
      ...next,
      config: { synchronous_node_count: 'majority' },
    }));

    expect(broken!.status).toEqual({ status: 'blocked', message: 'Configuration Error: synchronous_node_count="some" is invalid' });
    expect(operations(broken!, 'push')).toEqual([]);
    expect(fixed!.status).toEqual({ status: 'active', message: 'Primary' });
    expect(fixed!.appStatus).toEqual({ status: 'active', message: '' });
  });
});

describe('database-config step', () => {
  it('checks the database-validated options once PostgreSQL runs, and remembers it did', async () => {
    const state = await leader();
    // steadyLeader has checked them already: start from a unit that has not.
    const result = await runScenario({ hook: 'config-changed' }, { ...state, charmState: {} });

    const checks = result.sql.filter((call) => call.method === 'checkConfigAgainstDatabase');
    expect(checks).toHaveLength(1);
    expect(checks[0]!.args[0]).toMatchObject({ request_time_zone: 'UTC', instance_default_text_search_config: 'pg_catalog.simple' });
    expect(result.charmState[CONFIG_MEMO]).toMatch(/^[0-9a-f]{32}$/);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });

    const again = await runScenario({ hook: 'update-status' }, nextState(state, result));
    expect(sqlMethods(again)).not.toContain('checkConfigAgainstDatabase');
    expect(operations(again, 'exec').map((op) => op.command[0])).not.toContain('locale');
  });

  it('asks nothing before PostgreSQL runs (first bootstrap)', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS } });
    expect(sqlMethods(result)).toEqual([]);
    expect(result.charmState[CONFIG_MEMO]).toBeUndefined();
    expect(patroniYml(result)).toBeDefined();
  });

  it('blocks on a value PostgreSQL rejects and keeps the last good patroni.yml; a fix clears it', async () => {
    const state = await leader();
    const before = state.workload!.files['/var/lib/postgresql/data/patroni.yml']!.content;
    const problem = 'Invalid value for request_time_zone: Mars/Olympus';
    const [rejected, fixed] = await runHooks(
      [{ hook: 'config-changed' }, { hook: 'config-changed' }],
      {
        ...state,
        config: { request_time_zone: 'Mars/Olympus' },
        database: emptyDatabase({ ...state.database, configProblems: [problem, 'another problem'] }),
      },
      (next) => ({ ...next, config: { request_time_zone: 'Europe/Lisbon' }, database: { ...next.database!, configProblems: [] } }),
    );

    expect(rejected!.status).toEqual({ status: 'blocked', message: `Configuration Error: ${problem} (and 1 more)` });
    expect(rejected!.appStatus).toEqual(rejected!.status);
    expect(operations(rejected!, 'push')).toEqual([]);
    expect(rejected!.workload.files['/var/lib/postgresql/data/patroni.yml']!.content).toBe(before);
    expect(rejected!.charmState[CONFIG_MEMO]).toBe(state.charmState![CONFIG_MEMO]);

    expect(fixed!.status).toEqual({ status: 'active', message: 'Primary' });
    expect(patroniYml(fixed!)!['postgresql']['parameters']['TimeZone']).toBe('Europe/Lisbon');
    expect(fixed!.charmState[CONFIG_MEMO]).not.toBe(state.charmState![CONFIG_MEMO]);
  });

  it('blocks on a locale the container does not have', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'config-changed' }, { ...state, config: { response_lc_monetary: 'de_DE.utf8' } });
    expect(result.status).toEqual({
      status: 'blocked',
      message: 'Configuration Error: Value for response_lc_monetary not one of the locales available in the system',
    });
    expect(operations(result, 'push')).toEqual([]);
  });
});
