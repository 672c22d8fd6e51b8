/**
 * get-password through the whole charm (dispatcher, handlers, CharmContext, hook tools), state in
 * → one action → state out. The action's own branches are in get-password.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PASSWORDS, runScenario, type ScenarioState } from '../scenario/charm-scenario.ts';

const getPassword = (params: Record<string, unknown> = {}) => ({ hook: 'action', action: 'get-password', params }) as const;
const TWO_UNITS: ScenarioState = { units: 2, appSecret: { ...PASSWORDS } };

describe('get-password, state in → state out', () => {
  it("returns operator's password by default, and changes nothing", async () => {
    const result = await runScenario(getPassword(), TWO_UNITS);
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: false, message: '', results: { password: PASSWORDS['operator-password'] } });
    expect(result.appSecret).toEqual(PASSWORDS);
    expect(result.peerApp).toEqual({});
    expect(result.workloadOperations).toEqual([]);
    expect(result.patroniRequests).toEqual([]);
    expect(result.sql).toEqual([]);
    expect(result.logs).toContain('returning a stored password');
    expect(result.logs).not.toContain(PASSWORDS['operator-password']);
  });

  it('returns the Patroni REST password on a unit that is not the leader', async () => {
    const result = await runScenario(getPassword({ username: 'patroni' }), { ...TWO_UNITS, unit: 1 });
    expect(result.action).toMatchObject({ failed: false, results: { password: PASSWORDS['patroni-password'] } });
    expect(result.logs).not.toContain(PASSWORDS['patroni-password']);
  });

  it("refuses a user that is not a system user, with the reference's message", async () => {
    const result = await runScenario(getPassword({ username: 'postgres' }), TWO_UNITS);
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({
      failed: true,
      message: 'The action can be run only for system users or Patroni: backup, replication, rewind, operator, monitoring, patroni not postgres',
      results: {},
    });
  });

  it("uses the LDAP wording when the peer app bag says LDAP is enabled (the charm's ldapEnabled)", async () => {
    const result = await runScenario(getPassword({ username: 'alice' }), { ...TWO_UNITS, peerApp: { ldap_enabled: 'True' } });
    expect(result.action).toMatchObject({ failed: true, message: 'The action can be run only for system users when LDAP is enabled' });
  });

  it('fails, naming the leader, before the leader has created the password', async () => {
    const result = await runScenario(getPassword({ username: 'monitoring' }), { units: 2, appSecret: { 'operator-password': 'opOnly0000000001' } });
    expect(result.action).toMatchObject({
      failed: true,
      message: 'The password of monitoring is not set yet: the leader unit creates it when it sets up the cluster; retry once the application is active',
      results: {},
    });
  });
});
