import { describe, expect, it } from 'vitest';
import { createDispatcher, IMPLEMENTED_ACTIONS } from '../../../src/handlers/index.ts';
import { createLogger } from '../../../src/logging.ts';
import { UNAVAILABLE_ACTIONS } from '../../../src/actions/unavailable.ts';
import { readRepoYaml } from '../config/repo-yaml.ts';
import { PASSWORDS, runScenario } from '../scenario/charm-scenario.ts';

describe('action dispatch', () => {
  it('routes each implemented action to exactly one handler, in the one dispatcher', () => {
    const dispatcher = createDispatcher(createLogger({ level: 'silent' }));
    expect([...IMPLEMENTED_ACTIONS].sort()).toEqual(['create-backup', 'get-password', 'get-primary', 'list-backups', 'promote-to-primary', 'restore', 'set-password', 'set-tls-private-key']);
    for (const action of IMPLEMENTED_ACTIONS) {
      expect(dispatcher.handlersFor({ kind: 'action', action, actionId: '1' })).toHaveLength(1);
    }
  });

  it('runs get-password end to end through the charm', async () => {
    const result = await runScenario({ hook: 'action', action: 'get-password', params: { username: 'rewind' } }, { appSecret: { 'rewind-password': 'rw-Secret9' } });
    expect(result.action).toMatchObject({ failed: false, results: { password: 'rw-Secret9' } });
  });

  it('turns an unexpected error into action-fail with the dispatcher prefix, exit 0', async () => {
    // get-primary with every Patroni unreachable is an expected failure; a broken /cluster body is not.
    const result = await runScenario({ hook: 'action', action: 'get-primary' }, { patroniAnswers: { '/cluster': { status: 200, text: 'not json' } } });
    expect(result.exitCode).toBe(0);
    expect(result.action?.failed).toBe(true);
    expect(result.action?.message).toMatch(/^(action get-primary failed: |Unable to reach Patroni)/);
  });

  it.each(UNAVAILABLE_ACTIONS)('fails %s, declared but not built, with a message saying it is not available, and touches nothing', async (action) => {
    expect(IMPLEMENTED_ACTIONS).not.toContain(action);
    const result = await runScenario({ hook: 'action', action }, { appSecret: { ...PASSWORDS } });
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: true, message: `${action} is not available in this version of the charm`, results: {} });
    expect(result.logs).not.toContain('no handler registered; ignoring event');
    expect(result.workloadOperations).toEqual([]);
    expect(result.patroniRequests).toEqual([]);
    expect(result.sql).toEqual([]);
    expect(result.appSecret).toEqual(PASSWORDS);
  });

  it('handles every action actions.yaml declares: each is either built or fails as not available', () => {
    const declared = Object.keys(readRepoYaml('actions.yaml') as Record<string, unknown>).sort();
    expect([...IMPLEMENTED_ACTIONS, ...UNAVAILABLE_ACTIONS].sort()).toEqual(declared);
    const dispatcher = createDispatcher(createLogger({ level: 'silent' }));
    for (const action of declared) expect(dispatcher.handlersFor({ kind: 'action', action, actionId: '1' }), action).toHaveLength(1);
  });

  it('never dispatches an action name actions.yaml does not declare: Juju (here its sandbox model) refuses to queue it', async () => {
    await expect(runScenario({ hook: 'action', action: 'no-such-action' })).rejects.toThrow('action "no-such-action" not defined on unit "postgresql-k8s/0"');
  });
});
