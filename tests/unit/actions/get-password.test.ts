import { describe, expect, it } from 'vitest';
import { getPassword } from '../../../src/actions/index.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { APP, capturedLogger, seedAppSecret, startActionOn } from './support.ts';

async function run(params: Record<string, unknown>, options: { unit?: string; ldap?: boolean; seed?: Record<string, string> } = {}) {
  const harness = charmHarness({ units: 2 });
  await seedAppSecret(harness, options.seed ?? { 'operator-password': 'op-Secret1', 'backup-password': 'bk-Secret2', 'patroni-password': 'pt-Secret3' });
  const running = startActionOn(harness, options.unit ?? `${APP}/0`, 'get-password', params);
  const { logger, text } = capturedLogger();
  await getPassword(running.event, {
    tools: running.tools,
    secrets: running.secrets,
    logger,
    unitName: options.unit ?? `${APP}/0`,
    appName: APP,
    ...(options.ldap === undefined ? {} : { ldapEnabled: async () => options.ldap as boolean }),
  });
  return { action: running.action, logs: text() };
}

describe('get-password', () => {
  it('returns the operator password when no username is given', async () => {
    const { action, logs } = await run({});
    expect(action.failed).toBe(false);
    expect(action.results).toEqual({ password: 'op-Secret1' });
    expect(logs).not.toContain('op-Secret1');
  });

  it('returns the backup password the leader stores (the reference returned None)', async () => {
    expect((await run({ username: 'backup' })).action.results).toEqual({ password: 'bk-Secret2' });
  });

  it('returns the Patroni REST password, on a non-leader unit too', async () => {
    const { action } = await run({ username: 'patroni' }, { unit: `${APP}/1` });
    expect(action.failed).toBe(false);
    expect(action.results).toEqual({ password: 'pt-Secret3' });
  });

  it('refuses users that are not system users, with the reference message', async () => {
    const { action } = await run({ username: 'postgres' });
    expect(action.failed).toBe(true);
    expect(action.message).toBe(
      'The action can be run only for system users or Patroni: backup, replication, rewind, operator, monitoring, patroni not postgres',
    );
    expect(action.results).toEqual({});
  });

  it('uses the LDAP wording when LDAP is enabled', async () => {
    const { action } = await run({ username: 'alice' }, { ldap: true });
    expect(action.message).toBe('The action can be run only for system users when LDAP is enabled');
    expect((await run({ username: 'alice' }, { ldap: false })).action.message).toMatch(/not alice$/);
  });

  it('names a parameter of the wrong type', async () => {
    const harness = charmHarness({ units: 1 });
    const running = startActionOn(harness, `${APP}/0`, 'get-password', {});
    running.action.params['username'] = 5; // Juju checks types first; the charm still refuses it clearly
    await getPassword(running.event, { tools: running.tools, secrets: running.secrets, logger: capturedLogger().logger, unitName: `${APP}/0`, appName: APP });
    expect(running.action.failed).toBe(true);
    expect(running.action.message).toMatch(/^Invalid parameter "username": .*expected string/);
  });

  it('fails clearly when the password has not been created yet', async () => {
    const { action } = await run({ username: 'monitoring' });
    expect(action.failed).toBe(true);
    expect(action.message).toBe(
      'The password of monitoring is not set yet: the leader unit creates it when it sets up the cluster; retry once the application is active',
    );
    expect(action.results).toEqual({});
  });
});
