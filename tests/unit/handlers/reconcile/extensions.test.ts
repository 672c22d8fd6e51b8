/**
 * Step `extensions` (leader): the `plugin_*` options as extensions on the primary, with the
 * dependency checks, applied once per set of options. State in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { PostgreSQLDependentObjectsStillExistError, PostgreSQLEnableDisableExtensionError } from '../../../../lib/postgresql/index.ts';
import { member, memberHost, runHooks, runScenario } from '../../scenario/charm-scenario.ts';
import { emptyDatabase } from '../../scenario/in-memory-postgresql.ts';
import { shared, sqlMethods, steadyLeader, steadyReplica } from './support.ts';

const MEMO = 'reconcile.extensions';
const DEPENDENCIES = { status: 'blocked', message: 'Unsatisfied plugin dependencies. Please check the logs' };
const IN_USE = { status: 'blocked', message: 'Cannot disable plugins: Existing objects depend on it. See logs' };
const leader = shared(() => steadyLeader());

function extensionCalls(result: Awaited<ReturnType<typeof runScenario>>): Array<Record<string, boolean>> {
  return result.sql.filter((call) => call.method === 'enableDisableExtensions').map((call) => call.args[0] as Record<string, boolean>);
}

describe('extensions step', () => {
  it('enables a plugin on the primary and does not repeat it while the options stay the same', async () => {
    const state = await leader();
    const [enabled, again] = await runHooks([{ hook: 'config-changed' }, { hook: 'update-status' }], { ...state, config: { plugin_citext_enable: true } });

    const calls = extensionCalls(enabled!);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ citext: true, postgis: false, pgaudit: true });
    expect(enabled!.sql.find((call) => call.method === 'enableDisableExtensions')!.host).toBe(memberHost(0));
    expect(enabled!.database.extensions['citext']).toBe(true);
    expect(enabled!.charmState[MEMO]).toMatch(/^[0-9a-f]{32}$/);
    expect(enabled!.charmState[MEMO]).not.toBe(state.charmState![MEMO]);
    expect(enabled!.status).toEqual({ status: 'active', message: 'Primary' });

    expect(extensionCalls(again!)).toEqual([]);
    expect(again!.charmState[MEMO]).toBe(enabled!.charmState[MEMO]);
  });

  it('blocks on a plugin whose requirements are off, changing nothing; enabling them clears it', async () => {
    const state = await leader();
    const [unsatisfied, fixed] = await runHooks([{ hook: 'config-changed' }, { hook: 'config-changed' }], { ...state, config: { plugin_address_standardizer_enable: true } }, (next) => ({
      ...next,
      config: { plugin_address_standardizer_enable: true, plugin_postgis_enable: true },
    }));

    expect(unsatisfied!.status).toEqual(DEPENDENCIES);
    expect(unsatisfied!.appStatus).toEqual(DEPENDENCIES);
    expect(extensionCalls(unsatisfied!)).toEqual([]);
    expect(unsatisfied!.charmState[MEMO]).toBe(state.charmState![MEMO]);
    // Everything before the extensions still converged: the member serves, Patroni has its config.
    expect(unsatisfied!.patroniRequests.some((request) => request.method === 'GET' && request.path === '/config')).toBe(true);

    expect(fixed!.status).toEqual({ status: 'active', message: 'Primary' });
    expect(extensionCalls(fixed!)[0]).toMatchObject({ address_standardizer: true, postgis: true });
  });

  it('blocks while objects still use a plugin being disabled, and retries on the next hook', async () => {
    const state = await leader();
    const database = emptyDatabase({ ...state.database, failures: { enableDisableExtensions: new PostgreSQLDependentObjectsStillExistError() } });
    // nextState drops scripted failures: by the next hook the objects are gone.
    const [inUse, gone] = await runHooks([{ hook: 'config-changed' }, { hook: 'update-status' }], { ...state, config: { plugin_audit_enable: false }, database });

    expect(inUse!.status).toEqual(IN_USE);
    expect(inUse!.charmState[MEMO]).toBe(state.charmState![MEMO]);
    expect(extensionCalls(gone!)).toHaveLength(1);
    expect(gone!.database.extensions['pgaudit']).toBe(false);
    expect(gone!.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('logs any other failure without blocking, leaving the work to the next hook', async () => {
    const state = await leader();
    const database = emptyDatabase({ ...state.database, failures: { enableDisableExtensions: new PostgreSQLEnableDisableExtensionError() } });
    const result = await runScenario({ hook: 'config-changed' }, { ...state, config: { plugin_citext_enable: true }, database });

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(result.charmState[MEMO]).toBe(state.charmState![MEMO]);
    expect(result.logs).toContain('failed to enable or disable extensions');
  });

  it('changes nothing without a read-write primary (a standby cluster)', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'config-changed' }, { ...state, config: { plugin_citext_enable: true }, cluster: [member(0, 'standby_leader')] });
    expect(extensionCalls(result)).toEqual([]);
    expect(result.charmState[MEMO]).toBe(state.charmState![MEMO]);
    expect(result.status).toEqual({ status: 'active', message: 'Standby' });
  });

  it('is the leader\'s job only', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...(await steadyReplica()), config: { plugin_citext_enable: true } });
    expect(sqlMethods(result)).not.toContain('enableDisableExtensions');
    expect(result.charmState[MEMO]).toBeUndefined();
  });
});
